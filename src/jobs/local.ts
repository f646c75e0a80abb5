// LocalJobRunner: jobs run in this process, for a server without a queue (a SQLite gallery, or no
// `visage worker` to do them). Same contract as JobQueue (submit, list, get, cancel, waitFor, the
// same JobSummary / JobDetail records), same kinds (kinds.ts: each item done by its kind's run()),
// so routes do not care which one runs a job.
//
// Jobs live in memory: a restart loses them (queued, running and finished alike) with their
// uploads, which are temporary files removed when their job ends. Keeping them would need the
// uploads kept on disk and a table of jobs; the PostgreSQL queue already is that, so a server
// whose jobs must outlive it uses the queue. Finished jobs are kept (results and thumbnails) up to
// `keep`, the oldest dropped first.
//
// Items run `concurrency` at a time (default 1: a video already keeps the cores busy), in the
// order submitted; at most `maxQueued` wait (then VISAGE_ERR_BUSY). Cancelling a job cancels its
// items not started; a video under way stops at its next progress write (within about a second)
// and keeps what it saw.
import { randomUUID } from 'node:crypto';
import { VisageError } from '../errors.ts';
import type { Gallery } from '../gallery/gallery.ts';
import type { Recognizer } from '../recognition/recognizer.ts';
import { JobEventLog } from './events.ts';
import { JOB_KINDS } from './kinds.ts';
import type { JobFile, JobRecords, WorkerContext } from './kind.ts';
import { checkVideoJobOptions } from './kinds/video.ts';
import { checkJobId, itemName, toSummary, videoView, type ClaimedItem, type ItemOutcome, type NewItem } from './store.ts';
import type { ItemFilter, ItemState, JobDetail, JobKind, JobState, JobSummary, VideoJobInput, VideoJobOptions, VideoProgress } from './types.ts';

export interface LocalJobRunnerOptions {
  /** The gallery and recognizer jobs use (the server's; left open by close()). */
  gallery: Gallery;
  recognizer: Recognizer;
  /** Items run at once (default 1). */
  concurrency?: number;
  /** Items waiting at most; past it submit() answers VISAGE_ERR_BUSY (default 16). */
  maxQueued?: number;
  /** Finished jobs kept in memory with their results (default 100). */
  keep?: number;
}

interface LocalItem {
  seq: number;
  input: Record<string, unknown>;
  subject: string | null;
  data: Uint8Array | null;
  state: ItemState;
  reason: string | null;
  message: string | null;
  contentHash: string | null;
  faceIds: number[];
  attempts: number;
  saved: Record<string, unknown> | null;
  claimed: Date | null;
  updated: Date;
  progress: VideoProgress | null;
  result: Record<string, unknown> | null;
}

interface LocalJob {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  created: Date;
  cancelled: Date | null;
  items: LocalItem[];
  files: Map<string, JobFile>;
  /** Run once when no item of the job is left to start or under way (removes an upload's file). */
  cleanup: (() => Promise<void>) | null;
  /** A video job's track events as they happen, then its final event (GET /v1/videos/{id}/events). */
  events: JobEventLog | null;
}

const OPEN: readonly ItemState[] = ['pending', 'working'];

function whole(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  return v;
}

export class LocalJobRunner implements JobRecords {
  private readonly jobs = new Map<string, LocalJob>();
  private readonly context: WorkerContext;
  readonly concurrency: number;
  readonly maxQueued: number;
  private readonly keep: number;
  private running = 0;
  private readonly underway = new Set<Promise<void>>();
  private closed = false;

  constructor(options: LocalJobRunnerOptions) {
    if (!options?.gallery || !options.recognizer) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'LocalJobRunner needs a gallery and a recognizer');
    this.concurrency = whole('concurrency', options.concurrency, 1, 1, 64);
    this.maxQueued = whole('maxQueued', options.maxQueued, 16, 1, 100_000);
    this.keep = whole('keep', options.keep, 100, 1, 100_000);
    const { gallery, recognizer } = options;
    const none = (what: string) => () => { throw new VisageError('VISAGE_ERR_BAD_OPTION', `the in-process job runner has no ${what} (run this kind of job on the queue)`); };
    this.context = {
      gallery: async () => gallery,
      recognizer: async () => recognizer,
      visageFor: none('Visage per embedder set'),
      hashFinder: none('image search'),
      store: this,
    };
  }

  /** Whether this runner holds the job (routes ask the runners in turn). */
  has(id: string): boolean {
    return typeof id === 'string' && this.jobs.has(id.toLowerCase());
  }

  /** Items submitted and not started yet. */
  get waiting(): number {
    let n = 0;
    for (const job of this.jobs.values()) for (const item of job.items) if (item.state === 'pending') n++;
    return n;
  }

  /**
   * Runs a video: an upload's bytes or a file this process reads (`cleanup` is called once the job
   * ends, to remove it), or an http(s)/rtsp URL.
   */
  submitVideo(video: VideoJobInput, options: VideoJobOptions = {}, extra: { params?: Record<string, unknown>; cleanup?: () => Promise<void> } = {}): JobSummary {
    const given = [video?.data, video?.file, video?.url].filter((v) => v !== undefined).length;
    if (!video || typeof video.name !== 'string' || given !== 1) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a video job needs one video: its bytes, a file or a URL, and a name');
    const checked = checkVideoJobOptions(options as Record<string, unknown>);
    const input = { name: video.name, ...(video.file ? { file: video.file } : {}), ...(video.url ? { url: video.url } : {}) };
    return this.submit('video', { ...extra.params, options: checked }, [{ input, data: video.data ?? null }], extra.cleanup);
  }

  /** Adds a job whose items run as their turn comes. */
  submit(kind: JobKind, params: Record<string, unknown>, items: readonly NewItem[], cleanup?: () => Promise<void>): JobSummary {
    this.check();
    if (!JOB_KINDS[kind]) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown job kind "${kind}"`);
    if (this.waiting + items.length > this.maxQueued) {
      throw new VisageError('VISAGE_ERR_BUSY', `the server is busy: ${this.waiting} job item(s) waiting (at most ${this.maxQueued}); try again later`);
    }
    const now = new Date();
    const job: LocalJob = {
      id: randomUUID(), kind, params, created: now, cancelled: null, files: new Map(), cleanup: cleanup ?? null,
      events: kind === 'video' ? new JobEventLog() : null,
      items: items.map((item, seq) => ({
        seq, input: item.input, subject: item.subject ?? null, data: item.data ?? null, state: 'pending', reason: null, message: null, contentHash: null,
        faceIds: [], attempts: 0, saved: null, claimed: null, updated: now, progress: null, result: null,
      })),
    };
    this.jobs.set(job.id, job);
    this.pump();
    if (items.length === 0) void this.ended(job);
    return this.summary(job);
  }

  async list(options: { limit?: number; states?: JobState[]; kinds?: JobKind[] } = {}): Promise<JobSummary[]> {
    this.check();
    const limit = Math.min(Math.max(1, options.limit ?? 100), 1000);
    const jobs = [...this.jobs.values()].filter((job) => !options.kinds || options.kinds.includes(job.kind))
      .sort((a, b) => b.created.getTime() - a.created.getTime() || (a.id < b.id ? -1 : 1)).slice(0, limit).map((job) => this.summary(job));
    return options.states ? jobs.filter((job) => options.states!.includes(job.state)) : jobs;
  }

  async get(id: string, filter: ItemFilter = {}): Promise<JobDetail> {
    this.check();
    const job = this.job(id);
    const limit = Math.min(Math.max(0, filter.limit ?? 1000), 100_000);
    const offset = Math.max(0, filter.offset ?? 0);
    const states = filter.states?.length ? filter.states : null;
    const chosen = job.items.filter((item) => !states || states.includes(item.state));
    const reasons: Record<string, number> = {};
    for (const item of job.items) if (item.reason !== null) reasons[item.reason] = (reasons[item.reason] ?? 0) + 1;
    const faceIds = job.items.filter((item) => item.state === 'added').reduce((n, item) => n + item.faceIds.length, 0);
    const shown = chosen.slice(offset, offset + limit);
    return {
      ...this.summary(job),
      result: { faceIds, reasons: Object.fromEntries(Object.entries(reasons).sort(([a], [b]) => (a < b ? -1 : 1))) },
      items: shown.map((item) => ({
        seq: item.seq, item: itemName(item.input), subject: item.subject, contentHash: item.contentHash, state: item.state, reason: item.reason,
        message: item.message, faceIds: [...item.faceIds], attempts: item.attempts,
      })),
      moreItems: Math.max(0, chosen.length - offset - shown.length),
      ...(job.kind === 'video' && job.items[0] ? { video: videoView(job.items[0]) } : {}),
    };
  }

  /** Cancels a job: items not started are cancelled; one under way is told to stop (a video keeps what it saw). */
  async cancel(id: string): Promise<JobDetail> {
    this.check();
    const job = this.job(id);
    if (!job.cancelled && job.items.some((item) => OPEN.includes(item.state))) {
      job.cancelled = new Date();
      for (const item of job.items) {
        if (item.state !== 'pending') continue;
        item.state = 'cancelled';
        item.data = null;
        item.updated = job.cancelled;
      }
      if (!job.items.some((item) => item.state === 'working')) await this.ended(job);
    }
    return this.get(job.id, { limit: 0 });
  }

  /** Waits until a job is completed or cancelled (polling, as JobQueue.waitFor). */
  async waitFor(id: string, options: { timeoutMs?: number; intervalMs?: number; onProgress?: (job: JobSummary) => void } = {}): Promise<JobDetail> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const job = await this.get(id, { limit: 0 });
      options.onProgress?.(job);
      const open = job.progress.pending + job.progress.working;
      if ((job.state === 'completed' || job.state === 'cancelled') && open === 0) return this.get(id);
      if (Date.now() > deadline) throw new VisageError('VISAGE_ERR_BUSY', `job ${id} did not finish in ${options.timeoutMs} ms (${job.progress.percent}% done)`);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    }
  }

  /** A video job's events (see JobEventLog); null for other kinds. Throws VISAGE_ERR_UNKNOWN_JOB. */
  events(id: string): JobEventLog | null {
    this.check();
    return this.job(id).events;
  }

  async file(id: string, name: string): Promise<JobFile | null> {
    this.check();
    return this.job(id).files.get(name) ?? null;
  }

  // JobRecords: what kinds write while they work.
  async save(jobId: string, seq: number, saved: Record<string, unknown>): Promise<void> {
    const item = this.jobs.get(jobId)?.items[seq];
    if (item) item.saved = saved;
  }

  async videoProgress(jobId: string, seq: number, progress: VideoProgress): Promise<boolean> {
    const job = this.jobs.get(jobId);
    const item = job?.items[seq];
    if (!job || !item) return true;
    item.progress = progress;
    item.updated = new Date();
    job.events?.notify('progress', progress);
    return job.cancelled !== null || this.closed;
  }

  videoEvent(jobId: string, _seq: number, event: { type: string }): void {
    this.jobs.get(jobId)?.events?.push(event.type, event);
  }

  async videoResult(jobId: string, seq: number, result: Record<string, unknown>, files: readonly JobFile[]): Promise<void> {
    const job = this.jobs.get(jobId);
    const item = job?.items[seq];
    if (!job || !item) return;
    item.result = result;
    job.files = new Map(files.map((file) => [file.name, file]));
  }

  /** Stops: jobs not started are cancelled, those under way told to stop and waited for (up to `timeoutMs`), uploads removed. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    for (const job of this.jobs.values()) await this.cancel(job.id).catch(() => undefined);
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.underway]), new Promise((resolve) => { timer = setTimeout(resolve, options.timeoutMs ?? 30_000); })]);
    clearTimeout(timer);
    for (const job of this.jobs.values()) await this.ended(job);
  }

  private check(): void {
    if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'job runner used after close()');
  }

  private job(id: string): LocalJob {
    const job = this.jobs.get(checkJobId(id));
    if (!job) throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `no job ${id}`);
    return job;
  }

  private summary(job: LocalJob): JobSummary {
    const counts: Record<string, number> = {};
    let started: Date | null = null, updated: Date | null = null, finished: Date | null = null;
    for (const item of job.items) {
      counts[item.state] = (counts[item.state] ?? 0) + 1;
      if (item.claimed && (!started || item.claimed < started)) started = item.claimed;
      if (!updated || item.updated > updated) updated = item.updated;
      if (!OPEN.includes(item.state) && (!finished || item.updated > finished)) finished = item.updated;
    }
    // As the queue's: cancelled at once, while an item under way stops (its progress says when).
    return toSummary({
      id: job.id, kind: job.kind, params: job.params, total: job.items.length, created: job.created.toISOString(),
      cancelled: job.cancelled?.toISOString() ?? null, started: started?.toISOString() ?? null,
      finished: updated?.toISOString() ?? null, startedMs: started?.getTime() ?? null, finishedMs: finished?.getTime() ?? null, counts,
    });
  }

  /** Starts the next items while there is room. */
  private pump(): void {
    while (!this.closed && this.running < this.concurrency) {
      const next = this.nextItem();
      if (!next) return;
      this.running++;
      const work = this.runItem(next.job, next.item).finally(() => {
        this.running--;
        this.underway.delete(work);
        this.pump();
      });
      this.underway.add(work);
    }
  }

  private nextItem(): { job: LocalJob; item: LocalItem } | null {
    let best: { job: LocalJob; item: LocalItem } | null = null;
    for (const job of this.jobs.values()) {
      if (job.cancelled) continue;
      const item = job.items.find((i) => i.state === 'pending');
      if (item && (!best || job.created < best.job.created)) best = { job, item };
    }
    return best;
  }

  private async runItem(job: LocalJob, item: LocalItem): Promise<void> {
    item.state = 'working';
    item.attempts++;
    item.claimed ??= new Date();
    item.updated = new Date();
    const claimed: ClaimedItem = { jobId: job.id, seq: item.seq, input: item.input, subject: item.subject, data: item.data, attempts: item.attempts, saved: item.saved, claimed: item.claimed };
    let outcome: ItemOutcome;
    try {
      outcome = await JOB_KINDS[job.kind].run(this.context, { id: job.id, kind: job.kind, params: job.params, total: job.items.length, chunks: [], cancelled: job.cancelled !== null }, claimed);
    } catch (error) {
      outcome = { state: 'failed', reason: (error as VisageError).code ?? 'VISAGE_ERR_INTERNAL', message: (error as Error).message ?? String(error) };
    }
    item.state = outcome.state;
    item.contentHash = outcome.contentHash ?? item.contentHash;
    item.reason = outcome.reason ?? null;
    item.message = outcome.message ?? null;
    item.faceIds = outcome.faceIds ?? [];
    item.data = null;
    item.updated = new Date();
    if (!job.items.some((i) => OPEN.includes(i.state))) await this.ended(job);
  }

  /** A job has nothing left to do: its upload goes, and the oldest finished jobs past `keep`. */
  private async ended(job: LocalJob): Promise<void> {
    if (job.events && !job.events.ended) {
      // The final event: done, or why not (the route sends the job as GET /v1/videos/{id} shows it).
      const item = job.items[0];
      const type = job.cancelled || !item || item.state === 'cancelled' ? 'cancelled' : item.state === 'failed' ? 'failed' : 'done';
      job.events.end(type, { state: item?.state ?? null, reason: item?.reason ?? null, message: item?.message ?? null });
    }
    const cleanup = job.cleanup;
    job.cleanup = null;
    if (cleanup) await cleanup().catch(() => undefined);
    const finished = [...this.jobs.values()].filter((j) => !j.items.some((i) => OPEN.includes(i.state)));
    for (const old of finished.sort((a, b) => a.created.getTime() - b.created.getTime()).slice(0, Math.max(0, finished.length - this.keep))) {
      this.jobs.delete(old.id);
    }
  }
}
