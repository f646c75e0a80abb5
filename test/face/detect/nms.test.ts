import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampBox, intersection, iou, mergeDetections, nonMaxSuppression, overlapOfSmaller } from '../../../src/face/detect/nms.ts';
import { checkDetectOptions, finishDetections, resolveDetectOptions } from '../../../src/face/detect/options.ts';
import { planTiles, type TilingConfig } from '../../../src/face/detect/tiled.ts';
import type { Box } from '../../../src/types.ts';

const box = (x: number, y: number, width: number, height: number): Box => ({ x, y, width, height });
const close = (actual: number, expected: number, eps = 1e-9) => assert.ok(Math.abs(actual - expected) <= eps, `${actual} != ${expected}`);

test('iou: identical 1, disjoint 0, touching 0, hand-computed overlaps', () => {
  close(iou(box(10, 10, 20, 30), box(10, 10, 20, 30)), 1);
  close(iou(box(0, 0, 10, 10), box(20, 20, 10, 10)), 0);
  close(iou(box(0, 0, 10, 10), box(10, 0, 10, 10)), 0);
  // Half of each 10x10 overlaps: 50 / (100 + 100 - 50).
  close(iou(box(0, 0, 10, 10), box(5, 0, 10, 10)), 50 / 150);
  // A 5x5 corner: 25 / 175.
  close(iou(box(0, 0, 10, 10), box(5, 5, 10, 10)), 25 / 175);
  // One inside the other: the smaller area over the larger.
  close(iou(box(0, 0, 10, 10), box(2, 2, 5, 5)), 25 / 100);
  close(overlapOfSmaller(box(0, 0, 10, 10), box(2, 2, 5, 5)), 1);
  close(intersection(box(0, 0, 10, 10), box(8, 8, 10, 10)), 4);
  // Symmetric; empty boxes overlap nothing.
  close(iou(box(5, 0, 10, 10), box(0, 0, 10, 10)), 50 / 150);
  close(iou(box(0, 0, 0, 10), box(0, 0, 10, 10)), 0);
});

test('nonMaxSuppression keeps the best of overlapping boxes and every separate one, best first', () => {
  const faces = [
    { box: box(0, 0, 10, 10), score: 0.8, id: 'a' },
    { box: box(1, 1, 10, 10), score: 0.9, id: 'b' },   // IoU with a: 81 / 119 = 0.68
    { box: box(50, 50, 10, 10), score: 0.7, id: 'c' },
    { box: box(5, 0, 10, 10), score: 0.6, id: 'd' },   // IoU with b: 54 / 146 = 0.37
  ];
  assert.deepEqual(nonMaxSuppression(faces, { iouThreshold: 0.5 }).map((f) => f.id), ['b', 'c', 'd']);
  assert.deepEqual(nonMaxSuppression(faces, { iouThreshold: 0.3 }).map((f) => f.id), ['b', 'c']);
  assert.deepEqual(nonMaxSuppression(faces, { iouThreshold: 0.5, maxOutput: 2 }).map((f) => f.id), ['b', 'c']);
  assert.deepEqual(nonMaxSuppression([], { iouThreshold: 0.5 }), []);
  // The input is not reordered.
  assert.equal(faces[0]!.id, 'a');
});

test('nonMaxSuppression: containment drops a box inside a larger kept one, only across sources when asked', () => {
  const whole = { box: box(0, 0, 100, 100), score: 0.9, source: 0 };
  const part = { box: box(10, 50, 60, 45), score: 0.8, source: 1 };   // all inside: IoU 0.27
  const sameSource = { ...part, source: 0 };
  assert.equal(nonMaxSuppression([whole, part], { iouThreshold: 0.5 }).length, 2);
  assert.equal(nonMaxSuppression([whole, part], { iouThreshold: 0.5, containedThreshold: 0.6 }).length, 1);
  const bySource = { iouThreshold: 0.5, containedThreshold: 0.6, source: (f: typeof whole) => f.source };
  assert.equal(nonMaxSuppression([whole, part], bySource).length, 1);
  assert.equal(nonMaxSuppression([whole, sameSource], bySource).length, 2);
  // A larger box scoring lower is not suppressed by a smaller one inside it.
  assert.equal(nonMaxSuppression([{ ...whole, score: 0.5 }, part], { iouThreshold: 0.5, containedThreshold: 0.6 }).length, 2);
});

test('mergeDetections pools lists: a face seen by two tiles once, containment only between lists', () => {
  const tileA = [{ box: box(100, 100, 40, 50), score: 0.95 }, { box: box(300, 300, 20, 20), score: 0.6 }];
  const tileB = [{ box: box(102, 101, 40, 50), score: 0.9 }, { box: box(10, 10, 30, 30), score: 0.7 }];
  const merged = mergeDetections([tileA, tileB], { iouThreshold: 0.5 });
  assert.deepEqual(merged.map((f) => f.score), [0.95, 0.7, 0.6]);
  const whole = [{ box: box(0, 0, 100, 100), score: 0.9 }, { box: box(60, 60, 30, 30), score: 0.8 }];
  assert.equal(mergeDetections([whole], { iouThreshold: 0.5, containedThreshold: 0.6 }).length, 2, 'same list: left alone');
  assert.equal(mergeDetections([[whole[0]!], [whole[1]!]], { iouThreshold: 0.5, containedThreshold: 0.6 }).length, 1);
});

test('clampBox limits a box to the image', () => {
  assert.deepEqual(clampBox(box(-5, -5, 20, 20), 100, 100), box(0, 0, 15, 15));
  assert.deepEqual(clampBox(box(90, 95, 20, 20), 100, 100), box(90, 95, 10, 5));
  assert.deepEqual(clampBox(box(200, 200, 10, 10), 100, 100), box(100, 100, 0, 0));
});

test('detect options: defaults, unknown keys and bad values refused; finishing filters, sorts and cuts', () => {
  assert.deepEqual(resolveDetectOptions({ maxFaces: 3 }), { minScore: 0.5, maxFaces: 3, minFaceSize: 0 });
  assert.throws(() => resolveDetectOptions({ minscore: 0.5 } as never), { code: 'VISAGE_ERR_BAD_OPTION', message: /minscore/ });
  for (const bad of [{ minScore: 1.5 }, { minScore: Number.NaN }, { maxFaces: 0 }, { maxFaces: 2.5 }, { minFaceSize: -1 }]) {
    assert.throws(() => checkDetectOptions({ minScore: 0.5, maxFaces: 10, minFaceSize: 0, ...bad }), { code: 'VISAGE_ERR_BAD_OPTION' });
  }
  checkDetectOptions({ minScore: 0, maxFaces: Infinity, minFaceSize: 0 });
  const faces = [
    { box: box(0, 0, 50, 60), score: 0.6 },
    { box: box(0, 0, 10, 12), score: 0.99 },
    { box: box(0, 0, 40, 30), score: 0.3 },
    { box: box(0, 0, 80, 90), score: 0.9 },
  ];
  assert.deepEqual(finishDetections(faces, { minScore: 0.5, maxFaces: 10, minFaceSize: 20 }).map((f) => f.score), [0.9, 0.6]);
  assert.deepEqual(finishDetections(faces, { minScore: 0, maxFaces: 2, minFaceSize: 0 }).map((f) => f.score), [0.99, 0.9]);
});

const TILING: TilingConfig = { levels: [2], overlap: 0.2, maxZoom: 2, mergeIou: 0.5, mergeContained: 0.6 };

test('planTiles: the whole image, then overlapping square tiles that cover it, inner edges marked', () => {
  const tiles = planTiles(1024, 768, 512, TILING);
  assert.deepEqual(tiles[0]!.box, box(0, 0, 1024, 768));
  const level = tiles.slice(1);
  const side = Math.ceil(1024 / 1.8);
  assert.equal(level.length, 4, '2 x 2 tiles');
  for (const t of level) {
    assert.equal(t.box.width, side);
    assert.equal(t.box.height, side);
    assert.ok(t.box.x >= 0 && t.box.y >= 0 && t.box.x + t.box.width <= 1024 && t.box.y + t.box.height <= 768);
  }
  // Every pixel is covered, and neighbours overlap by at least 20% of the side.
  const xs = [...new Set(level.map((t) => t.box.x))].sort((a, b) => a - b);
  const ys = [...new Set(level.map((t) => t.box.y))].sort((a, b) => a - b);
  assert.deepEqual([xs[0], xs.at(-1)! + side, ys[0], ys.at(-1)! + side], [0, 1024, 0, 768]);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i - 1]! + side - xs[i]! >= 0.2 * side - 1);
  const topLeft = level.find((t) => t.box.x === 0 && t.box.y === 0)!;
  assert.deepEqual(topLeft.inner, { left: false, top: false, right: true, bottom: true });
  assert.deepEqual(tiles[0]!.inner, { left: false, top: false, right: false, bottom: false });
});

test('planTiles: small images get no tiles unless maxZoom allows enlarging them', () => {
  assert.equal(planTiles(250, 250, 512, TILING).length, 1);
  assert.equal(planTiles(640, 480, 512, TILING).length, 1 + 4);
  assert.equal(planTiles(250, 250, 512, { ...TILING, maxZoom: Infinity }).length, 1 + 4);
  // A wide panorama: tiles along its length, one row.
  const pano = planTiles(4000, 500, 512, { ...TILING, levels: [4] }).slice(1);
  assert.ok(pano.length >= 4 && pano.every((t) => t.box.y === 0 && t.box.height === 500));
});
