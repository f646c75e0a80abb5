// The /v1/clusters paths of the OpenAPI document (routes/clusters.ts): "People to name". The
// examples are written in the shape of the answers test/server/clusters.test.ts gets (LFW photos,
// the fusion embedder); their face keys are made up.

type Json = Record<string, unknown>;

const json = (schema: unknown, description: string, example: unknown) => ({ description, content: { 'application/json': { schema, example } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const ID = { name: 'id', in: 'path', required: true, description: 'cluster id (c and a number; ids stay when photos are added)', schema: { type: 'string', pattern: '^c\\d+$' }, example: 'c3' };
const KEY = { name: 'key', in: 'path', required: true, description: 'face key: the first 16 hex digits of its image\'s SHA-256, a dash, the face\'s index in the image', schema: { type: 'string', pattern: '^[0-9a-f]{16}-\\d+$' }, example: '5f0c1b3e9a7d2c41-0' };
const query = (name: string, description: string, schema: Json) => ({ name, in: 'query', required: false, description, schema });

const BOX = { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } } };
const FACE_SCHEMA = {
  type: 'object',
  properties: {
    key: { type: 'string' }, file: { type: 'string', description: 'the upload\'s file name, or the path under the jobs root' }, box: BOX, score: { type: 'number' },
    quality: { type: 'object', properties: { size: { type: 'number' }, sharpness: { type: 'number' }, frontalness: { type: 'number' } } },
    similarity: { type: 'number', description: 'matched faces: similarity to the enrolled person' },
    reasons: { type: 'array', items: { type: 'string', enum: ['small', 'blurred', 'turned-away', 'low-score', 'eyes-closed'] }, description: 'faces set aside: why' },
    thumbnail: { type: 'string', description: 'URL of its JPEG (128 px)' },
  },
};
const CLUSTER_SCHEMA = { type: 'object', properties: { id: { type: 'string' }, subject: { type: ['string', 'null'], description: 'the person it was named as' }, size: { type: 'integer' }, faces: { type: 'array', items: FACE_SCHEMA } } };
const VIEW_SCHEMA = {
  type: 'object',
  properties: {
    embedder: { type: ['string', 'null'] }, threshold: { type: ['number', 'null'] }, cohesion: { type: ['number', 'null'] }, version: { type: 'integer', description: 'bumped by every change' },
    images: { type: 'integer' }, faces: { type: 'integer' }, totalClusters: { type: 'integer', description: 'clusters listed by this filter, before limit/offset' }, unnamedClusters: { type: 'integer' },
    clusters: { type: 'array', items: CLUSTER_SCHEMA, description: 'largest first' },
    matched: { type: 'array', items: { type: 'object', properties: { subject: { type: 'string' }, size: { type: 'integer' }, faces: { type: 'array', items: FACE_SCHEMA } } }, description: 'faces of enrolled people (named before clustering)' },
    unclustered: { type: 'array', items: FACE_SCHEMA }, unclusteredCount: { type: 'integer' },
    setAside: { type: 'array', items: FACE_SCHEMA, description: 'faces the quality gate set aside' }, setAsideCounts: { type: 'object', additionalProperties: { type: 'integer' } },
    noFace: { type: 'array', items: { type: 'string' }, description: 'images without a face' },
  },
};
const face = (key: string, file: string, x: number) => ({ key, file, box: { x, y: 71, width: 104, height: 127 }, score: 0.99, quality: { size: 104, sharpness: 512.3, frontalness: 0.93 }, thumbnail: `/v1/clusters/faces/${key}/thumbnail` });
const c3 = { id: 'c3', subject: null, size: 2, faces: [face('5f0c1b3e9a7d2c41-0', 'Jean_Chretien_0001.jpg', 73), face('a1b2c3d4e5f60718-0', 'Jean_Chretien_0002.jpg', 70)] };
const view = {
  embedder: 'fusion', threshold: 0.865, cohesion: 0.1, version: 7, images: 26, faces: 31, totalClusters: 5, unnamedClusters: 4,
  clusters: [c3],
  matched: [{ subject: 'Colin Powell', size: 5, faces: [{ ...face('0b9d6e2f41c3a857-0', 'Colin_Powell_0001.jpg', 71), similarity: 0.93 }] }],
  unclustered: [face('77aa01c2d3e4f506-1', 'John_Ashcroft_0003.jpg', 180)], unclusteredCount: 1,
  setAside: [], setAsideCounts: { small: 0, blurred: 0, 'turned-away': 0, 'low-score': 0, 'eyes-closed': 0 }, noFace: [],
};

/** The /v1/clusters paths; `op` is the document's operation builder (tag, summary, details). */
export function clusterPaths(op: (tag: string, summary: string, extra: Json) => Json, jobSchema: Json): Json {
  const viewQuery = [
    query('unnamed', 'only clusters not named yet (the "People to name")', { type: 'boolean' }),
    query('limit', 'clusters listed at most (default 500)', { type: 'integer', minimum: 1, maximum: 10000 }),
    query('offset', 'clusters skipped first', { type: 'integer', minimum: 0 }),
    query('faces', 'faces listed per cluster at most (default 200; `size` counts them all)', { type: 'integer', minimum: 1, maximum: 10000 }),
  ];
  return {
    '/v1/clusters': {
      post: op('clusters', 'Add photos whose faces are clustered by person (admin)', {
        description: 'Uploads ("image" files, or base64 "images") or "paths" (a JSON array) of images or folders under the server\'s jobs root (`visage serve --jobs-root DIR`; refused with 403 without one or outside it). '
          + 'Every face is embedded with the server\'s matching embedder and kept with a thumbnail in the server store (the SQLite server file, or the PostgreSQL gallery\'s schema: every API node sees the same clusters). '
          + 'A quality gate sets poor faces aside; faces of enrolled people go to them; the rest are clustered (two faces of one photo never share a cluster; earlier clusters keep their ids, names, merges and splits).\n\n'
          + 'With a job queue (a PostgreSQL gallery): answered 202 with a `cluster` job that `visage worker` processes do; the faces are clustered at the next GET. Without one: done in the request (at most 100 images; more: 413), answered 200 with each image\'s result and the clusters.',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': { schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' } } } },
            'application/json': { schema: { type: 'object', properties: { images: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } }, paths: { type: 'array', items: { type: 'string' } }, chunkSize: { type: 'integer' } } }, example: { paths: ['photos/2019'] } },
          },
        },
        responses: {
          200: json({ allOf: [{ type: 'object', properties: { results: { type: 'array', items: { type: 'object', properties: { image: { type: 'string' }, status: { type: 'string', enum: ['added', 'failed'] }, faces: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } } } } }, VIEW_SCHEMA] },
            'done (no job queue): each image\'s result, then the clusters', { results: [{ image: 'Jean_Chretien_0001.jpg', status: 'added', faces: 1 }, { image: 'broken.jpg', status: 'failed', faces: 0, code: 'VISAGE_ERR_IMAGE_DECODE', message: 'cannot decode image' }], ...view }),
          202: json({ type: 'object', properties: { job: jobSchema, clusters: { type: 'string' } } }, 'queued (Location: /v1/jobs/{id})', { job: { id: 'c3d67d10-a71c-4975-b555-b45d80b23636', kind: 'cluster', state: 'queued' }, clusters: '/v1/clusters' }),
          ...errors(400, 401, 403, 404, 413, 415, 503),
        },
      }),
      get: op('clusters', 'The clusters of faces, largest first, with the faces of enrolled people, unclustered and set aside', {
        description: 'Faces added since the last clustering are clustered first.',
        parameters: viewQuery,
        responses: { 200: json(VIEW_SCHEMA, 'OK', view), ...errors(400, 401, 403) },
      }),
      delete: op('clusters', 'Forget every photo, face and cluster (the gallery is not touched) (admin)', { responses: { 200: json({ type: 'object', properties: { cleared: { type: 'boolean' } } }, 'OK', { cleared: true }), ...errors(401, 403) } }),
    },
    '/v1/clusters/{id}': {
      parameters: [ID],
      get: op('clusters', 'One cluster with all its faces', { responses: { 200: json(CLUSTER_SCHEMA, 'OK', c3), ...errors(401, 403, 404) } }),
    },
    '/v1/clusters/{id}/name': {
      parameters: [ID],
      post: op('clusters', 'Name a cluster: its faces are enrolled as that person (created, or added to) (admin)', {
        description: 'The same call as `visage cluster name`. Faces already enrolled for the person are skipped.',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['subject'], properties: { subject: { type: 'string' } }, additionalProperties: false }, example: { subject: 'Jean Chretien' } } } },
        responses: { 200: json({ type: 'object', properties: { cluster: { type: 'string' }, subject: { type: 'string' }, added: { type: 'integer' }, skipped: { type: 'integer' } } }, 'named', { cluster: 'c3', subject: 'Jean Chretien', added: 2, skipped: 0 }), ...errors(400, 401, 403, 404, 503) },
      }),
    },
    '/v1/clusters/{id}/merge': {
      parameters: [ID],
      post: op('clusters', 'Merge other clusters into this one (its id and name stay) (admin)', {
        description: 'Refused (400) when the clusters hold two faces of one photo, or faces split apart before.',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['clusters'], properties: { clusters: { type: 'array', items: { type: 'string' } } }, additionalProperties: false }, example: { clusters: ['c7'] } } } },
        responses: { 200: json({ type: 'object', properties: { cluster: { type: 'string' }, merged: { type: 'array', items: { type: 'string' } } } }, 'merged', { cluster: 'c3', merged: ['c7'] }), ...errors(400, 401, 403, 404, 503) },
      }),
    },
    '/v1/clusters/{id}/split': {
      parameters: [ID],
      post: op('clusters', 'Move faces of a cluster to a new cluster, kept apart from the rest from now on (admin)', {
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['faces'], properties: { faces: { type: 'array', items: { type: 'string' }, description: 'face keys' } }, additionalProperties: false }, example: { faces: ['a1b2c3d4e5f60718-0'] } } } },
        responses: { 200: json({ type: 'object', properties: { cluster: { type: 'string' }, newCluster: { type: 'string' } } }, 'split', { cluster: 'c3', newCluster: 'c12' }), ...errors(400, 401, 403, 404, 503) },
      }),
    },
    '/v1/clusters/faces/{key}/not': {
      parameters: [KEY],
      post: op('clusters', '"Not this person": keep the face as a negative example of a person (admin)', {
        description: 'Identify and clustering never give this face to the person again; its enrolled copy (if any) is removed. "subject" defaults to the name of the face\'s cluster, or the enrolled person it was matched to.',
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { subject: { type: 'string' } }, additionalProperties: false }, example: { subject: 'Colin Powell' } } } },
        responses: { 200: json({ type: 'object', properties: { face: { type: 'string' }, subject: { type: 'string' } } }, 'kept as a negative example', { face: '0b9d6e2f41c3a857-0', subject: 'Colin Powell' }), ...errors(400, 401, 403, 404, 503) },
      }),
    },
    '/v1/clusters/faces/{key}/thumbnail': {
      parameters: [KEY],
      get: op('clusters', 'A face\'s thumbnail (JPEG)', { responses: { 200: { description: 'JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, ...errors(401, 403, 404) } }),
    },
  };
}
