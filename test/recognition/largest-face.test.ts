import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LARGEST_FACE_SCORE_MARGIN, largestFaceIndex } from '../../src/recognition/enrolment.ts';

const face = (size: number, score: number) => ({ box: { x: 0, y: 0, width: size, height: size }, score });

test('largestFaceIndex: the largest face among those scoring within the margin of the best; a large weak detection is passed over', () => {
  assert.equal(largestFaceIndex([]), -1);
  assert.equal(largestFaceIndex([face(50, 0.9), face(80, 0.85)]), 1);
  // celeb5 mindy_kaling/11.jpg: legs boxed at 0.53, larger than the face at 0.94.
  assert.equal(largestFaceIndex([face(60, 0.94), face(90, 0.53)]), 0);
  assert.equal(largestFaceIndex([face(60, 0.94), face(90, 0.94 - LARGEST_FACE_SCORE_MARGIN + 0.01)]), 1);
});
