// Several API nodes on one PostgreSQL gallery: each node's search index follows the gallery by
// LISTEN/NOTIFY (src/gallery/sync.ts). Here, the server's side: the index starts following when the
// app is built (not at the first search, so that /health has figures at once and the first request
// does not load it), and /health reports where the node stands against the database.
import type { Gallery } from '../gallery/gallery.ts';
import { hasChangeFeed, type SyncStatus } from '../gallery/sync.ts';
import type { Recognizer } from '../recognition/index.ts';

/** Loads the index and starts following a gallery that has a change feed (PostgreSQL); SQLite: nothing (per request, as before). */
export async function startIndexSync(recognizer: Recognizer, gallery: Gallery): Promise<void> {
  if (hasChangeFeed(gallery)) await recognizer.prepare();
}

/** The `sync` part of /health: present when the index follows the gallery by notifications. */
export function syncHealth(recognizer: Recognizer): { sync?: SyncStatus } {
  const status = recognizer.syncStatus();
  return status ? { sync: status } : {};
}
