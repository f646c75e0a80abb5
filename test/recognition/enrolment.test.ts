import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEnrolmentFace, largestFaceIndex, ENROLMENT_QUALITY } from '../../src/recognition/enrolment.ts';
import type { Face } from '../../src/types.ts';

function face(x: number, y: number, size: number, quality: Partial<Face['quality']> = {}): Face {
  const p = { x: x + size / 2, y: y + size / 2 };
  return {
    box: { x, y, width: size, height: size }, score: 0.9,
    landmarks: { five: { leftEye: p, rightEye: p, nose: p, mouthLeft: p, mouthRight: p } },
    pose: { yaw: 0, pitch: 0, roll: 0 },
    quality: { size, sharpness: 100, frontalness: 0.95, ...quality },
    embeddings: {},
  };
}

test('chooseEnrolmentFace: exactly one face of sufficient quality', () => {
  assert.deepEqual(chooseEnrolmentFace([]), { reason: 'no-face', message: 'no face found' });
  const one = chooseEnrolmentFace([face(10, 10, 100)]);
  assert.ok('face' in one && one.index === 0);
  const two = chooseEnrolmentFace([face(10, 10, 60), face(200, 10, 100)]);
  assert.ok('reason' in two && two.reason === 'several-faces', JSON.stringify(two));
  assert.equal((two as { message: string }).message, '2 faces found; an enrolment photo shows one person', 'no CLI flag in a library reason');
  const largest = chooseEnrolmentFace([face(10, 10, 60), face(200, 10, 100)], { largest: true });
  assert.ok('face' in largest && largest.index === 1);
});

test('chooseEnrolmentFace: a second box centred inside the largest is the same face found twice', () => {
  // As on bbt/people/leonard1.png: boxes 100x122 at (40,0) and 79x99 at (5,0).
  const a = { ...face(40, 0, 100), box: { x: 40, y: 0, width: 100, height: 122 } };
  const b = { ...face(5, 0, 79), box: { x: 5, y: 0, width: 79, height: 99 } };
  const choice = chooseEnrolmentFace([b, a]);
  assert.ok('face' in choice && choice.index === 1, JSON.stringify(choice));
});

test('chooseEnrolmentFace: too small, turned away or blurred faces are refused with the reason', () => {
  const small = chooseEnrolmentFace([face(0, 0, ENROLMENT_QUALITY.minSize - 1)]);
  assert.ok('reason' in small && small.reason === 'low-quality');
  assert.match(small.message, /too small/);
  const turned = chooseEnrolmentFace([face(0, 0, 100, { frontalness: 0.1 })]);
  assert.match((turned as { message: string }).message, /turned/);
  const blurred = chooseEnrolmentFace([face(0, 0, 100, { sharpness: 1 })]);
  assert.match((blurred as { message: string }).message, /blurred/);
  const custom = chooseEnrolmentFace([face(0, 0, 100)], { quality: { minSize: 150 } });
  assert.ok('reason' in custom);
  assert.equal(largestFaceIndex([]), -1);
});
