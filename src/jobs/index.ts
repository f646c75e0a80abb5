// Batch jobs on a PostgreSQL gallery: a queue (pg-boss) of chunks of items, workers anywhere; or in
// this process (LocalJobRunner), with the same contract, for a server without a queue.
export { openJobQueue, JobQueue, DEFAULT_CHUNK_SIZE, MAX_JOB_ITEMS } from './queue.ts';
export type { JobQueueOptions } from './queue.ts';
export { startWorker, JobWorker } from './worker.ts';
export { LocalJobRunner } from './local.ts';
export type { LocalJobRunnerOptions } from './local.ts';
export type { JobWorkerOptions, WorkerItemEvent } from './worker.ts';
export { enrolmentImages } from './kinds/enrol.ts';
export { JOB_KINDS } from './kinds.ts';
export { jobSchemas } from './schema.ts';
export { FINAL_ITEM_STATES } from './types.ts';
export type {
  JobKind, JobState, ItemState, EnrolmentImage, EnrolJobOptions, ReindexJobOptions, SubmitOptions, JobProgress, JobSummary, JobItem, JobDetail, ItemFilter,
  VideoJobOptions, VideoJobInput, VideoProgress, VideoJobView,
} from './types.ts';
