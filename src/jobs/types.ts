// What the job layer takes and gives: plain JSON-serialisable records, the same for the library,
// the CLI (--json) and the server.

/** The kinds of job (kinds.ts registers each one). */
export type JobKind = 'enrol' | 'reindex' | 'cluster' | 'video';

/** queued: no item started; running; completed: every item final; cancelled: stopped on request. */
export type JobState = 'queued' | 'running' | 'completed' | 'cancelled';

/** pending -> working -> added | skipped | failed | cancelled. */
export type ItemState = 'pending' | 'working' | 'added' | 'skipped' | 'failed' | 'cancelled';

export const FINAL_ITEM_STATES: readonly ItemState[] = ['added', 'skipped', 'failed', 'cancelled'];

/** One image to enrol: a path readable by the workers, or bytes (an upload), and who it shows. */
export interface EnrolmentImage {
  /** A path on the workers' file system (absolute, or relative to the submitting process's folder). */
  file?: string;
  /** The image itself (kept in the database until its item is done). */
  data?: Uint8Array;
  /** Its name, shown in results (an upload's file name); default the file's path. */
  name?: string;
  subject: string;
}

/** One image whose faces join the photo library's clusters ("People to name"): a path or bytes, and its name. */
export interface ClusterJobImage {
  file?: string;
  data?: Uint8Array;
  /** Shown with its faces (an upload's file name, a path under the server's jobs root). */
  name: string;
}

export interface EnrolJobOptions {
  /** Take the largest face of images that show several (default: they are skipped). */
  largest?: boolean;
}

export interface ReindexJobOptions {
  /** The embedders every face must have a vector of (default: the configured default embedders). */
  embedders?: string[];
  /** Folders (on the workers' machines) searched for images whose file moved, matched by content hash. */
  search?: string[];
}

export interface SubmitOptions {
  /** Items per pg-boss job: the unit a worker takes, retries, and loses when killed (default 8). */
  chunkSize?: number;
}

export interface JobProgress {
  total: number;
  pending: number;
  working: number;
  added: number;
  skipped: number;
  failed: number;
  cancelled: number;
  /** Items final, over total, 0-100. */
  percent: number;
  /** Items made final per second since the first started (null before two are). */
  itemsPerSecond: number | null;
  /** Seconds left at that rate (null when unknown or done). */
  etaSeconds: number | null;
}

export interface JobSummary {
  id: string;
  kind: JobKind;
  state: JobState;
  params: Record<string, unknown>;
  created: string;
  /** When the first item was taken by a worker. */
  started: string | null;
  /** When the last item became final (completed) or the job was cancelled. */
  finished: string | null;
  progress: JobProgress;
}

export interface JobItem {
  seq: number;
  /** The image (path or upload name) or the face (`face 12`) this item is about. */
  item: string;
  subject: string | null;
  contentHash: string | null;
  state: ItemState;
  /** Why it was skipped (already-enrolled, no-face, ...) or the error code when it failed. */
  reason: string | null;
  message: string | null;
  faceIds: number[];
  attempts: number;
}

export interface JobDetail extends JobSummary {
  /** Counts by outcome and the faces stored, once there are any. */
  result: { faceIds: number; reasons: Record<string, number> };
  items: JobItem[];
  /** Items left out of `items` (see ItemFilter). */
  moreItems: number;
  /** A video job's progress in the video and, once done, its result (video jobs only). */
  video?: VideoJobView;
}

/** What a video job is asked to do: the options of Recognizer.video() a client may set. */
export interface VideoJobOptions {
  /** Frames analysed per second of video (default 5); 'all': every frame. */
  fps?: number | 'all';
  from?: number;
  to?: number;
  maxGap?: number;
  tiledEvery?: number;
  maxHeight?: number;
  threshold?: number;
  strategy?: 'mean-template' | 'best-face';
  /** The vote's quality gate: VIDEO_GATE's limits changed (gate.ts), or qualityGate false for none. */
  minSize?: number;
  minSharpness?: number;
  minFrontalness?: number;
  minScore?: number;
  maxEyesClosed?: number;
  qualityGate?: false;
  /** Join a track to an earlier one of the same person (default true), and at what template similarity. */
  reidentify?: boolean;
  reidSimilarity?: number;
}

/** A video as submitted: an upload's bytes (or a file the runner can read), or an http(s)/rtsp URL. */
export interface VideoJobInput {
  data?: Uint8Array;
  /** A path readable where the job runs (the in-process runner's uploads). */
  file?: string;
  url?: string;
  /** Shown in results: the upload's file name, or the URL without its credentials. */
  name: string;
}

/** Where a video job stands, in the video's own time. */
export interface VideoProgress {
  /** Seconds of video analysed so far (from `from`). */
  seconds: number;
  /** Seconds to analyse (null for a live stream of unknown length). */
  duration: number | null;
  /** Sampled frames analysed. */
  frames: number;
  /** seconds over duration, 0-100 (null when the duration is unknown). */
  percent: number | null;
  framesPerSecond: number | null;
  /** Seconds of video per second of work. */
  speed: number | null;
  etaSeconds: number | null;
}

export interface VideoJobView {
  /** The upload's file name or the URL (credentials removed). */
  source: string;
  progress: VideoProgress | null;
  /** The result, as `visage video --json` prints it (thumbnails as names under thumbs/), once done (or cut short by a cancel). */
  result: Record<string, unknown> | null;
  /** Why the video failed (its item's error code and message). */
  error: { code: string; message: string } | null;
}

export interface ItemFilter {
  /** Only items in these states (default all). */
  states?: ItemState[];
  /** At most this many items (default 1000). */
  limit?: number;
  offset?: number;
}

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
  /**
   * A video item's track event as it happens (the in-process runner keeps them for
   * GET /v1/videos/{id}/events; the queue's tables do not: absent there).
   */
  videoEvent?(jobId: string, seq: number, event: { type: string }): void;
  /** Records a video item's result and its files (replacing those of an earlier attempt). */
  videoResult(jobId: string, seq: number, result: Record<string, unknown>, files: readonly JobFile[]): Promise<void>;
}
