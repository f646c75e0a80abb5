import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fit, fromJSON, CLASSIFIER_KINDS } from '../../src/learn/index.ts';
import { VisageError } from '../../src/errors.ts';
import { clusters } from './synthetic.ts';

const data = clusters({ d: 16, counts: [12, 12, 12], noise: 1, seed: 3 });
const models = Object.fromEntries(CLASSIFIER_KINDS.map((kind) => [kind, fit(kind, data.X, data.y, kind === 'mlp' ? { maxEpochs: 5 } : {})]));
const json = (kind: string) => JSON.parse(JSON.stringify(models[kind])) as Record<string, any>;
const refused = (value: unknown, message: RegExp) =>
  assert.throws(() => fromJSON(value), (error: unknown) => error instanceof VisageError && error.code === 'VISAGE_ERR_BAD_CLASSIFIER' && message.test(error.message), String(message));

test('fromJSON refuses what is not a model of this version, with VISAGE_ERR_BAD_CLASSIFIER', () => {
  refused('{"format": "visage-classifier", ', /not JSON/);
  refused(null, /expected an object/);
  refused([], /expected an object/);
  refused({ ...json('svm'), format: 'something-else' }, /format/);
  refused({ ...json('svm'), version: 2 }, /version 2 is not supported/);
  refused({ ...json('svm'), version: undefined }, /version/);
  refused({ ...json('svm'), kind: 'forest' }, /kind/);
  refused({ ...json('svm'), classes: ['only'] }, /classes/);
  refused({ ...json('svm'), classes: ['a', 'a', 'b'] }, /repeat/);
  refused({ ...json('svm'), dimension: 0 }, /dimension/);
  refused({ ...json('svm'), dimension: 17 }, /columns, expected 18/);
  refused({ ...json('svm'), scale: 'big' }, /scale/);
});

test('fromJSON refuses damaged weights of every kind', () => {
  const svm = json('svm');
  refused({ ...svm, weights: { ...svm.weights, float64: svm.weights.float64.slice(0, -12) } }, /bytes of data/);
  refused({ ...svm, weights: { ...svm.weights, float64: '***' } }, /base64/);
  const nan = Buffer.alloc(3 * 17 * 8);
  nan.writeDoubleLE(NaN, 8);
  refused({ ...svm, weights: { rows: 3, cols: 17, float64: nan.toString('base64') } }, /not finite/);
  refused({ ...json('logistic'), weights: undefined }, /weights/);
  refused({ ...json('knn'), labels: [0, 1] }, /labels/);
  refused({ ...json('knn'), labels: json('knn').labels.map(() => 7) }, /not a class index/);
  refused({ ...json('knn'), k: 0 }, /k/);
  refused({ ...json('mlp'), hidden: 3 }, /w1/);
  refused({ ...json('mlp'), b2: { rows: 1, cols: 2, float64: '' } }, /b2/);
});

test('training refuses a single class, empty input and malformed vectors with clear messages', () => {
  for (const kind of CLASSIFIER_KINDS) {
    assert.throws(() => fit(kind, data.X.slice(0, 12), data.y.slice(0, 12)), { code: 'VISAGE_ERR_BAD_INPUT', message: 'y: need at least two classes to train a classifier, got only "c0"' });
    assert.throws(() => fit(kind, [], []), { code: 'VISAGE_ERR_BAD_INPUT', message: 'X: no samples' });
  }
  assert.throws(() => fit('svm', [[1, 0], [0, 1, 0]], ['a', 'b']), { code: 'VISAGE_ERR_BAD_INPUT', message: 'X[1]: dimension 3, expected 2' });
  assert.throws(() => fit('svm', [[1, NaN], [0, 1]], ['a', 'b']), { code: 'VISAGE_ERR_BAD_INPUT', message: 'X[0][1]: not a finite number' });
  assert.throws(() => fit('svm', [[1, 0], [0, 1]], ['a']), { code: 'VISAGE_ERR_BAD_INPUT', message: 'y: 1 labels for 2 samples' });
  assert.throws(() => fit('svm', [[1, 0], [0, 1]], ['a', '']), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => fit('svm', [[1, 0], [0, 1]], ['a', 'UNKNOWN']), { code: 'VISAGE_ERR_BAD_INPUT', message: /reserved/ });
  assert.throws(() => fit('forest' as 'svm', data.X, data.y), { code: 'VISAGE_ERR_BAD_OPTION', message: /unknown kind "forest"/ });
  assert.throws(() => fit('svm', data.X, data.y, { C: 1 } as object), { code: 'VISAGE_ERR_BAD_OPTION', message: /unknown option "C"/ });
  assert.throws(() => fit('logistic', data.X, data.y, { c: -1 }), { code: 'VISAGE_ERR_BAD_OPTION', message: /^c:/ });
  assert.throws(() => fit('mlp', data.X, data.y, { dropout: 1 }), { code: 'VISAGE_ERR_BAD_OPTION', message: /^dropout:/ });
  assert.throws(() => fit('svm', data.X, data.y, { classWeight: { nobody: 2 } }), { code: 'VISAGE_ERR_BAD_OPTION', message: /"nobody" is not a class/ });
});

test('predicting refuses a vector of the wrong dimension', () => {
  for (const model of Object.values(models)) {
    assert.throws(() => model.predictProba(new Float32Array(15)), { code: 'VISAGE_ERR_BAD_INPUT', message: 'x: dimension 15, the model expects 16' });
  }
});

test('a class weight given per class changes the model; one class missing from the record weighs 1', () => {
  const weighted = fit('logistic', data.X, data.y, { classWeight: { c0: 5 } });
  assert.notDeepEqual(weighted.toJSON(), fit('logistic', data.X, data.y, { classWeight: 'none' }).toJSON());
  assert.deepEqual((weighted.toJSON().options as { classWeight: unknown }).classWeight, { c0: 5 });
});
