// Templates on real faces: 68 landmarks from the converted face-api model on LFW images, each
// face aligned onto every template, then the landmark model run again on the aligned crop: the
// eyes must land where the template puts them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../../src/runtime/engine.ts';
import { applyAffine } from '../../../src/face/align/affine.ts';
import { alignFace } from '../../../src/face/align/align.ts';
import { fivePointsFrom68, fivePointsList } from '../../../src/face/align/landmarks.ts';
import { warpAffine } from '../../../src/face/align/warp.ts';
import {
  ARCFACE_112, DLIB_CHIP_150, DLIB_MEAN_FACE_CHIP_150, dlibChipTransform68, faceapiChip, type AlignTemplate,
} from '../../../src/face/align/templates.ts';
import type { FivePoints, Point, RgbImage } from '../../../src/types.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';
import { landmarks68, readRgb } from './faces.ts';

const PEOPLE = ['Aaron_Peirsol', 'AJ_Cook', 'Aaron_Sorkin', 'Al_Gore', 'Alan_Greenspan'];
const skip = skipUnless('lfw-view1', 'images');
/** LFW deep-funneled faces sit in the central ~150x150 of the 250x250 image. */
const FACE_BOX = { x: 50, y: 50, side: 150 };
/** Eyes must land within this fraction of the chip side of where the template puts them. */
const TOLERANCE = 0.03;

let dir: string;
let engine: Engine;
let faces: { name: string; image: RgbImage; points68: Point[]; five: FivePoints }[] = [];

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'visage-align-'));
  engine = await Engine.create({ modelDir: dir, threads: 2 });
  for (const name of PEOPLE) {
    const image = await readRgb(dataset('lfw-view1', 'images', name, `${name}_0001.jpg`));
    const points68 = await landmarks68(engine, image, FACE_BOX);
    faces.push({ name, image, points68, five: fivePointsFrom68(points68) });
  }
});

after(async () => {
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The five points found again by the landmark model on an aligned chip. */
async function fiveOnChip(chip: RgbImage): Promise<FivePoints> {
  return fivePointsFrom68(await landmarks68(engine, chip, { x: 0, y: 0, side: chip.width }));
}

function assertNear(actual: Point, expected: Point, side: number, what: string): void {
  const d = Math.hypot(actual.x - expected.x, actual.y - expected.y) / side;
  assert.ok(d <= TOLERANCE, `${what}: (${actual.x.toFixed(1)}, ${actual.y.toFixed(1)}) is ${(d * 100).toFixed(1)}% of the side from (${expected.x.toFixed(1)}, ${expected.y.toFixed(1)})`);
}

for (const template of [ARCFACE_112, DLIB_MEAN_FACE_CHIP_150]) {
  test(`${template.name}: eyes land on the template's eyes`, { skip }, async () => {
    for (const { name, image, five } of faces) {
      const { image: chip, matrix } = alignFace(image, five, template);
      assert.equal(chip.width, template.width);
      assert.equal(chip.height, template.height);
      const target = template.points!;
      // Least squares over five points: the eyes need not land exactly, but close.
      assertNear(applyAffine(matrix, five.leftEye), target.leftEye, template.width, `${name} mapped left eye`);
      assertNear(applyAffine(matrix, five.rightEye), target.rightEye, template.width, `${name} mapped right eye`);
      const again = await fiveOnChip(chip);
      assertNear(again.leftEye, target.leftEye, template.width, `${name} left eye on the chip`);
      assertNear(again.rightEye, target.rightEye, template.width, `${name} right eye on the chip`);
    }
  });
}

test('arcface-112 template is InsightFace\'s, moved half a pixel into our coordinates', () => {
  assert.deepEqual(fivePointsList(ARCFACE_112.points!).map((p) => [p.x, p.y]), [
    [38.7946, 52.1963], [74.0318, 52.0014], [56.5252, 72.2366], [42.0493, 92.8655], [71.2299, 92.7041],
  ]);
});

test('faceapi-chip-150: eyes level, eye-to-mouth 0.45, centroid at (0.5, 0.43)', { skip }, async () => {
  assert.equal(DLIB_CHIP_150.width, 150);
  const side = 150;
  for (const { name, image, five } of faces) {
    const { image: chip, matrix } = alignFace(image, five, DLIB_CHIP_150);
    const [l, r, , ml, mr] = fivePointsList(five).map((p) => applyAffine(matrix, p)) as [Point, Point, Point, Point, Point];
    const mouth = { x: (ml.x + mr.x) / 2, y: (ml.y + mr.y) / 2 };
    // The rule holds exactly for the points it was computed from.
    assert.ok(Math.abs(l.y - r.y) < 1e-9 && l.x < r.x, `${name}: eyes level, left on the left`);
    const eyeToMouth = (Math.hypot(mouth.x - l.x, mouth.y - l.y) + Math.hypot(mouth.x - r.x, mouth.y - r.y)) / 2;
    assert.ok(Math.abs(eyeToMouth - 0.45 * side) < 1e-9, `${name}: eye-to-mouth ${eyeToMouth}`);
    const centroid = { x: (l.x + r.x + mouth.x) / 3, y: (l.y + r.y + mouth.y) / 3 };
    assert.ok(Math.abs(centroid.x - 0.5 * side) < 1e-9 && Math.abs(centroid.y - 0.43 * side) < 1e-9);
    // And the landmark model finds the face there on the chip.
    const again = await fiveOnChip(chip);
    assertNear(again.leftEye, l, side, `${name} left eye on the chip`);
    assertNear(again.rightEye, r, side, `${name} right eye on the chip`);
    assert.ok(Math.abs(again.leftEye.y - again.rightEye.y) / side <= TOLERANCE, `${name}: eyes level on the chip`);
    const mouthAgain = { x: (again.mouthLeft.x + again.mouthRight.x) / 2, y: (again.mouthLeft.y + again.mouthRight.y) / 2 };
    assertNear({ x: (again.leftEye.x + again.rightEye.x + mouthAgain.x) / 3, y: (again.leftEye.y + again.rightEye.y + mouthAgain.y) / 3 },
      { x: 0.5 * side, y: 0.43 * side }, side, `${name} centroid on the chip`);
  }
});

test('a face rolled in the image gives the same face-api chip', { skip }, async () => {
  const { image, five } = faces[1]!;
  // Roll the image 15 degrees about the face; the landmarks move with it exactly.
  const angle = (15 * Math.PI) / 180, cos = Math.cos(angle), sin = Math.sin(angle), c = 125;
  const roll: [[number, number, number], [number, number, number]] = [[cos, -sin, c - (cos * c - sin * c)], [sin, cos, c - (sin * c + cos * c)]];
  const rolled = warpAffine(image, roll, image.width, image.height);
  const rolledFive = Object.fromEntries(Object.entries(five).map(([k, p]) => [k, applyAffine(roll, p)])) as unknown as FivePoints;
  const upright = alignFace(image, five, DLIB_CHIP_150).image;
  const fromRolled = alignFace(rolled, rolledFive, DLIB_CHIP_150).image;
  let sum = 0;
  for (let i = 0; i < upright.data.length; i++) sum += Math.abs(upright.data[i]! - fromRolled.data[i]!);
  const error = sum / upright.data.length;
  // Two resamplings blur a little; a misplaced chip would differ by tens of levels.
  assert.ok(error < 6, `mean absolute difference ${error.toFixed(2)}`);
});

test('dlib chip from all 68 points puts the eyes where dlib\'s mean face has them', { skip }, async () => {
  const target = DLIB_MEAN_FACE_CHIP_150.points!;
  for (const { name, image, points68 } of faces) {
    const matrix = dlibChipTransform68(points68);
    const five = fivePointsFrom68(points68.map((p) => applyAffine(matrix, p)));
    assertNear(five.leftEye, target.leftEye, 150, `${name} left eye`);
    assertNear(five.rightEye, target.rightEye, 150, `${name} right eye`);
    const again = await fiveOnChip(warpAffine(image, matrix, 150, 150));
    assertNear(again.leftEye, target.leftEye, 150, `${name} left eye on the chip`);
    assertNear(again.rightEye, target.rightEye, 150, `${name} right eye on the chip`);
  }
});

test('template options are checked', () => {
  assert.throws(() => faceapiChip(0), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => dlibChipTransform68([]), { code: 'VISAGE_ERR_BAD_INPUT' });
  const p = { x: 5, y: 5 };
  assert.throws(() => DLIB_CHIP_150.transform({ leftEye: p, rightEye: p, nose: p, mouthLeft: p, mouthRight: p }), { code: 'VISAGE_ERR_BAD_INPUT' });
});

test('every template is frozen plain data plus a transform', () => {
  for (const template of [ARCFACE_112, DLIB_CHIP_150, DLIB_MEAN_FACE_CHIP_150] as AlignTemplate[]) {
    assert.ok(Object.isFrozen(template));
    assert.ok(Number.isInteger(template.width) && Number.isInteger(template.height));
  }
});
