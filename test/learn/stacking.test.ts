import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fit, fitStacked, stackedFromJSON, crossValidate } from '../../src/learn/index.ts';
import { VisageError } from '../../src/errors.ts';
import { clusters, twoViews } from './synthetic.ts';

const train = twoViews({ d: 64, perClass: 30, noise: 0.5, seed: 1 });
const held = twoViews({ d: 64, perClass: 50, noise: 0.5, seed: 2 });
const accuracy = (predict: (i: number) => string) => held.y.filter((label, i) => predict(i) === label).length / held.y.length;

test('stacking two views, each confusing a different pair, beats the best single view', () => {
  const bases = [{ kind: 'logistic', view: 0 }, { kind: 'knn', view: 1 }, { kind: 'svm', view: 1 }] as const;
  const singles = bases.map((base) => {
    const model = fit(base.kind, train.views[base.view], train.y);
    return accuracy((i) => model.predict(held.views[base.view][i]));
  });
  const stacked = fitStacked(bases, train.views, train.y, { folds: 5 });
  const stackedAccuracy = accuracy((i) => stacked.predict([held.views[0][i], held.views[1][i]]));
  assert.ok(Math.max(...singles) <= 0.8, `single views ${singles}`);
  assert.ok(stackedAccuracy >= Math.max(...singles) && stackedAccuracy >= 0.97, `stacked ${stackedAccuracy}, singles ${singles}`);
  assert.deepEqual(stacked.classes, ['c0', 'c1', 'c2', 'c3']);
  const p = stacked.predictProba([held.views[0][0], held.views[1][0]]);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);

  // JSON round trip: identical probabilities.
  const restored = stackedFromJSON(JSON.parse(JSON.stringify(stacked)));
  for (let i = 0; i < 20; i++) assert.deepEqual(restored.predictProba([held.views[0][i], held.views[1][i]]), stacked.predictProba([held.views[0][i], held.views[1][i]]));

  // Misuse and damage.
  assert.throws(() => stacked.predictProba([held.views[0][0]]), { code: 'VISAGE_ERR_BAD_INPUT', message: /expected 2 views/ });
  const json = JSON.parse(JSON.stringify(stacked));
  const refused = (value: unknown) => assert.throws(() => stackedFromJSON(value), (e: unknown) => e instanceof VisageError && e.code === 'VISAGE_ERR_BAD_CLASSIFIER');
  refused({ ...json, version: 99 });
  refused({ ...json, bases: [] });
  refused({ ...json, views: [64, 32] });
  refused({ ...json, bases: json.bases.slice(1) }); // meta expects three bases' probabilities
  refused(json.meta); // a plain classifier is not a stacked one
});

test('fitStacked refuses bad views and base specs', () => {
  assert.throws(() => fitStacked([{ kind: 'knn', view: 2 }], train.views, train.y), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => fitStacked([], train.views, train.y), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => fitStacked([{ kind: 'knn', view: 0 }], [train.views[0], train.views[1].slice(1)], train.y), { code: 'VISAGE_ERR_BAD_INPUT', message: /views\[1\] has 119 samples/ });
  assert.throws(() => fitStacked([{ kind: 'knn', view: 0 }], train.views, train.y.map(() => 'one')), { code: 'VISAGE_ERR_BAD_INPUT', message: /at least two classes/ });
});

test('cross-validation: per-fold accuracy, mean and spread, out-of-fold predictions', () => {
  const easy = clusters({ d: 32, counts: [20, 20, 20], noise: 0.5, seed: 4 });
  const result = crossValidate('logistic', easy.X, easy.y, { folds: 10, seed: 3 });
  assert.equal(result.accuracies.length, 10);
  assert.deepEqual([result.mean, result.std], [1, 0]);
  assert.deepEqual(result.predictions, easy.y);
  assert.deepEqual([...new Set(result.foldOf)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

  const hard = clusters({ d: 32, counts: [20, 20, 20], noise: 4, seed: 4 });
  const spread = crossValidate('knn', hard.X, hard.y, { folds: 5, options: { k: 3 } });
  const mean = spread.accuracies.reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs(spread.mean - mean) < 1e-12 && spread.std > 0 && spread.mean < 1);
  // Fold accuracies agree with the out-of-fold predictions.
  const right = spread.predictions.filter((label, i) => label === hard.y[i]).length;
  assert.ok(Math.abs(right / 60 - spread.mean) < 1e-12); // equal-size folds: mean of folds = pooled
  assert.deepEqual(crossValidate('knn', hard.X, hard.y, { folds: 5, options: { k: 3 } }), spread); // seeded
});
