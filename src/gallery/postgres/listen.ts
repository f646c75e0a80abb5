// ChangeFeed: one dedicated connection that LISTENs on the gallery's change channel (migrations.ts:
// triggers NOTIFY at every commit, payload = the gallery's schema), made again whenever it is lost.
//
// PostgreSQL delivers every notification committed while a session listens; notifications can only
// be lost with the session. So the feed says when it (re)connects (onConnect: the follower catches
// up from the change log, which covers whatever was committed while it was away) and when it is
// lost (onDisconnect). A connection that breaks silently (a network black hole) sends no error:
// probe() runs a query on it with a deadline, and a missed deadline counts as a lost connection.
import type pg from 'pg';
import { CHANGE_CHANNEL } from './migrations.ts';

export interface ChangeFeedEvents {
  /** A write to this gallery committed (a notification on its channel, with its schema). */
  onNotify(): void;
  /** The listening connection is up (again): changes committed while it was down were not heard. */
  onConnect(): void;
  /** The listening connection was lost; it is made again (every 0.25 s at first, up to every 5 s). */
  onDisconnect(error: Error | null): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

/** The application_name of a gallery's listening connections (pg_stat_activity): visage-listen:<schema>. */
export function listenApplicationName(schema: string): string {
  return `visage-listen:${schema}`.slice(0, 63);
}

export class ChangeFeed {
  private client: pg.Client | null = null;
  private connectedNow = false;
  private closed = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** How many times the connection was made (1 after the first). */
  connects = 0;

  private constructor(
    private readonly driver: typeof pg,
    private readonly config: pg.ClientConfig,
    private readonly schema: string,
    private readonly events: ChangeFeedEvents,
  ) {}

  /**
   * @internal (pg's types stay out of the published declarations: a consumer needs no @types/pg)
   * Starts listening: resolves after the first attempt to connect, listening or not (a failed
   * attempt is tried again in the background; onConnect says when it is up).
   */
  static async start(driver: typeof pg, config: pg.ClientConfig, schema: string, events: ChangeFeedEvents): Promise<ChangeFeed> {
    const feed = new ChangeFeed(driver, config, schema, events);
    await feed.connect();
    return feed;
  }

  /** Whether the listening connection is up. */
  get connected(): boolean {
    return this.connectedNow;
  }

  /**
   * A round trip on the listening connection within `timeoutMs`: the gallery's latest change log
   * sequence number. Past the deadline, or on an error, the connection counts as lost (it is made
   * again) and null is returned.
   */
  async probe(timeoutMs: number): Promise<number | null> {
    const client = this.client;
    if (!client || !this.connectedNow) return null;
    let timer: NodeJS.Timeout | undefined;
    try {
      const query = client.query<{ seq: string | number | null }>(`SELECT max(seq) AS seq FROM ${this.schema}.change_log`);
      const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs); });
      const { rows } = await Promise.race([query, deadline]);
      return Number(rows[0]?.seq ?? 0);
    } catch (error) {
      if (this.client === client) this.lost(client, error as Error);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.connectedNow = false;
    if (client) await endQuietly(client);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new this.driver.Client({ ...this.config, application_name: listenApplicationName(this.schema) });
    this.client = client;
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload === this.schema) this.events.onNotify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.client !== client || this.closed) return;
    this.connectedNow = true;
    this.connects++;
    this.retryMs = FIRST_RETRY_MS;
    this.events.onConnect();
  }

  /** The connection `client` is gone (or must be given up): drop it, tell, and connect again later. */
  private lost(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return; // an old connection's late event
    this.client = null;
    const wasConnected = this.connectedNow;
    this.connectedNow = false;
    void endQuietly(client);
    if (this.closed) return;
    if (wasConnected) this.events.onDisconnect(error);
    this.retryTimer = setTimeout(() => { this.retryTimer = null; void this.connect(); }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }
}

/** Ends a connection without waiting on a peer that may never answer (the socket is destroyed). */
async function endQuietly(client: pg.Client): Promise<void> {
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  const ended = client.end().catch(() => undefined);
  stream?.destroy();
  await ended;
}
