// What every route handler shares: the recognition layer, the stores, the queue, the limits.
import type { FastifyRequest } from 'fastify';
import type { Visage } from '../visage.ts';
import type { Gallery } from '../gallery/gallery.ts';
import type { Recognizer } from '../recognition/index.ts';
import type { InferenceQueue } from './queue.ts';
import type { Metrics } from './metrics.ts';
import type { ServerStore } from './store.ts';
import type { UploadLimits } from './images.ts';

export interface ServerLimits extends UploadLimits {
  /** Largest request body, bytes (JSON with base64 images, multipart, raw image). */
  maxBodyBytes: number;
  /** Images waiting for inference beyond which requests get 503 VISAGE_ERR_BUSY. */
  maxQueue: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxBodyBytes: 32 * 1024 * 1024,
  maxImageBytes: 15 * 1024 * 1024,
  maxImages: 10,
  maxQueue: 64,
});

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
  metrics: Metrics;
  limits: ServerLimits;
  lookalike: Map<string, LookalikeGallery>;
  openWithoutKeys: boolean;
  version: string;
}

/** True once the client of this request has hung up (a real socket closed; never under inject()). */
export function clientGone(request: FastifyRequest): boolean {
  return request.socket?.destroyed === true;
}

/** Runs one inference job in the queue on behalf of a request. */
export function infer<T>(context: ServerContext, request: FastifyRequest, job: () => Promise<T>): Promise<T> {
  return context.queue.run(job, () => clientGone(request));
}
