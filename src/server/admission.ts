// Admission: what is refused when a request arrives, before its body is read. A call that carries
// images (route config `images: true`) is refused at once when its announced body is over the
// limit (413), when the inference queue is full (503), or when the bodies already held by other
// requests leave no room for its own under maxBufferedBytes (503). Its room is set aside until its
// answer is sent or its client goes, so the memory held by uploads has a bound whatever the
// number of clients, and a flood of uploads costs the server neither memory nor reading time.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VisageError } from '../errors.ts';
import { refuse } from './refuse.ts';
import type { ServerContext } from './context.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The call carries images: admission control applies (see admission.ts). */
    images?: boolean;
  }
}

/** The Content-Length of a request, null when none was sent (chunked); a bad one is a 400. */
function contentLength(request: FastifyRequest): number | null {
  const header = request.headers['content-length'];
  if (header === undefined) return null;
  if (!/^\d{1,15}$/.test(header)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'invalid Content-Length');
  return Number(header);
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
