// TensorFlow.js as the reference that converted models are checked against.
// Uses the WASM backend (tfjs-node cannot install offline), CPU as a fallback.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
// face-api's node-wasm build requires these same CommonJS modules, so both share one tf instance.
export const tf: typeof import('@tensorflow/tfjs') = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

let ready: Promise<void> | undefined;
export function initTf(): Promise<void> {
  ready ??= (async () => {
    if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu');
    await tf.ready();
  })();
  return ready;
}

/** Loads a TF.js graph model from disk (Node's fetch has no file://). */
export async function loadGraphModelFromDisk(modelJsonPath: string) {
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  const dir = path.dirname(modelJsonPath);
  const shards: Buffer[] = [];
  const weightSpecs: any[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) shards.push(await readFile(path.join(dir, p)));
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadGraphModel({
    load: async () => ({ modelTopology: json.modelTopology, format: json.format, weightSpecs, weightData, signature: json.signature, userDefinedMetadata: json.userDefinedMetadata }),
  });
}

/** An image resized (stretched) to w x h, as interleaved RGB or grey bytes. */
export async function readPixels(file: string, width: number, height: number, channels: 1 | 3 = 3): Promise<Uint8Array> {
  let img = sharp(file).rotate().resize(width, height, { fit: 'fill' }).removeAlpha();
  img = channels === 1 ? img.greyscale() : img.toColourspace('srgb');
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`expected ${channels} channels, got ${info.channels}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Largest |a-b| over the largest |b| range, and cosine similarity. */
export function compareOutputs(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0, min = Infinity, max = -Infinity, dot = 0, na = 0, nb = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, b = expected[i]!;
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
    min = Math.min(min, b); max = Math.max(max, b);
    dot += a * b; na += a * a; nb += b * b;
  }
  const range = Math.max(max - min, 1e-12);
  return { maxDiff, range, relDiff: maxDiff / range, cosine: dot / Math.sqrt(na * nb || 1) };
}
