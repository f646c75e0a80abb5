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
