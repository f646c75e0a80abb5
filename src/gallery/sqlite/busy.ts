// Waiting for another connection's lock without blocking the event loop. better-sqlite3 is
// synchronous: with a busy timeout, SQLite's busy handler sleeps inside the call and the whole
// process waits with it (a server stops answering every request). So connections run with
// `busy_timeout = 0`, a statement meeting a lock fails at once with SQLITE_BUSY, and the work is
// tried again after a timer (2, 4, 8 ... ms, at most 50 ms apart) until `timeoutMs` has passed;
// between tries the event loop runs. Each try is a whole transaction, rolled back on failure.
import { setTimeout as sleep } from 'node:timers/promises';
import { VisageError } from '../../errors.ts';

/** Longest pause between two tries: how late a released lock may be noticed. */
export const MAX_RETRY_DELAY_MS = 50;
const FIRST_RETRY_DELAY_MS = 2;

/** Whether SQLite refused because another connection holds a lock (SQLITE_BUSY and its variants). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY, waiting asynchronously between tries;
 * once `timeoutMs` has passed, the last SQLITE_BUSY error is thrown. Other errors at once.
 */
export async function retryWhileBusy<T>(attempt: () => T, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let delay = FIRST_RETRY_DELAY_MS;
  for (;;) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const left = deadline - performance.now();
      if (left <= 0) throw error;
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    }
  }
}

/**
 * Runs `work` on an open connection, tried again while another connection holds the lock; after
 * `timeoutMs`, VISAGE_ERR_DB_LOCKED naming the file (`kind` says what it is, e.g. "server file").
 * A closed connection is VISAGE_ERR_CLOSED.
 */
export async function retriedOnFile<T>(db: { readonly open: boolean }, kind: string, location: string, timeoutMs: number, work: () => T): Promise<T> {
  try {
    return await retryWhileBusy(() => {
      if (!db.open) throw new VisageError('VISAGE_ERR_CLOSED', `${kind} used after close()`);
      return work();
    }, timeoutMs);
  } catch (error) {
    if (!isBusy(error)) throw error;
    throw new VisageError('VISAGE_ERR_DB_LOCKED', `${kind} ${location} is locked by another process (waited ${timeoutMs} ms); try again when it has finished`, { cause: error });
  }
}
