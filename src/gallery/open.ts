// openGallery(location): one entry for every store, chosen by the location's form. A postgres:// or
// postgresql:// URL is a PostgreSQL database (postgres/), anything else a SQLite file (sqlite/), the
// default. The options both stores share are checked by the store opened.
import { openPostgresGallery, type PostgresGalleryOptions } from './postgres/open.ts';
import { isPostgresUrl } from './postgres/location.ts';
import type { PostgresGallery } from './postgres/gallery.ts';
import { openSqliteGallery, type SqliteGalleryOptions } from './sqlite/open.ts';
import type { SqliteGallery } from './sqlite/gallery.ts';

/** The options of openGallery(): those of the store the location names (readOnly, busyTimeoutMs and create are common). */
export type GalleryOptions = SqliteGalleryOptions & PostgresGalleryOptions;

export type OpenedGallery = SqliteGallery | PostgresGallery;

export { isPostgresUrl };

/** Opens the gallery at `location`: a postgres:// URL, else a SQLite file path. */
export async function openGallery(location: string, options: GalleryOptions = {}): Promise<OpenedGallery> {
  if (isPostgresUrl(location)) return openPostgresGallery(location, options);
  return openSqliteGallery(location, options);
}
