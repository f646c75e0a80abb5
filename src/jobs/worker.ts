// JobWorker: takes chunks of jobs from the queue and does their items, any number of them per
// process (`concurrency`), any number of processes on any machine that reaches the database.
//
// A chunk's items are done one after the other; each is claimed (JobStore.claim: none of a
// cancelled job), done by its kind, and its outcome recorded. A failure of the item itself (an
// unreadable image) is its outcome; a failure that would fail every item (the database gone) gives
// the chunk back to pg-boss, which hands it out again (retryLimit times). A worker that stops
// answering (kill -9, a machine lost) holds its chunk until the chunk expires
// (chunkExpireSeconds), after which pg-boss's maintenance, run by any live process, hands it out.
// A worker also stops starting items once its chunk has outlived its expiry, so that it never
// works on a chunk another worker was given.
import { VisageError } from '../errors.ts';
import { openGallery, type OpenedGallery } from '../gallery/open.ts';
import { createRecognizer, type Recognizer } from '../recognition/recognizer.ts';
import { hashFinder } from '../recognition/reindex.ts';
import { createVisage, type Visage } from '../visage.ts';
import type { VisageConfig } from '../config.ts';
import { DEAD_LETTER_QUEUE, JOB_KINDS, RETRY_CODES, type WorkerContext } from './kinds.ts';
import { openJobQueue, type JobQueue, type JobQueueOptions } from './queue.ts';
import type { ItemOutcome } from './store.ts';
import type { JobKind } from './types.ts';

export interface JobWorkerOptions extends JobQueueOptions {
  /** Chunks worked on at once in this process (default 1: inference already uses every core). */
  concurrency?: number;
  /** Pipeline settings of the models this worker runs (detector, embedders...), as createVisage takes them. */
  visageOptions?: Partial<VisageConfig>;
  /** Only these kinds (default all). */
  kinds?: JobKind[];
  /** Told of every item done (for logs and progress lines). */
  onItem?: (event: WorkerItemEvent) => void;
}

export interface WorkerItemEvent {
  jobId: string;
  kind: JobKind;
  seq: number;
  item: string;
  outcome: ItemOutcome;
  ms: number;
}

interface ChunkData {
  jobId: string;
  from: number;
  to: number;
}

/** Seconds kept in hand before a chunk's expiry: no item is started later than this. */
const EXPIRY_MARGIN_SECONDS = 5;

export class JobWorker {
  readonly queue: JobQueue;
  private readonly options: JobWorkerOptions;
  private gallery: Promise<OpenedGallery> | null = null;
  private recognizer: Promise<Recognizer> | null = null;
  private readonly visages = new Map<string, Promise<Visage>>();
  private readonly finders = new Map<string, (hash: string) => Promise<string | null>>();
  private stopping = false;
  /** When stop() stops waiting for the chunks under way (they are then given back): no item starts after it. */
  private giveUpAt = Infinity;
  private stopped: Promise<void> | null = null;
  /** Items done by this worker since it started. */
  done = 0;

  /** @internal Use startWorker(). */
  constructor(queue: JobQueue, options: JobWorkerOptions) {
    this.queue = queue;
    this.options = options;
  }

  private context(): WorkerContext {
    return {
      store: this.queue.store,
      gallery: () => (this.gallery ??= openGallery(this.queue.url, { create: true }).catch((error) => { this.gallery = null; throw error; })),
      recognizer: () => (this.recognizer ??= (async () => createRecognizer({ gallery: await this.context().gallery(), visageOptions: this.options.visageOptions }))()
        .catch((error) => { this.recognizer = null; throw error; })),
      visageFor: (embedders) => {
        const key = embedders.join(',');
        let visage = this.visages.get(key);
        if (!visage) {
          visage = createVisage({ ...this.options.visageOptions, preset: undefined, embedders: [...embedders] as VisageConfig['embedders'] });
          visage.catch(() => this.visages.delete(key));
          this.visages.set(key, visage);
        }
        return visage;
      },
      hashFinder: (folders) => {
        const key = JSON.stringify(folders);
        let finder = this.finders.get(key);
        if (!finder) this.finders.set(key, finder = hashFinder(folders));
        return finder;
      },
    };
  }

  /** @internal Registers the handlers on pg-boss. */
  async start(): Promise<void> {
    const concurrency = this.options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new VisageError('VISAGE_ERR_BAD_OPTION', `concurrency must be a whole number from 1 to 64, got ${concurrency}`);
    const kinds = this.options.kinds ?? (Object.keys(JOB_KINDS) as JobKind[]);
    const polling = { pollingIntervalSeconds: this.queue.options.pollingIntervalSeconds, batchSize: 1 };
    for (const kind of kinds) {
      const spec = JOB_KINDS[kind];
      if (!spec) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown job kind "${kind}"; known: ${Object.keys(JOB_KINDS).join(', ')}`);
      // One polling loop per unit of concurrency (pg-boss 10 runs one batch at a time per work()).
      for (let i = 0; i < concurrency; i++) {
        await this.queue.boss.work<ChunkData>(spec.queue, { ...polling, includeMetadata: true }, async ([chunk]) => this.runChunk(kind, chunk!.data, chunk!.expireInSeconds));
      }
    }
    await this.queue.boss.work<ChunkData>(DEAD_LETTER_QUEUE, polling, async ([chunk]) => {
      const { jobId, from, to } = chunk!.data;
      const seqs = Array.from({ length: to - from }, (_, i) => from + i);
      await this.queue.store.failUnfinished(jobId, seqs, 'gave-up',
        `the queue gave up on this item after ${this.queue.options.retryLimit + 1} attempts by workers that failed or vanished`);
    });
  }

  private async runChunk(kind: JobKind, data: ChunkData, expireInSeconds: number): Promise<{ items: number }> {
    // Fetched while stopping (pg-boss's poll was under way): given back at once.
    if (this.stopping) throw new VisageError('VISAGE_ERR_CLOSED', 'worker stopping');
    const started = Date.now();
    const deadline = started + Math.max(1, expireInSeconds - EXPIRY_MARGIN_SECONDS) * 1000;
    const store = this.queue.store;
    const job = await store.job(data.jobId);
    if (!job || job.cancelled) return { items: 0 };
    const context = this.context();
    let count = 0;
    for (let seq = data.from; seq < data.to; seq++) {
      if (Date.now() > deadline) throw new VisageError('VISAGE_ERR_BUSY', `chunk ${data.from}-${data.to - 1} of job ${data.jobId} outlived its expiry; handed back`);
      if (Date.now() > this.giveUpAt) throw new VisageError('VISAGE_ERR_CLOSED', `worker stopping: chunk ${data.from}-${data.to - 1} of job ${data.jobId} handed back`);
      const item = await store.claim(data.jobId, seq);
      if (!item) continue;
      const t0 = Date.now();
      let outcome: ItemOutcome;
      try {
        outcome = await JOB_KINDS[kind].run(context, job, item);
      } catch (error) {
        const code = (error as VisageError).code;
        if (code && RETRY_CODES.has(code)) throw error;
        outcome = { state: 'failed', reason: code ?? 'VISAGE_ERR_INTERNAL', message: (error as Error).message ?? String(error) };
      }
      await store.finish(data.jobId, seq, outcome);
      count++;
      this.done++;
      const name = typeof item.input.name === 'string' ? item.input.name : typeof item.input.file === 'string' ? item.input.file : `item ${seq}`;
      this.options.onItem?.({ jobId: data.jobId, kind, seq, item: name, outcome, ms: Date.now() - t0 });
    }
    return { items: count };
  }

  /**
   * Stops taking chunks; the chunks under way finish (up to `timeoutMs`, default 60 s; past it they
   * are given back to the queue), then the models, the gallery and the connections are closed.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    const timeoutMs = options.timeoutMs ?? 60_000;
    this.giveUpAt = Date.now() + timeoutMs - 1000;
    this.stopped = (async () => {
      await this.queue.close({ timeoutMs });
      const recognizer = await this.recognizer?.catch(() => null);
      await recognizer?.close();
      for (const visage of this.visages.values()) await (await visage.catch(() => null))?.close();
      await (await this.gallery?.catch(() => null))?.close();
    })();
    return this.stopped;
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}

/** Starts a worker on the gallery at `url` (PostgreSQL): it works until stop(). */
export async function startWorker(url: string, options: JobWorkerOptions = {}): Promise<JobWorker> {
  const { concurrency: _c, visageOptions: _v, kinds: _k, onItem: _o, ...queueOptions } = options;
  const queue = await openJobQueue(url, queueOptions);
  const worker = new JobWorker(queue, options);
  try {
    await worker.start();
  } catch (error) {
    await queue.close({ timeoutMs: 1000 });
    throw error;
  }
  return worker;
}
