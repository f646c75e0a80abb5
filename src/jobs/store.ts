// JobStore: Visage's job tables (schema.ts) through node-postgres. Every call is one statement or
// one short transaction, so any number of processes (API nodes, workers, the CLI) share them.
import type pg from 'pg';
import { VisageError, shown } from '../errors.ts';
import { isConnectionError, mapPostgresError } from '../gallery/postgres/errors.ts';
import { JOB_MIGRATION_LOCK, JOB_MIGRATIONS } from './schema.ts';
import type { ItemFilter, JobFile, JobRecords, ItemState, JobDetail, JobItem, JobKind, JobProgress, JobState, JobSummary, VideoJobView, VideoProgress } from './types.ts';

/** A new item as submitted. */
export interface NewItem {
  input: Record<string, unknown>;
  subject?: string | null;
  data?: Uint8Array | null;
}

/** An item as a worker takes it. */
export interface ClaimedItem {
  jobId: string;
  seq: number;
  input: Record<string, unknown>;
  subject: string | null;
  data: Uint8Array | null;
  attempts: number;
  /** What an earlier attempt saved (JobStore.save), or null. */
  saved: Record<string, unknown> | null;
  /** When a worker first took it (the database's clock): a face stored since was stored by this job. */
  claimed: Date;
}

/** What became of an item. */
export interface ItemOutcome {
  state: Extract<ItemState, 'added' | 'skipped' | 'failed'>;
  contentHash?: string | null;
  reason?: string | null;
  message?: string | null;
  faceIds?: number[];
}

export interface JobRow {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  total: number;
  chunks: string[];
  cancelled: boolean;
}

/** Runs SQL on one connection inside a transaction: what pg-boss's `db` option takes too. */
export type Executor = { executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }> };

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job id as given by a user: a UUID, else VISAGE_ERR_UNKNOWN_JOB (never a SQL error). */
export function checkJobId(id: unknown): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `no job ${shown(String(id))} (a job id is a UUID)`);
  return id.toLowerCase();
}

export class JobStore implements JobRecords {
  private readonly pool: pg.Pool;
  readonly schema: string;
  private readonly display: string;

  constructor(pool: pg.Pool, schema: string, display: string) {
    this.pool = pool;
    this.schema = schema;
    this.display = display;
  }

  /** Coded as the gallery's errors ("gallery <url>: ..."): the jobs live in the gallery's database. */
  private mapError(error: unknown): unknown {
    return mapPostgresError(error, this.display, 0);
  }

  private async query<T = any>(text: string, values?: unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query(text, values)).rows as T[];
    } catch (error) {
      throw this.mapError(error);
    }
  }

  /** One transaction on one connection; `work` gets an executor pg-boss can use too. */
  async transaction<T>(work: (sql: Executor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.mapError(error);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work({ executeSql: async (text, values) => client.query(text, values as unknown[]) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
      throw this.mapError(error);
    } finally {
      client.release(broken);
    }
  }

  /** Creates the tables when missing (once, under an advisory lock: several processes may start at once). */
  async migrate(): Promise<void> {
    await this.transaction(async (sql) => {
      await sql.executeSql('SELECT pg_advisory_xact_lock($1, hashtext($2))', [JOB_MIGRATION_LOCK, this.schema]);
      await sql.executeSql(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      const exists = (await sql.executeSql('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [this.schema, 'version'])).rows.length > 0;
      const version = exists ? Number((await sql.executeSql(`SELECT coalesce(max(version), 0) AS v FROM ${this.schema}.version`)).rows[0].v) : 0;
      for (const migration of JOB_MIGRATIONS) {
        if (migration.version <= version) continue;
        await sql.executeSql(migration.sql(this.schema));
        await sql.executeSql(`INSERT INTO ${this.schema}.version (version) VALUES ($1)`, [migration.version]);
      }
    });
  }

  /** Inside a transaction: the job and its items. */
  async insertJob(sql: Executor, job: { id: string; kind: JobKind; params: Record<string, unknown>; chunks: string[] }, items: readonly NewItem[]): Promise<void> {
    await sql.executeSql(`INSERT INTO ${this.schema}.jobs (id, kind, params, total, chunks) VALUES ($1, $2, $3, $4, $5)`,
      [job.id, job.kind, JSON.stringify(job.params), items.length, job.chunks]);
    // In slices: one statement per 1,000 items (unnest keeps it one round trip each).
    for (let from = 0; from < items.length; from += 1000) {
      const slice = items.slice(from, from + 1000);
      await sql.executeSql(`INSERT INTO ${this.schema}.job_items (job_id, seq, input, subject, data)
        SELECT $1, * FROM unnest($2::int[], $3::jsonb[], $4::text[], $5::bytea[])`, [
        job.id, slice.map((_, i) => from + i), slice.map((item) => JSON.stringify(item.input)),
        slice.map((item) => item.subject ?? null), slice.map((item) => (item.data ? Buffer.from(item.data.buffer, item.data.byteOffset, item.data.byteLength) : null)),
      ]);
    }
  }

  async job(id: string): Promise<JobRow | null> {
    const [row] = await this.query(`SELECT id, kind, params, total, chunks::text[] AS chunks, cancelled IS NOT NULL AS cancelled FROM ${this.schema}.jobs WHERE id = $1`, [checkJobId(id)]);
    return row ?? null;
  }

  /**
   * Takes an item for processing: null when it is final or its job was cancelled. An item found
   * 'working' was taken by a worker that died or gave up: it is taken again.
   */
  async claim(jobId: string, seq: number): Promise<ClaimedItem | null> {
    const [row] = await this.query(`UPDATE ${this.schema}.job_items i SET state = 'working', attempts = attempts + 1, claimed = coalesce(claimed, now()), updated = now()
      FROM ${this.schema}.jobs j WHERE j.id = i.job_id AND j.cancelled IS NULL AND i.job_id = $1 AND i.seq = $2 AND i.state IN ('pending', 'working')
      RETURNING i.job_id AS "jobId", i.seq, i.input, i.subject, i.data, i.attempts, i.saved, i.claimed`, [jobId, seq]);
    return row ?? null;
  }

  /** Keeps what a later attempt at this item needs should this one be cut short. */
  async save(jobId: string, seq: number, saved: Record<string, unknown>): Promise<void> {
    await this.query(`UPDATE ${this.schema}.job_items SET saved = $3, updated = now() WHERE job_id = $1 AND seq = $2`, [jobId, seq, JSON.stringify(saved)]);
  }

  async videoProgress(jobId: string, seq: number, progress: VideoProgress): Promise<boolean> {
    const [row] = await this.query<{ cancelled: boolean }>(`UPDATE ${this.schema}.job_items SET progress = $3, updated = now() WHERE job_id = $1 AND seq = $2
      RETURNING (SELECT cancelled IS NOT NULL FROM ${this.schema}.jobs WHERE id = $1) AS cancelled`, [jobId, seq, JSON.stringify(progress)]);
    return row?.cancelled ?? true;
  }

  async videoResult(jobId: string, seq: number, result: Record<string, unknown>, files: readonly JobFile[]): Promise<void> {
    await this.transaction(async (sql) => {
      await sql.executeSql(`UPDATE ${this.schema}.job_items SET result = $3, updated = now() WHERE job_id = $1 AND seq = $2`, [jobId, seq, JSON.stringify(result)]);
      await sql.executeSql(`DELETE FROM ${this.schema}.job_files WHERE job_id = $1`, [jobId]);
      if (files.length) {
        await sql.executeSql(`INSERT INTO ${this.schema}.job_files (job_id, name, type, data) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bytea[])`, [
          jobId, files.map((f) => f.name), files.map((f) => f.type), files.map((f) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength)),
        ]);
      }
    });
  }

  /** A file a job made, or null. */
  async file(jobId: string, name: string): Promise<JobFile | null> {
    const [row] = await this.query<{ name: string; type: string; data: Buffer }>(`SELECT name, type, data FROM ${this.schema}.job_files WHERE job_id = $1 AND name = $2`, [checkJobId(jobId), name]);
    return row ? { name: row.name, type: row.type, data: new Uint8Array(row.data) } : null;
  }

  /** Records an item's outcome (and drops an upload's bytes). A cancelled job's items still get theirs. */
  async finish(jobId: string, seq: number, outcome: ItemOutcome): Promise<void> {
    await this.query(`UPDATE ${this.schema}.job_items SET state = $3, content_hash = coalesce($4, content_hash), reason = $5, message = $6,
      face_ids = $7, data = NULL, updated = now() WHERE job_id = $1 AND seq = $2 AND state IN ('pending', 'working')`,
    [jobId, seq, outcome.state, outcome.contentHash ?? null, outcome.reason ?? null, outcome.message ?? null, outcome.faceIds ?? []]);
  }

  /** Marks the items of a chunk that are not final as failed (the queue gave up on the chunk). */
  async failUnfinished(jobId: string, seqs: readonly number[], reason: string, message: string): Promise<number> {
    const rows = await this.query(`UPDATE ${this.schema}.job_items SET state = 'failed', reason = $3, message = $4, data = NULL, updated = now()
      WHERE job_id = $1 AND seq = ANY($2::int[]) AND state IN ('pending', 'working') RETURNING seq`, [jobId, seqs, reason, message]);
    return rows.length;
  }

  /** Cancels a job: its pending items become cancelled; an item being worked on finishes. False when cancelled already or complete. */
  async cancel(id: string): Promise<boolean> {
    return this.transaction(async (sql) => {
      const { rows } = await sql.executeSql(`UPDATE ${this.schema}.jobs SET cancelled = now() WHERE id = $1 AND cancelled IS NULL
        AND EXISTS (SELECT 1 FROM ${this.schema}.job_items WHERE job_id = $1 AND state IN ('pending', 'working')) RETURNING id`, [checkJobId(id)]);
      if (rows.length === 0) return false;
      await sql.executeSql(`UPDATE ${this.schema}.job_items SET state = 'cancelled', data = NULL, updated = now() WHERE job_id = $1 AND state = 'pending'`, [id]);
      return true;
    });
  }

  private summarySql(where: string): string {
    const s = this.schema;
    return `SELECT j.id, j.kind, j.params, j.total, ${ISO('j.created')} AS created, ${ISO('j.cancelled')} AS cancelled,
      c.started, c.finished, c.started_ms AS "startedMs", c.finished_ms AS "finishedMs", c.counts
      FROM ${s}.jobs j, LATERAL (
        SELECT ${ISO('min(i.claimed)')} AS started, ${ISO('max(i.updated)')} AS finished,
          extract(epoch FROM min(i.claimed)) * 1000 AS started_ms, extract(epoch FROM max(i.updated) FILTER (WHERE i.state NOT IN ('pending', 'working'))) * 1000 AS finished_ms,
          (SELECT coalesce(jsonb_object_agg(state, n), '{}') FROM (SELECT state, count(*) AS n FROM ${s}.job_items WHERE job_id = j.id GROUP BY state) g) AS counts
        FROM ${s}.job_items i WHERE i.job_id = j.id
      ) c ${where}`;
  }

  async list(options: { limit?: number; states?: JobState[]; kinds?: JobKind[] } = {}): Promise<JobSummary[]> {
    const limit = Math.min(Math.max(1, options.limit ?? 100), 1000);
    const rows = options.kinds
      ? await this.query(`${this.summarySql('WHERE j.kind = ANY($1::text[])')} ORDER BY j.created DESC, j.id LIMIT ${limit}`, [options.kinds])
      : await this.query(`${this.summarySql('')} ORDER BY j.created DESC, j.id LIMIT ${limit}`);
    const jobs = rows.map(toSummary);
    return options.states ? jobs.filter((job) => options.states!.includes(job.state)) : jobs;
  }

  async get(id: string, filter: ItemFilter = {}): Promise<JobDetail> {
    const [row] = await this.query(`${this.summarySql('WHERE j.id = $1')}`, [checkJobId(id)]);
    if (!row) throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `no job ${id}`);
    const summary = toSummary(row);
    const limit = Math.min(Math.max(0, filter.limit ?? 1000), 100_000);
    const offset = Math.max(0, filter.offset ?? 0);
    const states = filter.states?.length ? filter.states : null;
    const items = await this.query<Omit<JobItem, 'item'> & { input: Record<string, unknown> }>(`SELECT seq, input, subject, content_hash AS "contentHash", state, reason, message,
      to_json(face_ids) AS "faceIds", attempts FROM ${this.schema}.job_items WHERE job_id = $1 AND ($2::text[] IS NULL OR state = ANY($2::text[]))
      ORDER BY seq LIMIT ${limit} OFFSET ${offset}`, [id, states]);
    const [counted] = await this.query<{ n: number; faces: number }>(`SELECT count(*)::int AS n, coalesce(sum(cardinality(face_ids)), 0)::int AS faces
      FROM ${this.schema}.job_items WHERE job_id = $1 AND ($2::text[] IS NULL OR state = ANY($2::text[]))`, [id, states]);
    const reasons = Object.fromEntries((await this.query<{ reason: string; n: number }>(`SELECT reason, count(*)::int AS n FROM ${this.schema}.job_items
      WHERE job_id = $1 AND reason IS NOT NULL GROUP BY reason ORDER BY reason`, [id])).map((r) => [r.reason, r.n]));
    const [faces] = await this.query<{ n: number }>(`SELECT coalesce(sum(cardinality(face_ids)) FILTER (WHERE state = 'added'), 0)::int AS n FROM ${this.schema}.job_items WHERE job_id = $1`, [id]);
    let video: VideoJobView | undefined;
    if (summary.kind === 'video') {
      const [row] = await this.query(`SELECT input, state, reason, message, progress, result FROM ${this.schema}.job_items WHERE job_id = $1 ORDER BY seq LIMIT 1`, [id]);
      if (row) video = videoView(row);
    }
    return {
      ...summary,
      result: { faceIds: faces!.n, reasons },
      items: items.map(({ input, seq, ...item }) => ({ seq, item: itemName(input), ...item })),
      moreItems: Math.max(0, counted!.n - offset - items.length),
      ...(video ? { video } : {}),
    };
  }
}

/** A video job's view of its one item. */
export function videoView(item: { input: Record<string, unknown>; state: ItemState; reason: string | null; message: string | null; progress: VideoProgress | null; result: Record<string, unknown> | null }): VideoJobView {
  return {
    source: itemName(item.input), progress: item.progress ?? null, result: item.result ?? null,
    error: item.state === 'failed' ? { code: item.reason ?? 'VISAGE_ERR_INTERNAL', message: item.message ?? '' } : null,
  };
}

export function itemName(input: Record<string, unknown>): string {
  if (typeof input.name === 'string') return input.name;
  if (typeof input.file === 'string') return input.file;
  if (typeof input.faceId === 'number') return `face ${input.faceId}`;
  return JSON.stringify(input);
}

/** A job's row with its items' counts by state (the job tables' query, or the in-process runner's memory). */
export interface SummaryRow {
  id: string; kind: JobKind; params: Record<string, unknown>; total: number; created: string; cancelled: string | null;
  started: string | null; finished: string | null; startedMs: number | null; finishedMs: number | null; counts: Record<string, number>;
}

export function toSummary(row: SummaryRow): JobSummary {
  const count = (state: ItemState) => Number(row.counts[state] ?? 0);
  const progress: JobProgress = {
    total: row.total, pending: count('pending'), working: count('working'), added: count('added'), skipped: count('skipped'),
    failed: count('failed'), cancelled: count('cancelled'), percent: 0, itemsPerSecond: null, etaSeconds: null,
  };
  const final = progress.added + progress.skipped + progress.failed + progress.cancelled;
  const open = progress.pending + progress.working;
  progress.percent = row.total === 0 ? 100 : Math.round((final / row.total) * 1000) / 10;
  const worked = progress.added + progress.skipped + progress.failed;
  if (row.startedMs !== null && row.finishedMs !== null && worked >= 2 && row.finishedMs > row.startedMs) {
    progress.itemsPerSecond = Math.round((worked / ((row.finishedMs - row.startedMs) / 1000)) * 100) / 100;
    progress.etaSeconds = open > 0 && !row.cancelled ? Math.round(open / progress.itemsPerSecond) : null;
  }
  const state: JobState = row.cancelled ? 'cancelled' : open === 0 ? 'completed' : row.started ? 'running' : 'queued';
  return {
    id: row.id, kind: row.kind, state, params: row.params, created: row.created, started: row.started,
    finished: state === 'completed' ? row.finished : state === 'cancelled' ? row.cancelled : null,
    progress,
  };
}
