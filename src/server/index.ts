// The REST server: buildApp() for inject() tests and embedding, the server file (keys, thumbnails).
export { buildApp } from './app.ts';
export type { AppOptions } from './app.ts';
export { DEFAULT_LIMITS } from './context.ts';
export type { ServerLimits } from './context.ts';
export { SqliteServerStore, serverStorePath, SCOPES, hashKey } from './store.ts';
export type { ServerStore, Scope, ApiKeyInfo, CreatedKey } from './store.ts';
export { PostgresServerStore, KEY_GRACE_MS } from './store-postgres.ts';
export { openServerStore } from './open-store.ts';
export { allErrorCodes } from './errors.ts';
export { isLoopbackHost } from './auth.ts';
export { openApiDocument } from './openapi.ts';
