// IndexSync: keeps a SearchIndex in step with a shared gallery (PostgreSQL) that other processes
// write to, without a database round trip per search. Three ways in, one catch-up (SearchIndex.
// catchUp(), from the change log):
//   - a notification (the gallery's change feed: LISTEN on its own connection): catch up at once;
//   - the feed (re)connecting (first start, a connection lost, PostgreSQL restarted): catch up, since
//     what was committed while it was down was not heard;
//   - a safety poll every SAFETY_PERIOD_MS: probe the listening connection (a query for the change
//     log's latest sequence number) and catch up unless the index already has it, so that a
//     notification missed for any reason costs at most that period, and a connection that died
//     silently (no error, no answer) is found and made again.
// A search (beforeRead) waits for a catch-up already under way, never starts a round trip of its own:
// while the database is away the index answers from memory, as it was when last known current.
import { VisageError } from '../errors.ts';
import type { Gallery } from './gallery.ts';
import type { SearchIndex } from './search.ts';

/** How often the safety catch-up runs (and the listening connection is probed): the bound on a missed notification's lag. */
export const SAFETY_PERIOD_MS = 2000;

/**
 * A search waits at most this long for a catch-up under way (one takes a few ms): past it, as when
 * the database stops answering mid-catch-up, the search is answered from the index as it is.
 */
const READ_WAIT_MS = 500;

export interface FeedHandle {
  readonly connected: boolean;
  probe(timeoutMs: number): Promise<number | null>;
  close(): Promise<void>;
}

/** A gallery that can tell of every writer's commits (PostgresGallery). */
export interface ChangeFeedSource {
  openChangeFeed(events: { onNotify(): void; onConnect(): void; onDisconnect(error: Error | null): void }): Promise<FeedHandle>;
}

export function hasChangeFeed(gallery: Gallery): gallery is Gallery & ChangeFeedSource {
  return typeof (gallery as Partial<ChangeFeedSource>).openChangeFeed === 'function';
}

/** Where a node's index stands against the database (served in /health). */
export interface SyncStatus {
  /** Whether the listening connection is up. */
  listening: boolean;
  /** The change log sequence number the index reflects. */
  sequence: number;
  /** The database's latest sequence number when last read (null: never read). */
  databaseSequence: number | null;
  /** databaseSequence - sequence (changes known and not yet applied). */
  lag: number | null;
  /** Milliseconds since the index last applied a change read from the log (null: none yet). */
  msSinceApplied: number | null;
  /**
   * Milliseconds since the index was last known to hold every committed change: the start of the
   * last catch-up that succeeded (the notifications cover the time after it while listening).
   */
  msSinceCurrent: number | null;
  /** Catch-ups (notification, reconnect or poll) that failed in a row: the database is away. */
  failures: number;
  /** The safety poll's period. */
  safetyPeriodMs: number;
}

export interface IndexSyncOptions {
  /** Default SAFETY_PERIOD_MS. */
  safetyPeriodMs?: number;
}

export class IndexSync {
  private feed: FeedHandle | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The catch-up under way (started by a notification, a reconnect or the poll), if any. */
  private running: Promise<void> | null = null;
  /** A notification came while a catch-up was under way: run one more after it. */
  private again = false;
  private databaseSeq: number | null = null;
  private currentAt: number | null = null;
  private appliedAt: number | null = null;
  private failuresInRow = 0;
  private readonly safetyPeriodMs: number;

  private constructor(private readonly index: SearchIndex, private readonly gallery: Gallery & ChangeFeedSource, options: IndexSyncOptions) {
    const period = options.safetyPeriodMs ?? SAFETY_PERIOD_MS;
    if (!Number.isInteger(period) || period < 10) throw new VisageError('VISAGE_ERR_BAD_OPTION', `safetyPeriodMs must be a whole number >= 10, got ${period}`);
    this.safetyPeriodMs = period;
  }

  /** Follows `gallery` for `index` (already loaded from it) until close(). */
  static async start(index: SearchIndex, gallery: Gallery & ChangeFeedSource, options: IndexSyncOptions = {}): Promise<IndexSync> {
    const sync = new IndexSync(index, gallery, options);
    // The index was loaded just now: current as of its snapshot.
    sync.currentAt = Date.now();
    sync.databaseSeq = index.sequence;
    sync.feed = await gallery.openChangeFeed({
      onNotify: () => sync.catchUp(),
      onConnect: () => sync.catchUp(),
      onDisconnect: () => undefined,
    });
    sync.timer = setInterval(() => void sync.poll(), sync.safetyPeriodMs);
    sync.timer.unref();
    return sync;
  }

  /**
   * Before a search: waits for the catch-up under way (a notification heard before this search
   * started is applied first), never starts one. A failed catch-up leaves the index as it was.
   */
  async beforeRead(): Promise<void> {
    const running = this.running;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise<void>((resolve) => { timer = setTimeout(resolve, READ_WAIT_MS); })]);
    clearTimeout(timer);
  }

  status(): SyncStatus {
    const now = Date.now();
    const sequence = this.index.sequence;
    const database = this.databaseSeq === null ? null : Math.max(this.databaseSeq, sequence);
    return {
      listening: this.feed?.connected ?? false,
      sequence,
      databaseSequence: database,
      lag: database === null ? null : database - sequence,
      msSinceApplied: this.appliedAt === null ? null : now - this.appliedAt,
      msSinceCurrent: this.currentAt === null ? null : now - this.currentAt,
      failures: this.failuresInRow,
      safetyPeriodMs: this.safetyPeriodMs,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.feed?.close();
    this.feed = null;
    await this.running?.catch(() => undefined);
  }

  /** Starts a catch-up, or asks for one more after the one under way (which may have read before this commit). */
  private catchUp(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runCatchUps().finally(() => { this.running = null; });
  }

  private async runCatchUps(): Promise<void> {
    do {
      this.again = false;
      const started = Date.now();
      const before = this.index.sequence;
      try {
        await this.index.catchUp();
        this.failuresInRow = 0;
        this.currentAt = started;
        const after = this.index.sequence;
        this.databaseSeq = Math.max(this.databaseSeq ?? 0, after);
        if (after !== before) this.appliedAt = Date.now();
      } catch {
        // The database is away: the index stays as it was; the feed's reconnect or the poll tries again.
        this.failuresInRow++;
        return;
      }
    } while (this.again && !this.closed);
  }

  /** The safety poll: probe the listening connection (its answer is the database's sequence), then catch up. */
  private polling = false;

  private async poll(): Promise<void> {
    if (this.closed || this.polling) return;
    this.polling = true;
    try {
      const started = Date.now();
      const seq = await this.feed?.probe(Math.max(1000, this.safetyPeriodMs));
      if (typeof seq === 'number') this.databaseSeq = Math.max(this.databaseSeq ?? 0, seq);
      // The probe read the log's latest: when the index has it, it is known current without a catch-up.
      if (typeof seq === 'number' && seq === this.index.sequence && !this.running) this.currentAt = started;
      else this.catchUp();
    } finally {
      this.polling = false;
    }
  }
}
