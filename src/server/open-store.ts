// Which server store (keys, thumbnails) goes with a gallery: a file named with --server-file when
// given; else the PostgreSQL gallery's own schema (every API node on it shares them); else the
// SQLite file beside the SQLite gallery (visage.db -> visage.server.db).
import type { Gallery } from '../gallery/gallery.ts';
import { PostgresGallery } from '../gallery/postgres/gallery.ts';
import { PostgresServerStore } from './store-postgres.ts';
import { serverStorePath, SqliteServerStore, type ServerStore } from './store.ts';

export interface OpenServerStoreOptions {
  /** The gallery's location (a file path) when it is a SQLite gallery: the server file goes beside it. */
  galleryLocation: string;
  /** A SQLite server file of its own, whatever the gallery. */
  serverFile?: string;
  /** Create the file or tables when missing (default true). */
  create?: boolean;
}

export async function openServerStore(gallery: Gallery, options: OpenServerStoreOptions): Promise<ServerStore> {
  if (options.serverFile !== undefined) return SqliteServerStore.open(options.serverFile, { create: options.create });
  if (gallery instanceof PostgresGallery) return PostgresServerStore.open(gallery, { create: options.create });
  return SqliteServerStore.open(serverStorePath(options.galleryLocation), { create: options.create });
}
