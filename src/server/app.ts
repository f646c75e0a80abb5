// buildApp(): the REST server as a Fastify instance that is not listening, so tests drive it with
// inject() and `visage serve` calls listen(). It sits on the recognition layer (Recognizer) and
// adds only transport: auth, limits, the inference queue, error mapping, metrics, documents.
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import multipart from '@fastify/multipart';
import { createVisage, type Visage } from '../visage.ts';
import type { VisageConfig } from '../config.ts';
import type { ClassifierModel } from '../classify/model.ts';
import type { Gallery } from '../gallery/gallery.ts';
import type { DecisionStrategy } from '../face/match/index.ts';
import { VisageError, shown } from '../errors.ts';
import { videoNotImageError } from '../face/image/video.ts';
import type { SearchOptions } from '../gallery/search.ts';
import type { QualityGate } from '../face/quality/gate.ts';
import { createRecognizer, type Recognizer } from '../recognition/index.ts';
import { authHook } from './auth.ts';
import { admissionHook } from './admission.ts';
import { discardRestOfBody } from './refuse.ts';
import { BodyBudget } from './budget.ts';
import { DEFAULT_LIMITS, JSON_BODY_LIMIT, MAX_LIMITS, type LookalikeGallery, type ServerContext, type ServerLimits } from './context.ts';
import { toErrorAnswer } from './errors.ts';
import { multipartLimits } from './images.ts';
import { Metrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { InferenceQueue } from './queue.ts';
import { classifyRoutes, type ServedClassifier } from './routes/classify.ts';
import { clusterRoutes } from './routes/clusters.ts';
import { jobRoutes } from './routes/jobs.ts';
import { keyRoutes } from './routes/keys.ts';
import { livenessRoutes } from './routes/liveness.ts';
import { recognitionRoutes } from './routes/recognition.ts';
import { subjectRoutes } from './routes/subjects.ts';
import { negativeRoutes } from './routes/negatives.ts';
import { systemRoutes } from './routes/system.ts';
import { DEFAULT_VIDEO_LIMITS, videoRoutes } from './routes/videos.ts';
import { videoEventRoutes } from './routes/video-events.ts';
import { LocalJobRunner } from '../jobs/local.ts';
import type { ServerStore } from './store.ts';
import { startIndexSync } from './sync.ts';
import type { JobQueue } from '../jobs/queue.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The routes of the app (method, URL pattern), HEAD left out. */
    visageRoutes: { method: string; url: string }[];
  }
}

export interface AppOptions {
  /** Faces and embeddings; left open by app.close(). Its maxInputPixels and maxFaces are the server's limits. */
  visage: Visage;
  /** Who is enrolled; left open by app.close(). */
  gallery: Gallery;
  /** API keys and thumbnails (openServerStore(gallery, ...): a SQLite file, or the PostgreSQL gallery's schema); left open. Without one: no keys, no thumbnails. */
  store?: ServerStore | null;
  /** Serve without a key while no key exists (only ever set for a loopback listener; see auth.ts). Default false. */
  openWithoutKeys?: boolean;
  /** Open-set threshold and strategy (default: the recognition layer's). */
  threshold?: number;
  strategy?: DecisionStrategy;
  /** How the search index scans faces (exact up to 1M faces, then approximate, by default). */
  search?: SearchOptions;
  /** Server-wide: refuse faces the liveness model calls a spoof at enrolment, verify and recognise, unless a request sends requireLive=false. Default false. */
  requireLive?: boolean;
  /** Server-wide enrolment quality gate: changes to ENROLMENT_GATE's limits; a request's limits apply over these. */
  enrolmentQuality?: Partial<QualityGate>;
  limits?: Partial<ServerLimits>;
  /** Look-alike galleries by name (e.g. { celebrities: gallery }); left open. */
  lookalike?: Record<string, Gallery>;
  /** Trained classifiers (.visage files, loadModel()) by name, served at /v1/classify/{name}. */
  classifiers?: Record<string, ClassifierModel>;
  /** The gallery's job queue (openJobQueue, PostgreSQL only); left open. Without one the /v1/jobs routes answer VISAGE_ERR_JOBS_NEED_POSTGRES. */
  jobs?: JobQueue | null;
  /** The folder under which /v1/jobs requests may name paths (default none: uploads only). */
  jobsRoot?: string | null;
  /** Video jobs (POST /v1/videos): where they run and their limits. */
  videos?: VideoServerOptions;
  /** Fastify's logger option (default off). */
  logger?: FastifyServerOptions['logger'];
}

export interface VideoServerOptions {
  /**
   * 'queue': on the gallery's job queue (`jobs`), done by `visage worker` processes; 'in-process':
   * in this process, one video at a time (LocalJobRunner; jobs are lost on restart). Default: the
   * queue when there is one, else in-process.
   */
  runner?: 'queue' | 'in-process';
  /** Videos analysed at once in-process (default 1). */
  concurrency?: number;
  /** Videos waiting in-process at most, then 503 (default 16). */
  maxQueued?: number;
  /** Finished in-process video jobs kept in memory with their results and events (default 100; the oldest go first). */
  keep?: number;
  /** Bytes of one uploaded video (default 200 MB). */
  maxBytes?: number;
  /** Seconds of video one job analyses at most (default 3600): longer uploads are refused, streams stop there. */
  maxSeconds?: number;
}

const OPTION_KEYS = new Set(['visage', 'gallery', 'store', 'openWithoutKeys', 'threshold', 'strategy', 'search', 'requireLive', 'enrolmentQuality', 'limits', 'lookalike', 'classifiers', 'logger', 'jobs', 'jobsRoot', 'videos']);
const VIDEO_OPTION_KEYS = new Set(['runner', 'concurrency', 'maxQueued', 'keep', 'maxBytes', 'maxSeconds']);
/** Pipeline settings a classifier's embeddings depend on (maxFaces is the server's limit, not one of them). */
const MODEL_PIPELINE_KEYS = ['detector', 'tiling', 'minScore', 'minFaceSize', 'landmarks', 'flip', 'maxWorkingPixels'] as const;

/** The Visage a classifier needs: the server's when it makes the same embeddings, else a new one (returned in `created`). */
async function visageFor(model: ClassifierModel, visage: Visage, created: Visage[]): Promise<Visage> {
  const pipeline = model.file.pipeline as Partial<VisageConfig>;
  const same = model.embedders.every((id) => (visage.config.embedders as readonly string[]).includes(id))
    && MODEL_PIPELINE_KEYS.every((key) => pipeline[key] === undefined || pipeline[key] === visage.config[key]);
  if (same) return visage;
  const settings = Object.fromEntries(MODEL_PIPELINE_KEYS.filter((key) => pipeline[key] !== undefined).map((key) => [key, pipeline[key]]));
  const own = await createVisage({
    ...settings, embedders: [...model.embedders] as VisageConfig['embedders'],
    maxFaces: visage.config.maxFaces, maxInputPixels: visage.config.maxInputPixels, modelDir: visage.config.modelDir, threads: visage.config.threads,
  });
  created.push(own);
  return own;
}
const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif', 'image/heic', 'image/heif', 'application/octet-stream'];

function checkLimits(limits: Partial<ServerLimits> = {}): ServerLimits {
  for (const key of Object.keys(limits)) {
    if (!(key in DEFAULT_LIMITS)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown server limit "${key}"; known: ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
  }
  const merged = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) } as ServerLimits;
  for (const [key, value] of Object.entries(merged) as [keyof ServerLimits, number][]) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_LIMITS[key]) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `server limit ${key} must be a whole number from 1 to ${MAX_LIMITS[key]}, got ${String(value)}`);
    }
  }
  if (merged.maxBufferedBytes < merged.maxBodyBytes) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `server limit maxBufferedBytes (${merged.maxBufferedBytes}) is smaller than maxBodyBytes (${merged.maxBodyBytes}): no upload could be taken`);
  }
  return merged;
}

/** Query parameters whose values are never written to a log. */
const SECRET_PARAMETER = /key|token|secret|pass|auth|sig/i;

/** A request URL for the log: API keys and secret-looking parameters replaced, the whole cut at 300 characters. */
export function urlForLog(url: string): string {
  const q = url.indexOf('?');
  let text = url;
  if (q >= 0) {
    const query = url.slice(q + 1).split('&').map((pair) => {
      const eq = pair.indexOf('=');
      return eq > 0 && SECRET_PARAMETER.test(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    });
    text = `${url.slice(0, q)}?${query.join('&')}`;
  }
  text = text.replace(/vsk_[A-Za-z0-9_%-]+/g, 'vsk_[redacted]');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Fastify's logger option with the request serializer that keeps secrets out of the log. */
function loggerOption(logger: AppOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = logger === true ? {} : logger as Exclude<FastifyServerOptions['logger'], boolean | undefined>;
  return {
    ...base,
    serializers: {
      req: (request: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: request.method, url: urlForLog(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort,
      }),
      ...(base as { serializers?: Record<string, unknown> }).serializers,
    },
  } as FastifyServerOptions['logger'];
}

/** Node's own refusals (headers too large, a timed-out or broken request) in the API's error shape. */
function clientErrorHandler(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'VISAGE_ERR_HEADERS_TOO_LARGE', 'request headers (or URL) larger than the server takes']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'VISAGE_ERR_BAD_INPUT', 'the request was not received in time']
      : [400, 'Bad Request', 'VISAGE_ERR_BAD_INPUT', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** The server, ready for inject() or listen(). close() closes what it opened (its Recognizers), not what it was given. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  if (!options?.visage || !options.gallery) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'buildApp needs a visage and a gallery');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown buildApp option "${key}"`);
  }
  const limits = checkLimits(options.limits);
  const videoOptions = options.videos ?? {};
  for (const key of Object.keys(videoOptions)) if (!VIDEO_OPTION_KEYS.has(key)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown video option "${key}"; known: ${[...VIDEO_OPTION_KEYS].join(', ')}`);
  const videoRunner = videoOptions.runner ?? (options.jobs ? 'queue' : 'in-process');
  if (videoRunner !== 'queue' && videoRunner !== 'in-process') throw new VisageError('VISAGE_ERR_BAD_OPTION', `videos.runner must be queue or in-process, got ${shown(String(videoRunner))}`);
  if (videoRunner === 'queue' && !options.jobs) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'videos.runner "queue" needs the gallery\'s job queue (jobs)');
  const videoLimits = { maxBytes: videoOptions.maxBytes ?? DEFAULT_VIDEO_LIMITS.maxBytes, maxSeconds: videoOptions.maxSeconds ?? DEFAULT_VIDEO_LIMITS.maxSeconds };
  if (!Number.isInteger(videoLimits.maxBytes) || videoLimits.maxBytes < 1) throw new VisageError('VISAGE_ERR_BAD_OPTION', `videos.maxBytes must be a whole number of bytes, got ${String(videoOptions.maxBytes)}`);
  if (!(videoLimits.maxSeconds > 0)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `videos.maxSeconds must be above 0, got ${String(videoOptions.maxSeconds)}`);
  const { visage, gallery } = options;
  const recognizers: Recognizer[] = [];
  const recognizer = await createRecognizer({
    visage, gallery, threshold: options.threshold, strategy: options.strategy, search: options.search,
    ...(options.requireLive !== undefined ? { requireLive: options.requireLive } : {}),
    ...(options.enrolmentQuality !== undefined ? { enrolmentQuality: options.enrolmentQuality } : {}),
  });
  recognizers.push(recognizer);
  try {
    await startIndexSync(recognizer, gallery);
  } catch (error) {
    await recognizer.close();
    throw error;
  }
  const lookalike = new Map<string, LookalikeGallery>();
  for (const [name, lookalikeGallery] of Object.entries(options.lookalike ?? {})) {
    if (!/^[\w.-]{1,64}$/.test(name)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `look-alike gallery name "${name}": letters, digits, . _ - only`);
    const r = await createRecognizer({ visage, gallery: lookalikeGallery });
    recognizers.push(r);
    lookalike.set(name, { name, recognizer: r });
  }
  const createdVisages: Visage[] = [];
  const classifiers = new Map<string, ServedClassifier>();
  try {
    for (const [name, model] of Object.entries(options.classifiers ?? {})) {
      if (!/^[\w.-]{1,64}$/.test(name)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `classifier name "${name}": letters, digits, . _ - only`);
      classifiers.set(name, { name, model, visage: await visageFor(model, visage, createdVisages) });
    }
  } catch (error) {
    for (const v of createdVisages) await v.close();
    for (const r of recognizers) await r.close();
    throw error;
  }
  const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  const context: ServerContext = {
    visage, gallery, recognizer, store: options.store ?? null, queue: new InferenceQueue(limits.maxQueue), buffered: new BodyBudget(limits.maxBufferedBytes), metrics: new Metrics(),
    limits, lookalike, openWithoutKeys: options.openWithoutKeys ?? false, version,
  };

  const app = Fastify({
    logger: loggerOption(options.logger),
    // Calls without images take a small JSON body; those with images set their own (maxBodyBytes).
    bodyLimit: JSON_BODY_LIMIT,
    clientErrorHandler,
    // A URL Fastify cannot route (bad escapes, a parameter over maxParamLength): the API's error shape.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = (error as { code?: string }).code === 'FST_ERR_MAX_PARAM_LENGTH';
      const answer = toErrorAnswer(new VisageError(tooLong ? 'VISAGE_ERR_URI_TOO_LONG' : 'VISAGE_ERR_BAD_INPUT',
        tooLong ? 'a part of the URL is longer than the server takes' : 'the URL is not valid (bad percent-encoding)'));
      void (reply as import('fastify').FastifyReply).code(answer.status).type('application/json; charset=utf-8').send(answer.body);
    },
    // Behind no proxy by default: the client address is the socket's.
    trustProxy: false,
    return503OnClosing: true,
    // Route parameters and query strings stay short: nothing legitimate needs more.
    routerOptions: { maxParamLength: 300 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  app.decorateRequest('apiKey', null);
  await app.register(multipart, { limits: multipartLimits(limits) });
  // Plain text is no way to send anything here: refused with 415 like any other unknown type.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(RAW_IMAGE_TYPES, { parseAs: 'buffer', bodyLimit: limits.maxImageBytes }, (_request, body, done) => done(null, body));
  // A video sent as the body is refused by its type, unread, with the same 415 as a video found
  // inside an upload (VISAGE_ERR_VIDEO_NOT_IMAGE), rather than fastify's bare "unsupported media type".
  app.addContentTypeParser(/^video\//, (request, _body, done) => {
    done(videoNotImageError('the request body', String(request.headers['content-type']).split(';')[0]!.trim()), undefined);
  });

  app.addHook('onRequest', authHook({ store: context.store, openWithoutKeys: context.openWithoutKeys }));
  // After authentication: refusals that need no body (too large, queue full, no room for the body).
  app.addHook('onRequest', admissionHook(context));
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (request.url.startsWith('/v1/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ? `${request.method} ${request.routeOptions.url}` : `${request.method} (no route)`;
    context.metrics.record(route, reply.statusCode, reply.elapsedTime);
  });

  app.setErrorHandler(async (error, request, reply) => {
    const answer = toErrorAnswer(error);
    // Only the unexpected is logged as an error, with its stack; a refusal (busy, locked, a bad
    // request) is an answer like any other, already in the request's log line with its status.
    if (answer.internal) request.log.error({ err: error }, 'request failed');
    if (answer.status === 503) reply.header('retry-after', '1');
    discardRestOfBody(request.raw);
    return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const answer = toErrorAnswer(new VisageError('VISAGE_ERR_NOT_FOUND', `no route ${request.method} ${shown(request.url.split('?')[0], 100)}`));
    return reply.code(404).send(answer.body);
  });

  // Every route with its method, for the test that holds the OpenAPI document to the routes.
  const routes: { method: string; url: string }[] = [];
  app.decorate('visageRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });

  const spec = openApiDocument(version);
  await systemRoutes(app, context, () => spec);
  await subjectRoutes(app, context);
  await negativeRoutes(app, context);
  await recognitionRoutes(app, context);
  await livenessRoutes(app, context);
  await keyRoutes(app, context);
  await classifyRoutes(app, context, classifiers);
  const localJobs = videoRunner === 'in-process'
    ? new LocalJobRunner({ gallery, recognizer, concurrency: videoOptions.concurrency, maxQueued: videoOptions.maxQueued, keep: videoOptions.keep })
    : null;
  await jobRoutes(app, context, { queue: options.jobs ?? null, root: options.jobsRoot ?? null, local: localJobs });
  await videoRoutes(app, context, { local: localJobs, queue: options.jobs ?? null, limits: videoLimits });
  await videoEventRoutes(app, context, { local: localJobs, queue: options.jobs ?? null });
  await clusterRoutes(app, context, { queue: options.jobs ?? null, root: options.jobsRoot ?? null });

  // Thumbnails of faces deleted outside the server (CLI, another process) are dropped at start.
  if (context.store) await context.store.pruneThumbnails(() => gallery.listFaces());

  app.addHook('onReady', async () => { context.metrics.resetEventLoop(); });
  app.addHook('onClose', async () => {
    // Videos under way stop (within a second) before the recognizer they use is closed.
    await localJobs?.close({ timeoutMs: 10_000 });
    context.metrics.close();
    for (const r of recognizers) await r.close();
    for (const v of createdVisages) await v.close();
  });
  return app;
}
