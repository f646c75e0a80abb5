// Parity of the ONNX graphs written for face-api's recogniser, 68-point landmark nets (full and
// tiny) and expression net against face-api itself on TF.js, on real LFW face crops.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import ort from 'onnxruntime-node';
import { tf, initTf, compareOutputs } from '../helpers/tfjs-reference.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { readWeightsManifest, type WeightMap } from '../../src/convert/tfjs/weights.ts';
import type { ConvertedGraph } from '../../src/convert/types.ts';
import { convertFaceRecognitionNet } from '../../src/convert/nets/face-recognition.ts';
import { convertFaceLandmark68Net, convertFaceLandmark68TinyNet } from '../../src/convert/nets/face-landmark68.ts';
import { convertFaceExpressionNet } from '../../src/convert/nets/face-expression.ts';
import { FACEAPI_MEAN_RGB, FACEAPI_STD } from '../../src/convert/nets/face-feature-extractor.ts';

const require = createRequire(import.meta.url);
const MODEL_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
const PEOPLE = ['Aaron_Peirsol', 'AJ_Cook', 'Aaron_Sorkin'];
const skip = skipUnless('lfw-view1', 'images');

let faceapi: any;

before(async () => {
  if (skip) return;
  await initTf();
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
});

/** The central 150x150 of each deep-funneled 250x250 LFW image (the face), resized to size x size, RGB bytes. */
async function faceCrops(size: number): Promise<Uint8Array[]> {
  return Promise.all(PEOPLE.map(async (name) => {
    const file = dataset('lfw-view1', 'images', name, `${name}_0001.jpg`);
    const { data, info } = await sharp(file)
      .extract({ left: 50, top: 50, width: 150, height: 150 })
      .resize(size, size, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }));
}

/** NCHW float32 batch of (pixel - mean) / 255, the converted graphs' input. */
function normalisedBatch(images: Uint8Array[], size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((img, b) => {
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) out[(b * 3 + c) * plane + i] = (img[i * 3 + c]! - FACEAPI_MEAN_RGB[c]!) / FACEAPI_STD;
    }
  });
  return out;
}

async function loadWeights(model: string): Promise<WeightMap> {
  return (await readWeightsManifest(path.join(MODEL_DIR, `${model}-weights_manifest.json`))).weights;
}

async function runOnnx(converted: ConvertedGraph, input: Float32Array, size: number, batch: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(converted.graph.toBytes());
  const feeds = { [converted.input]: new ort.Tensor('float32', input, [batch, 3, size, size]) };
  const results = await session.run(feeds);
  const out = results[converted.outputs[0]!]!;
  return out.data as Float32Array;
}

/** face-api on the same crops, given as pixel tensors already at the net's input size (no padding or resizing). */
async function runFaceApi(images: Uint8Array[], size: number, run: (inputs: any[]) => Promise<any>): Promise<Float32Array> {
  const inputs = images.map((img) => tf.tensor3d(Float32Array.from(img), [size, size, 3], 'float32'));
  try {
    const out = await run(inputs);
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  } finally {
    inputs.forEach((t) => t.dispose());
  }
}

function assertNoTranspose(converted: ConvertedGraph): void {
  const counts = converted.graph.opCounts();
  assert.equal(counts.Transpose ?? 0, 0, 'graph should need no Transpose');
}

function report(label: string, converted: ConvertedGraph, cmp: ReturnType<typeof compareOutputs>, extra = ''): void {
  console.log(`# ${label}: relDiff ${cmp.relDiff.toExponential(2)} (max |diff| ${cmp.maxDiff.toExponential(2)}, range ${cmp.range.toFixed(3)})${extra}; ops ${JSON.stringify(converted.graph.opCounts())}`);
}

test('face recognition net: ONNX matches face-api on TF.js (128-d descriptors)', { skip }, async () => {
  const size = 150;
  const images = await faceCrops(size);
  const converted = convertFaceRecognitionNet(await loadWeights('face_recognition_model'));
  assertNoTranspose(converted);
  const actual = await runOnnx(converted, normalisedBatch(images, size), size, images.length);

  const net = faceapi.nets.faceRecognitionNet;
  if (!net.isLoaded) await net.loadFromDisk(MODEL_DIR);
  const expected = await runFaceApi(images, size, (inputs) => net.forward(inputs));

  assert.equal(actual.length, images.length * 128);
  const cmp = compareOutputs(actual, expected);
  let minCosine = 1;
  for (let b = 0; b < images.length; b++) {
    const c = compareOutputs(actual.subarray(b * 128, (b + 1) * 128), expected.subarray(b * 128, (b + 1) * 128));
    minCosine = Math.min(minCosine, c.cosine);
  }
  report('recognition', converted, cmp, `, min cosine ${minCosine.toFixed(7)}`);
  assert.ok(cmp.relDiff <= 1e-3, `relDiff ${cmp.relDiff}`);
  assert.ok(minCosine >= 0.9999, `cosine ${minCosine}`);
  // Different faces must still give different descriptors (the graph is not degenerate).
  const d01 = Math.hypot(...Array.from(actual.subarray(0, 128), (v, i) => v - actual[128 + i]!));
  assert.ok(d01 > 0.1, `descriptors of two people are ${d01} apart`);
});

for (const [label, model, convert, getNet] of [
  ['landmark68', 'face_landmark_68_model', convertFaceLandmark68Net, () => faceapi.nets.faceLandmark68Net],
  ['landmark68 tiny', 'face_landmark_68_tiny_model', convertFaceLandmark68TinyNet, () => faceapi.nets.faceLandmark68TinyNet],
] as const) {
  test(`${label} net: ONNX matches face-api's raw 136 outputs`, { skip }, async () => {
    const size = 112;
    const images = await faceCrops(size);
    const converted = convert(await loadWeights(model));
    assertNoTranspose(converted);
    const actual = await runOnnx(converted, normalisedBatch(images, size), size, images.length);

    const net = getNet();
    if (!net.isLoaded) await net.loadFromDisk(MODEL_DIR);
    // runNet is the network before postProcess (which only undoes the square padding).
    const expected = await runFaceApi(images, size, async (inputs) => net.runNet(await faceapi.toNetInput(inputs)));

    assert.equal(actual.length, images.length * 136);
    const cmp = compareOutputs(actual, expected);
    report(label, converted, cmp);
    assert.ok(cmp.relDiff <= 1e-3, `relDiff ${cmp.relDiff}`);
    // Landmarks of a centred face lie inside the square input.
    for (const v of actual) assert.ok(v > -0.1 && v < 1.1, `landmark coordinate ${v} outside the input`);
  });
}

test('expression net: ONNX matches face-api (7 probabilities)', { skip }, async () => {
  const size = 112;
  const images = await faceCrops(size);
  const converted = convertFaceExpressionNet(await loadWeights('face_expression_model'));
  assertNoTranspose(converted);
  const actual = await runOnnx(converted, normalisedBatch(images, size), size, images.length);

  const net = faceapi.nets.faceExpressionNet;
  if (!net.isLoaded) await net.loadFromDisk(MODEL_DIR);
  const expected = await runFaceApi(images, size, (inputs) => net.forward(inputs));

  assert.equal(actual.length, images.length * 7);
  const cmp = compareOutputs(actual, expected);
  report('expression', converted, cmp);
  assert.ok(cmp.relDiff <= 1e-3, `relDiff ${cmp.relDiff}`);
  // Confident faces saturate the softmax, which hides errors in the small probabilities:
  // also compare log-probabilities (the logits up to a per-face constant).
  const logCmp = compareOutputs(actual.map(Math.log), expected.map(Math.log));
  console.log(`# expression log-probabilities: relDiff ${logCmp.relDiff.toExponential(2)} (range ${logCmp.range.toFixed(2)}); top: ${
    Array.from({ length: images.length }, (_, b) => Math.max(...actual.subarray(b * 7, (b + 1) * 7)).toFixed(3)).join(', ')}`);
  assert.ok(logCmp.relDiff <= 1e-3, `log-probability relDiff ${logCmp.relDiff}`);
  for (let b = 0; b < images.length; b++) {
    const sum = actual.subarray(b * 7, (b + 1) * 7).reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
  }
});

test('converters reject missing and unknown weight names, naming the weight', async () => {
  const weights = await loadWeights('face_landmark_68_tiny_model');
  const missing = new Map(weights);
  missing.delete('dense1/conv2/pointwise_filter');
  assert.throws(() => convertFaceLandmark68TinyNet(missing), /dense1\/conv2\/pointwise_filter/);
  const extra = new Map(weights);
  extra.set('dense9/conv0/bias', { shape: [1], data: new Float32Array(1) });
  assert.throws(() => convertFaceLandmark68TinyNet(extra), /dense9\/conv0\/bias/);
  // The tiny net's weights lack the full net's fourth dense block.
  assert.throws(() => convertFaceLandmark68Net(weights), /dense0\/conv3\/depthwise_filter/);
  assert.throws(() => convertFaceRecognitionNet(weights), /conv32_down\/conv\/filters/);
});
