// 68 -> 5 point reduction on a synthetic 68-point layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fivePointsFrom68 } from '../../../src/face/align/landmarks.ts';

test('eye centres are the means of points 36-41 and 42-47; nose tip 30; mouth corners 48 and 54', () => {
  const points = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 1000 - 2 * i }));
  const five = fivePointsFrom68(points);
  assert.deepEqual(five.leftEye, { x: 38.5, y: 1000 - 77 });
  assert.deepEqual(five.rightEye, { x: 44.5, y: 1000 - 89 });
  assert.deepEqual(five.nose, { x: 30, y: 940 });
  assert.deepEqual(five.mouthLeft, { x: 48, y: 904 });
  assert.deepEqual(five.mouthRight, { x: 54, y: 892 });
  // Copies, not the caller's objects.
  five.nose.x = -1;
  assert.equal(points[30]!.x, 30);
});

test('anything but 68 finite points is a coded error', () => {
  const points = Array.from({ length: 68 }, () => ({ x: 1, y: 1 }));
  assert.throws(() => fivePointsFrom68(points.slice(1)), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => fivePointsFrom68([...points.slice(1), { x: Infinity, y: 0 }]), { code: 'VISAGE_ERR_BAD_INPUT' });
});
