// 'visage/jobs': batch jobs (enrol a folder or uploads, reindex a gallery, a video) on a PostgreSQL
// gallery, queued with pg-boss and done by workers in any number of processes; or in this process.
export {
  openJobQueue, JobQueue, startWorker, JobWorker, LocalJobRunner, enrolmentImages, jobSchemas, DEFAULT_CHUNK_SIZE, MAX_JOB_ITEMS, FINAL_ITEM_STATES,
} from '../jobs/index.ts';
export type {
  JobQueueOptions, JobWorkerOptions, WorkerItemEvent, JobKind, JobState, ItemState, EnrolmentImage, EnrolJobOptions, ReindexJobOptions,
  SubmitOptions, JobProgress, JobSummary, JobItem, JobDetail, ItemFilter, LocalJobRunnerOptions, VideoJobOptions, VideoJobInput, VideoProgress, VideoJobView,
} from '../jobs/index.ts';
