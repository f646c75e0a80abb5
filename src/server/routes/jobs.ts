// /v1/jobs: batch jobs (enrol uploads or server-side folders, reindex) on a PostgreSQL gallery's
// queue; `visage worker` processes do them. Every route needs an admin key: jobs write to the
// gallery and their items name the server's files. A server without a queue (a SQLite gallery)
// answers the enrol and reindex routes with 400 VISAGE_ERR_JOBS_NEED_POSTGRES; its in-process
// jobs (videos, routes/videos.ts) are listed, shown and cancelled here like the queue's.
//
// Paths are taken only inside the root the server was given (`jobsRoot`, visage serve
// --jobs-root): resolved against it, symbolic links followed, and refused when they lead outside.
// Without a root, only uploads.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { LocalJobRunner } from '../../jobs/local.ts';
import { enrolmentImages } from '../../jobs/kinds/enrol.ts';
import type { EnrolmentImage, ItemState, JobState } from '../../jobs/types.ts';
import { nameFromFileName } from '../../recognition/naming.ts';
import { booleanField, field, numberField, readInput } from '../images.ts';
import { imageRoute, type ServerContext } from '../context.ts';

export interface JobRouteOptions {
  /** The gallery's job queue (null: a SQLite gallery, no jobs). */
  queue: JobQueue | null;
  /** The folder under which job paths may lie (null: uploads only). */
  root: string | null;
  /** The in-process runner (video jobs of a server without a queue, or told to run them itself): listed, shown and cancelled here too. */
  local?: LocalJobRunner | null;
}

const ITEM_FILTERS: Record<string, ItemState[] | null> = { errors: ['failed', 'skipped'], all: null, none: [] };
const JOB_STATES: readonly JobState[] = ['queued', 'running', 'completed', 'cancelled'];

/** A list of strings from a JSON member or form field (a JSON array, or one string). */
export function stringList(text: string | undefined, name: string): string[] | undefined {
  if (text === undefined || text === '') return undefined;
  let value: unknown = text;
  if (text.trimStart().startsWith('[')) {
    try { value = JSON.parse(text); } catch { throw new VisageError('VISAGE_ERR_BAD_INPUT', `${name} must be a JSON array of strings`); }
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string' || !v.trim())) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${name} must be a non-empty list of non-empty strings`);
  return list.map((v) => (v as string).trim());
}

/** A path given by a client, inside the root or refused. */
export async function insideRoot(root: string | null, given: string): Promise<string> {
  if (!root) throw new VisageError('VISAGE_ERR_FORBIDDEN', 'this server takes no paths (start it with --jobs-root DIR to allow paths under DIR); upload the images instead');
  if (given.includes('\0')) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a path may not hold a NUL character');
  const realRoot = await realpath(root);
  const candidate = path.resolve(realRoot, given);
  const real = await realpath(candidate).catch(() => {
    throw new VisageError('VISAGE_ERR_IMAGE_NOT_FOUND', `no such file or folder under the jobs root: ${shown(given)}`);
  });
  const relative = path.relative(realRoot, real);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new VisageError('VISAGE_ERR_FORBIDDEN', `path ${shown(given)} leads outside the jobs root`);
  return real;
}

export async function jobRoutes(app: FastifyInstance, context: ServerContext, options: JobRouteOptions): Promise<void> {
  const queueOf = (): JobQueue => {
    if (!options.queue) throw new VisageError('VISAGE_ERR_JOBS_NEED_POSTGRES', 'batch jobs need a PostgreSQL gallery and its job queue: this server has none (a SQLite gallery: visage serve --db postgres://...; or the queue could not be opened: see the server\'s log)');
    return options.queue;
  };
  /** The runner holding a job: the in-process one when it has it, else the queue. */
  const runnerOf = (id: string): JobQueue | LocalJobRunner => {
    if (options.local?.has(id)) return options.local;
    if (options.queue || !options.local) return queueOf();
    throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `no job ${shown(id)}`);
  };
  const chunkSize = (request: FastifyRequest, input: Awaited<ReturnType<typeof readInput>> | null) => numberField(request, input, 'chunkSize', 1, 10_000, true);
  const admin = { config: { scope: 'admin' as const } };

  // Enrol: uploaded images ("image" files or base64 "images"), each person named by "subject" (all
  // of them), "subjects" (one per image, in order) or else the upload's file name; or "paths"
  // under the jobs root, named as visage enroll names them (people/<name>/*.jpg).
  app.post('/v1/jobs/enrollments', imageRoute(context, 'admin'), async (request, reply) => {
    const queue = queueOf();
    const input = await readInput(request, context.limits);
    const subject = field(request, input, 'subject')?.trim() || undefined;
    const subjects = stringList(field(request, input, 'subjects'), 'subjects');
    const paths = stringList(field(request, input, 'paths'), 'paths');
    const uploads = input.files.get('image') ?? [];
    if (input.files.size > 1 || (input.files.size === 1 && uploads.length === 0)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'send the images as "image" (multipart files, or base64 in "image"/"images")');
    if (uploads.length === 0 && !paths) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'nothing to enrol: send images ("image" files or base64 "images") or "paths" under the jobs root');
    if (uploads.length > 0 && paths) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'send images or paths, not both');
    if (subject && subjects) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'give "subject" (everyone) or "subjects" (one per image), not both');
    let images: EnrolmentImage[];
    const unnamed: string[] = [];
    if (paths) {
      if (subjects) throw new VisageError('VISAGE_ERR_BAD_INPUT', '"subjects" names uploads; paths are named by their folders (or "subject")');
      const resolved = [];
      for (const given of paths) resolved.push(await insideRoot(options.root, given));
      const planned = await enrolmentImages(resolved, subject);
      // Folders are walked following links: an image reached through a link that leads out is refused too.
      for (const image of planned.images) await insideRoot(options.root, image.file!);
      images = planned.images;
      const realRoot = await realpath(options.root!);
      unnamed.push(...planned.unnamed.map((file) => path.relative(realRoot, file)));
    } else {
      if (subjects && subjects.length !== uploads.length) throw new VisageError('VISAGE_ERR_BAD_INPUT', `"subjects" names ${subjects.length} people for ${uploads.length} images`);
      images = [];
      uploads.forEach((upload, i) => {
        const name = upload.filename ?? `image-${i + 1}`;
        const who = subject ?? subjects?.[i] ?? (upload.filename ? nameFromFileName(upload.filename) : null);
        if (!who) unnamed.push(name);
        else images.push({ data: upload.data, name, subject: who });
      });
    }
    if (images.length === 0) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', unnamed.length ? `no image names a person (${unnamed.length} unnamed): give "subject" or "subjects"` : 'no image found under the paths given');
    }
    const job = await queue.submitEnrolment(images, { largest: booleanField(request, input, 'largest') ?? false, chunkSize: chunkSize(request, input) });
    reply.code(202).header('location', `/v1/jobs/${job.id}`);
    return { ...job, unnamed };
  });

  app.post('/v1/jobs/reindex', admin, async (request, reply) => {
    const queue = queueOf();
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'the JSON body must be an object');
    for (const key of Object.keys(body)) if (!['embedders', 'search', 'chunkSize'].includes(key)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `unknown member ${shown(key)} (embedders, search, chunkSize)`);
    const list = (value: unknown, name: string) => (value === undefined ? undefined : stringList(JSON.stringify(value), name));
    const embedders = list(body.embedders, 'embedders');
    const search = [];
    for (const folder of list(body.search, 'search') ?? []) search.push(await insideRoot(options.root, folder));
    if (body.chunkSize !== undefined && !(Number.isInteger(body.chunkSize) && (body.chunkSize as number) >= 1 && (body.chunkSize as number) <= 10_000)) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', 'chunkSize must be a whole number from 1 to 10000');
    }
    const job = await queue.submitReindex({ embedders, search, chunkSize: body.chunkSize as number | undefined }).catch((error: VisageError) => {
      if (error.code === 'VISAGE_ERR_BAD_OPTION') throw new VisageError('VISAGE_ERR_BAD_INPUT', error.message, { cause: error });
      throw error;
    });
    reply.code(202).header('location', `/v1/jobs/${job.id}`);
    return job;
  });

  app.get('/v1/jobs', admin, async (request) => {
    if (!options.local) queueOf();
    const limit = numberField(request, null, 'limit', 1, 1000, true) ?? 100;
    const state = field(request, null, 'state');
    if (state !== undefined && !JOB_STATES.includes(state as JobState)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `state must be one of ${JOB_STATES.join(', ')}, got ${shown(state)}`);
    const listed = { limit, states: state ? [state as JobState] : undefined };
    const lists = await Promise.all([options.local?.list(listed) ?? [], options.queue?.list(listed) ?? []]);
    return { jobs: lists.flat().sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0)).slice(0, limit) };
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', admin, async (request) => {
    const runner = runnerOf(request.params.id);
    const which = field(request, null, 'items') ?? 'errors';
    if (!(which in ITEM_FILTERS)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `items must be errors, all or none, got ${shown(which)}`);
    const filter = ITEM_FILTERS[which]!;
    const limit = numberField(request, null, 'limit', 1, 10_000, true) ?? 1000;
    const offset = numberField(request, null, 'offset', 0, 1_000_000_000, true) ?? 0;
    return runner.get(request.params.id, filter?.length === 0 ? { limit: 0 } : { states: filter ?? undefined, limit, offset });
  });

  const cancel = async (request: FastifyRequest<{ Params: { id: string } }>) => runnerOf(request.params.id).cancel(request.params.id);
  app.post<{ Params: { id: string } }>('/v1/jobs/:id/cancel', admin, cancel);
  app.delete<{ Params: { id: string } }>('/v1/jobs/:id', admin, cancel);
}
