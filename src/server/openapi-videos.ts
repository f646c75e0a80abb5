// The /v1/videos paths of the OpenAPI document (routes/videos.ts), with examples from a run of this
// server: 2.1 s of media/hamilton_clip.mp4 uploaded at 3 frames/s, Lin-Manuel Miranda enrolled
// from three other frames of the clip, done in process.

type Json = Record<string, unknown>;

const json = (schema: unknown, description: string, example: unknown) => ({ description, content: { 'application/json': { schema, example } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const ID = { name: 'id', in: 'path', required: true, description: 'video job id (a UUID)', schema: { type: 'string', format: 'uuid' }, example: '3a9f6b79-cc86-4335-ab1b-e0a42a8ef120' };

const done = {
  id: '3a9f6b79-cc86-4335-ab1b-e0a42a8ef120',
  kind: 'video',
  state: 'completed',
  created: '2026-12-07T16:18:38.488Z',
  started: '2026-12-07T16:18:38.488Z',
  finished: '2026-12-07T16:18:39.350Z',
  source: 'lin.mp4',
  options: {fps: 3},
  progress: {seconds: 2.1, duration: 2.1, frames: 6, percent: 100, framesPerSecond: 6.98, speed: 2.33, etaSeconds: 0},
  error: null,
  result: {
    source: 'lin.mp4',
    modelId: 'fusion',
    threshold: 0.9038,
    strategy: 'mean-template',
    video: {source: 'lin.mp4', kind: 'file', width: 640, height: 360, sourceFps: 29.97, fps: 3, duration: 2.1, sourceDuration: 2.1, codec: 'h264', from: 0},
    frames: 6,
    seconds: 2,
    elapsedMs: 859,
    speed: 2.3283,
    stopped: false,
    decodeErrors: 0,
    truncatedFrames: 0,
    endedEarly: null,
    tracks: [
      {id: 1, subject: 'Lin-Manuel Miranda', subjectId: 1, label: 'Lin-Manuel Miranda', start: 0, end: 1.6667, frames: 6, embedded: 3, confidence: 0.6475, similarity: 0.9331, votes: [{label: 'Lin-Manuel Miranda', subjectId: 1, weight: 1.3729, faces: 2}, {label: 'UNKNOWN', subjectId: null, weight: 0.7474, faces: 1}], bestFace: {time: 0.3333, box: {x: 229.3523, y: 37.3337, width: 92.0241, height: 117.7513}, quality: {size: 92.0241, sharpness: 139.5815, frontalness: 0.9901}, weight: 0.7474}, endReason: 'end', thumbnail: '/v1/videos/3a9f6b79-cc86-4335-ab1b-e0a42a8ef120/thumbs/track-1.jpg'},
    ],
    people: [{label: 'Lin-Manuel Miranda', subject: 'Lin-Manuel Miranda', tracks: [1], seconds: 2.0, appearances: [[0, 1.6667]]}],
    faces: {detected: 6, embedded: 3, rejected: 0},
    timingsMs: {decode: 31, detect: 340, check: 7, embed: 290, track: 5},
    settings: {modelId: 'fusion', sameSimilarity: 0.8206, vetoSimilarity: 0.6206, doubtSimilarity: 0.7206, maxGap: 1.5, refreshSeconds: 1, minEmbeddings: 3, flip: true, tiledEvery: 1, identify: true},
  },
  links: {self: '/v1/videos/3a9f6b79-cc86-4335-ab1b-e0a42a8ef120', events: '/v1/videos/3a9f6b79-cc86-4335-ab1b-e0a42a8ef120/events', timelineCsv: '/v1/videos/3a9f6b79-cc86-4335-ab1b-e0a42a8ef120/timeline.csv', summaryHtml: '/v1/videos/3a9f6b79-cc86-4335-ab1b-e0a42a8ef120/summary.html', job: '/v1/jobs/3a9f6b79-cc86-4335-ab1b-e0a42a8ef120'},
};
const running = { ...done, state: 'running', finished: null, progress: {seconds: 0, duration: 2.1, frames: 1, percent: 0, framesPerSecond: 2.15, speed: 0, etaSeconds: null}, result: null };
const submitted = { ...running, progress: null };

const OPTIONS: Record<string, Json> = {
  fps: { oneOf: [{ type: 'number', minimum: 0.01, maximum: 1000 }, { const: 'all' }], description: 'frames analysed per second of video (default 5); "all": every frame' },
  everyFrame: { type: 'boolean', description: 'the same as fps=all' },
  from: { type: 'number', minimum: 0, description: 'seconds into the video to start at' },
  to: { type: 'number', description: 'seconds into the video to stop at (a URL: default from + the server\'s maxSeconds)' },
  maxGap: { type: 'number', description: 'a track ends when its face is unseen this many seconds (default 1.5)' },
  tiledEvery: { type: 'number', description: 'seconds between frames searched with tiles for small faces (default 2; 0: every frame)' },
  maxHeight: { type: 'integer', minimum: 16, description: 'shrink taller frames to this many pixels first (faster, loses small faces)' },
  threshold: { type: 'number', minimum: -1, maximum: 1, description: 'similarity a face\'s match needs (default: the server\'s)' },
  strategy: { type: 'string', enum: ['mean-template', 'best-face'] },
  minSize: { type: 'number', minimum: 0, description: 'the vote\'s quality gate: a face with a shorter side under this many pixels is tracked but does not vote (default 32)' },
  minSharpness: { type: 'number', minimum: 0, description: 'quality gate: variance of the Laplacian of the aligned face (default 5)' },
  minFrontalness: { type: 'number', minimum: 0, maximum: 1, description: 'quality gate: how frontal the face is, 0-1 (default 0.2)' },
  minScore: { type: 'number', minimum: 0, maximum: 1, description: 'quality gate: the detector\'s score (default 0)' },
  maxEyesClosed: { type: 'number', minimum: 0, maximum: 1, description: 'quality gate: largest probability that both eyes are closed (default 1: no check; the eye net costs per embedded face)' },
  qualityGate: { type: 'boolean', description: 'false: no quality gate, every embedded face votes (not with the limits above)' },
  reidentify: { type: 'boolean', description: 'join a track to an earlier one of the same person, one id with a segment per stay (default true; false: every stay its own track)' },
  reidSimilarity: { type: 'number', minimum: -1, maximum: 1, description: 'template similarity at which two tracks are the same person (default: the embedder\'s template threshold, fusion 0.8874)' },
};
const PROGRESS = {
  type: ['object', 'null'], description: 'where the video stands, in its own time (null before its first frame)',
  properties: {
    seconds: { type: 'number', description: 'seconds of video analysed (from "from")' }, duration: { type: ['number', 'null'], description: 'seconds to analyse (null: a live stream of unknown length)' },
    frames: { type: 'integer', description: 'sampled frames analysed' }, percent: { type: ['number', 'null'] }, framesPerSecond: { type: ['number', 'null'] },
    speed: { type: ['number', 'null'], description: 'seconds of video per second of work' }, etaSeconds: { type: ['integer', 'null'] },
  },
};
const TRACK = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, subject: { type: ['string', 'null'], description: 'the enrolled person, or null' }, subjectId: { type: ['integer', 'null'] },
    label: { type: 'string', description: 'the person\'s name, or unknown-k (strangers grouped within the video)' },
    start: { type: 'number', description: 'first seen, seconds from the video\'s start' }, end: { type: 'number', description: 'last seen' },
    frames: { type: 'integer', description: 'sampled frames the face was seen in' }, embedded: { type: 'integer' },
    segments: { type: 'array', items: { type: 'object', properties: { start: { type: 'number' }, end: { type: 'number' }, frames: { type: 'integer' } } }, description: 'each stay on screen: a person re-identified after an absence or a cut keeps one track id with several segments' },
    facesVoted: { type: 'integer' }, facesRefused: { type: 'integer', description: 'embedded faces the quality gate kept from the vote' }, refusalReasons: { type: 'object', description: 'faces refused per reason (small, blurred, turned-away, low-score, eyes-closed)' },
    reason: { type: ['string', 'null'], enum: ['low-quality', 'no-match', null], description: 'why the track is UNKNOWN: no face passed the quality gate, or the vote named nobody' },
    confidence: { type: 'number', description: 'the winner\'s share of the quality-weighted vote of the track\'s faces' }, similarity: { type: ['number', 'null'] },
    votes: { type: 'array', items: { type: 'object' } }, bestFace: { type: ['object', 'null'] }, endReason: { type: 'string', enum: ['gap', 'split', 'end'] },
    thumbnail: { type: ['string', 'null'], description: 'URL of the best face (128-px JPEG)' },
  },
};
const VIDEO_JOB = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' }, kind: { const: 'video' },
    state: { type: 'string', enum: ['queued', 'running', 'completed', 'cancelled'], description: 'completed: done or failed (see error); cancelled: stopped on request, with what was seen as the result' },
    created: { type: 'string' }, started: { type: ['string', 'null'] }, finished: { type: ['string', 'null'] },
    source: { type: 'string', description: 'the upload\'s file name, or the URL without credentials' }, options: { type: 'object' },
    progress: PROGRESS,
    error: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' } }, description: 'why the video failed (an unreachable stream, a video broken part way: what came before is still the result)' },
    result: {
      type: ['object', 'null'], description: 'once done: what `visage video --json` prints (thumbnails as URLs)',
      properties: {
        source: { type: 'string' }, modelId: { type: 'string' }, threshold: { type: 'number' }, strategy: { type: 'string' }, video: { type: 'object' },
        frames: { type: 'integer' }, seconds: { type: 'number' }, elapsedMs: { type: 'integer' }, speed: { type: 'number' }, stopped: { type: 'boolean' },
        tracks: { type: 'array', items: TRACK },
        people: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, subject: { type: ['string', 'null'] }, tracks: { type: 'array', items: { type: 'integer' } }, seconds: { type: 'number' }, appearances: { type: 'array', items: { type: 'array', items: { type: 'number' } } } } } },
        faces: { type: 'object' }, timingsMs: { type: 'object' }, settings: { type: 'object' },
        webhook: { type: 'object', description: 'only for a job given a webhook: its URL (without credentials) and the POSTs answered 2xx, failed (an error status, refused, or over 10 s) and never sent (over 100 waiting)', properties: { url: { type: 'string' }, posted: { type: 'integer' }, failed: { type: 'integer' }, dropped: { type: 'integer' } } },
      },
    },
    links: { type: 'object', properties: { self: { type: 'string' }, events: { type: 'string', description: 'the job\'s events as Server-Sent Events' }, timelineCsv: { type: 'string' }, summaryHtml: { type: 'string' }, job: { type: 'string' } } },
  },
};

/** The /v1/videos paths; `op` is the document's operation builder (tag, summary, details). */
export function videoPaths(op: (tag: string, summary: string, extra: Json) => Json): Json {
  const note = 'Runs as a job: on the gallery\'s queue, done by `visage worker` processes, when the server has one (PostgreSQL), else in the server\'s process, one video at a time (jobs there are lost on restart). `/v1/jobs/{id}` shows the same job.';
  return {
    '/v1/videos': {
      post: op('videos', 'Find, follow and name the faces of a video: creates a job', {
        description: `${note}\n\nThe video: a multipart file "video" (options as text fields), the request body itself (Content-Type video/*, options in the query, its name in X-File-Name), or JSON {"url": ...}, an http(s) or rtsp(s) URL (admin keys only: the server connects to it; a stream is read until "to", at most the server's maxSeconds). An upload is probed by ffmpeg first: what is not a video is refused here (400 VISAGE_ERR_VIDEO_DECODE), as is one over the server's size (413) or length (400) limit.\n\nEach track (a face followed from frame to frame) is named once, by a quality-weighted vote of its faces against the gallery, or unknown-k for strangers (grouped within the video).`,
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': { schema: { type: 'object', required: ['video'], properties: { video: { type: 'string', format: 'binary' }, ...OPTIONS } } },
            'video/mp4': { schema: { type: 'string', format: 'binary' }, description: 'also any video/* or application/octet-stream: the video alone, options in the query' },
            'application/json': {
              schema: { type: 'object', required: ['url'], properties: { url: { type: 'string', description: 'an http(s) or rtsp(s) URL' }, webhook: { type: 'string', description: 'admin keys only (also as a form field of an upload): an http(s) URL POSTed each track event as JSON (the data of GET /v1/videos/{id}/events\' track-start / track-end), in order, by whichever process runs the job (the queue\'s workers too); a failure is counted in result.webhook, never fatal' }, ...OPTIONS } },
              example: { url: 'rtsp://camera.local/stream1', to: 600, fps: 2, webhook: 'http://localhost:8123/hooks/door' },
            },
          },
        },
        responses: { 202: json(VIDEO_JOB, 'the job (Location: /v1/videos/{id})', submitted), ...errors(400, 401, 403, 413, 415, 503) },
      }),
      get: op('videos', 'The latest video jobs (a recognise key sees its own), newest first, without their tracks', {
        parameters: [{ name: 'limit', in: 'query', required: false, description: 'at most this many (default 50)', schema: { type: 'integer', minimum: 1, maximum: 1000 } }],
        responses: { 200: json({ type: 'object', properties: { videos: { type: 'array', items: VIDEO_JOB } } }, 'OK', { videos: [{ ...done, result: undefined, tracks: 1 }] }), ...errors(400, 401, 403) },
      }),
    },
    '/v1/videos/{id}': {
      parameters: [ID],
      get: op('videos', 'A video job: state, progress in the video, and once done its tracks and people', {
        responses: { 200: json(VIDEO_JOB, 'OK (while it runs: state running, progress, result null)', done), ...errors(401, 403, 404) },
      }),
      delete: op('videos', 'Cancel a video job (the same as POST /v1/videos/{id}/cancel)', { responses: { 200: json(VIDEO_JOB, 'cancelled (or already finished: unchanged)', { ...running, state: 'cancelled' }), ...errors(401, 403, 404) } }),
    },
    '/v1/videos/{id}/events': {
      parameters: [ID, { name: 'Last-Event-ID', in: 'header', required: false, description: 'the id of the last event received: only later ones are sent (a reconnecting EventSource sends it)', schema: { type: 'integer' } }],
      get: op('videos', 'A video job\'s events as they happen, as Server-Sent Events (for a live stream or camera)', {
        description: 'text/event-stream. A job run in this process: `track-start` and `track-end` as they happen (numbered `id:` lines; the data is the JSON line `visage video --events` prints), `progress` about once a second (not numbered), and last `done`, `failed` or `cancelled` whose data is the job as GET /v1/videos/{id} shows it; then the stream ends. A client connecting late gets the events so far first (up to 1000 kept per job, the oldest dropped first: `dropped` says how many it missed; jobs are kept in memory, lost on restart). A job on the queue runs in a worker process whose track events do not reach this server: its stream has `progress` (from the job record, once a second) and the same last event with the whole result; for each event as it happens, give such a job a `webhook`. A comment line every 15 s keeps proxies from closing a quiet stream. At most 64 streams are open at once (then 503).',
        responses: {
          200: { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' }, example: 'id: 1\nevent: track-start\ndata: {"type":"track-start","time":0.5,"track":{"id":1,"box":{"x":229.4,"y":37.3,"width":92.0,"height":117.8}}}\n\nevent: progress\ndata: {"seconds":1.5,"duration":null,"frames":4,"percent":null,"framesPerSecond":2.1,"speed":1.02,"etaSeconds":null}\n\nid: 2\nevent: track-end\ndata: {"type":"track-end","time":4.5,"track":{"id":1,"subject":null,"label":"unknown-1","start":0.5,"end":3,"frames":6,"confidence":1,"thumbnail":null}}\n\nid: 3\nevent: done\ndata: {"id":"3a9f6b79-cc86-4335-ab1b-e0a42a8ef120","kind":"video","state":"completed","result":{"tracks":[]}}\n\n' } } },
          ...errors(401, 403, 404, 503),
        },
      }),
    },
    '/v1/videos/{id}/cancel': {
      parameters: [ID],
      post: op('videos', 'Cancel a video job: a queued one never starts; one under way stops within about a second and keeps what it saw (result.stopped). A recognise key cancels its own jobs only', { responses: { 200: json(VIDEO_JOB, 'cancelled (or already finished: unchanged)', { ...running, state: 'cancelled' }), ...errors(401, 403, 404) } }),
    },
    '/v1/videos/{id}/thumbs/{file}': {
      parameters: [ID, { name: 'file', in: 'path', required: true, description: 'track-N.jpg', schema: { type: 'string' }, example: 'track-1.jpg' }],
      get: op('videos', 'The best face of a track: a 128-px JPEG (the URL in each track\'s "thumbnail")', { responses: { 200: { description: 'JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, ...errors(401, 403, 404) } }),
    },
    '/v1/videos/{id}/timeline.csv': {
      parameters: [ID],
      get: op('videos', 'The timeline as CSV, one row per track (as visage video --out writes it)', { responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' }, example: 'track,person,known,first_seen_s,last_seen_s,frames,confidence,similarity,thumbnail\n1,Lin-Manuel Miranda,yes,0.00,1.67,6,0.647,0.9331,thumbs/track-1.jpg\n' } } }, ...errors(401, 403, 404) } }),
    },
    '/v1/videos/{id}/summary.html': {
      parameters: [ID],
      get: op('videos', 'Who appears when, as a page (a strip per person, thumbnails, the tracks): the HTML summary of visage video --out', { responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } }, ...errors(401, 403, 404) } }),
    },
  };
}
