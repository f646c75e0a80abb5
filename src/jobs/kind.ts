// The contract of a kind of job (kinds.ts registers them): what a worker lends it, and what it does.
import type { Gallery } from '../gallery/gallery.ts';
import type { Recognizer } from '../recognition/recognizer.ts';
import type { Visage } from '../visage.ts';
import type { ClaimedItem, ItemOutcome, JobRow, NewItem } from './store.ts';
import type { JobRecords, ReindexJobOptions } from './types.ts';

export type { JobFile, JobRecords } from './types.ts';

/** What a worker lends a kind: the gallery and the models, opened once per worker process. */
export interface WorkerContext {
  gallery(): Promise<Gallery>;
  /** The recognizer over the gallery (the embedders it was built with, as `visage enroll` picks them). */
  recognizer(): Promise<Recognizer>;
  /** A Visage running these embedders (reindexing). */
  visageFor(embedders: readonly string[]): Promise<Visage>;
  /** Finds images by content hash under folders (hashed once per worker). */
  hashFinder(folders: readonly string[]): (hash: string) => Promise<string | null>;
  store: JobRecords;
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
