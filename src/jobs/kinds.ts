// The kinds of job, registered in one place: each names its pg-boss queue and says how one item
// is done (and, where the items come from the gallery, how they are listed). Video and clustering
// jobs are kinds of their own (kinds/video.ts, kinds/cluster.ts).
import { ENROL_KIND } from './kinds/enrol.ts';
import { REINDEX_KIND } from './kinds/reindex.ts';
import { CLUSTER_KIND } from './kinds/cluster.ts';
import { VIDEO_KIND } from './kinds/video.ts';
import type { JobKindSpec } from './kind.ts';
import type { JobKind } from './types.ts';

export type { JobKindSpec, WorkerContext } from './kind.ts';

export const JOB_KINDS: Readonly<Record<JobKind, JobKindSpec>> = Object.freeze({
  enrol: ENROL_KIND,
  reindex: REINDEX_KIND,
  cluster: CLUSTER_KIND,
  video: VIDEO_KIND,
});

/** Where pg-boss puts a chunk it gave up on (its retries spent): a worker marks its items failed. */
export const DEAD_LETTER_QUEUE = 'visage-dead-chunks';

/** Errors after which the next item would fail the same way: the chunk is given back to be tried again. */
export const RETRY_CODES: ReadonlySet<string> = new Set([
  'VISAGE_ERR_DB_LOCKED', 'VISAGE_ERR_DB_UNAVAILABLE', 'VISAGE_ERR_DB_NOT_FOUND', 'VISAGE_ERR_DB_READ_ONLY', 'VISAGE_ERR_DB_FAILED',
  'VISAGE_ERR_NOT_A_GALLERY', 'VISAGE_ERR_DB_TOO_NEW', 'VISAGE_ERR_MODEL_LOAD_FAILED', 'VISAGE_ERR_MODEL_SOURCE_MISSING',
  'VISAGE_ERR_CONVERSION_FAILED', 'VISAGE_ERR_CLOSED',
]);
