// 'visage/server': the REST server as a fastify app, for embedding in a program of your own or
// for inject() tests (visage serve is this app listening on a port).
export { buildApp, DEFAULT_LIMITS, SqliteServerStore, PostgresServerStore, openServerStore, serverStorePath, SCOPES, allErrorCodes, openApiDocument } from '../server/index.ts';
export type { AppOptions, ServerLimits, ServerStore, Scope, ApiKeyInfo, CreatedKey } from '../server/index.ts';
