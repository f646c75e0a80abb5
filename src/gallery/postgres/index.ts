// The shared gallery store: PostgreSQL.
export { openPostgresGallery } from './open.ts';
export type { PostgresGalleryOptions } from './open.ts';
export { PostgresGallery } from './gallery.ts';
export { isPostgresUrl } from './location.ts';
export { SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION, CHANGE_CHANNEL } from './migrations.ts';
