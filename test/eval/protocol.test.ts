import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tenFold, trainTest, evaluateVerification, type FoldedScoredPair } from '../../src/eval/protocol.ts';

const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-12, `${what} ${actual} != ${expected}`);
const pair = (fold: number, same: boolean, score: number): FoldedScoredPair => ({ fold, same, score });

// Three folds of one same and one different pair each; the third fold is inverted.
const folds = [
  pair(0, true, 0.9), pair(0, false, 0.1),
  pair(1, true, 0.8), pair(1, false, 0.2),
  pair(2, true, 0.3), pair(2, false, 0.6),
];

test('k-fold: threshold fitted on the other folds, accuracy on the held-out one', () => {
  const result = tenFold(folds);
  // Fold 0: fit on {S .8, D .6, S .3, D .2} -> cut after .8, threshold .7 -> fold 0 all right.
  // Fold 1: fit on {S .9, D .6, S .3, D .1} -> threshold .75 -> all right.
  // Fold 2: fit on {S .9, S .8, D .2, D .1} -> threshold .5 -> both wrong.
  assert.deepEqual(result.folds.map((f) => f.accuracy), [1, 1, 0]);
  result.folds.forEach((f, i) => close(f.threshold, [0.7, 0.75, 0.5][i]!, `fold ${i}`));
  close(result.accuracy, 2 / 3);
  close(result.accuracyStd, Math.sqrt((1 / 9 + 1 / 9 + 4 / 9) / 2)); // sample std, n - 1
  close(result.standardError, result.accuracyStd / Math.sqrt(3));
  close(result.threshold, (0.7 + 0.75 + 0.5) / 3);
});

test('train-test (View 1): threshold from the training pairs, accuracy on the test pairs', () => {
  const result = trainTest(folds.filter((p) => p.fold < 2), folds.filter((p) => p.fold === 2));
  close(result.threshold, 0.5);
  assert.equal(result.accuracy, 0);
  assert.equal(result.trainAccuracy, 1);
});

test('evaluateVerification picks the protocol from the data', () => {
  const view2 = evaluateVerification({ test: folds });
  assert.equal(view2.protocol, 'ten-fold');
  close(view2.accuracy, 2 / 3);
  assert.equal(view2.folds?.length, 3);
  close(view2.auc, 8 / 9); // all folds pooled: S .3 loses to D .6 only
  assert.equal(view2.tarAtFar.targetFar, 0.001);
  close(view2.tarAtFar.tar, 2 / 3); // no false accept allowed: threshold just above D .6
  assert.equal(view2.pairs, 6);

  const test1 = folds.filter((p) => p.fold === 2).map((p) => ({ ...p, fold: 0 }));
  const view1 = evaluateVerification({ train: folds.filter((p) => p.fold < 2), test: test1, far: 0.5 });
  assert.equal(view1.protocol, 'train-test');
  assert.equal(view1.accuracyStd, null);
  close(view1.threshold, 0.5);
  assert.equal(view1.auc, 0);

  const alone = evaluateVerification({ test: test1 });
  assert.equal(alone.protocol, 'best-threshold-on-test');
  assert.equal(alone.accuracy, 0.5);
});

test('fewer than two folds cannot be cross-validated', () => {
  assert.throws(() => tenFold(folds.filter((p) => p.fold === 0)), { code: 'VISAGE_ERR_BAD_INPUT' });
});
