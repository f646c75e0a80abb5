// /v1/videos: a video's faces as tracks, each named once (Recognizer.video(), as `visage video`),
// run as a job: on the gallery's queue by `visage worker` processes, or in this process
// (LocalJobRunner) when the server has no queue or is told to. Either way the job has the same
// contract (id, state, progress, result, error, cancel), and /v1/jobs shows it too.
//
// A video comes as a multipart file ("video"), as the request body (Content-Type video/* or
// application/octet-stream), or as JSON {"url": "https://... | rtsp://..."} (admin keys only: the
// server then connects where it is told). Uploads are streamed to a temporary file, never held in
// memory, and refused past maxBytes (413); the file is probed by ffmpeg before a job is made, so
// what is not a video is refused at once (400) rather than failing later.
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { LocalJobRunner } from '../../jobs/local.ts';
import { checkVideoJobOptions, urlForDisplay } from '../../jobs/kinds/video.ts';
import type { JobDetail, JobSummary, VideoJobOptions } from '../../jobs/types.ts';
import { timelineFacts, timelineRows, type VideoDocument } from '../../report/video-document.ts';
import { timelineCsv, timelineHtml } from '../../report/video-timeline.ts';
import { openVideo } from '../../video/source.ts';
import type { ServerContext } from '../context.ts';
import { MAX_FIELD_BYTES, safeFileName } from '../images.ts';
import { refuse } from '../refuse.ts';

export interface VideoLimits {
  /** Bytes of one uploaded video. */
  maxBytes: number;
  /** Seconds of video one job analyses at most (a longer upload is refused; a stream stops there). */
  maxSeconds: number;
}

export const DEFAULT_VIDEO_LIMITS: Readonly<VideoLimits> = Object.freeze({ maxBytes: 200 * 1024 * 1024, maxSeconds: 3600 });

export interface VideoRouteOptions {
  /** Where new video jobs go: the in-process runner when given, else the queue. */
  local: LocalJobRunner | null;
  queue: JobQueue | null;
  limits: VideoLimits;
}

/** The form fields and JSON members that are video options, as their types. */
const NUMBER_OPTIONS = ['fps', 'from', 'to', 'maxGap', 'tiledEvery', 'maxHeight', 'threshold', 'minSize', 'minSharpness', 'minFrontalness', 'minScore', 'maxEyesClosed', 'reidSimilarity'] as const;
/** Switches: true or false in JSON, "true"/"false" (or 1/0) in a form field or the query. */
const BOOLEAN_OPTIONS = ['qualityGate', 'reidentify'] as const;
const URL_SCHEMES = /^(https?|rtsps?):$/i;

/** The job's options from text fields or JSON members (numbers as numbers or text). */
function videoOptions(fields: Record<string, unknown>): VideoJobOptions {
  const known = [...NUMBER_OPTIONS, ...BOOLEAN_OPTIONS, 'strategy', 'everyFrame'] as string[];
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `unknown video option ${shown(key, 40)} (known: url, ${known.join(', ')})`);
  }
  const options: Record<string, unknown> = {};
  for (const key of NUMBER_OPTIONS) {
    const value = fields[key];
    if (value === undefined || value === '') continue;
    if (key === 'fps' && value === 'all') { options.fps = 'all'; continue; }
    const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(number)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${key} must be a number, got ${shown(String(value))}`);
    options[key] = number;
  }
  for (const key of BOOLEAN_OPTIONS) {
    const value = fields[key];
    if (value === undefined || value === '') continue;
    if (value === true || value === 'true' || value === '1') options[key] = true;
    else if (value === false || value === 'false' || value === '0') options[key] = false;
    else throw new VisageError('VISAGE_ERR_BAD_INPUT', `${key} must be true or false, got ${shown(String(value))}`);
  }
  // qualityGate true is the default gate: nothing to keep.
  if (options.qualityGate === true) delete options.qualityGate;
  const every = fields.everyFrame;
  if (every === true || every === 'true' || every === '1') {
    if (options.fps !== undefined) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'give fps or everyFrame, not both');
    options.fps = 'all';
  } else if (every !== undefined && every !== false && every !== 'false' && every !== '0' && every !== '') throw new VisageError('VISAGE_ERR_BAD_INPUT', `everyFrame must be true or false, got ${shown(String(every))}`);
  if (fields.strategy !== undefined && fields.strategy !== '') options.strategy = fields.strategy;
  return checkVideoJobOptions(options);
}

/** A job's webhook (POSTed each track event by whoever runs the job): admin keys only, as a URL source. */
function checkWebhook(request: FastifyRequest, webhook: unknown): string {
  if (request.apiKey && request.apiKey.scope !== 'admin') throw new VisageError('VISAGE_ERR_FORBIDDEN', `a webhook needs an admin key (the server connects to it); key ${request.apiKey.id} has scope ${request.apiKey.scope}`);
  let parsed: URL;
  try { parsed = new URL(String(webhook)); } catch { throw new VisageError('VISAGE_ERR_BAD_INPUT', `webhook is not a URL: ${shown(String(webhook))}`); }
  if (!/^https?:$/.test(parsed.protocol)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `webhook must be an http(s) URL, got ${shown(parsed.protocol)}`);
  return parsed.toString();
}

/** Streams a body (or a multipart file) into `target`, refusing it past `maxBytes`. */
async function saveStream(stream: Readable & { truncated?: boolean }, target: string, maxBytes: number, what: string): Promise<number> {
  let size = 0;
  const tooLarge = () => new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `${what} larger than this server takes (${maxBytes} bytes)`);
  await pipeline(stream, async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes || stream.truncated) throw tooLarge();
      yield chunk;
    }
  }, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
  if (stream.truncated) throw tooLarge();
  return size;
}

interface Received {
  file: string | null;
  name: string | null;
  size: number;
  fields: Record<string, unknown>;
}

/** The video (saved under `dir`) and the fields of a request, whichever encoding it uses. */
async function receive(request: FastifyRequest, dir: string, limits: VideoLimits): Promise<Received> {
  const received: Received = { file: null, name: null, size: 0, fields: {} };
  if (request.isMultipart()) {
    try {
      for await (const part of request.parts({ limits: { fileSize: limits.maxBytes, files: 1, fields: 20, fieldSize: MAX_FIELD_BYTES, parts: 21, headerPairs: 200 } })) {
        if (part.type === 'file') {
          if (part.fieldname !== 'video') {
            part.file.resume();
            throw new VisageError('VISAGE_ERR_BAD_INPUT', `send the video as the file field "video" (got ${shown(part.fieldname, 40)})`);
          }
          const name = safeFileName(part.filename) ?? 'video';
          received.file = path.join(dir, `upload${path.extname(name).replace(/[^.\w]/g, '').slice(0, 10)}`);
          received.name = name;
          received.size = await saveStream(part.file, received.file, limits.maxBytes, `"video" (${name})`);
        } else {
          if (part.valueTruncated) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `field "${part.fieldname.slice(0, 40)}" longer than ${MAX_FIELD_BYTES} bytes`);
          received.fields[part.fieldname] = String(part.value ?? '');
        }
      }
    } catch (error) {
      const e = error as { statusCode?: number; code?: string };
      if (error instanceof VisageError) throw error;
      if (e.code === 'FST_FILES_LIMIT') throw new VisageError('VISAGE_ERR_BAD_INPUT', 'one video per request');
      if (typeof e.statusCode === 'number' && e.statusCode === 413) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `request larger than this server takes (${(error as Error).message.slice(0, 100)})`);
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `malformed multipart body: ${(error as Error).message.slice(0, 200)}`);
    }
    return received;
  }
  const body = request.body;
  if (body && typeof (body as Readable).pipe === 'function') {
    const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim();
    received.file = path.join(dir, 'upload');
    received.name = safeFileName(String(request.headers['x-file-name'] ?? '')) ?? `video (${type})`;
    received.size = await saveStream(body as Readable, received.file, limits.maxBytes, 'the video');
    received.fields = { ...(request.query as Record<string, unknown>) };
    return received;
  }
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'the JSON body must be an object');
  received.fields = { ...(request.query as Record<string, unknown>), ...(body as Record<string, unknown> ?? {}) };
  return received;
}

/** The Content-Length of a request, null when not sent. */
function contentLength(request: FastifyRequest): number | null {
  const header = request.headers['content-length'];
  return typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : null;
}

/** A video job as /v1/videos shows it: state, progress in the video, error, and the result with thumbnail URLs. */
export function videoJson(job: JobDetail) {
  const base = `/v1/videos/${job.id}`;
  const video = job.video;
  const result = video?.result as (VideoDocument & Record<string, unknown>) | null | undefined;
  return {
    id: job.id, kind: job.kind, state: job.state, created: job.created, started: job.started, finished: job.finished,
    source: video?.source ?? null, options: (job.params.options ?? {}) as VideoJobOptions,
    progress: video?.progress ?? null, error: video?.error ?? null,
    result: result ? { ...result, tracks: result.tracks.map((t) => ({ ...t, thumbnail: t.thumbnail ? `${base}/${t.thumbnail}` : null })) } : null,
    links: { self: base, events: `${base}/events`, timelineCsv: `${base}/timeline.csv`, summaryHtml: `${base}/summary.html`, job: `/v1/jobs/${job.id}` },
  };
}

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The summary page: inline styles and its own thumbnails (data: URLs) only, no scripts.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** Video uploads received at once (each streams to a temporary file); more are refused with 503. */
const MAX_RECEIVING = 4;

export async function videoRoutes(app: FastifyInstance, context: ServerContext, options: VideoRouteOptions): Promise<void> {
  const { local, queue, limits } = options;
  let receiving = 0;
  const noRunner = () => new VisageError('VISAGE_ERR_JOBS_NEED_POSTGRES', 'this server runs no video jobs (started with video jobs on the queue, but it has no queue)');
  /** The runner holding a job: the in-process one when it has it, else the queue. */
  const runnerOf = (id: string): LocalJobRunner | JobQueue => {
    if (local?.has(id)) return local;
    if (queue) return queue;
    if (local) throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `no video job ${shown(id)}`);
    throw noRunner();
  };
  const videoJob = async (id: string): Promise<JobDetail> => {
    const job = await runnerOf(id).get(id, { limit: 0 });
    if (job.kind !== 'video') throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `job ${id} is not a video job (see /v1/jobs/${id})`);
    return job;
  };
  const resultOf = async (id: string): Promise<VideoDocument> => {
    const job = await videoJob(id);
    if (!job.video?.result) {
      throw new VisageError('VISAGE_ERR_NOT_FOUND', job.video?.error ? `video job ${id} failed: ${job.video.error.message}` : `video job ${id} has no result yet (${job.state}${job.video?.progress?.percent != null ? `, ${job.video.progress.percent}%` : ''})`);
    }
    return job.video.result as unknown as VideoDocument;
  };
  /** Whether the request's key may act on a job: admin keys, an open server, or the key that made it. */
  const mayChange = (request: FastifyRequest, job: JobSummary) => !request.apiKey || request.apiKey.scope === 'admin' || job.params.owner === request.apiKey.id;

  await app.register(async (scope) => {
    // Here a video may be the request body itself: streamed to the handler, not parsed.
    scope.removeContentTypeParser([/^video\//, 'application/octet-stream']);
    scope.addContentTypeParser(/^video\//, (_request, payload, done) => done(null, payload));
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

    scope.post('/v1/videos', {
      config: { scope: 'recognise' },
      // Refused unread when it says it is larger than a video may be (the multipart envelope allowed for).
      onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
        const length = contentLength(request);
        if (length !== null && length > limits.maxBytes + 64 * 1024) {
          return refuse(request, reply, 'VISAGE_ERR_PAYLOAD_TOO_LARGE', `request body of ${length} bytes is over this server's video limit of ${limits.maxBytes}`);
        }
        // No room for another job, or enough uploads coming in already: refused before the body is read.
        if (local && local.waiting >= local.maxQueued) return refuse(request, reply, 'VISAGE_ERR_BUSY', `the server is busy: ${local.waiting} video(s) waiting; try again later`);
        if (receiving >= MAX_RECEIVING) return refuse(request, reply, 'VISAGE_ERR_BUSY', `the server is receiving ${receiving} videos already; try again shortly`);
        return undefined;
      },
    }, async (request, reply) => {
      if (!local && !queue) throw noRunner();
      const dir = await mkdtemp(path.join(tmpdir(), 'visage-upload-'));
      let kept = false;
      receiving++;
      try {
        const received = await receive(request, dir, limits);
        const { url, webhook, ...rest } = received.fields;
        const jobOptions = videoOptions(rest);
        const params: Record<string, unknown> = { owner: request.apiKey?.id ?? null };
        if (webhook !== undefined && webhook !== '') params.webhook = checkWebhook(request, webhook);
        let summary: JobSummary;
        if (url !== undefined && url !== '') {
          if (received.file) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'send a video or a url, not both');
          if (request.apiKey && request.apiKey.scope !== 'admin') throw new VisageError('VISAGE_ERR_FORBIDDEN', `a video by URL needs an admin key (the server connects to it); key ${request.apiKey.id} has scope ${request.apiKey.scope}: upload the video instead`);
          let parsed: URL;
          try { parsed = new URL(String(url)); } catch { throw new VisageError('VISAGE_ERR_BAD_INPUT', `url is not a URL: ${shown(String(url))}`); }
          if (!URL_SCHEMES.test(parsed.protocol)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `url must be http(s):// or rtsp(s)://, got ${shown(parsed.protocol)}`);
          const from = jobOptions.from ?? 0;
          if (jobOptions.to === undefined) jobOptions.to = from + limits.maxSeconds;
          if (jobOptions.to - from > limits.maxSeconds) throw new VisageError('VISAGE_ERR_BAD_INPUT', `from-to spans ${jobOptions.to - from} s: at most ${limits.maxSeconds} s per job`);
          const video = { url: parsed.toString(), name: urlForDisplay(parsed.toString()) };
          summary = local ? local.submitVideo(video, jobOptions, { params }) : await queue!.submitVideo(video, jobOptions, { seconds: jobOptions.to - from, params });
        } else {
          if (!received.file) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'no video: send a multipart file "video", the video as the body (Content-Type video/*), or JSON {"url": ...}');
          if (received.size === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'the video is empty (0 bytes)');
          // ffmpeg says what it is now: not a video, a still image, an unreadable file: 400 here, not a failed job later.
          const probe = await openVideo(received.file, { fps: 1, from: jobOptions.from, to: jobOptions.to, timeoutMs: 15_000 }).catch((error: VisageError) => {
            if (error.code === 'VISAGE_ERR_VIDEO_DECODE') {
              throw new VisageError('VISAGE_ERR_VIDEO_DECODE', error.message.split(received.file!).join(received.name ?? 'the upload').replace('(visage identify reads images)', '(POST /v1/recognise reads images)'));
            }
            throw error;
          });
          const info = probe.info;
          await probe.close();
          const seconds = info.duration;
          if (seconds !== null && seconds > limits.maxSeconds) {
            throw new VisageError('VISAGE_ERR_BAD_INPUT', `the video runs ${seconds.toFixed(1)} s: at most ${limits.maxSeconds} s per job (send a part: from, to)`);
          }
          params.video = { width: info.width, height: info.height, codec: info.codec, duration: info.sourceDuration, bytes: received.size };
          const name = received.name ?? 'video';
          if (local) {
            summary = local.submitVideo({ file: received.file, name }, jobOptions, { params, cleanup: () => rm(dir, { recursive: true, force: true }) });
            kept = true;
          } else {
            summary = await queue!.submitVideo({ data: await readFile(received.file), name }, jobOptions, { seconds, params });
          }
        }
        const runner = local ?? queue!;
        reply.code(202).header('location', `/v1/videos/${summary.id}`);
        return videoJson(await runner.get(summary.id, { limit: 0 }));
      } finally {
        receiving--;
        if (!kept) await rm(dir, { recursive: true, force: true });
      }
    });
  });

  app.get('/v1/videos', { config: { scope: 'recognise' } }, async (request) => {
    if (!local && !queue) throw noRunner();
    const query = request.query as Record<string, string | undefined>;
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new VisageError('VISAGE_ERR_BAD_INPUT', `limit must be a whole number from 1 to 1000, got ${shown(query.limit)}`);
    const lists = await Promise.all([local?.list({ limit, kinds: ['video'] }) ?? [], queue?.list({ limit, kinds: ['video'] }) ?? []]);
    const jobs = lists.flat().filter((job) => mayChange(request, job)).sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0)).slice(0, limit);
    const details = await Promise.all(jobs.map((job) => runnerOf(job.id).get(job.id, { limit: 0 })));
    return { videos: details.map((job) => { const { result, ...rest } = videoJson(job); return { ...rest, tracks: result?.tracks.length ?? null }; }) };
  });

  app.get<{ Params: { id: string } }>('/v1/videos/:id', { config: { scope: 'recognise' } }, async (request) => videoJson(await videoJob(request.params.id)));

  const cancel = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const job = await videoJob(request.params.id);
    if (!mayChange(request, job)) throw new VisageError('VISAGE_ERR_FORBIDDEN', 'this video job was submitted with another key (an admin key may cancel it)');
    return videoJson(await runnerOf(job.id).cancel(job.id));
  };
  app.post<{ Params: { id: string } }>('/v1/videos/:id/cancel', { config: { scope: 'recognise' } }, cancel);
  app.delete<{ Params: { id: string } }>('/v1/videos/:id', { config: { scope: 'recognise' } }, cancel);

  app.get<{ Params: { id: string; file: string } }>('/v1/videos/:id/thumbs/:file', { config: { scope: 'recognise' } }, async (request, reply) => {
    const { id, file } = request.params;
    if (!/^track-\d{1,9}\.jpg$/.test(file)) throw new VisageError('VISAGE_ERR_NOT_FOUND', `no thumbnail ${shown(file)} (thumbs/track-N.jpg)`);
    await videoJob(id);
    const found = await runnerOf(id).file(id, `thumbs/${file}`);
    if (!found) throw new VisageError('VISAGE_ERR_NOT_FOUND', `video job ${id} has no thumbnail ${file}`);
    return reply.header('cache-control', 'private, max-age=86400').type(found.type).send(Buffer.from(found.data.buffer, found.data.byteOffset, found.data.byteLength));
  });

  app.get<{ Params: { id: string } }>('/v1/videos/:id/timeline.csv', { config: { scope: 'recognise' } }, async (request, reply) => {
    const result = await resultOf(request.params.id);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="timeline-${request.params.id.slice(0, 8)}.csv"`).send(timelineCsv(timelineRows(result.tracks)));
  });

  app.get<{ Params: { id: string } }>('/v1/videos/:id/summary.html', { config: { scope: 'recognise' } }, async (request, reply) => {
    const id = request.params.id;
    const result = await resultOf(id);
    // The thumbnails go inside the page (data: URLs): a browser opening this page sends no API key
    // with its <img> requests, so thumbs/track-N.jpg links would not load.
    const tracks = await Promise.all(timelineRows(result.tracks).map(async (t) => {
      const name = t.thumbnail?.match(/^thumbs\/(track-\d{1,9}\.jpg)$/)?.[1];
      const found = name ? await runnerOf(id).file(id, `thumbs/${name}`) : null;
      return { ...t, thumbnail: found ? `data:${found.type};base64,${Buffer.from(found.data.buffer, found.data.byteOffset, found.data.byteLength).toString('base64')}` : null };
    }));
    return reply.headers(HTML_HEADERS).send(timelineHtml({
      title: `Faces in ${result.source}`, from: result.video.from, duration: result.seconds, facts: timelineFacts(result, 'this server\'s gallery'), tracks,
    }));
  });
}
