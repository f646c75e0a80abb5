// The only place that imports onnxruntime-node: sessions created lazily on first use,
// reused after, run with a configurable thread count, released by close().
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { VisageError } from '../errors.ts';
import { getModelSpec } from '../models/registry.ts';
import { ModelStore } from '../models/store.ts';
import type { ModelSpec } from '../models/types.ts';

export interface EngineOptions {
  /** Intra-op threads per session; default: every core. */
  threads?: number;
  /** Folder of converted models; default $VISAGE_MODEL_DIR or the user's cache folder. */
  modelDir?: string;
  /**
   * Let idle worker threads spin while waiting for work. Off by default: measured on a
   * 2-core machine with another process busy, spinning made 2 threads slower than 1
   * (recogniser, batch 1: 13.9 ms vs 3.7 ms per face with spinning off).
   */
  spinning?: boolean;
}

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

export type Outputs = Record<string, OutputTensor>;

/** A worker thread with its own one-thread sessions (src/runtime/lane-worker.mjs). */
interface Lane {
  worker: Worker;
  pending: Map<number, { resolve: (outputs: Outputs) => void; reject: (error: VisageError) => void }>;
}

export class Engine {
  readonly threads: number;
  readonly store: ModelStore;
  private readonly spinning: boolean;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** Converted model files by id (converted at most once, for this thread's sessions and the lanes'). */
  private readonly paths = new Map<string, Promise<string>>();
  private lanes: Lane[] = [];
  private nextJob = 0;
  private closed = false;

  private constructor(options: EngineOptions) {
    const threads = options.threads ?? os.availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `threads must be a whole number >= 1, got ${options.threads}`);
    }
    this.threads = threads;
    this.store = new ModelStore(options.modelDir);
    this.spinning = options.spinning ?? false;
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    return new Engine(options);
  }

  /** The session of a model, converting and loading it on first use. */
  session(id: string): Promise<ort.InferenceSession> {
    if (this.closed) return Promise.reject(new VisageError('VISAGE_ERR_CLOSED', 'the engine was closed'));
    let session = this.sessions.get(id);
    if (!session) {
      session = this.load(getModelSpec(id));
      // A failed load is not cached: the next call tries again.
      session.catch(() => this.sessions.delete(id));
      this.sessions.set(id, session);
    }
    return session;
  }

  private sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
    return {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      // Errors only: Faceplugin's age and gender files list their weights as graph inputs, and
      // onnxruntime warns about each of them on every load (about 100 lines) although they run.
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: this.spinning ? '1' : '0' } } },
    };
  }

  private async load(spec: ModelSpec): Promise<ort.InferenceSession> {
    const path = await this.modelPath(spec.id);
    try {
      return await ort.InferenceSession.create(path, this.sessionOptions(this.threads));
    } catch (error) {
      // The store checked the size and first bytes; a file that still does not load is read
      // whole against its recorded hash, which costs only on this failing path.
      const found = await this.store.inspect(spec, { hash: true }).catch(() => null);
      if (found?.state === 'damaged') throw this.store.damagedError(spec, found.path, found.problem, error);
      const reason = ((error as Error).message ?? String(error)).split('\n')[0]!.trim();
      // A file whose hash matches is as the converter wrote it: converting again would not help.
      const asWritten = found?.state === 'ready' && found.info.sha256 !== undefined;
      const hint = asWritten ? '' : `; to convert it again run: ${this.store.prepareCommand(spec)}`;
      throw new VisageError('VISAGE_ERR_MODEL_LOAD_FAILED', `${spec.id}: ${path} could not be loaded (${reason})${hint}`, { cause: error });
    }
  }

  /**
   * Runs a model on one NCHW float32 batch (already normalised as the registry says)
   * and returns every output by name.
   */
  async run(id: string, input: Float32Array, dims: number[]): Promise<Outputs> {
    const session = await this.session(id);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (input.length !== expected) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `${id}: input has ${input.length} values, dims [${dims.join(', ')}] need ${expected}`);
    }
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) };
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await session.run(feeds);
    } catch (error) {
      throw new VisageError('VISAGE_ERR_INFERENCE_FAILED', `${id}: ${(error as Error).message}`, { cause: error });
    }
    const outputs: Outputs = {};
    for (const name of session.outputNames) {
      const tensor = results[name]!;
      outputs[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
      tensor.dispose?.();
    }
    return outputs;
  }

  /**
   * Runs a model on several inputs of the same shape side by side, each input in its own run,
   * on as many lanes (worker threads with one-thread sessions) as the engine has threads. For
   * small models one thread per run beats several threads on one run: BlazeFace 256x256 takes
   * 7.0 ms on one thread and 5.4-6.7 ms on two, while two lanes do 10 runs in 42-46 ms
   * (measured on 2 cores). With one thread or one input: run() in turn, on this thread.
   * An input may be a promise: a lane takes it up when it is ready, so the caller can go on
   * preparing the next inputs while the first ones run.
   */
  async runEach(id: string, inputs: readonly (Float32Array | Promise<Float32Array>)[], dims: number[]): Promise<Outputs[]> {
    // Every input is awaited below; a rejection must not count as unhandled meanwhile.
    for (const input of inputs) if (input instanceof Promise) input.catch(() => {});
    if (this.threads < 2 || inputs.length < 2) {
      const outputs: Outputs[] = [];
      for (const input of inputs) outputs.push(await this.run(id, await input, dims));
      return outputs;
    }
    if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'the engine was closed');
    const expected = dims.reduce((a, b) => a * b, 1);
    const path = await this.modelPath(id);
    const lanes = this.openLanes();
    const results: Outputs[] = new Array(inputs.length);
    let next = 0;
    await Promise.all(lanes.map(async (lane) => {
      while (next < inputs.length) {
        const k = next++;
        const input = await inputs[k]!;
        if (input.length !== expected) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${id}: input ${k} has ${input.length} values, dims [${dims.join(', ')}] need ${expected}`);
        results[k] = await this.runInLane(lane, id, path, input, dims);
      }
    }));
    return results;
  }

  private modelPath(id: string): Promise<string> {
    let path = this.paths.get(id);
    if (!path) {
      path = this.store.ensure(getModelSpec(id)).then((info) => info.path);
      path.catch(() => this.paths.delete(id));
      this.paths.set(id, path);
    }
    return path;
  }

  /** The lanes, started (or restarted, after a crash) up to one per thread. */
  private openLanes(): Lane[] {
    while (this.lanes.length < this.threads) this.lanes.push(this.startLane());
    return [...this.lanes];
  }

  private startLane(): Lane {
    // No loaders or flags of this process: the worker is plain JavaScript.
    const worker = new Worker(new URL('./lane-worker.mjs', import.meta.url), { execArgv: [] });
    // An idle lane never keeps the process alive; one with work pending does (see runInLane).
    worker.unref();
    const lane: Lane = { worker, pending: new Map() };
    worker.on('message', (message: { job: number; outputs?: Outputs; error?: string }) => {
      const waiting = lane.pending.get(message.job);
      if (!waiting) return;
      lane.pending.delete(message.job);
      if (lane.pending.size === 0) worker.unref();
      if (message.outputs) waiting.resolve(message.outputs);
      else waiting.reject(new VisageError('VISAGE_ERR_INFERENCE_FAILED', message.error ?? 'inference lane failed'));
    });
    const fail = (error: VisageError) => {
      this.lanes = this.lanes.filter((l) => l !== lane);
      for (const waiting of lane.pending.values()) waiting.reject(error);
      lane.pending.clear();
    };
    worker.on('error', (error) => fail(new VisageError('VISAGE_ERR_INFERENCE_FAILED', `inference lane failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => fail(this.closed
      ? new VisageError('VISAGE_ERR_CLOSED', 'the engine was closed')
      : new VisageError('VISAGE_ERR_INFERENCE_FAILED', `inference lane stopped (exit code ${code})`)));
    return lane;
  }

  private runInLane(lane: Lane, id: string, path: string, input: Float32Array, dims: number[]): Promise<Outputs> {
    return new Promise((resolve, reject) => {
      const job = this.nextJob++;
      // A lane serves every model, so its errors are named after the model here.
      lane.pending.set(job, { resolve, reject: (error) => reject(new VisageError(error.code, `${id}: ${error.message}`, { cause: error })) });
      lane.worker.ref();
      // The input is copied (not transferred): the caller keeps its array.
      lane.worker.postMessage({ job, path, options: this.sessionOptions(1), input, dims });
    });
  }

  /**
   * Runs a model on many same-sized items, in batches of at most `maxBatch`
   * (1 for models with a fixed batch), and returns each output split per item.
   */
  async runBatched(id: string, items: Float32Array[], itemDims: number[], maxBatch = 16): Promise<Outputs[]> {
    const spec = getModelSpec(id);
    const batchSize = spec.input.batch === 'dynamic' ? Math.max(1, maxBatch) : spec.input.batch;
    const itemSize = itemDims.reduce((a, b) => a * b, 1);
    const perItem: Outputs[] = [];
    for (let start = 0; start < items.length; start += batchSize) {
      const chunk = items.slice(start, start + batchSize);
      const input = new Float32Array(chunk.length * itemSize);
      chunk.forEach((item, i) => {
        if (item.length !== itemSize) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${id}: item ${start + i} has ${item.length} values, expected ${itemSize}`);
        input.set(item, i * itemSize);
      });
      const outputs = await this.run(id, input, [chunk.length, ...itemDims]);
      for (let i = 0; i < chunk.length; i++) {
        const split: Outputs = {};
        for (const [name, out] of Object.entries(outputs)) {
          const size = out.data.length / chunk.length;
          split[name] = { data: out.data.slice(i * size, (i + 1) * size), dims: [1, ...out.dims.slice(1)] };
        }
        perItem.push(split);
      }
    }
    return perItem;
  }

  /** Which models have a session open now. */
  loadedModels(): string[] {
    return [...this.sessions.keys()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    const lanes = this.lanes;
    this.lanes = [];
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
    await Promise.all(sessions.map(async (s) => {
      try { await (await s).release(); } catch { /* a session that failed to load has nothing to free */ }
    }));
  }
}
