// The embedded gallery store: one SQLite file.
export { openSqliteGallery } from './open.ts';
export type { SqliteGalleryOptions } from './open.ts';
export { SqliteGallery } from './gallery.ts';
export { SCHEMA_VERSION, APPLICATION_ID } from './migrations.ts';
