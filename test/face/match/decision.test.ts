import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStrategy, checkThreshold, cosine, openSetDecision, topK } from '../../../src/face/match/index.ts';

test('topK: the k largest, best first, NaN skipped, fewer when there are fewer', () => {
  assert.deepEqual(topK([0.1, 0.9, Number.NaN, 0.5, 0.7], 5, 3).map((e) => e.index), [1, 4, 3]);
  assert.deepEqual(topK([0.2, 0.1], 2, 5).map((e) => e.index), [0, 1]);
  assert.deepEqual(topK([0.2, 0.9, 0.5], 3, 2, (i) => i !== 1).map((e) => e.index), [2, 0]);
});

test('the open-set decision names the best candidate only at or above the threshold', () => {
  const candidates = [{ name: 'ada', similarity: 0.95 }, { name: 'bob', similarity: 0.9 }];
  assert.equal(openSetDecision(candidates, 0.95)?.name, 'ada');
  assert.equal(openSetDecision(candidates, 0.951), null);
  assert.equal(openSetDecision([], 0.5), null);
});

test('strategies and thresholds are checked with the option named', () => {
  assert.equal(checkStrategy('mean-template'), 'mean-template');
  assert.throws(() => checkStrategy('vote'), { code: 'VISAGE_ERR_BAD_OPTION', message: /strategy must be one of best-face, mean-template, got vote/ });
  assert.equal(checkThreshold(-1, 'threshold'), -1);
  assert.throws(() => checkThreshold(1.5, 'threshold'), { code: 'VISAGE_ERR_BAD_OPTION', message: /threshold must be a similarity from -1 to 1/ });
  assert.throws(() => checkThreshold(Number.NaN, 'pair threshold'), /pair threshold/);
});

test('cosine: 1 for the same direction whatever the length, -1 for opposite, 0 for orthogonal', () => {
  assert.ok(Math.abs(cosine([1, 2, 3], [2, 4, 6]) - 1) < 1e-12);
  assert.ok(Math.abs(cosine([1, 0], [-3, 0]) + 1) < 1e-12);
  assert.equal(cosine([1, 0], [0, 5]), 0);
});
