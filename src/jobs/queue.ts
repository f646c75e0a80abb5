// JobQueue: submit, list, show, cancel and wait for batch jobs on a PostgreSQL gallery, over
// pg-boss (the queue) and JobStore (the items). A job's items are cut into chunks; each chunk is
// one pg-boss job, which one worker at a time takes (FOR UPDATE SKIP LOCKED), and which pg-boss
// hands out again when it fails or when its worker goes silent past its expiry (a kill -9). The
// job, its items and its chunks are written in one transaction: a job is queued whole or not at all.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import type pg from 'pg';
import { VisageError, shown } from '../errors.ts';
import { isPostgresUrl, parsePostgresUrl } from '../gallery/postgres/location.ts';
import { mapPostgresError } from '../gallery/postgres/errors.ts';
import { JOB_KINDS, DEAD_LETTER_QUEUE } from './kinds.ts';
import { JobStore, checkJobId, type NewItem } from './store.ts';
import { jobSchemas } from './schema.ts';
import { checkVideoJobOptions, videoExpirySeconds } from './kinds/video.ts';
import type { JobFile } from './kind.ts';
import type { ClusterJobImage, EnrolJobOptions, EnrolmentImage, ItemFilter, JobDetail, JobKind, JobState, JobSummary, ReindexJobOptions, SubmitOptions, VideoJobInput, VideoJobOptions } from './types.ts';

export interface JobQueueOptions {
  /**
   * Seconds a worker may hold one chunk of the jobs submitted through this queue before pg-boss
   * hands it to another worker (a worker killed or cut off loses its chunk for this long); set on
   * each chunk when the job is submitted. Default 300: 8 images take 2-10 s on 2 busy cores.
   */
  chunkExpireSeconds?: number;
  /** Times a chunk of the jobs submitted here is tried again after its worker failed or vanished (default 3), then its items fail. */
  retryLimit?: number;
  /** How often some process checks for expired chunks, seconds (default 30; pg-boss runs it in one process at a time). */
  maintenanceIntervalSeconds?: number;
  /** How often an idle worker asks for work, seconds (default 1). */
  pollingIntervalSeconds?: number;
  /** Connections for the job tables (default 4); pg-boss keeps its own pool of the same size. */
  maxConnections?: number;
}

const OPTION_KEYS = new Set(['chunkExpireSeconds', 'retryLimit', 'maintenanceIntervalSeconds', 'pollingIntervalSeconds', 'maxConnections']);

export const DEFAULT_CHUNK_SIZE = 8;
/** Items a job may hold (a submission of more is cut into several jobs by the caller). */
export const MAX_JOB_ITEMS = 1_000_000;

const INT8_OID = 20;

function whole(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  return v;
}

export class JobQueue {
  readonly store: JobStore;
  /** @internal the pg-boss instance (workers register on it). */
  readonly boss: PgBoss;
  /** The gallery's URL (workers open it). */
  readonly url: string;
  readonly display: string;
  readonly options: Required<JobQueueOptions>;
  private readonly pool: pg.Pool;
  private closed = false;

  /** @internal Use openJobQueue(). */
  constructor(url: string, display: string, pool: pg.Pool, store: JobStore, boss: PgBoss, options: Required<JobQueueOptions>) {
    this.url = url;
    this.display = display;
    this.pool = pool;
    this.store = store;
    this.boss = boss;
    this.options = options;
  }

  /**
   * Queues the enrolment of images, each with its subject: paths (read by the workers, so on a
   * file system they share) or bytes (kept in the database until enrolled).
   */
  async submitEnrolment(images: readonly EnrolmentImage[], options: EnrolJobOptions & SubmitOptions = {}): Promise<JobSummary> {
    if (!Array.isArray(images) || images.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'an enrolment job needs at least one image');
    const items: NewItem[] = images.map((image, i) => {
      if (!image || typeof image.subject !== 'string' || !image.subject.trim()) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image ${i + 1}: no subject name`);
      if ((image.file === undefined) === (image.data === undefined)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image ${i + 1}: give a file or the data, one of them`);
      if (image.file !== undefined && (typeof image.file !== 'string' || !image.file)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image ${i + 1}: file must be a path`);
      if (image.data !== undefined && !(image.data instanceof Uint8Array && image.data.length > 0)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image ${i + 1}: data must be the image's bytes`);
      const file = image.file === undefined ? undefined : path.resolve(image.file);
      return { input: { ...(file ? { file } : {}), ...(image.name ? { name: image.name } : {}) }, subject: image.subject.trim(), data: image.data ?? null };
    });
    const params = { largest: options.largest === true };
    return this.submit('enrol', params, items, options);
  }

  /**
   * Queues images whose faces join the photo library's clusters ("People to name", recognition/
   * people.ts), embedded with `embedder` (the API node's: a worker running another refuses the item).
   */
  async submitClustering(images: readonly ClusterJobImage[], options: { embedder: string } & SubmitOptions): Promise<JobSummary> {
    if (!Array.isArray(images) || images.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a clustering job needs at least one image');
    if (typeof options?.embedder !== 'string' || !options.embedder) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'a clustering job needs the embedder its faces are embedded with');
    const items: NewItem[] = images.map((image, i) => {
      if ((image.file === undefined) === (image.data === undefined)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image ${i + 1}: give a file or the data, one of them`);
      if (image.data !== undefined && !(image.data instanceof Uint8Array && image.data.length > 0)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image ${i + 1}: data must be the image's bytes`);
      const file = image.file === undefined ? undefined : path.resolve(image.file);
      return { input: { ...(file ? { file } : {}), name: image.name || file || `image-${i + 1}` }, data: image.data ?? null };
    });
    return this.submit('cluster', { embedder: options.embedder }, items, options);
  }

  /**
   * Queues the reindexing of the gallery: every face without a vector of one of `embedders` gets
   * it, from its image found again (see reindex.ts). Faces are listed now; faces enrolled later
   * are left to a later job.
   */
  async submitReindex(options: ReindexJobOptions & SubmitOptions = {}): Promise<JobSummary> {
    const kind = JOB_KINDS.reindex;
    const { params, items } = await kind.plan!(this.url, options);
    return this.submit('reindex', params, items, options);
  }

  /**
   * Queues a video: its bytes (kept in the database until a worker has read them: the workers may
   * be on other machines) or an http(s)/rtsp URL the workers reach. `seconds` is how much video
   * there is to read, when known: a worker may hold the video ten times that long (plus five
   * minutes) before the queue gives it to another worker; past it the video stops with what it saw.
   */
  async submitVideo(video: VideoJobInput, options: VideoJobOptions = {}, extra: { seconds?: number | null; params?: Record<string, unknown> } = {}): Promise<JobSummary> {
    if (!video || typeof video.name !== 'string') throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a video job needs a video (its bytes or a URL) and a name');
    if ((video.data === undefined) === (video.url === undefined) || video.file !== undefined) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a queued video is its bytes or a URL, one of them (the workers cannot read the server\'s files)');
    if (video.data !== undefined && !(video.data instanceof Uint8Array && video.data.length > 0)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'data must be the video\'s bytes');
    const checked = checkVideoJobOptions(options as Record<string, unknown>);
    const expiry = videoExpirySeconds(extra.seconds ?? null) ?? this.options.chunkExpireSeconds;
    const expireInSeconds = Math.max(this.options.chunkExpireSeconds, expiry);
    const params = { ...extra.params, options: checked, timeLimitSeconds: Math.max(60, expireInSeconds - 60) };
    const input = { name: video.name, ...(video.url ? { url: video.url } : {}) };
    return this.submit('video', params, [{ input, data: video.data ?? null }], { chunkSize: 1 }, expireInSeconds);
  }

  /** A file a job made (a video's thumbnails), or null. */
  async file(id: string, name: string): Promise<JobFile | null> {
    this.check();
    return this.store.file(checkJobId(id), name);
  }

  /** @internal Writes a job: its row, its items and one pg-boss job per chunk, in one transaction. */
  async submit(kind: JobKind, params: Record<string, unknown>, items: readonly NewItem[], options: SubmitOptions = {}, expireInSeconds = this.options.chunkExpireSeconds): Promise<JobSummary> {
    this.check();
    const chunkSize = whole('chunkSize', options.chunkSize, DEFAULT_CHUNK_SIZE, 1, 10_000);
    if (items.length > MAX_JOB_ITEMS) throw new VisageError('VISAGE_ERR_BAD_INPUT', `a job holds at most ${MAX_JOB_ITEMS} items, got ${items.length}`);
    const id = randomUUID();
    const chunks: { id: string; name: string; data: { jobId: string; from: number; to: number }; expireInSeconds: number; retryLimit: number; deadLetter: string }[] = [];
    for (let from = 0; from < items.length; from += chunkSize) {
      chunks.push({
        id: randomUUID(), name: JOB_KINDS[kind].queue, data: { jobId: id, from, to: Math.min(items.length, from + chunkSize) },
        expireInSeconds, retryLimit: this.options.retryLimit, deadLetter: DEAD_LETTER_QUEUE,
      });
    }
    await this.store.transaction(async (sql) => {
      await this.store.insertJob(sql, { id, kind, params, chunks: chunks.map((c) => c.id) }, items);
      for (let i = 0; i < chunks.length; i += 1000) await this.boss.insert(chunks.slice(i, i + 1000), { db: sql });
    });
    const { items: _none, moreItems: _more, result: _result, ...summary } = await this.store.get(id, { limit: 0 });
    return summary;
  }

  async list(options: { limit?: number; states?: JobState[]; kinds?: JobKind[] } = {}): Promise<JobSummary[]> {
    this.check();
    return this.store.list(options);
  }

  async get(id: string, filter: ItemFilter = {}): Promise<JobDetail> {
    this.check();
    return this.store.get(checkJobId(id), filter);
  }

  /**
   * Cancels a job: items not started are cancelled and their chunks withdrawn; an item under way
   * finishes (its face is stored or not, and said so). Cancelling a finished job changes nothing.
   */
  async cancel(id: string): Promise<JobDetail> {
    this.check();
    const job = await this.store.job(checkJobId(id));
    if (!job) throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `no job ${id}`);
    if (await this.store.cancel(id)) {
      // Withdrawing the chunks only saves workers a fetch: a chunk left finds its items cancelled and ends at once.
      await this.boss.cancel(JOB_KINDS[job.kind].queue, job.chunks).catch(() => undefined);
    }
    return this.store.get(id, { limit: 0 });
  }

  /** Polls a job until it is completed or cancelled (for scripts and tests). */
  async waitFor(id: string, options: { timeoutMs?: number; intervalMs?: number; onProgress?: (job: JobSummary) => void } = {}): Promise<JobDetail> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const job = await this.get(id, { limit: 0 });
      options.onProgress?.(job);
      if (job.state === 'completed' || job.state === 'cancelled') return this.get(id);
      if (Date.now() > deadline) throw new VisageError('VISAGE_ERR_BUSY', `job ${id} did not finish in ${options.timeoutMs} ms (${job.progress.percent}% done)`);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  }

  private check(): void {
    if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'job queue used after close()');
  }

  /** Stops pg-boss (workers registered on it finish their chunk first, up to `timeoutMs`) and closes the connections. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.boss.stop({ graceful: true, timeout: options.timeoutMs ?? 30_000, wait: true }).catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}

/**
 * Opens the job queue of the PostgreSQL gallery at `url` (creating its tables and pg-boss's on
 * first use). A SQLite gallery has none: VISAGE_ERR_JOBS_NEED_POSTGRES.
 */
export async function openJobQueue(url: string, options: JobQueueOptions = {}): Promise<JobQueue> {
  if (typeof url !== 'string' || !isPostgresUrl(url)) {
    throw new VisageError('VISAGE_ERR_JOBS_NEED_POSTGRES', `batch jobs need a PostgreSQL gallery (--db postgres://...), not ${shown(typeof url === 'string' ? url : String(url))}`);
  }
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown job queue option "${key}"`);
  const settings: Required<JobQueueOptions> = {
    chunkExpireSeconds: whole('chunkExpireSeconds', options.chunkExpireSeconds, 300, 1, 86_400),
    retryLimit: whole('retryLimit', options.retryLimit, 3, 0, 100),
    maintenanceIntervalSeconds: whole('maintenanceIntervalSeconds', options.maintenanceIntervalSeconds, 30, 1, 3600),
    pollingIntervalSeconds: whole('pollingIntervalSeconds', options.pollingIntervalSeconds, 1, 1, 60),
    maxConnections: whole('maxConnections', options.maxConnections, 4, 1, 100),
  };
  const location = parsePostgresUrl(url);
  const schemas = jobSchemas(location.schema);
  const [{ default: driver }, { default: Boss }] = await Promise.all([import('pg'), import('pg-boss')]);
  const pool = new driver.Pool({
    connectionString: location.connectionString, max: settings.maxConnections, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000,
    keepAlive: true, application_name: 'visage-jobs',
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary' ? Number : driver.types.getTypeParser(oid, format as 'text'))) as pg.CustomTypesConfig['getTypeParser'] },
  });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => { client.on('error', () => undefined); });
  const store = new JobStore(pool, schemas.jobs, location.display);
  const boss = new Boss({
    connectionString: location.connectionString, schema: schemas.boss, max: settings.maxConnections, application_name: 'visage-jobs',
    maintenanceIntervalSeconds: settings.maintenanceIntervalSeconds,
    // Visage's tables keep the results; pg-boss's copies of finished chunks go after a day.
    archiveCompletedAfterSeconds: 3600, deleteAfterDays: 1,
  } as PgBoss.ConstructorOptions);
  // pg-boss reports connection trouble as events; left unheard, an 'error' event ends the process.
  boss.on('error', () => undefined);
  try {
    await store.migrate();
    await boss.start();
    await boss.createQueue(DEAD_LETTER_QUEUE, { name: DEAD_LETTER_QUEUE, retryLimit: 5, expireInSeconds: 60 });
    for (const kind of Object.values(JOB_KINDS)) {
      await boss.createQueue(kind.queue, { name: kind.queue, retryLimit: settings.retryLimit, expireInSeconds: settings.chunkExpireSeconds, deadLetter: DEAD_LETTER_QUEUE });
    }
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw mapPostgresError(error, location.display, 0);
  }
  return new JobQueue(url, location.display, pool, store, boss, settings);
}
