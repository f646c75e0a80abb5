// What every route handler shares: the recognition layer, the stores, the queue, the limits.
import type { FastifyRequest } from 'fastify';
import type { Visage } from '../visage.ts';
import type { Gallery } from '../gallery/gallery.ts';
import type { Recognizer } from '../recognition/index.ts';
import type { InferenceQueue } from './queue.ts';
import type { BodyBudget } from './budget.ts';
import type { Metrics } from './metrics.ts';
import type { ServerStore } from './store.ts';
import type { UploadLimits } from './images.ts';

export interface ServerLimits extends UploadLimits {
  /** Images waiting for inference beyond which requests get 503 VISAGE_ERR_BUSY. */
  maxQueue: number;
  /**
   * Request bodies held in memory at once, all requests together, bytes. A request with images
   * that would go past it is refused (503 busy) when it arrives, before its body is read.
   */
  maxBufferedBytes: number;
}

const MB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxBodyBytes: 32 * MB,
  maxImageBytes: 15 * MB,
  maxImages: 10,
  maxQueue: 64,
  maxBufferedBytes: 96 * MB,
});

/** The largest value each limit may be given: past these, one request could take the machine's memory. */
export const MAX_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxBodyBytes: 256 * MB,
  maxImageBytes: 100 * MB,
  maxImages: 100,
  maxQueue: 10_000,
  maxBufferedBytes: 2048 * MB,
});

/** Body of a call that carries no image (subjects, keys): a name and a little metadata. */
export const JSON_BODY_LIMIT = 64 * 1024;

export interface LookalikeGallery {
  name: string;
  recognizer: Recognizer;
}

export interface ServerContext {
  visage: Visage;
  gallery: Gallery;
  recognizer: Recognizer;
  store: ServerStore | null;
  queue: InferenceQueue;
  /** Bytes of request bodies held now (see maxBufferedBytes). */
  buffered: BodyBudget;
  metrics: Metrics;
  limits: ServerLimits;
  lookalike: Map<string, LookalikeGallery>;
  openWithoutKeys: boolean;
  version: string;
}

/** Options of a route that takes images: its scope, admission control (admission.ts) and the body limit. */
export function imageRoute(context: ServerContext, scope: 'admin' | 'recognise'): { config: { scope: 'admin' | 'recognise'; images: true }; bodyLimit: number } {
  return { config: { scope, images: true }, bodyLimit: context.limits.maxBodyBytes };
}

/** True once the client of this request has hung up (a real socket closed; never under inject()). */
export function clientGone(request: FastifyRequest): boolean {
  return request.socket?.destroyed === true;
}

/** Runs one inference job in the queue on behalf of a request. */
export function infer<T>(context: ServerContext, request: FastifyRequest, job: () => Promise<T>): Promise<T> {
  return context.queue.run(job, () => clientGone(request));
}
