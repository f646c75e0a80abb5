import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosine } from '../../../src/face/match/index.ts';
import { isVisageError } from '../../../src/errors.ts';

test('cosine: the cosine of any two vectors of one length', () => {
  assert.equal(cosine([1, 0], [0, 3]), 0);
  assert.ok(Math.abs(cosine([1, 1], [2, 2]) - 1) < 1e-12);
  assert.ok(Math.abs(cosine(Float32Array.of(3, 4), [4, 3]) - 24 / 25) < 1e-7);
  assert.equal(cosine([0, 0], [1, 0]), 0, 'a zero vector is similar to nothing');
});

test('cosine: a missing embedding or two lengths is a coded error, not a TypeError or a partial sum', () => {
  const missing = ({} as Record<string, number[]>)['faceapi-recognition'];
  assert.throws(() => cosine(missing!, [1, 0]), (error) => isVisageError(error) && error.code === 'VISAGE_ERR_BAD_INPUT' && /undefined and 2 values/.test(error.message));
  assert.throws(() => cosine(new Array(128).fill(0.1), new Array(640).fill(0.1)), (error) => isVisageError(error) && /128 and 640 values/.test(error.message));
});
