// Admission: what is refused when a request arrives, before its body is read. A call that carries
// images (route config `images: true`) is refused at once when its announced body is over the
// limit (413), when the inference queue is full (503), or when the bodies already held by other
// requests leave no room for its own under maxBufferedBytes (503). Its room is set aside until its
// answer is sent or its client goes, so the memory held by uploads has a bound whatever the
// number of clients, and a flood of uploads costs the server neither memory nor reading time.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, VisageError } from '../errors.ts';
import type { ServerContext } from './context.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The call carries images: admission control applies (see admission.ts). */
    images?: boolean;
  }
}

/** How long the rest of a refused body is read and dropped before the connection is cut. */
const LINGER_MS = 2000;

/**
 * After an answer given before the body was read (413, 503, a bad part), the rest of the body is
 * read and dropped, never kept, for at most LINGER_MS; then the connection is cut. Closing at once
 * would make the client's system discard the answer (a TCP reset while it is still sending), so it
 * would see "connection reset" instead of 413 or 503.
 */
export function discardRestOfBody(raw: import('node:http').IncomingMessage): void {
  const timer = setTimeout(() => { if (typeof raw.socket?.destroy === 'function') raw.socket.destroy(); }, LINGER_MS);
  timer.unref();
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}

/** The Content-Length of a request, null when none was sent (chunked); a bad one is a 400. */
function contentLength(request: FastifyRequest): number | null {
  const header = request.headers['content-length'];
  if (header === undefined) return null;
  if (!/^\d{1,15}$/.test(header)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'invalid Content-Length');
  return Number(header);
}

/** Refusals answered per turn of the event loop. */
const REFUSALS_PER_TURN = 32;
let refusalsThisTurn = 0;
let turnScheduled = false;
const waitingRefusals: (() => void)[] = [];

function nextTurn(): void {
  refusalsThisTurn = 0;
  turnScheduled = false;
  for (const resume of waitingRefusals.splice(0, REFUSALS_PER_TURN)) {
    refusalsThisTurn++;
    resume();
  }
  if (refusalsThisTurn > 0) {
    turnScheduled = true;
    setImmediate(nextTurn);
  }
}

/**
 * Waits for this refusal's turn: at most REFUSALS_PER_TURN are answered per turn of the event
 * loop. A thousand requests arriving at once are read in one go; answering all their refusals in
 * that same go would keep a request that arrived meanwhile (/health, a list) waiting behind all of
 * them (measured: 300-375 ms with 1,000). In turns, the loop reads what came in between.
 */
function refusalTurn(): Promise<void> | undefined {
  if (!turnScheduled) {
    turnScheduled = true;
    setImmediate(nextTurn);
  }
  if (refusalsThisTurn < REFUSALS_PER_TURN && waitingRefusals.length === 0) {
    refusalsThisTurn++;
    return undefined;
  }
  return new Promise((resolve) => waitingRefusals.push(resolve));
}

/**
 * A refusal answered from the hook itself, without the error handler's round: under a flood of
 * requests most are refused, and what each refusal costs is what a cheap request (/health) waits
 * behind. The answer is the one the error handler would give.
 */
async function refuse(request: FastifyRequest, reply: FastifyReply, code: 'VISAGE_ERR_BUSY' | 'VISAGE_ERR_PAYLOAD_TOO_LARGE', message: string): Promise<FastifyReply> {
  await refusalTurn();
  const status = ErrorCodes[code].status;
  if (status === 503) reply.header('retry-after', '1');
  discardRestOfBody(request.raw);
  return reply.code(status).type('application/json; charset=utf-8').send(`{"error":${JSON.stringify({ code, message })}}`);
}

/** The onRequest hook (after authentication) applying the rules above. */
export function admissionHook(context: ServerContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!request.routeOptions.config?.images) return undefined;
    const { limits, queue, buffered } = context;
    const length = contentLength(request);
    if (length !== null && length > limits.maxBodyBytes) {
      return refuse(request, reply, 'VISAGE_ERR_PAYLOAD_TOO_LARGE', `request body of ${length} bytes is over the limit of ${limits.maxBodyBytes}`);
    }
    // A raw image body holds one image: over the image limit it is refused unread too.
    const type = String(request.headers['content-type'] ?? '');
    if (length !== null && length > limits.maxImageBytes && !/^\s*(multipart\/|application\/json)/i.test(type)) {
      return refuse(request, reply, 'VISAGE_ERR_PAYLOAD_TOO_LARGE', `image of ${length} bytes is over the limit of ${limits.maxImageBytes}`);
    }
    if (queue.full()) return refuse(request, reply, 'VISAGE_ERR_BUSY', queue.refusal());
    // A body of unknown length may grow to the limit (it is stopped there as it streams).
    const reserve = length ?? limits.maxBodyBytes;
    if (!buffered.tryReserve(reserve)) {
      return refuse(request, reply, 'VISAGE_ERR_BUSY', 'the server is busy receiving other images; try again shortly');
    }
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      buffered.release(reserve);
    };
    // 'close' comes once the answer is sent or the client has gone, whichever happens.
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
    return undefined;
  };
}
