import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../../src/runtime/engine.ts';
import { createDetector } from '../../../src/face/detect/index.ts';
import { SsdMobilenetV1Detector } from '../../../src/face/detect/ssd-mobilenetv1.ts';
import { iou } from '../../../src/face/detect/nms.ts';
import { crop } from '../../../src/face/image/transform.ts';
import type { Detector } from '../../../src/face/detect/types.ts';
import type { RgbImage } from '../../../src/types.ts';
import { skipUnless } from '../../helpers/datasets.ts';
import { BBT_FACE_CENTRES, MULTIFACE_FACES, contains, describe, gradient, loadDataset, openEngine } from './detectors.ts';

const needMedia = skipUnless('media', 'multiface.jpg');
const needBbt = skipUnless('bbt', 'group');
const ALL = { minScore: 0.5, maxFaces: 100, minFaceSize: 0 };

let engine: Engine;
let close: () => Promise<void>;
let whole: Detector, tiled: Detector;
let multiface: RgbImage;

before(async () => {
  ({ engine, close } = await openEngine());
  whole = createDetector(engine, 'ssd', { tiling: 'off' });
  tiled = createDetector(engine, 'ssd');
  if (!needMedia) multiface = await loadDataset('media', 'multiface.jpg');
});
after(async () => { await close(); });

test('createDetector: ssd without tiling is the plain detector, tiled by default; bad ids and modes refused', () => {
  assert.ok(whole instanceof SsdMobilenetV1Detector);
  assert.equal(tiled.id, 'ssd+tiled');
  assert.throws(() => createDetector(engine, 'yolo' as never), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => createDetector(engine, 'ssd', { tiling: 'yes' as never }), { code: 'VISAGE_ERR_BAD_OPTION' });
});

test('SSD finds the 6 faces of multiface.jpg where they are, with and without tiles', { skip: needMedia }, async () => {
  for (const detector of [whole, tiled]) {
    const faces = await detector.detect(multiface, ALL);
    assert.equal(faces.length, 6, `${detector.id}: ${describe(faces)}`);
    for (const truth of MULTIFACE_FACES) {
      const best = Math.max(...faces.map((f) => iou(f.box, truth)));
      assert.ok(best > 0.6, `${detector.id}: face at ${JSON.stringify(truth)} best IoU ${best.toFixed(2)}`);
    }
    for (const f of faces) {
      assert.ok(f.box.x >= 0 && f.box.y >= 0 && f.box.x + f.box.width <= multiface.width && f.box.y + f.box.height <= multiface.height);
      assert.ok(f.score >= 0.5 && f.score <= 1);
      assert.equal(f.keypoints, undefined);
    }
    assert.deepEqual(faces.map((f) => f.score), [...faces.map((f) => f.score)].sort((a, b) => b - a), 'best first');
  }
});

test('SSD finds nearly every face of the bbt group photos, with few false ones', { skip: needBbt }, async () => {
  let found = 0, total = 0, stray = 0;
  const misses: string[] = [];
  for (const [file, centres] of Object.entries(BBT_FACE_CENTRES)) {
    const image = await loadDataset('bbt', 'group', file);
    const faces = await tiled.detect(image, ALL);
    for (const c of centres) {
      total++;
      if (faces.some((f) => contains(f.box, c))) found++; else misses.push(`${file} (${c.x},${c.y})`);
    }
    stray += faces.filter((f) => !centres.some((c) => contains(f.box, c))).length;
  }
  assert.equal(total, 23);
  assert.ok(found >= 22, `found ${found}/${total}; missed ${misses.join(', ')}`);
  // Measured: a reflection on bbt1's glass table and a bottle in bbt2, from the tiles.
  assert.ok(stray <= 3, `${stray} detections on no face`);
});

test('minScore, maxFaces and minFaceSize filter as documented', { skip: needMedia }, async () => {
  for (const detector of [whole, tiled]) {
    const every = await detector.detect(multiface, { minScore: 0.05, maxFaces: 1000, minFaceSize: 0 });
    assert.ok(every.length > 6, 'low scores bring more boxes');
    const confident = await detector.detect(multiface, { ...ALL, minScore: 0.9 });
    assert.deepEqual(confident, every.filter((f) => f.score >= 0.9));
    assert.ok(confident.length >= 1 && confident.length < 6);
    const two = await detector.detect(multiface, { ...ALL, maxFaces: 2 });
    assert.deepEqual(two, every.slice(0, 2));
    const large = await detector.detect(multiface, { ...ALL, minFaceSize: 80 });
    assert.deepEqual(large, every.filter((f) => f.score >= 0.5 && Math.min(f.box.width, f.box.height) >= 80));
    assert.ok(large.length >= 1 && large.length < 6, `${detector.id}: ${describe(large)}`);
    await assert.rejects(detector.detect(multiface, { ...ALL, minScore: 2 }), { code: 'VISAGE_ERR_BAD_OPTION' });
  }
});

test('no faces in a gradient or in a background region of a photo', async () => {
  const images: [string, RgbImage][] = [['gradient 640x480', gradient(640, 480)], ['gradient 1600x1200', gradient(1600, 1200)]];
  // The stone steps and wall at the top left of multiface.jpg.
  if (!needMedia) images.push(['multiface background', crop(multiface, { x: 0, y: 0, width: 380, height: 200 })]);
  const always = createDetector(engine, 'ssd', { tiling: 'on' });
  for (const [name, image] of images) {
    for (const detector of [whole, tiled, always]) {
      const faces = await detector.detect(image, ALL);
      assert.equal(faces.length, 0, `${detector.id} on ${name}: ${describe(faces)}`);
    }
  }
});
