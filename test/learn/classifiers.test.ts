import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fit, fromJSON, CLASSIFIER_KINDS, type Classifier, type ClassifierKind } from '../../src/learn/index.ts';
import { clusters, xor, type Synthetic } from './synthetic.ts';

const accuracyOn = (model: Classifier, set: Synthetic) => set.X.filter((x, i) => model.predict(x) === set.y[i]).length / set.X.length;
const recallOn = (model: Classifier, set: Synthetic, label: string) => {
  const rows = set.y.flatMap((l, i) => (l === label ? [i] : []));
  return rows.filter((i) => model.predict(set.X[i]) === label).length / rows.length;
};
const meanConfidence = (model: Classifier, set: Synthetic) => set.X.reduce((sum, x) => sum + Math.max(...model.predictProba(x)), 0) / set.X.length;

// Five classes in 128-d; train and test drawn around the same centres.
const five = [40, 40, 40, 40, 40];
const separated = { train: clusters({ d: 128, counts: five, noise: 0.5, seed: 1 }), test: clusters({ d: 128, counts: five, noise: 0.5, seed: 2, centreSeed: 1 }) };
const overlapping = { train: clusters({ d: 128, counts: five, noise: 3.5, seed: 1 }), test: clusters({ d: 128, counts: five, noise: 3.5, seed: 2, centreSeed: 1 }) };

const fitted = new Map<ClassifierKind, Classifier>();
for (const kind of CLASSIFIER_KINDS) {
  test(`${kind}: well-separated clusters in 128-d are classified perfectly, probabilities sum to 1`, () => {
    const model = fit(kind, separated.train.X, separated.train.y);
    fitted.set(kind, model);
    assert.equal(model.kind, kind);
    assert.deepEqual(model.classes, ['c0', 'c1', 'c2', 'c3', 'c4']);
    assert.equal(model.dimension, 128);
    assert.equal(accuracyOn(model, separated.test), 1);
    for (const x of separated.test.X.slice(0, 20)) {
      const p = model.predictProba(x);
      assert.equal(p.length, 5);
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      assert.ok(p.every((v) => v >= 0 && v <= 1));
    }
  });

  test(`${kind}: overlapping clusters: well above chance, below perfect, less confident`, () => {
    const model = fit(kind, overlapping.train.X, overlapping.train.y);
    const accuracy = accuracyOn(model, overlapping.test);
    assert.ok(accuracy > 0.6 && accuracy < 1, `accuracy ${accuracy}`);
    assert.ok(meanConfidence(model, overlapping.test) < meanConfidence(fitted.get(kind)!, separated.test));
  });

  test(`${kind}: JSON round trip (through text) gives identical probabilities`, () => {
    const model = fitted.get(kind)!;
    const text = JSON.stringify(model);
    const restored = fromJSON(JSON.parse(text));
    assert.equal(restored.kind, kind);
    assert.deepEqual(restored.classes, model.classes);
    for (const x of [...separated.test.X.slice(0, 10), ...overlapping.test.X.slice(0, 10)]) assert.deepEqual(restored.predictProba(x), model.predictProba(x));
    assert.deepEqual(fromJSON(text).toJSON(), model.toJSON()); // the text itself is accepted too
  });
}

test('the same data, options and seed give the same model; another seed another MLP', () => {
  const small = clusters({ d: 32, counts: [20, 20, 20], noise: 2, seed: 5 });
  for (const kind of CLASSIFIER_KINDS) assert.deepEqual(fit(kind, small.X, small.y).toJSON(), fit(kind, small.X, small.y).toJSON(), kind);
  assert.notDeepEqual(fit('mlp', small.X, small.y, { seed: 2 }).toJSON(), fit('mlp', small.X, small.y).toJSON());
});

test('XOR in 128-d: the MLP (and k-NN) solve it, linear models cannot', () => {
  const train = xor({ d: 128, perBlob: 50, seed: 1 });
  const held = xor({ d: 128, perBlob: 50, seed: 2 });
  assert.ok(accuracyOn(fit('mlp', train.X, train.y, { learningRate: 0.01 }), held) >= 0.97); // 0.01: half the epochs of the default
  assert.ok(accuracyOn(fit('knn', train.X, train.y), held) >= 0.97);
  for (const kind of ['svm', 'logistic'] as const) {
    const accuracy = accuracyOn(fit(kind, train.X, train.y), held);
    assert.ok(accuracy < 0.7, `${kind} ${accuracy}`);
  }
});

test('class imbalance: balanced class weights raise the minority recall (SVM, logistic, MLP)', () => {
  // 200 vs 10 training samples of two overlapping classes; tested on 200 of each.
  const train = clusters({ d: 128, counts: [200, 10], noise: 4, seed: 3 });
  const held = clusters({ d: 128, counts: [200, 200], noise: 4, seed: 4, centreSeed: 3 });
  for (const kind of ['svm', 'logistic', 'mlp'] as const) {
    const balanced = fit(kind, train.X, train.y); // the default
    const unweighted = fit(kind, train.X, train.y, { classWeight: 'none' });
    const [withWeights, without] = [recallOn(balanced, held, 'c1'), recallOn(unweighted, held, 'c1')];
    assert.ok(withWeights >= without + 0.1, `${kind}: minority recall ${withWeights} balanced vs ${without} unweighted`);
    assert.ok(recallOn(balanced, held, 'c0') >= 0.9, `${kind}: majority recall`);
  }
});

test('k-NN: the k nearest by cosine vote, weighted by 1 / distance; k is capped at the samples', () => {
  const X = [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [-1, 0]];
  const y = ['a', 'a', 'b', 'b', 'c'];
  const model = fit('knn', X, y, { k: 3 });
  const [a, b, c] = model.predictProba([1, 0.05]);
  assert.equal(c, 0); // -x is not among the 3 nearest
  assert.ok(a > 0.99 && b > 0 && b < 0.01);
  assert.equal(model.predict([0.2, 1]), 'b');
  assert.equal(fit('knn', X, y, { k: 50 }).toJSON().k, 5);
  // Scale does not matter: cosine.
  assert.deepEqual(model.predictProba([10, 0.5]), model.predictProba([1, 0.05]));
});

test('MLP: early stopping keeps the best epoch; an explicit validation set is used', () => {
  const train = clusters({ d: 64, counts: [30, 30, 30], noise: 3, seed: 8 });
  const validation = clusters({ d: 64, counts: [10, 10, 10], noise: 3, seed: 9, centreSeed: 8 });
  const model = fit('mlp', train.X, train.y, { validation, maxEpochs: 300 }).toJSON() as unknown as { epochs: { trained: number; best: number } };
  assert.ok(model.epochs.trained < 300, 'stopped early');
  assert.ok(model.epochs.best <= model.epochs.trained && model.epochs.best >= 1);
  assert.throws(() => fit('mlp', train.X, train.y, { validation: { X: validation.X, y: validation.y.map(() => 'zz') } }), { code: 'VISAGE_ERR_BAD_INPUT' });
});
