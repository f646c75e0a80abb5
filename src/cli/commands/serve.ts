// visage serve: the REST API (src/server) over the gallery (SQLite or PostgreSQL), on localhost by default.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { DEFAULTS } from '../../config.ts';
import { createVisage, type Visage } from '../../visage.ts';
import { chooseEmbedders, requestedEmbedders } from '../../recognition/embedder-choice.ts';
import type { Gallery } from '../../gallery/gallery.ts';
import type { DecisionStrategy } from '../../face/match/index.ts';
import { loadModel } from '../../classify/model.ts';
import { searchSettings, type SearchMode } from '../../gallery/search.ts';
import type { ClassifierModel } from '../../classify/model.ts';
import { buildApp } from '../../server/app.ts';
import type { ServerLimits } from '../../server/context.ts';
import { isLoopbackHost } from '../../server/auth.ts';
import { openServerStore } from '../../server/open-store.ts';
import { SqliteServerStore, serverStorePath, type ServerStore } from '../../server/store.ts';
import { isPostgresUrl } from '../../gallery/postgres/location.ts';
import { EMBEDDER_HELP, EYES_OPTION, PIPELINE_HELP, PIPELINE_OPTIONS, QUALITY_OPTIONS, asUsage, numberFlag, pipelineConfig, qualityFlags, qualityHelp } from '../options.ts';
import { ENROLMENT_QUALITY } from '../../recognition/enrolment.ts';
import { DB_HELP, dbLabel, dbPath, openGallery } from '../gallery-file.ts';
import { openJobQueue } from '../../jobs/queue.ts';

/** Server defaults that differ from the library's: tighter, since the images come from anyone with a key. */
export const SERVE_DEFAULTS = Object.freeze({ port: 3000, host: '127.0.0.1', maxFaces: 20, maxMegapixels: 40, maxUploadMb: 15 });
/** The largest values the limit flags take: past them one request could take the machine's memory. */
export const SERVE_MAXIMA = Object.freeze({ maxMegapixels: 100, maxUploadMb: 100, queue: 10_000 });

export const serveHelp = `Usage: visage serve [options]

Serves the REST API (documentation at /docs, OpenAPI at /openapi.json) over the gallery.

Options:
  --port N             port (default ${SERVE_DEFAULTS.port}; 0 picks a free one)
  --host ADDR          address to listen on (default ${SERVE_DEFAULTS.host}: this machine only). Any other
                       address needs at least one API key (visage keys create --scope admin)
${DB_HELP} (created when missing)
  --server-file FILE   API keys and face thumbnails in this SQLite file (default: visage.server.db beside
                       a SQLite gallery; a PostgreSQL gallery keeps them in its own schema, shared by
                       every server on it)
  --lookalike NAME=FILE  a look-alike gallery (e.g. celebrities=celebs.db), repeatable; never written to
  --model NAME=FILE    a trained classifier (visage train DIR --model FILE.visage), served at
                       /v1/classify/NAME; repeatable
  --threshold T        open-set threshold (default: the embedder's calibrated one)
  --strategy S         mean-template (default) or best-face
  --search MODE        auto (default: exact up to 1M faces, approximate above), exact or approximate;
                       the approximate index is built in the background at start, searches
                       are exact until it is ready (GET /health: search.state)
  --search-float16     keep the face vectors in half precision (half the memory; needed past ~8M faces)
  --max-megapixels N   refuse images larger than N megapixels, from their header (default ${SERVE_DEFAULTS.maxMegapixels},
                       at most ${SERVE_MAXIMA.maxMegapixels})
  --max-upload-mb N    refuse images larger than N MB (default ${SERVE_DEFAULTS.maxUploadMb}, at most ${SERVE_MAXIMA.maxUploadMb}); a request
                       body may hold 2.2 times that, and uploads held at once 3 times a body
  --threads N          inference threads (default: the cores but one, at least 1: the other core keeps
                       answering requests while images are analysed)
  --queue N            images waiting for inference before 503 busy (default 64, at most ${SERVE_MAXIMA.queue})
  --log                log every request (JSON lines on stdout)
  --jobs-root DIR      (PostgreSQL gallery) POST /v1/jobs/... may name folders and images under DIR
                       (admin keys only; default: uploads only). Workers must see DIR at the same path
  --video-jobs WHERE   where POST /v1/videos jobs run: queue (visage worker processes; the default on a
                       PostgreSQL gallery) or in-process (one video at a time in this server; the
                       default on a SQLite gallery; lost on restart)
  --max-video-mb N     refuse uploaded videos larger than N MB (default 200)
  --max-video-seconds S  refuse videos longer than S seconds; a stream stops there (default 3600)
  --require-live       refuse faces the liveness model calls a spoof at enrolment, verify and recognise
                       (a request may still send requireLive=false)
Enrolment quality gate, server-wide (a request's minSize, ... apply over these):
${qualityHelp(ENROLMENT_QUALITY, true)}
${EMBEDDER_HELP}
${PIPELINE_HELP.replace(`(default ${DEFAULTS.maxFaces})`, `(default ${SERVE_DEFAULTS.maxFaces} for the server)`)}
  -h, --help           this help

Without any API key the server is open, and only on a loopback address (127.0.0.1, ::1,
localhost), to requests that come from this machine's own pages. See "REST server" in the README.
`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      'server-file': { type: 'string' },
      lookalike: { type: 'string', multiple: true },
      model: { type: 'string', multiple: true },
      threshold: { type: 'string' },
      strategy: { type: 'string' },
      search: { type: 'string' },
      'search-float16': { type: 'boolean', default: false },
      'max-megapixels': { type: 'string' },
      'max-upload-mb': { type: 'string' },
      queue: { type: 'string' },
      threads: { type: 'string' },
      log: { type: 'boolean', default: false },
      'jobs-root': { type: 'string' },
      'video-jobs': { type: 'string' },
      'max-video-mb': { type: 'string' },
      'max-video-seconds': { type: 'string' },
      'require-live': { type: 'boolean', default: false },
      ...QUALITY_OPTIONS,
      ...EYES_OPTION,
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(serveHelp);
    return 0;
  }
  void positionals;
  const port = numberFlag('port', values.port) ?? SERVE_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VisageError('VISAGE_ERR_USAGE', `--port takes 0-65535, got ${values.port}`);
  const host = values.host ?? SERVE_DEFAULTS.host;
  const megapixels = numberFlag('max-megapixels', values['max-megapixels']) ?? SERVE_DEFAULTS.maxMegapixels;
  const uploadMb = numberFlag('max-upload-mb', values['max-upload-mb']) ?? SERVE_DEFAULTS.maxUploadMb;
  const videoJobs = values['video-jobs'];
  if (videoJobs !== undefined && videoJobs !== 'queue' && videoJobs !== 'in-process') throw new VisageError('VISAGE_ERR_USAGE', `--video-jobs takes queue or in-process, got "${videoJobs}"`);
  const videoMb = numberFlag('max-video-mb', values['max-video-mb']) ?? 200;
  if (!(videoMb > 0 && videoMb <= 100_000)) throw new VisageError('VISAGE_ERR_USAGE', `--max-video-mb takes a number above 0, got ${values['max-video-mb']}`);
  const videoSeconds = numberFlag('max-video-seconds', values['max-video-seconds']) ?? 3600;
  if (!(videoSeconds > 0)) throw new VisageError('VISAGE_ERR_USAGE', `--max-video-seconds takes seconds above 0, got ${values['max-video-seconds']}`);
  const enrolmentQuality = qualityFlags(values, ENROLMENT_QUALITY);
  const queue = numberFlag('queue', values.queue);
  const threads = numberFlag('threads', values.threads) ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw new VisageError('VISAGE_ERR_USAGE', `--threads takes a whole number from 1 to 1024, got ${values.threads}`);
  const threshold = numberFlag('threshold', values.threshold);
  const search = asUsage(() => searchSettings({ mode: values.search as SearchMode | undefined, precision: values['search-float16'] ? 'float16' : undefined }));
  if (!(megapixels > 0 && megapixels <= SERVE_MAXIMA.maxMegapixels)) throw new VisageError('VISAGE_ERR_USAGE', `--max-megapixels takes a number above 0, at most ${SERVE_MAXIMA.maxMegapixels}, got ${values['max-megapixels']}`);
  if (!(uploadMb > 0 && uploadMb <= SERVE_MAXIMA.maxUploadMb)) throw new VisageError('VISAGE_ERR_USAGE', `--max-upload-mb takes a number above 0, at most ${SERVE_MAXIMA.maxUploadMb}, got ${values['max-upload-mb']}`);
  if (queue !== undefined && !(Number.isInteger(queue) && queue >= 1 && queue <= SERVE_MAXIMA.queue)) throw new VisageError('VISAGE_ERR_USAGE', `--queue takes a whole number from 1 to ${SERVE_MAXIMA.queue}, got ${values.queue}`);
  const named = (flag: string, specs: string[] | undefined) => {
    const files: Record<string, string> = {};
    for (const spec of specs ?? []) {
      const eq = spec.indexOf('=');
      if (eq < 1 || eq === spec.length - 1) throw new VisageError('VISAGE_ERR_USAGE', `--${flag} takes NAME=FILE, got "${spec}"`);
      files[spec.slice(0, eq)] = spec.slice(eq + 1);
    }
    return files;
  };
  const lookalikeFiles = named('lookalike', values.lookalike);
  const modelFiles = named('model', values.model);
  const classifiers: Record<string, ClassifierModel> = {};
  for (const [name, file] of Object.entries(modelFiles)) classifiers[name] = await loadModel(file);
  const loopback = isLoopbackHost(host);

  const db = dbPath(values.db);
  const opened: { close(): Promise<void> | void }[] = [];
  const closeAll = async () => { for (const thing of opened.reverse()) await thing.close(); };
  try {
    const requireKey = async (keys: ServerStore) => {
      if (!loopback && (await keys.activeKeyCount()) === 0) {
        throw new VisageError('VISAGE_ERR_USAGE', `refusing to listen on ${host} without an API key: create one first (visage keys create --scope admin${values.db ? ` --db ${dbLabel(values.db)}` : ''})`);
      }
    };
    // A server file is opened (and checked) before the gallery, so that a refusal creates no
    // gallery; a PostgreSQL gallery's keys are tables of its schema, opened with it.
    const sharedKeys = values['server-file'] === undefined && isPostgresUrl(db);
    let store: ServerStore | null = sharedKeys ? null : SqliteServerStore.open(values['server-file'] ?? serverStorePath(db));
    if (store) {
      opened.push(store);
      await requireKey(store);
    }
    const gallery = await openGallery(db, { create: true });
    opened.push(gallery);
    if (!store) {
      store = await openServerStore(gallery, { galleryLocation: db });
      opened.push(store);
      await requireKey(store);
    }
    // A PostgreSQL gallery has a job queue: /v1/jobs submits to it, `visage worker` processes do the work.
    // Not fatal: a role that may not create the job schemas still serves the gallery, without jobs.
    const jobs = isPostgresUrl(db) ? await openJobQueue(db).catch((error: Error) => {
      process.stderr.write(`visage: no batch jobs on this server: the job queue could not be opened (${error.message})\n`);
      return null;
    }) : null;
    if (jobs) opened.push(jobs);
    if (values['jobs-root'] && !statSync(values['jobs-root'], { throwIfNoEntry: false })?.isDirectory()) throw new VisageError('VISAGE_ERR_USAGE', `--jobs-root: no such folder: ${values['jobs-root']}`);
    if (values['jobs-root'] && !jobs) throw new VisageError('VISAGE_ERR_USAGE', '--jobs-root needs a PostgreSQL gallery (--db postgres://...): jobs live in its queue');
    if (videoJobs === 'queue' && !jobs) throw new VisageError('VISAGE_ERR_USAGE', '--video-jobs queue needs a PostgreSQL gallery (--db postgres://...) and its job queue');
    const lookalike: Record<string, Gallery> = {};
    for (const [name, file] of Object.entries(lookalikeFiles)) {
      const g = await openGallery(file);
      opened.push(g);
      lookalike[name] = g;
    }
    const pipeline = pipelineConfig(values);
    const choice = await chooseEmbedders(gallery, asUsage(() => requestedEmbedders(pipeline)));
    if (choice.note) process.stderr.write(`visage: ${choice.note}\n`);
    // Analysis in a worker thread, on all cores but one: the server's event loop (health, lists,
    // refusals) keeps a core and stays free while images are analysed.
    const visage: Visage = await createVisage({ ...pipeline, preset: undefined, embedders: choice.embedders, maxFaces: pipeline.maxFaces ?? SERVE_DEFAULTS.maxFaces, maxInputPixels: Math.round(megapixels * 1_000_000), worker: true, threads });
    opened.push(visage);
    await visage.warmUp();
    const app = await buildApp({
      visage, gallery, store, lookalike, classifiers, openWithoutKeys: loopback, threshold, strategy: values.strategy as DecisionStrategy | undefined,
      search: { mode: search.mode, precision: search.precision },
      ...(values['require-live'] ? { requireLive: true } : {}),
      ...(Object.keys(enrolmentQuality).length ? { enrolmentQuality } : {}),
      limits: serveLimits(uploadMb, queue),
      logger: values.log ? { level: 'info' } : false,
      jobs, jobsRoot: values['jobs-root'] ?? null,
      videos: { runner: videoJobs as 'queue' | 'in-process' | undefined, maxBytes: Math.round(videoMb * 1024 * 1024), maxSeconds: videoSeconds },
    });
    opened.push(app);
    // A slow or stalled client cannot hold a connection for ever.
    app.server.requestTimeout = 120_000;
    app.server.headersTimeout = 30_000;
    const address = await app.listen({ port, host });
    const keys = await store.activeKeyCount();
    const stats = await gallery.stats();
    process.stderr.write(`visage: serving ${address} (docs ${address}/docs); gallery ${dbLabel(db)}: ${stats.subjects} people, ${stats.faces} faces; `
      + `${keys ? `${keys} API key(s) required` : 'no API keys: open to this machine only'}\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => { process.stderr.write(`visage: ${signal}, stopping\n`); resolve(); };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      stopWhenNpxIsGone(() => stop('npx stopped'));
    });
  } finally {
    await closeAll();
  }
  return 0;
}

/** The server's byte limits from --max-upload-mb: a body holds 2.2 images' worth, uploads held at once 3 bodies (at least 96 MB). */
export function serveLimits(uploadMb: number, queue?: number): Partial<ServerLimits> {
  const maxImageBytes = Math.round(uploadMb * 1024 * 1024);
  const maxBodyBytes = Math.round(maxImageBytes * 2.2);
  return { maxImageBytes, maxBodyBytes, maxBufferedBytes: Math.max(96 * 1024 * 1024, 3 * maxBodyBytes), ...(queue === undefined ? {} : { maxQueue: queue }) };
}

/**
 * Under `npx visage serve`, npm runs the server through `sh -c` and does not pass a kill of npm's own
 * process on to it: the server would be left running without anyone to stop it. When started by
 * npx, the server stops once the process that started it is gone (its parent process changes).
 * Started any other way (a shell, nohup, a service manager) it keeps running as before.
 */
function stopWhenNpxIsGone(stop: () => void): void {
  if (process.env.npm_command !== 'exec') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, 1000);
  timer.unref();
}
