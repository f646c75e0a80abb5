import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stratifiedKFold, stratifiedSplit } from '../../src/learn/index.ts';

// 60 a, 30 b, 10 c, interleaved so that order alone would not stratify.
const labels = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? 'c' : i % 10 >= 6 ? 'b' : 'a'));
const count = (rows: number[], label: string) => rows.filter((row) => labels[row] === label).length;

test('stratified k-fold: every sample is tested exactly once, train and test are complementary', () => {
  const folds = stratifiedKFold(labels, 5, 7);
  assert.equal(folds.length, 5);
  const tested = folds.flatMap((fold) => fold.test).sort((a, b) => a - b);
  assert.deepEqual(tested, Array.from({ length: 100 }, (_, i) => i));
  for (const fold of folds) {
    assert.equal(fold.train.length + fold.test.length, 100);
    assert.ok(fold.test.every((row) => !fold.train.includes(row)));
    assert.deepEqual(fold.test, [...fold.test].sort((a, b) => a - b));
  }
});

test('stratified k-fold: each fold keeps the class proportions 60/30/10', () => {
  for (const fold of stratifiedKFold(labels, 5, 7)) {
    assert.deepEqual([count(fold.test, 'a'), count(fold.test, 'b'), count(fold.test, 'c')], [12, 6, 2]);
    assert.deepEqual([count(fold.train, 'a'), count(fold.train, 'b'), count(fold.train, 'c')], [48, 24, 8]);
  }
  // Uneven: 3 folds of 60/30/10 get 20/10/3-or-4 of each, sizes within one of each other.
  const sizes = stratifiedKFold(labels, 3, 1).map((fold) => fold.test.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, String(sizes));
  for (const fold of stratifiedKFold(labels, 3, 1)) assert.ok([3, 4].includes(count(fold.test, 'c')));
});

test('stratified k-fold: seeded (same seed same folds, another seed other folds); bad k refused', () => {
  assert.deepEqual(stratifiedKFold(labels, 5, 7), stratifiedKFold(labels, 5, 7));
  assert.notDeepEqual(stratifiedKFold(labels, 5, 7), stratifiedKFold(labels, 5, 8));
  assert.throws(() => stratifiedKFold(labels, 1), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => stratifiedKFold(['a', 'b'], 3), { code: 'VISAGE_ERR_BAD_INPUT' });
});

test('stratified split: 20% of each class held out, never a class\'s last sample', () => {
  const split = stratifiedSplit(labels, 0.2, 3);
  assert.deepEqual([count(split.test, 'a'), count(split.test, 'b'), count(split.test, 'c')], [12, 6, 2]);
  const tiny = stratifiedSplit(['a', 'b', 'b', 'b', 'b', 'b'], 0.5, 3);
  assert.deepEqual(tiny.train.filter((row) => row === 0), [0]); // the lone "a" stays in training
  assert.equal(tiny.test.length, 3); // round(2.5) of the five b
  assert.deepEqual(stratifiedSplit(labels, 0, 3).test, []);
});
