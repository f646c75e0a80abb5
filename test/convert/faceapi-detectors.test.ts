// Parity of the ONNX graphs written for face-api's SSD-MobileNetV1 detector, tiny face detector
// and age/gender net with face-api's own networks on TF.js, on real photos and face crops.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import ort from 'onnxruntime-node';
import { tf, initTf, readPixels, compareOutputs } from '../helpers/tfjs-reference.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { readWeightsManifest } from '../../src/convert/tfjs/weights.ts';
import { convertSsdMobilenetV1 } from '../../src/convert/nets/ssd-mobilenetv1.ts';
import { convertTinyFaceDetector, TINY_FACE_MEAN_RGB } from '../../src/convert/nets/tiny-face-detector.ts';
import { convertAgeGenderNet, AGE_GENDER_MEAN_RGB } from '../../src/convert/nets/age-gender.ts';
import type { ConvertedGraph } from '../../src/convert/types.ts';

const require = createRequire(import.meta.url);
const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
const TOLERANCE = 1e-3; // of each output's range

const detectorImages = [
  ['media', 'multiface.jpg'],
  ['media', 'group1.jpg'],
  ['wider-dev', 'images', '12--Group', '12_Group_Group_12_Group_Group_12_10.jpg'],
];
const faceCrops = ['Aaron_Peirsol/Aaron_Peirsol_0001.jpg', 'Abdullah_Gul/Abdullah_Gul_0013.jpg', 'Serena_Williams/Serena_Williams_0017.jpg', 'Alicia_Keys/Alicia_Keys_0001.jpg'];

/** Skips unless every detector image is present. */
const detectorSkip = detectorImages.map((p) => skipUnless(...p)).find((r) => r !== false) ?? false;

let faceapi: any;
before(async () => {
  await initTf();
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
});

/**
 * The image scaled to fit size x size and padded with black at the bottom/right, as face-api's
 * detectors do (padToSquare without centring, then resize), as interleaved RGB bytes.
 */
async function detectorPixels(file: string, size: number): Promise<Uint8Array> {
  const { data } = await sharp(file).rotate().removeAlpha().toColourspace('srgb')
    .resize(size, size, { fit: 'contain', position: 'left top', background: { r: 0, g: 0, b: 0 } })
    .raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** HWC bytes of several images -> NCHW float32 (pixel - mean) / std. */
function toNchw(images: Uint8Array[], size: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const plane = size * size;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((img, n) => {
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) out[(n * 3 + c) * plane + i] = (img[i * 3 + c]! - mean[c]!) / std[c]!;
    }
  });
  return out;
}

async function runOnnx(converted: ConvertedGraph, data: Float32Array, dims: number[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(converted.graph.toBytes(), { intraOpNumThreads: 2 });
  try {
    return await session.run({ [converted.input]: new ort.Tensor('float32', data, dims) });
  } finally {
    await session.release();
  }
}

function imageTensors(images: Uint8Array[], size: number): any[] {
  return images.map((img) => tf.tensor3d(img, [size, size, 3], 'int32'));
}

function expectClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  const r = compareOutputs(actual, expected);
  console.log(`${label}: maxDiff ${r.maxDiff.toExponential(2)} range ${r.range.toFixed(3)} relDiff ${r.relDiff.toExponential(2)} cosine ${r.cosine.toFixed(7)}`);
  assert.ok(r.relDiff <= TOLERANCE, `${label}: max |diff| ${r.maxDiff} is more than ${TOLERANCE} of the range ${r.range}`);
}

/** NHWC [n, h, w, c] -> NCHW. */
function nhwcToNchw(data: ArrayLike<number>, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k]!;
      }
    }
  }
  return out;
}

test('SSD-MobileNetV1 matches face-api (boxes and scores before NMS)', { skip: detectorSkip }, async () => {
  const { weights } = await readWeightsManifest(path.join(modelDir, 'ssd_mobilenetv1_model-weights_manifest.json'));
  const converted = convertSsdMobilenetV1(weights);
  const counts = converted.graph.opCounts();
  console.log('ssd-mobilenetv1 ops', JSON.stringify(counts));
  assert.equal(counts.Transpose ?? 0, 0);

  const net = new faceapi.SsdMobilenetv1();
  await net.loadFromDisk(modelDir);
  const images = await Promise.all(detectorImages.map((p) => detectorPixels(dataset(...p), 512)));
  const onnx = await runOnnx(converted, toNchw(images, 512, [127.5, 127.5, 127.5], [127.5, 127.5, 127.5]), [images.length, 3, 512, 512]);
  assert.deepEqual(onnx.boxes!.dims, [images.length, 5118, 4]);
  assert.deepEqual(onnx.scores!.dims, [images.length, 5118]);

  const inputs = imageTensors(images, 512);
  const ref = net.forwardInput(await faceapi.toNetInput(inputs));
  const refBoxes = new Float32Array(images.length * 5118 * 4);
  const refScores = new Float32Array(images.length * 5118);
  for (let i = 0; i < images.length; i++) {
    refBoxes.set(await ref.boxes[i].data(), i * 5118 * 4);
    refScores.set(await ref.scores[i].data(), i * 5118);
  }
  tf.dispose([...inputs, ...ref.boxes, ...ref.scores]);
  net.dispose();

  expectClose('ssd boxes', onnx.boxes!.data as Float32Array, refBoxes);
  expectClose('ssd scores', onnx.scores!.data as Float32Array, refScores);
  const faces = refScores.filter((s) => s > 0.5).length;
  assert.ok(faces > 5, `expected faces in the test photos, face-api found ${faces}`);
});

test('tiny face detector matches face-api (raw grid) at several input sizes', { skip: detectorSkip }, async () => {
  const { weights } = await readWeightsManifest(path.join(modelDir, 'tiny_face_detector_model-weights_manifest.json'));
  const converted = convertTinyFaceDetector(weights);
  const counts = converted.graph.opCounts();
  console.log('tiny-face-detector ops', JSON.stringify(counts));
  assert.equal(counts.Transpose ?? 0, 0);

  const net = new faceapi.TinyFaceDetector();
  await net.loadFromDisk(modelDir);
  for (const size of [416, 320, 608]) {
    const files = size === 416 ? detectorImages : detectorImages.slice(0, 1);
    const images = await Promise.all(files.map((p) => detectorPixels(dataset(...p), size)));
    const onnx = await runOnnx(converted, toNchw(images, size, TINY_FACE_MEAN_RGB, [255, 255, 255]), [images.length, 3, size, size]);
    const cells = size / 32;
    assert.deepEqual(onnx.grid!.dims, [images.length, 25, cells, cells]);

    const inputs = imageTensors(images, size);
    const ref = net.forwardInput(await faceapi.toNetInput(inputs), size);
    assert.deepEqual(ref.shape, [images.length, cells, cells, 25]);
    const refData = nhwcToNchw(await ref.data(), images.length, cells, cells, 25);
    tf.dispose([...inputs, ref]);
    expectClose(`tiny grid ${size}`, onnx.grid!.data as Float32Array, refData);
  }
  net.dispose();
});

test('age/gender net matches face-api on LFW face crops', { skip: skipUnless('lfw-view1', 'images') }, async () => {
  const { weights } = await readWeightsManifest(path.join(modelDir, 'age_gender_model-weights_manifest.json'));
  const converted = convertAgeGenderNet(weights);
  const counts = converted.graph.opCounts();
  console.log('age-gender ops', JSON.stringify(counts));
  assert.equal(counts.Transpose ?? 0, 0);

  const net = new faceapi.AgeGenderNet();
  await net.loadFromDisk(modelDir);
  // LFW crops are square (250x250), so face-api's centred padding is a no-op; resize to 112.
  const images = await Promise.all(faceCrops.map((f) => readPixels(dataset('lfw-view1', 'images', f), 112, 112)));
  const onnx = await runOnnx(converted, toNchw(images, 112, AGE_GENDER_MEAN_RGB, [255, 255, 255]), [images.length, 3, 112, 112]);
  assert.deepEqual(onnx.age!.dims, [images.length, 1]);
  assert.deepEqual(onnx.gender!.dims, [images.length, 2]);

  const inputs = imageTensors(images, 112);
  const ref = net.forwardInput(await faceapi.toNetInput(inputs));
  const refAge = await ref.age.data();
  const refGender = await ref.gender.data();
  tf.dispose([...inputs, ref.age, ref.gender]);
  net.dispose();

  expectClose('age', onnx.age!.data as Float32Array, refAge);
  expectClose('gender', onnx.gender!.data as Float32Array, refGender);
  console.log('ages', Array.from(onnx.age!.data as Float32Array, (a) => a.toFixed(1)).join(' '),
    'P(male)', Array.from({ length: images.length }, (_, i) => (onnx.gender!.data as Float32Array)[i * 2]!.toFixed(3)).join(' '));
});

test('converters reject missing and unknown weights by name', async () => {
  for (const [file, convert] of [
    ['ssd_mobilenetv1_model', convertSsdMobilenetV1],
    ['tiny_face_detector_model', convertTinyFaceDetector],
    ['age_gender_model', convertAgeGenderNet],
  ] as const) {
    const { weights } = await readWeightsManifest(path.join(modelDir, `${file}-weights_manifest.json`));
    const name = [...weights.keys()].find((n) => n.endsWith('bias') || n.endsWith('biases') || n.endsWith('convolution_bn_offset'))!;
    const missing = new Map(weights);
    missing.delete(name);
    assert.throws(() => convert(missing), (e: Error) => e.message.includes(`'${name}'`) && /missing/.test(e.message));
    const extra = new Map(weights);
    extra.set('some/stray_weight', { shape: [1], data: new Float32Array(1) });
    assert.throws(() => convert(extra), (e: Error) => e.message.includes("'some/stray_weight'") && /unknown/.test(e.message));
  }
});
