// A Visage's analysis in a worker thread: decoding, detection, landmarks and embeddings run
// there, so the thread that asked (a server's event loop) stays free while an image is analysed.
// onnxruntime-node runs a model synchronously on the thread that calls it: 30 ms for one face's
// embeddings on a quiet machine, 90 ms and more on a loaded one, during which a server on that
// thread answers nothing, not even /health. One worker runs one call at a time, in order.
//
// The worker (analysis-worker.ts) holds an ordinary Visage with the same configuration; calls and
// results cross as structured clones (image bytes are copied: the caller keeps its buffer), and
// a VisageError comes back as a VisageError with its code.
import type { Worker } from 'node:worker_threads';
import { startWorker } from './worker-file.ts';
import { VisageError, type ErrorCode, ErrorCodes } from '../errors.ts';

export type AnalysisMethod = 'warmUp' | 'detect' | 'analyze' | 'checkFaces' | 'close';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface AnalysisReply {
  id: number;
  result?: unknown;
  error?: { code?: string; message: string };
}

/** The worker (analysis-worker.ts beside this file). */
function newWorker(workerData: object): Worker {
  return startWorker(import.meta.url, 'analysis-worker', { workerData });
}

export class AnalysisThread {
  private readonly config: object;
  private worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set once the worker has stopped; a call then starts a new one, unless close() stopped it. */
  private failure: VisageError | null = null;
  private closed = false;

  private constructor(config: object) {
    this.config = config;
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = newWorker({ config: this.config });
    // An idle worker never keeps the process alive; one with a call pending does.
    worker.unref();
    // Events of a worker that has been replaced are not this thread's any more.
    worker.on('message', (reply: AnalysisReply) => { if (worker === this.worker) this.settle(reply); });
    worker.on('error', (error) => { if (worker === this.worker) this.fail(new VisageError('VISAGE_ERR_INFERENCE_FAILED', `analysis thread failed: ${error.message}`, { cause: error })); });
    worker.on('exit', (code) => { if (worker === this.worker) this.fail(new VisageError('VISAGE_ERR_INFERENCE_FAILED', `analysis thread stopped (exit code ${code})`)); });
    return worker;
  }

  /** Starts the worker with a Visage of this configuration (whose own `worker` option is off). */
  static async start(config: object): Promise<AnalysisThread> {
    const thread = new AnalysisThread(config);
    try {
      await thread.call('ready', undefined, undefined);
    } catch (error) {
      await thread.worker.terminate();
      throw error;
    }
    return thread;
  }

  call(method: AnalysisMethod | 'ready', input: unknown, options: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new VisageError('VISAGE_ERR_CLOSED', 'this Visage instance was closed'));
    if (this.failure) {
      // The worker died (a crash in a native library, memory): the calls it held have failed, later ones get a new worker.
      this.failure = null;
      this.worker = this.spawn();
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, method, input, options });
    });
  }

  private settle(reply: AnalysisReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error) {
      const code = reply.error.code;
      waiting.reject(code && code in ErrorCodes ? new VisageError(code as ErrorCode, reply.error.message) : new VisageError('VISAGE_ERR_INFERENCE_FAILED', reply.error.message));
    } else {
      waiting.resolve(reply.result);
    }
  }

  private fail(error: VisageError): void {
    if (this.closed) return;
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /** Closes the worker's Visage and stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.failure) await this.call('close', undefined, undefined);
    } finally {
      this.closed = true;
      await this.worker.terminate();
    }
  }
}
