import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rocCurve, auc, accuracyAt, bestThreshold, tarAtFar, negateScores, type ScoredPair } from '../../src/eval/roc.ts';

const S = (score: number): ScoredPair => ({ score, same: true });
const D = (score: number): ScoredPair => ({ score, same: false });
const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-12, `${what} ${actual} != ${expected}`);

// Three same-person and three different-person pairs, one tie across kinds (0.4).
const pairs = [D(0.1), S(0.4), S(0.9), D(0.4), S(0.7), D(0.8)];

test('ROC: one point per distinct score, from (0, 0) to (1, 1)', () => {
  const points = rocCurve(pairs);
  assert.deepEqual(points.map((p) => p.threshold), [Infinity, 0.9, 0.8, 0.7, 0.4, 0.1]);
  assert.deepEqual(points.map((p) => [p.tar * 3, p.far * 3]), [[0, 0], [1, 0], [1, 1], [2, 1], [3, 2], [3, 3]]);
});

test('AUC: Mann-Whitney by hand, a tie counting one half: (3 + 2 + 1.5) / 9', () => {
  close(auc(pairs), 6.5 / 9);
  close(auc([S(2), S(1), D(0)]), 1);
  close(auc([D(2), S(1), S(0)]), 0);
  close(auc([S(1), D(1)]), 0.5);
});

test('accuracy at a threshold: score >= threshold is "same"', () => {
  close(accuracyAt(pairs, 0.5), 4 / 6);
  close(accuracyAt(pairs, 0.4), 4 / 6); // the tied 0.4 pairs are both accepted
  close(accuracyAt(pairs, 0.95), 3 / 6);
  close(accuracyAt(pairs, -Infinity), 3 / 6);
});

test('best threshold: the strictest of the equally accurate cuts, halfway into the gap', () => {
  // Cuts accepting {0.9}, {.., 0.7} and {.., 0.4} all get 4 of 6 right; the first wins.
  const fit = bestThreshold(pairs);
  close(fit.threshold, 0.85, 'threshold');
  close(fit.accuracy, 4 / 6, 'accuracy');
  const separable = bestThreshold([S(3), S(2), D(1), D(0)]);
  assert.deepEqual(separable, { threshold: 1.5, accuracy: 1 });
  // Accepting everything (2 of 3 right) beats any cut below the different pair's 5.
  assert.deepEqual(bestThreshold([S(1), S(0), D(5)]), { threshold: -Infinity, accuracy: 2 / 3 });
});

test('TAR at FAR: the loosest threshold letting at most floor(FAR x different) through', () => {
  const none = tarAtFar(pairs, 0);
  close(none.threshold, 0.85); close(none.tar, 1 / 3); assert.equal(none.far, 0);
  const one = tarAtFar(pairs, 0.34); // floor(1.02) = 1 false accept allowed
  close(one.threshold, 0.55); close(one.tar, 2 / 3); close(one.far, 1 / 3);
  const all = tarAtFar(pairs, 1);
  assert.deepEqual([all.threshold, all.tar, all.far], [-Infinity, 1, 1]);
  // 0.001 x 3000 must allow 3, not 2.
  const many = [...Array.from({ length: 3000 }, (_, i) => D(i)), S(2996.5)];
  close(tarAtFar(many, 0.001).tar, 1);
  close(tarAtFar(many, 0.001).far, 3 / 3000);
});

test('distances by negation give the same AUC, accuracy and negated thresholds', () => {
  const distances = pairs.map((p) => ({ ...p, score: 1 - p.score }));
  const scores = negateScores(distances);
  close(auc(scores), auc(pairs));
  const fit = bestThreshold(scores);
  close(fit.threshold, -(1 - 0.85));
  close(fit.accuracy, 4 / 6);
});

test('pairs without a face scored -Infinity count as rejected at every finite threshold', () => {
  const withMissing = [S(-Infinity), D(-Infinity), S(0.5), D(0.2)];
  assert.deepEqual(bestThreshold(withMissing), { threshold: 0.35, accuracy: 0.75 });
  const rate = tarAtFar(withMissing, 0.5); // one false accept allowed: the 0.2 pair, not the -Infinity ones
  assert.deepEqual([rate.threshold, rate.tar, rate.far], [0.2, 0.5, 0.5]);
  close(auc(withMissing), (1 + 1 + 0 + 0.5) / 4); // S .5 beats both; S -Inf ties D -Inf
});

test('bad input: one kind only, NaN scores, a FAR outside [0, 1]', () => {
  assert.throws(() => auc([S(1), S(2)]), { code: 'VISAGE_ERR_BAD_INPUT', message: /both same-person and different-person/ });
  assert.throws(() => bestThreshold([S(NaN), D(1)]), { code: 'VISAGE_ERR_BAD_INPUT', message: /not a number/ });
  assert.throws(() => tarAtFar(pairs, 2), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => accuracyAt([], 0), { code: 'VISAGE_ERR_BAD_INPUT' });
});
