// Starting a worker thread from a module beside the caller's: the built JavaScript file in the
// package; when Visage runs from its TypeScript sources (development and tests, under tsx), a small
// module that registers tsx's loader in the worker first (on Node 20 a worker does not take up the
// loader of the thread that starts it), then imports the source.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running `name` (without extension) from the folder of `base` (the caller's import.meta.url). */
export function startWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), options);
  const source = new URL(`./${name}.ts`, base).href;
  const code = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nregister();\nawait import(${JSON.stringify(source)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { ...options, execArgv: [] });
}
