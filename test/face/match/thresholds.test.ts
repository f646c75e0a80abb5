// Default thresholds and the near-miss band under them (src/face/match/thresholds.ts): pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_THRESHOLDS, NEAR_MISS_FAR, NEAR_MISS_FLOORS, nearMissFloor, nearMisses } from '../../../src/face/match/thresholds.ts';

test('every embedder with calibrated identify thresholds has near-miss floors below them', () => {
  for (const [modelId, thresholds] of Object.entries(DEFAULT_THRESHOLDS)) {
    for (const strategy of ['mean-template', 'best-face'] as const) {
      const floor = NEAR_MISS_FLOORS[modelId as keyof typeof NEAR_MISS_FLOORS]?.[strategy];
      assert.ok(floor !== undefined && floor < thresholds![strategy] && floor > thresholds!.pair, `${modelId} ${strategy}: ${floor}`);
    }
  }
  assert.equal(NEAR_MISS_FAR, 0.01);
});

test('nearMissFloor: none for an uncalibrated embedder or a threshold already at or below the floor', () => {
  assert.equal(nearMissFloor('faceapi-recognition', 'mean-template', 0.9677), 0.9509);
  assert.equal(nearMissFloor('faceapi-recognition', 'mean-template', 0.98), 0.9509);
  assert.equal(nearMissFloor('faceapi-recognition', 'mean-template', 0.9509), undefined);
  assert.equal(nearMissFloor('faceapi-recognition', 'best-face', 0.95), 0.9494);
  assert.equal(nearMissFloor('human-faceres', 'mean-template', 0.6), undefined);
});

test('nearMisses: UNKNOWN faces in [floor, threshold) only; named faces and empty galleries ignored', () => {
  const faces = [
    { name: null, similarity: 0.9520 },   // near miss
    { name: null, similarity: 0.9670 },   // near miss
    { name: null, similarity: 0.9509 },   // at the floor: near miss
    { name: null, similarity: 0.9320 },   // too far
    { name: null, similarity: 0.9700 },   // above the threshold but UNKNOWN (its person taken by another face)
    { name: 'raj', similarity: 0.9600 },  // named (at a looser threshold)
    { name: null, similarity: null },     // empty gallery
  ];
  assert.deepEqual(nearMisses(faces, 0.9677, 0.9509), { count: 3, floor: 0.9509, threshold: 0.9677, floorFar: 0.01, lowest: 0.9509, highest: 0.9670 });
  assert.deepEqual(nearMisses([], 0.9677, 0.9509), { count: 0, floor: 0.9509, threshold: 0.9677, floorFar: 0.01, lowest: null, highest: null });
});

test('small faces: the default thresholds rise under the largest fitted size, more the smaller the face, never for an uncalibrated embedder', async () => {
  const { SMALL_FACE_RISES, smallFaceRise, defaultThreshold, GREY_THRESHOLDS } = await import('../../../src/face/match/thresholds.ts');
  const fusion = SMALL_FACE_RISES.fusion!;
  for (const points of [fusion.identify, fusion.pair]) {
    const sizes = points.map((p) => p.size);
    assert.deepEqual(sizes, [...sizes].sort((a, b) => a - b), 'sizes ascending');
    assert.equal(points.at(-1)!.rise, 0, 'no rise at the largest size');
    for (let i = 1; i < points.length; i++) assert.ok(points[i]!.rise <= points[i - 1]!.rise, 'a smaller face never gets a looser threshold');
  }
  const smallest = fusion.identify[0]!, largest = fusion.identify.at(-1)!;
  assert.equal(smallFaceRise('fusion', 'mean-template', largest.size + 50), 0);
  assert.equal(smallFaceRise('fusion', 'best-face', 10), smallest.rise, 'held at the smallest point below it');
  assert.equal(smallFaceRise('fusion', 'mean-template', undefined), 0);
  assert.equal(smallFaceRise('faceapi-recognition', 'mean-template', 10), 0);
  // Between two points: linear.
  const [a, b] = [fusion.identify[0]!, fusion.identify[1]!];
  assert.ok(Math.abs(smallFaceRise('fusion', 'mean-template', (a.size + b.size) / 2) - (a.rise + b.rise) / 2) < 1e-12);
  // defaultThreshold adds the rise to the colour or grey threshold, rounded to 4 decimals; no size, no rise.
  assert.equal(defaultThreshold('fusion', 'mean-template', true, 10), Math.round((GREY_THRESHOLDS.fusion!['mean-template'] + smallest.rise) * 1e4) / 1e4);
  assert.equal(defaultThreshold('fusion', 'pair', false, 10), Math.round((DEFAULT_THRESHOLDS.fusion!.pair + fusion.pair[0]!.rise) * 1e4) / 1e4);
  assert.equal(defaultThreshold('fusion', 'mean-template', false), DEFAULT_THRESHOLDS.fusion!['mean-template']);
  assert.equal(defaultThreshold('fusion', 'mean-template', false, 200), DEFAULT_THRESHOLDS.fusion!['mean-template']);
  assert.equal(defaultThreshold('faceapi-recognition', 'mean-template', false, 10), DEFAULT_THRESHOLDS['faceapi-recognition']!['mean-template']);
});
