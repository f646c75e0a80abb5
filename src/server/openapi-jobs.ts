// The /v1/jobs paths of the OpenAPI document (routes/jobs.ts), with examples from a run of this
// server: bbt/people uploads with a corrupt file and a blank image, done by one `visage worker`.

type Json = Record<string, unknown>;

const json = (schema: unknown, description: string, example: unknown) => ({ description, content: { 'application/json': { schema, example } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const ID = { name: 'id', in: 'path', required: true, description: 'job id (a UUID)', schema: { type: 'string', format: 'uuid' }, example: 'c3d67d10-a71c-4975-b555-b45d80b23636' };
const query = (name: string, description: string, schema: Json) => ({ name, in: 'query', required: false, description, schema });

const progress = { total: 4, pending: 0, working: 0, added: 2, skipped: 1, failed: 1, cancelled: 0, percent: 100, itemsPerSecond: 0.76, etaSeconds: null };
const queued = {
  id: 'c3d67d10-a71c-4975-b555-b45d80b23636', kind: 'enrol', state: 'queued', params: { largest: false }, created: '2026-12-07T13:12:11.624Z', started: null, finished: null,
  progress: { total: 4, pending: 4, working: 0, added: 0, skipped: 0, failed: 0, cancelled: 0, percent: 0, itemsPerSecond: null, etaSeconds: null },
};
const completed = { ...queued, state: 'completed', started: '2026-12-07T13:12:15.762Z', finished: '2026-12-07T13:12:21.001Z', progress };
const detail = {
  ...completed,
  result: { faceIds: 2, reasons: { VISAGE_ERR_IMAGE_DECODE: 1, 'no-face': 1 } },
  items: [
    { seq: 2, item: 'blank.png', subject: 'bob', contentHash: '6bd29c341aee6812a1d7a1cdfc85fc9c554c2a6ccc3a3fc43548798fb0730035', state: 'skipped', reason: 'no-face', message: 'no face found', faceIds: [], attempts: 1 },
    { seq: 3, item: 'corrupt.jpg', subject: 'bob', contentHash: null, state: 'failed', reason: 'VISAGE_ERR_IMAGE_DECODE', message: 'cannot decode image image buffer (3000 bytes): unsupported image format', faceIds: [], attempts: 1 },
  ],
  moreItems: 0,
};

const PROGRESS_SCHEMA = {
  type: 'object',
  properties: {
    ...Object.fromEntries(['total', 'pending', 'working', 'added', 'skipped', 'failed', 'cancelled'].map((k) => [k, { type: 'integer' }])),
    percent: { type: 'number' }, itemsPerSecond: { type: ['number', 'null'] }, etaSeconds: { type: ['integer', 'null'] },
  },
};
export const JOB_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' }, kind: { type: 'string', enum: ['enrol', 'reindex', 'cluster', 'video'] },
    state: { type: 'string', enum: ['queued', 'running', 'completed', 'cancelled'], description: 'completed: every item final (added, skipped or failed); see progress and items' },
    params: { type: 'object' }, created: { type: 'string' }, started: { type: ['string', 'null'] }, finished: { type: ['string', 'null'] }, progress: PROGRESS_SCHEMA,
  },
};
const ITEM_SCHEMA = {
  type: 'object',
  properties: {
    seq: { type: 'integer' }, item: { type: 'string', description: 'the image (path or upload name) or the face' }, subject: { type: ['string', 'null'] },
    contentHash: { type: ['string', 'null'] }, state: { type: 'string', enum: ['pending', 'working', 'added', 'skipped', 'failed', 'cancelled'] },
    reason: { type: ['string', 'null'], description: 'why skipped (already-enrolled, no-face, several-faces, low-quality, image-not-found...) or the error code of a failure' },
    message: { type: ['string', 'null'] }, faceIds: { type: 'array', items: { type: 'integer' } }, attempts: { type: 'integer' },
  },
};
const DETAIL_SCHEMA = {
  allOf: [JOB_SCHEMA, {
    type: 'object',
    properties: {
      result: { type: 'object', properties: { faceIds: { type: 'integer', description: 'faces stored by the job' }, reasons: { type: 'object', additionalProperties: { type: 'integer' } } } },
      items: { type: 'array', items: ITEM_SCHEMA }, moreItems: { type: 'integer', description: 'items left out by the filter\'s limit' },
    },
  }],
};

/** The /v1/jobs paths; `op` is the document's operation builder (tag, summary, details). */
export function jobPaths(op: (tag: string, summary: string, extra: Json) => Json): Json {
  const note = 'Needs a PostgreSQL gallery (a server on a SQLite file answers 400 `VISAGE_ERR_JOBS_NEED_POSTGRES`) and an admin key; `visage worker` processes do the work.';
  const listed = 'Admin keys. The queue\'s jobs (PostgreSQL) and the video jobs this server runs itself (POST /v1/videos without a queue), newest first.';
  return {
    '/v1/jobs/enrollments': {
      post: op('jobs', 'Queue the enrolment of many images (admin)', {
        description: `${note}\n\nUploads: "image" files (multipart) or base64 "images" (JSON), each person named by "subject" (all of them), "subjects" (a JSON array, one per image) or else the upload's file name (amy_2.jpg: amy). The bytes are kept in the database until their image is done, so that a worker on another machine can read them. At most the server's maxImages images per request.\n\n`
          + 'Paths: "paths" (a JSON array) of folders or images under the folder the server was started with (`visage serve --jobs-root DIR`), named as `visage enroll` names them (people/<name>/*.jpg); refused (403) without a root or outside it, symbolic links included. The workers must see the same paths.\n\n'
          + 'Each image is enrolled once per person (by content hash): a job submitted twice, or retried after a worker died, adds nothing twice.',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': { schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' }, subject: { type: 'string' }, subjects: { type: 'string', description: 'JSON array' }, largest: { type: 'boolean' }, chunkSize: { type: 'integer' } } } },
            'application/json': {
              schema: { type: 'object', properties: { images: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } }, subject: { type: 'string' }, subjects: { type: 'array', items: { type: 'string' } }, paths: { type: 'array', items: { type: 'string' } }, largest: { type: 'boolean' }, chunkSize: { type: 'integer', minimum: 1, maximum: 10000, description: 'items per chunk, the unit a worker takes (default 8)' } } },
              example: { paths: ['people'] },
            },
          },
        },
        responses: { 202: json({ allOf: [JOB_SCHEMA, { type: 'object', properties: { unnamed: { type: 'array', items: { type: 'string' }, description: 'images left out: their name names nobody' } } }] }, 'queued (Location: /v1/jobs/{id})', { ...queued, unnamed: [] }), ...errors(400, 401, 403, 404, 413, 415, 503) },
      }),
    },
    '/v1/jobs/reindex': {
      post: op('jobs', 'Queue the reindexing of the gallery with other embedders (admin)', {
        description: `${note}\n\nEvery face lacking a vector of one of "embedders" (default: the default embedders) gets it, computed from its image: the gallery keeps no pixels, so each face is found again from the file it was enrolled from while unchanged (same SHA-256), else from an image with that hash under the "search" folders (inside the jobs root). Faces enrolled from uploads need such a folder. Faces whose image is not found are skipped with reason image-not-found.`,
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { embedders: { type: 'array', items: { type: 'string' } }, search: { type: 'array', items: { type: 'string' } }, chunkSize: { type: 'integer' } } }, example: { embedders: ['faceapi-recognition', 'human-faceres'], search: ['photos'] } } } },
        responses: { 202: json(JOB_SCHEMA, 'queued', { ...queued, kind: 'reindex', params: { embedders: ['faceapi-recognition', 'human-faceres'], search: [], faces: 40 } }), ...errors(400, 401, 403, 404) },
      }),
    },
    '/v1/jobs': {
      get: op('jobs', 'The latest jobs, newest first, with their progress (admin)', {
        description: listed,
        parameters: [query('limit', 'at most this many (default 100)', { type: 'integer', minimum: 1, maximum: 1000 }), query('state', 'only jobs in this state', { type: 'string', enum: ['queued', 'running', 'completed', 'cancelled'] })],
        responses: { 200: json({ type: 'object', properties: { jobs: { type: 'array', items: JOB_SCHEMA } } }, 'OK', { jobs: [completed] }), ...errors(400, 401, 403) },
      }),
    },
    '/v1/jobs/{id}': {
      parameters: [ID],
      get: op('jobs', 'One job: state, progress, result and its items (by default those that failed or were skipped) (admin)', {
        parameters: [query('items', 'errors (default: failed and skipped), all, or none', { type: 'string', enum: ['errors', 'all', 'none'] }), query('limit', 'items listed at most (default 1000)', { type: 'integer' }), query('offset', 'items skipped first', { type: 'integer' })],
        responses: { 200: json(DETAIL_SCHEMA, 'OK', detail), ...errors(400, 401, 403, 404) },
      }),
      delete: op('jobs', 'Cancel a job (the same as POST /v1/jobs/{id}/cancel) (admin)', { responses: { 200: json(DETAIL_SCHEMA, 'cancelled (or already finished: unchanged)', { ...detail, state: 'cancelled', items: [] }), ...errors(401, 403, 404) } }),
    },
    '/v1/jobs/{id}/cancel': {
      parameters: [ID],
      post: op('jobs', 'Cancel a job: items not started are cancelled, the one under way finishes (admin)', { responses: { 200: json(DETAIL_SCHEMA, 'cancelled (or already finished: unchanged)', { ...detail, state: 'cancelled', items: [] }), ...errors(401, 403, 404) } }),
    },
  };
}
