// The contract of a kind of job (kinds.ts registers them): what a worker lends it, and what it does.
import type { Gallery } from '../gallery/gallery.ts';
import type { Recognizer } from '../recognition/recognizer.ts';
import type { Visage } from '../visage.ts';
import type { ClaimedItem, ItemOutcome, JobRow, NewItem } from './store.ts';
import type { ReindexJobOptions, VideoProgress } from './types.ts';

/** A file a job made (a video's best-face thumbnails), kept with the job and served by name. */
export interface JobFile {
  name: string;
  type: string;
  data: Uint8Array;
}

/**
 * What kinds write about their items beyond the outcome: the job tables (JobStore) for the queue's
 * workers, memory for the in-process runner (local.ts).
 */
export interface JobRecords {
  /** Keeps what a later attempt at this item needs should this one be cut short. */
  save(jobId: string, seq: number, saved: Record<string, unknown>): Promise<void>;
  /** Records how far a video item is; true when its job was cancelled meanwhile (the item should stop). */
  videoProgress(jobId: string, seq: number, progress: VideoProgress): Promise<boolean>;
  /** Records a video item's result and its files (replacing those of an earlier attempt). */
  videoResult(jobId: string, seq: number, result: Record<string, unknown>, files: readonly JobFile[]): Promise<void>;
}

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
