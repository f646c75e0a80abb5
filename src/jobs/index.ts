// Batch jobs on a PostgreSQL gallery: a queue (pg-boss) of chunks of items, workers anywhere.
export { openJobQueue, JobQueue, DEFAULT_CHUNK_SIZE, MAX_JOB_ITEMS } from './queue.ts';
export type { JobQueueOptions } from './queue.ts';
export { startWorker, JobWorker } from './worker.ts';
export type { JobWorkerOptions, WorkerItemEvent } from './worker.ts';
export { enrolmentImages } from './kinds/enrol.ts';
export { JOB_KINDS } from './kinds.ts';
export { jobSchemas } from './schema.ts';
export { FINAL_ITEM_STATES } from './types.ts';
export type {
  JobKind, JobState, ItemState, EnrolmentImage, EnrolJobOptions, ReindexJobOptions, SubmitOptions, JobProgress, JobSummary, JobItem, JobDetail, ItemFilter,
} from './types.ts';
