// The OpenAPI 3.1 document of the REST API, written by hand next to the routes (a test checks
// that every route is in it and every path in it is a route). Schemas come from schemas.ts.
import { allErrorCodes } from './errors.ts';
import { EXAMPLES } from './openapi-examples.ts';
import { jobPaths, JOB_SCHEMA } from './openapi-jobs.ts';
import { clusterPaths } from './openapi-clusters.ts';
import { videoPaths } from './openapi-videos.ts';
import { negativePaths } from './openapi-negatives.ts';
import { schemas } from './schemas.ts';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, description = 'OK', example?: unknown) => ({ description, content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } } });
const jsonBody = (schema: unknown, example: unknown) => ({ required: true, content: { 'application/json': { schema, example } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));

const pathParam = (name: string, description: string, example: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' }, example });
const queryParam = (name: string, description: string, schema: Json) => ({ name, in: 'query', required: false, description, schema });
const SUBJECT = pathParam('subject', 'subject id (digits) or name', 'sheldon');
const FACE = pathParam('face', 'face id', '1');

/**
 * A request carrying images: multipart/form-data (files; options as text fields), JSON (images as
 * base64 strings or data: URLs; options as members) or, for one image, the raw bytes.
 */
function imageBody(images: Record<string, string>, fields: Record<string, Json> = {}, raw = true) {
  const multipart: Json = { type: 'object', properties: { ...Object.fromEntries(Object.entries(images).map(([k, d]) => [k, { type: 'string', format: 'binary', description: d }])), ...fields } };
  const base64: Json = {
    type: 'object',
    properties: { ...Object.fromEntries(Object.entries(images).map(([k, d]) => [k, { type: 'string', contentEncoding: 'base64', description: `${d} (base64 or a data: URL)` }])), ...fields },
  };
  const content: Json = { 'multipart/form-data': { schema: multipart }, 'application/json': { schema: base64 } };
  if (raw) content['image/jpeg'] = { schema: { type: 'string', format: 'binary' }, description: 'also image/png, image/webp, application/octet-stream: the image alone, options in the query' };
  return { required: true, content };
}

const OPTIONS = {
  threshold: { type: 'number', minimum: -1, maximum: 1, description: 'open-set threshold (default: the embedder\'s calibrated one, see GET /v1/info)' },
  k: { type: 'integer', minimum: 1, maximum: 50, description: 'nearest people listed per face (default 3)' },
  strategy: { type: 'string', enum: ['best-face', 'mean-template'], description: 'how a subject scores: its closest face, or the mean of its faces' },
};

const RECOGNISE_ATTRIBUTES = { type: 'string', description: 'comma-separated: age, gender, emotion, liveness; each face then carries "attributes"' };
const RECOGNISE_REQUIRE_LIVE = { type: 'boolean', description: 'faces the liveness model calls a spoof are not matched (name null, refused "not-live")' };

const admin = [{ apiKey: [] }, { bearer: [] }];

export function openApiDocument(version: string): Json {
  const recogniseSecurity = admin;
  const op = (tag: string, summary: string, extra: Json, secured = true) => ({ tags: [tag], summary, ...(secured ? { security: recogniseSecurity } : { security: [] }), ...extra });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Visage REST API',
      version,
      description: [
        'Face recognition over HTTP: enrol people from photos, recognise them in other photos, verify, detect, find look-alikes.',
        'Authentication: an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys have a scope: `recognise` (read-only calls) or `admin` (everything, including subjects, faces and keys); they are made with `visage keys create`.',
        'A server with no key at all, listening on localhost, is open to requests from localhost.',
        'Images: multipart/form-data files, base64 strings in JSON, or (one image) the raw bytes; options as form fields, JSON members or query parameters.',
        'Errors: JSON `{"error": {"code", "message"}}` with a stable code (see the error responses).',
      ].join('\n\n'),
      license: { name: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'recognition', description: 'who is in a photo; needs a recognise or admin key' },
      { name: 'subjects', description: 'enrolled people and their faces; reading needs a recognise key, changes an admin key' },
      { name: 'keys', description: 'API keys; admin keys only' },
      { name: 'clusters', description: '"People to name": photos\' faces grouped by person, named once (name, merge, split, not this person); reading needs a recognise key, changes an admin key' },
      { name: 'jobs', description: 'batch jobs on a PostgreSQL gallery (enrol many images, reindex), done by visage worker processes, and video jobs wherever they run (see videos); admin keys only' },
      { name: 'videos', description: 'faces followed and named through a video, as a job (the queue\'s, or in process); uploads need a recognise key, URLs an admin key' },
      { name: 'system', description: 'health, metrics, this document' },
    ],
    paths: {
      '/v1/recognise': {
        post: op('recognition', 'Every face of an image, with the person recognised (or UNKNOWN) and the nearest people', {
          requestBody: imageBody({ image: 'the photo' }, { ...OPTIONS, annotate: { type: 'boolean', description: 'answer a JPEG with boxes and names drawn instead of JSON' }, attributes: RECOGNISE_ATTRIBUTES, requireLive: RECOGNISE_REQUIRE_LIVE }),
          parameters: [queryParam('threshold', OPTIONS.threshold.description, OPTIONS.threshold), queryParam('k', OPTIONS.k.description, OPTIONS.k), queryParam('strategy', OPTIONS.strategy.description, OPTIONS.strategy), queryParam('annotate', 'JPEG answer with boxes and names', { type: 'boolean' }), queryParam('attributes', RECOGNISE_ATTRIBUTES.description, { type: 'string' }), queryParam('requireLive', RECOGNISE_REQUIRE_LIVE.description, { type: 'boolean' })],
          responses: {
            200: {
              description: 'the faces found, best detections first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object', properties: {
                      width: { type: 'integer' }, height: { type: 'integer' }, modelId: { type: 'string' }, threshold: { type: 'number' },
                      strategy: { type: 'string' }, faceLimit: { type: 'integer', description: 'at most this many faces are analysed per image' },
                      faces: { type: 'array', items: ref('RecognisedFace') },
                    },
                  },
                  example: EXAMPLES.recognise,
                },
                'image/jpeg': { schema: { type: 'string', format: 'binary' } },
              },
            },
            ...errors(400, 401, 403, 413, 415, 503),
          },
        }),
      },
      '/v1/verify': {
        post: op('recognition', 'Whether two photos (a, b), or a photo and an enrolled subject, show the same person', {
          requestBody: imageBody({ a: 'first photo (or "image" with "subject")', b: 'second photo', image: 'the photo compared with "subject"' }, { subject: { type: 'string', description: 'subject id or name: compare "image" (or "a") with its closest face' }, threshold: OPTIONS.threshold, requireLive: { type: 'boolean', description: 'refuse (422 VISAGE_ERR_NOT_LIVE) when a compared face is called a spoof' } }, false),
          responses: {
            200: json({ type: 'object', properties: { same: { type: 'boolean' }, similarity: { type: 'number' }, threshold: { type: 'number' }, modelId: { type: 'string' }, a: { type: 'object' }, b: { type: 'object' }, image: { type: 'object' }, subject: { type: 'object' }, refused: { type: 'string', enum: ['negative'], description: 'set (same false) when the face is one of the subject\'s negative examples ("not this person")' } } }, 'the decision; the largest face of each photo is compared', EXAMPLES.verify),
            ...errors(400, 401, 403, 404, 413, 415, 422, 503),
          },
        }),
      },
      '/v1/detect': {
        post: op('recognition', 'Faces in an image: boxes and detector scores', {
          requestBody: imageBody({ image: 'the photo' }, { minScore: { type: 'number', minimum: 0, maximum: 1 } }),
          responses: { 200: json({ type: 'object', properties: { width: { type: 'integer' }, height: { type: 'integer' }, faces: { type: 'array', items: { type: 'object', properties: { box: ref('Box'), score: { type: 'number' } } } } } }, 'OK', EXAMPLES.detect), ...errors(400, 401, 403, 413, 415, 503) },
        }),
      },
      '/v1/liveness': {
        post: op('recognition', 'Is a live person in front of the camera? Webcam frames in time order: a blink or head turn (active) and the liveness model (passive)', {
          description: 'The largest face of each frame: its 68 landmarks give the head\'s yaw and the eyes\' state; `active.passed` when a blink (eyes closed then open) or a head turn of 20 degrees or more is seen (`challenge`: blink, turn or either, the default) in at least 5 frames with a face. A still photo or screen gives the same landmarks in every frame; a flat picture turned in the hand keeps its yaw. `passive` is the liveness model\'s median call over the frames. `live` needs both. 3 frames at least; at most the server\'s images per request (10 by default).',
          requestBody: imageBody({ image: 'the frames, in time order (repeat the field)' }, { challenge: { type: 'string', enum: ['blink', 'turn', 'either'] }, passive: { type: 'boolean', description: 'run the passive model too (default true)' } }, false),
          responses: { 200: json({ type: 'object', properties: { live: { type: 'boolean' }, active: { type: 'object' }, passive: { type: ['object', 'null'] }, reason: { type: 'string' } } }, 'OK', EXAMPLES.liveness), ...errors(400, 401, 403, 413, 415, 503) },
        }),
      },
      '/v1/lookalike': {
        get: op('recognition', 'The look-alike galleries this server was started with', {
          responses: { 200: json({ type: 'object', properties: { galleries: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, subjects: { type: 'integer' }, faces: { type: 'integer' } } } } } }, 'OK', EXAMPLES.lookalikeList), ...errors(401, 403) },
        }),
      },
      '/v1/lookalike/{gallery}': {
        post: op('recognition', 'The nearest people of a look-alike gallery to the largest face of a photo, with a similarity percentage', {
          parameters: [pathParam('gallery', 'look-alike gallery name (GET /v1/lookalike)', 'celebrities')],
          requestBody: imageBody({ image: 'the photo' }, { k: { type: 'integer', minimum: 1, maximum: 50, description: 'how many people (default 5)' } }),
          responses: {
            200: json({ type: 'object', properties: { gallery: { type: 'string' }, face: { type: 'object' }, matches: { type: 'array', items: { type: 'object', properties: { subjectId: { type: 'integer' }, name: { type: 'string' }, similarity: { type: 'number' }, percent: { type: 'number', description: 'cosine similarity × 100, floored at 0' } } } } } }, 'OK', EXAMPLES.lookalike),
            ...errors(400, 401, 403, 404, 413, 415, 503),
          },
        }),
      },
      '/v1/classifiers': {
        get: op('recognition', 'The trained classifiers this server was started with (visage serve --model NAME=FILE.visage)', {
          responses: { 200: json({ type: 'object', properties: { classifiers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' }, classes: { type: 'array', items: { type: 'string' } }, embedders: { type: 'array', items: { type: 'string' } }, threshold: { type: 'number' } } } } } }, 'OK', EXAMPLES.classifiers), ...errors(401, 403) },
        }),
      },
      '/v1/classify/{model}': {
        post: op('recognition', 'Every face of an image named by a trained classifier (a class, or UNKNOWN under its threshold)', {
          parameters: [pathParam('model', 'classifier name (GET /v1/classifiers)', 'celeb5')],
          requestBody: imageBody({ image: 'the photo' }, { threshold: { type: 'number', description: "confidence under which a face is UNKNOWN (default: the model's)" } }),
          responses: {
            200: json({ type: 'object', properties: { model: { type: 'string' }, classes: { type: 'array', items: { type: 'string' } }, threshold: { type: 'number' }, faces: { type: 'array', items: { type: 'object', properties: { box: ref('Box'), score: { type: 'number' }, label: { type: 'string' }, top: { type: 'string' }, probability: { type: 'number' }, confidence: { type: 'number' } } } } } }, 'OK', EXAMPLES.classify),
            ...errors(400, 401, 403, 404, 413, 415, 503),
          },
        }),
      },
      '/v1/subjects': {
        get: op('subjects', 'Every enrolled person', { responses: { 200: json({ type: 'object', properties: { subjects: { type: 'array', items: ref('Subject') } } }, 'OK', EXAMPLES.subjects), ...errors(401, 403) } }),
        post: op('subjects', 'Create a person (admin)', {
          requestBody: jsonBody(schemas.subjectCreate, EXAMPLES.subjectCreate),
          responses: { 201: json(ref('Subject'), 'created', EXAMPLES.subject), ...errors(400, 401, 403, 409, 415) },
        }),
      },
      '/v1/subjects/{subject}': {
        parameters: [SUBJECT],
        get: op('subjects', 'One person', { responses: { 200: json(ref('Subject'), 'OK', EXAMPLES.subject), ...errors(401, 403, 404) } }),
        patch: op('subjects', 'Rename a person (admin)', {
          requestBody: jsonBody(schemas.subjectRename, EXAMPLES.subjectRename),
          responses: { 200: json(ref('Subject'), 'OK', EXAMPLES.renamed), ...errors(400, 401, 403, 404, 409) },
        }),
        delete: op('subjects', 'Delete a person with their faces and thumbnails (admin)', { responses: { 200: json({ type: 'object', properties: { deleted: ref('Subject'), deletedFaces: { type: 'integer' } } }, 'OK', EXAMPLES.subjectDeleted), ...errors(401, 403, 404) } }),
      },
      '/v1/subjects/{subject}/faces': {
        parameters: [SUBJECT],
        get: op('subjects', 'The faces of a person', { responses: { 200: json({ type: 'object', properties: { subject: ref('Subject'), faces: { type: 'array', items: ref('Face') } } }, 'OK', EXAMPLES.faces), ...errors(401, 403, 404) } }),
        post: op('subjects', 'Enrol faces from uploaded photos, one face per photo (admin); create=true creates a new person', {
          description: 'Each photo must show one face of sufficient quality (else it is skipped, with the reason: no-face, several-faces, low-quality, already-enrolled). `largest=true` takes the largest face of a photo with several. A 128-px JPEG thumbnail of each face is kept by the server.\n\n'
            + 'A subject that does not exist is a 404 (`VISAGE_ERR_UNKNOWN_SUBJECT`) unless `create=true` is given in the query: then the subject (named by the path) is created with its first added face, and `created` is true. When every photo is skipped nobody is created and `subject` is null. A subject is created by name only: an unknown id (digits) stays a 404.\n\n'
            + 'Quality gate: `minSize` (px, default 32), `minSharpness` (5), `minFrontalness` (0.2), `minScore` (0) and `maxEyesClosed` (0.9999; where faceplugin-face-recognition-js is installed) change its limits for this request; `qualityGate=false` turns it off. A skipped photo carries `refusals` (each limit broken: reason small, blurred, turned-away, low-score or eyes-closed, its value and the limit). When every photo of the request fails the gate, the answer is 422 `VISAGE_ERR_LOW_QUALITY` naming the reasons.',
          parameters: [queryParam('create', 'create the subject named in the path when it does not exist (default false)', { type: 'boolean', default: false }), queryParam('largest', 'take the largest face of a photo with several', { type: 'boolean', default: false }), queryParam('requireLive', 'skip photos whose face the liveness model calls a spoof (reason not-live)', { type: 'boolean', default: false }),
            queryParam('minSize', 'quality gate: smallest face side, pixels (default 32)', { type: 'number', minimum: 0 }), queryParam('minSharpness', 'quality gate: variance of the Laplacian of the aligned face (default 5)', { type: 'number', minimum: 0 }),
            queryParam('minFrontalness', 'quality gate: 1 frontal .. 0 at 90 degrees (default 0.2)', { type: 'number', minimum: 0, maximum: 1 }), queryParam('minScore', 'quality gate: detector score (default 0)', { type: 'number', minimum: 0, maximum: 1 }),
            queryParam('maxEyesClosed', 'quality gate: largest probability that both eyes are closed (default 0.9999; 1 no check)', { type: 'number', minimum: 0, maximum: 1 }), queryParam('qualityGate', 'false: no quality gate', { type: 'boolean', default: true })],
          requestBody: imageBody({ image: 'one or more photos (repeat the field; in JSON, "images": [...])' }, { largest: { type: 'boolean' } }),
          responses: {
            201: json({
              type: 'object', properties: {
                subject: { anyOf: [ref('Subject'), { type: 'null' }] }, created: { type: 'boolean', description: 'this request created the subject (create=true)' },
                added: { type: 'integer' }, skipped: { type: 'integer' }, results: { type: 'array', items: { type: 'object' } },
              },
            }, 'at least one face added', EXAMPLES.enrolled),
            200: json({ type: 'object' }, 'nothing added (every photo skipped; see results)', EXAMPLES.nothingEnrolled),
            ...errors(400, 401, 403, 404, 413, 415, 422, 503),
          },
        }),
      },
      '/v1/subjects/{subject}/faces/{face}': {
        parameters: [SUBJECT, FACE],
        delete: op('subjects', 'Delete one face (admin)', { responses: { 200: json({ type: 'object', properties: { deleted: ref('Face') } }, 'OK', EXAMPLES.faceDeleted), ...errors(400, 401, 403, 404) } }),
      },
      '/v1/subjects/{subject}/faces/{face}/thumbnail': {
        parameters: [SUBJECT, FACE],
        get: op('subjects', 'The 128-px JPEG of one face (faces enrolled through the server only)', { responses: { 200: { description: 'JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, ...errors(400, 401, 403, 404) } }),
      },
      '/v1/subjects/{subject}/thumbnail': {
        parameters: [SUBJECT],
        get: op('subjects', 'The picture of a person: the thumbnail of their largest face', { responses: { 200: { description: 'JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, ...errors(401, 403, 404) } }),
      },
      '/v1/keys': {
        get: op('keys', 'Every API key (secrets are never shown again)', { responses: { 200: json({ type: 'object', properties: { keys: { type: 'array', items: ref('ApiKey') } } }, 'OK', EXAMPLES.keys), ...errors(401, 403) } }),
        post: op('keys', 'Create an API key: the answer shows the key once', {
          requestBody: jsonBody(schemas.keyCreate, EXAMPLES.keyCreate),
          responses: { 201: json({ allOf: [ref('ApiKey'), { type: 'object', properties: { key: { type: 'string' } } }] }, 'created', EXAMPLES.keyCreated), ...errors(400, 401, 403) },
        }),
      },
      '/v1/keys/{id}': {
        parameters: [pathParam('id', 'key id', '1')],
        delete: op('keys', 'Revoke an API key (at once)', { responses: { 200: json({ type: 'object', properties: { revoked: ref('ApiKey') } }, 'OK', EXAMPLES.keyRevoked), ...errors(400, 401, 403, 404) } }),
      },
      ...negativePaths(op),
      ...jobPaths(op),
      ...clusterPaths(op, JOB_SCHEMA),
      ...videoPaths(op),
      '/v1/info': {
        get: op('system', 'Model, threshold, gallery size, limits and auth mode', { responses: { 200: json({ type: 'object' }, 'OK', EXAMPLES.info), ...errors(401, 403) } }),
      },
      '/v1/metrics': {
        get: op('system', 'Request counts and latencies per route (p50/p90/p99 of the last 1,000), queue, uploads held, event-loop delay, memory', { responses: { 200: json({ type: 'object' }, 'OK', EXAMPLES.metrics), ...errors(401, 403) } }),
      },
      '/health': { get: op('system', 'Liveness, queue length, bytes of uploads held and, on a PostgreSQL gallery, where the index stands against the database (no key needed)', { responses: { 200: json({ type: 'object', properties: { status: { type: 'string' }, version: { type: 'string' }, uptimeSeconds: { type: 'integer' }, queue: { type: 'object' }, uploads: { type: 'object', description: 'request bodies held now, the peak, the maximum (maxBufferedBytes) and requests refused for want of room' }, sync: { type: 'object', description: 'PostgreSQL gallery only: this node\'s search index against the database: listening (the LISTEN connection is up), sequence (the change log sequence the index reflects), databaseSequence (the latest read), lag (their difference), msSinceApplied, msSinceCurrent, failures (catch-ups failed in a row), safetyPeriodMs' }, search: { type: 'object', description: 'once the search index is loaded: state exact (every face scored), building (the approximate index is being built in the background; searches are exact meanwhile: phase, progress 0-1, buildingSeconds) or ready (lists, probes, rerank, trainedRows, builtInSeconds); faces' } } }, 'OK', EXAMPLES.health) } }, false) },
      '/v1/health': { get: op('system', 'The same as /health', { responses: { 200: json({ type: 'object' }, 'OK', EXAMPLES.health) } }, false) },
      '/openapi.json': { get: op('system', 'This document', { responses: { 200: json({ type: 'object' }, 'OK', { openapi: '3.1.0', info: { title: 'Visage REST API', version: '0.1.0' }, paths: { '/v1/recognise': { post: { summary: '...' } } } }) } }, false) },
      '/docs': { get: op('system', 'This document as a web page', { responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' }, example: '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Visage REST API</title>' } } } } }, false) },
      '/': { get: op('system', 'The web page: people, enrol by upload, recognise, verify, look-alike', { responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' }, example: '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Visage</title>' } } } } }, false) },
      '/app.js': { get: op('system', 'The web page\'s script', { responses: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' }, example: '// The Visage web page: people with thumbnails, enrol by upload or by webcam pictures, ...' } } } } }, false) },
      '/people.js': { get: op('system', 'The web page\'s "People to name" script', { responses: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' }, example: '// "People to name" on the Visage web page: photos added to /v1/clusters, ...' } } } } }, false) },
      '/videos.js': { get: op('system', 'The web page\'s video section', { responses: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' }, example: '// The web page\'s video section: upload a video (POST /v1/videos), follow its job\'s progress, ...' } } } } }, false) },
      '/liveness.js': { get: op('system', 'The web page\'s webcam liveness check', { responses: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' }, example: '// The webcam\'s active liveness check: ...' } } } } }, false) },
      '/common.js': { get: op('system', 'What the web page\'s scripts share (API calls with the key, elements)', { responses: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' }, example: '// What every script of the Visage web page shares: ...' } } } } }, false) },
      '/style.css': { get: op('system', 'The web page\'s style sheet', { responses: { 200: { description: 'CSS', content: { 'text/css': { schema: { type: 'string' }, example: 'body { font-family: system-ui, sans-serif; }' } } } } }, false) },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer', description: 'the same API key as a bearer token' },
      },
      schemas: {
        Box: schemas.box, Quality: schemas.quality, Candidate: schemas.candidate, Subject: schemas.subject, Face: schemas.face,
        RecognisedFace: schemas.recognisedFace, Error: schemas.error,
        ApiKey: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, scope: { type: 'string', enum: ['admin', 'recognise'] }, prefix: { type: 'string' }, created: { type: 'string' }, lastUsed: { type: ['string', 'null'] }, revoked: { type: ['string', 'null'] } } },
        ErrorCode: { type: 'string', enum: allErrorCodes().map((e) => e.code) },
      },
      responses: Object.fromEntries([400, 401, 403, 404, 409, 413, 415, 422, 503].map((status) => [`E${status}`, {
        description: allErrorCodes().filter((e) => e.status === status).map((e) => `${e.code}: ${e.message}`).join('; '),
        content: { 'application/json': { schema: ref('Error'), example: EXAMPLES.errors[status] } },
      }])),
    },
  };
}
