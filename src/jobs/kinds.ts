// The kinds of job, registered in one place: each names its pg-boss queue and says how one item
// is done (and, where the items come from the gallery, how they are listed). Video and clustering
// jobs are added here as kinds of their own.
import type { Gallery } from '../gallery/gallery.ts';
import type { Recognizer } from '../recognition/recognizer.ts';
import type { Visage } from '../visage.ts';
import { ENROL_KIND } from './kinds/enrol.ts';
import { REINDEX_KIND } from './kinds/reindex.ts';
import type { ClaimedItem, ItemOutcome, JobRow, JobStore, NewItem } from './store.ts';
import type { JobKind, ReindexJobOptions } from './types.ts';

/** What a worker lends a kind: the gallery and the models, opened once per worker process. */
export interface WorkerContext {
  gallery(): Promise<Gallery>;
  /** The recognizer over the gallery (the embedders it was built with, as `visage enroll` picks them). */
  recognizer(): Promise<Recognizer>;
  /** A Visage running these embedders (reindexing). */
  visageFor(embedders: readonly string[]): Promise<Visage>;
  /** Finds images by content hash under folders (hashed once per worker). */
  hashFinder(folders: readonly string[]): (hash: string) => Promise<string | null>;
  store: JobStore;
}

export interface JobKindSpec {
  /** The pg-boss queue its chunks go to. */
  queue: string;
  /**
   * Does one item. Returns its outcome, including a failure of the item itself (an unreadable
   * image: `failed` with the error's code); throws only what should make the chunk be tried
   * again (the database or the models unavailable).
   */
  run(context: WorkerContext, job: JobRow, item: ClaimedItem): Promise<ItemOutcome>;
  /** Lists the items of a job from the gallery (reindex). */
  plan?(url: string, options: ReindexJobOptions): Promise<{ params: Record<string, unknown>; items: NewItem[] }>;
}

export const JOB_KINDS: Readonly<Record<JobKind, JobKindSpec>> = Object.freeze({
  enrol: ENROL_KIND,
  reindex: REINDEX_KIND,
});

/** Where pg-boss puts a chunk it gave up on (its retries spent): a worker marks its items failed. */
export const DEAD_LETTER_QUEUE = 'visage-dead-chunks';

/** Errors after which the next item would fail the same way: the chunk is given back to be tried again. */
export const RETRY_CODES: ReadonlySet<string> = new Set([
  'VISAGE_ERR_DB_LOCKED', 'VISAGE_ERR_DB_UNAVAILABLE', 'VISAGE_ERR_DB_NOT_FOUND', 'VISAGE_ERR_DB_READ_ONLY', 'VISAGE_ERR_DB_FAILED',
  'VISAGE_ERR_NOT_A_GALLERY', 'VISAGE_ERR_DB_TOO_NEW', 'VISAGE_ERR_MODEL_LOAD_FAILED', 'VISAGE_ERR_MODEL_SOURCE_MISSING',
  'VISAGE_ERR_CONVERSION_FAILED', 'VISAGE_ERR_CLOSED',
]);
