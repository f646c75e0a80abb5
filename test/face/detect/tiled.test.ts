import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../../src/runtime/engine.ts';
import { createDetector } from '../../../src/face/detect/index.ts';
import { TiledDetector, planTiles, type TilingConfig } from '../../../src/face/detect/tiled.ts';
import type { BatchDetector } from '../../../src/face/detect/batch-detector.ts';
import type { DetectedFace } from '../../../src/face/detect/types.ts';
import type { RgbImage } from '../../../src/types.ts';
import { iou } from '../../../src/face/detect/nms.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';
import { readWiderGroundTruth } from '../../../bench/wider-eval.ts';
import { gradient, loadDataset, openEngine } from './detectors.ts';

const needGroup = skipUnless('media', 'group1.jpg');
const WIDER_IMAGE = '0--Parade/0_Parade_marchingband_1_490.jpg';
const needWider = skipUnless('wider-dev', 'images', WIDER_IMAGE);
const ALL = { minScore: 0.5, maxFaces: 1000, minFaceSize: 0 };
const CONFIG: TilingConfig = { levels: [2], overlap: 0.2, maxZoom: 2, mergeIou: 0.5, mergeContained: 0.6 };

/** Sees one face against the left edge of every tile and one in its middle; nothing in the whole image. */
class FakeDetector implements BatchDetector {
  readonly id = 'fake';
  seen: { width: number; height: number }[] = [];
  constructor(readonly inputSize: number) {}
  async detect(): Promise<DetectedFace[]> { throw new Error('not used'); }
  async detectMany(images: readonly RgbImage[]): Promise<DetectedFace[][]> {
    this.seen.push(...images.map(({ width, height }) => ({ width, height })));
    // The whole image (or its shrunk copy) always comes first.
    return images.map((image, i) => (i === 0 ? [] : [
      { box: { x: 0, y: 10, width: 20, height: 20 }, score: 0.9, keypoints: [{ x: 5, y: 15 }] },
      { box: { x: image.width / 2 - 10, y: image.height / 2 - 10, width: 20, height: 20 }, score: 0.8 },
    ]));
  }
}

const near = (a: number, b: number, eps: number) => Math.abs(a - b) <= eps;

test('tiles enlarged by the detector: cut at full resolution, detections shifted back, cut-off ones at inner edges dropped', async () => {
  // A detector input of 1024 enlarges the 569-px tiles of a 1024x768 image: they are plain crops.
  const fake = new FakeDetector(1024);
  const detector = new TiledDetector(fake, CONFIG);
  const faces = await detector.detect(gradient(1024, 768), ALL);
  const tiles = planTiles(1024, 768, 1024, CONFIG).slice(1);
  assert.deepEqual(fake.seen, [{ width: 1024, height: 768 }, ...tiles.map((t) => ({ width: t.box.width, height: t.box.height }))]);
  const edge = faces.filter((f) => f.score === 0.9), middle = faces.filter((f) => f.score === 0.8);
  // Only the tiles on the image's left border keep their left-edge face.
  assert.deepEqual(edge.map((f) => f.box).sort((a, b) => a.y - b.y), tiles.filter((t) => t.box.x === 0).map((t) => ({ x: 0, y: t.box.y + 10, width: 20, height: 20 })));
  assert.deepEqual(edge.map((f) => f.keypoints), edge.map((f) => [{ x: 5, y: f.box.y + 5 }]));
  assert.equal(middle.length, tiles.length);
  for (const t of tiles) {
    assert.ok(middle.some((f) => f.box.x === t.box.x + t.box.width / 2 - 10 && f.box.y === t.box.y + t.box.height / 2 - 10));
  }
  assert.throws(() => new TiledDetector(fake, { ...CONFIG, levels: [1] }), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => new TiledDetector(fake, { ...CONFIG, overlap: 0.9 }), { code: 'VISAGE_ERR_BAD_OPTION' });
});

test('tiles shrunk for the detector: cut from the image shrunk once, detections scaled back', async () => {
  const fake = new FakeDetector(256);
  const faces = await new TiledDetector(fake, CONFIG).detect(gradient(1024, 768), ALL);
  const tiles = planTiles(1024, 768, 256, CONFIG).slice(1);
  const scale = 256 / tiles[0]!.side;
  assert.equal(fake.seen.length, 1 + tiles.length);
  // The whole image is handed over already shrunk to the tiles' scale (the detector shrinks it further).
  assert.ok(near(fake.seen[0]!.width, 1024 * scale, 1) && near(fake.seen[0]!.height, 768 * scale, 1), JSON.stringify(fake.seen[0]));
  for (const seen of fake.seen.slice(1)) assert.ok(near(seen.width, 256, 1) && near(seen.height, 256, 1), JSON.stringify(seen));
  const edge = faces.filter((f) => f.score === 0.9), middle = faces.filter((f) => f.score === 0.8);
  assert.equal(edge.length, 2);
  assert.equal(middle.length, tiles.length);
  for (const t of tiles) {
    const cx = t.box.x + t.box.width / 2, cy = t.box.y + t.box.height / 2;
    assert.ok(middle.some((f) => near(f.box.x + f.box.width / 2, cx, 3) && near(f.box.y + f.box.height / 2, cy, 3) && near(f.box.width, 20 / scale, 0.5)),
      `tile ${JSON.stringify(t.box)}: ${JSON.stringify(middle.map((f) => f.box))}`);
  }
  for (const f of edge) assert.ok(near(f.box.x, 0, 1e-9) && near(f.box.width, 20 / scale, 0.5) && near(f.keypoints![0]!.x, 5 / scale, 0.5));
});

let engine: Engine;
let close: () => Promise<void>;
before(async () => { ({ engine, close } = await openEngine()); });
after(async () => { await close(); });

test('tiling finds more of the small faces of group1.jpg (~30 faces, 640x405)', { skip: needGroup }, async () => {
  const image = await loadDataset('media', 'group1.jpg');
  for (const [id, gain] of [['ssd', 5], ['blazeface', 5]] as const) {
    const plain = await createDetector(engine, id, { tiling: 'off' }).detect(image, ALL);
    const tiled = await createDetector(engine, id).detect(image, ALL);
    // Measured at score 0.5: SSD 24 -> 29 faces, BlazeFace 15 -> 32.
    assert.ok(tiled.length >= plain.length + gain, `${id}: ${plain.length} faces whole, ${tiled.length} tiled`);
    assert.ok(tiled.length <= 36, `${id}: ${tiled.length} faces: more than the photo holds`);
  }
});

test('tiling finds many more faces in a crowded WIDER photo (73 faces >= 16 px)', { skip: needWider }, async () => {
  const truth = (await readWiderGroundTruth(dataset('wider-dev', 'wider_face_dev_bbx_gt.txt'))).find((g) => g.name === WIDER_IMAGE)!;
  const faces = truth.faces.filter((f) => !f.invalid && f.box.height >= 16);
  const image = await loadDataset('wider-dev', 'images', WIDER_IMAGE);
  const found = async (tiling: 'off' | 'auto') => {
    const detected = await createDetector(engine, 'ssd', { tiling }).detect(image, ALL);
    return faces.filter((f) => detected.some((d) => iou(d.box, f.box) >= 0.5)).length;
  };
  const plain = await found('off'), tiled = await found('auto');
  // Measured: 1 of 73 without tiles, 50 with.
  assert.ok(tiled >= plain + 30, `faces found: ${plain} whole, ${tiled} tiled, of ${faces.length}`);
});
