import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../../src/runtime/engine.ts';
import { createDetector } from '../../../src/face/detect/index.ts';
import { TinyFaceDetector } from '../../../src/face/detect/tiny-face-detector.ts';
import { iou } from '../../../src/face/detect/nms.ts';
import { skipUnless } from '../../helpers/datasets.ts';
import { MULTIFACE_FACES, describe, gradient, loadDataset, openEngine } from './detectors.ts';

let engine: Engine;
let close: () => Promise<void>;
before(async () => { ({ engine, close } = await openEngine()); });
after(async () => { await close(); });

test('tiny face detector: most multiface.jpg faces at its weaker scores; no face in a gradient', { skip: skipUnless('media', 'multiface.jpg') }, async () => {
  const image = await loadDataset('media', 'multiface.jpg');
  const options = { minScore: 0.3, maxFaces: 100, minFaceSize: 0 };
  const faces = await createDetector(engine, 'tiny', { tiling: 'off' }).detect(image, options);
  // Measured: 5 of the 6 faces found, 3 of them at IoU 0.62-0.70 and 2 placed too low (IoU ~0.4),
  // plus one box between two faces: this detector is imprecise (see its WIDER figures).
  const near = MULTIFACE_FACES.filter((truth) => faces.some((f) => iou(f.box, truth) > 0.35));
  const matched = MULTIFACE_FACES.filter((truth) => faces.some((f) => iou(f.box, truth) > 0.5));
  assert.ok(near.length >= 5 && matched.length >= 3, `${near.length} / ${matched.length} of 6 faces at IoU > 0.35 / 0.5: ${describe(faces)}`);
  assert.deepEqual(await createDetector(engine, 'tiny').detect(gradient(800, 600), options), []);
  assert.throws(() => new TinyFaceDetector(engine, { inputSize: 400 }), { code: 'VISAGE_ERR_BAD_OPTION' });
});
