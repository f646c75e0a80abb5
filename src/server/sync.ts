// Several API nodes on one PostgreSQL gallery: each node's search index follows the gallery by
// LISTEN/NOTIFY (src/gallery/sync.ts). Here, the server's side: the index starts following when the
// app is built (not at the first search, so that /health has figures at once and the first request
// does not load it), and /health reports where the node stands against the database.
import type { Gallery } from '../gallery/gallery.ts';
import { hasChangeFeed, type SyncStatus } from '../gallery/sync.ts';
import type { Recognizer } from '../recognition/index.ts';
import type { ApproximateStatus } from '../gallery/search.ts';

/**
 * Loads the index and starts following a gallery that has a change feed (PostgreSQL), before the
 * server answers. On SQLite the index is loaded in the background from here (not at the first
 * request): past the approximate threshold its IVF index is then built in the background too,
 * searches being exact until it is ready (/health `search`). A failed load is tried again by the
 * first request that needs the index.
 */
export async function startIndexSync(recognizer: Recognizer, gallery: Gallery): Promise<void> {
  if (hasChangeFeed(gallery)) await recognizer.prepare();
  else recognizer.prepare().catch(() => undefined);
}

/**
 * The `sync` part of /health (present when the index follows the gallery by notifications) and
 * the `search` part (once the index is loaded): exact, or approximate building / ready.
 */
export function syncHealth(recognizer: Recognizer): { sync?: SyncStatus; search?: ApproximateStatus } {
  const status = recognizer.syncStatus();
  const search = recognizer.searchStatus();
  return { ...(status ? { sync: status } : {}), ...(search ? { search } : {}) };
}
