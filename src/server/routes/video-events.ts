// GET /v1/videos/{id}/events: a video job's events as Server-Sent Events (text/event-stream), for a
// live stream or camera submitted as a job, which has no end to wait for.
//
// In-process jobs (LocalJobRunner): each track event as it happens, `event: track-start` /
// `track-end` with the JSON `visage video --events` prints (numbered `id:` lines), `progress`
// about once a second (not numbered, not replayed), and a last event `done`, `failed` or
// `cancelled` whose data is the job as GET /v1/videos/{id} shows it; then the stream ends. A client
// that connects late gets the events so far first (up to 1000 kept per job, the oldest dropped
// first: an `event: dropped` says how many it missed); one that reconnects with Last-Event-ID gets
// only what came after. A client that stops reading is let go once 4 MiB wait for it.
//
// Queue jobs run in a worker process, maybe on another machine: their track events do not reach
// this server (the job tables hold progress and the result, not events). Their stream sends
// `progress` from the job record (polled once a second) and the same last event with the whole
// result; a client wanting per-event delivery from a queue job gives the job a `webhook`.
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import { DEFAULT_MAX_JOB_EVENTS, type JobEvent } from '../../jobs/events.ts';
import type { LocalJobRunner } from '../../jobs/local.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { JobDetail } from '../../jobs/types.ts';
import type { ServerContext } from '../context.ts';
import { videoJson } from './videos.ts';

export interface VideoEventRouteOptions {
  local: LocalJobRunner | null;
  queue: JobQueue | null;
}

/** Event streams open at once; more are refused with 503. */
const MAX_STREAMS = 64;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** How often a queue job's record is read. */
const POLL_MS = 1000;
const FINAL = new Set(['done', 'failed', 'cancelled']);
/** A client this far behind (bytes not yet taken) is let go: it may reconnect with Last-Event-ID. */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

/** One event in the text/event-stream format (data is one line of JSON). */
function frame(event: { id?: number | null; type: string; data: unknown }): string {
  return `${event.id != null ? `id: ${event.id}\n` : ''}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** The last event's name for a job record that is final (null while it runs). */
function finalType(job: JobDetail): string | null {
  const open = job.progress.pending + job.progress.working;
  if (open > 0 || (job.state !== 'completed' && job.state !== 'cancelled')) return null;
  if (job.state === 'cancelled') return 'cancelled';
  return job.progress.failed > 0 ? 'failed' : 'done';
}

export async function videoEventRoutes(app: FastifyInstance, _context: ServerContext, options: VideoEventRouteOptions): Promise<void> {
  const { local, queue } = options;
  const open = new Set<() => void>();
  // A stream would hold the server's close until its job ends: each is ended first.
  app.addHook('preClose', async () => { for (const end of [...open]) end(); });

  app.get<{ Params: { id: string } }>('/v1/videos/:id/events', { config: { scope: 'recognise' } }, async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const { id } = request.params;
    const runner = local?.has(id) ? local : queue;
    if (!runner) {
      if (local) throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `no video job ${shown(id)}`);
      throw new VisageError('VISAGE_ERR_JOBS_NEED_POSTGRES', 'this server runs no video jobs (started with video jobs on the queue, but it has no queue)');
    }
    const first = await runner.get(id, { limit: 1 });
    if (first.kind !== 'video') throw new VisageError('VISAGE_ERR_UNKNOWN_JOB', `job ${id} is not a video job (see /v1/jobs/${id})`);
    if (open.size >= MAX_STREAMS) throw new VisageError('VISAGE_ERR_BUSY', `${open.size} event streams are open already; try again later`);
    const header = request.headers['last-event-id'];
    const after = typeof header === 'string' && /^\d{1,9}$/.test(header.trim()) ? Number(header.trim()) : 0;

    const stream = new PassThrough();
    let ended = false;
    const cleanups: (() => void)[] = [];
    const end = () => {
      if (ended) return;
      ended = true;
      open.delete(end);
      for (const cleanup of cleanups) cleanup();
      stream.end();
    };
    open.add(end);
    const write = (text: string) => {
      if (ended) return;
      stream.write(text);
      if (stream.writableLength > MAX_UNREAD_BYTES) end();
    };
    reply.raw.once('close', end);
    stream.once('close', end);
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
    cleanups.push(() => clearInterval(heartbeat));
    /** The last event: the job as GET /v1/videos/{id} shows it. */
    const finish = async (type: string, eventId: number | null) => {
      if (ended) return;
      const job = await runner.get(id, { limit: 1 }).catch(() => null);
      write(frame({ id: eventId, type, data: job ? videoJson(job) : { id, state: type } }));
      end();
    };

    if (runner === local) {
      const log = local.events(id)!;
      const pass = (event: JobEvent) => {
        if (ended) return;
        if (FINAL.has(event.type)) void finish(event.type, event.id);
        else write(frame(event));
      };
      const { backlog, missed, unsubscribe } = log.subscribe(after, pass);
      cleanups.push(unsubscribe);
      write(': track events as they happen, then done, failed or cancelled\n\n');
      if (missed > 0) write(frame({ type: 'dropped', data: { missed, kept: DEFAULT_MAX_JOB_EVENTS } }));
      for (const event of backlog) pass(event);
    } else {
      write(': a queue job: progress from the job record, then done, failed or cancelled with the result (track events do not reach this server)\n\n');
      let last = '';
      const poll = async () => {
        if (ended) return;
        const job = await runner.get(id, { limit: 1 }).catch(() => null);
        if (ended) return;
        if (!job) return end();
        const type = finalType(job);
        if (type) return void finish(type, null);
        const progress = JSON.stringify(job.video?.progress ?? null);
        if (progress !== last && job.video?.progress) write(frame({ type: 'progress', data: job.video.progress }));
        last = progress;
        timer = setTimeout(() => void poll(), POLL_MS);
      };
      let timer: NodeJS.Timeout | undefined;
      cleanups.push(() => clearTimeout(timer));
      void poll();
    }
    return reply
      .header('cache-control', 'no-store')
      .header('x-accel-buffering', 'no') // nginx: pass each event on at once
      .type('text/event-stream; charset=utf-8')
      .send(stream);
  });
}
