import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, confusionMatrix, classificationReport, formatReport, meanStd } from '../../src/learn/index.ts';

const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-12, `${what} ${actual} != ${expected}`);

// 10 samples: cat 4, dog 3, fox 3. By hand:
//   cat: predicted cat, cat, cat, dog   -> tp 3, support 4
//   dog: predicted dog, dog, cat        -> tp 2, support 3
//   fox: predicted fox, dog, fox        -> tp 2, support 3
//   predicted cat 4 (3 right), dog 4 (2 right), fox 2 (2 right)
const yTrue = ['cat', 'cat', 'cat', 'cat', 'dog', 'dog', 'dog', 'fox', 'fox', 'fox'];
const yPred = ['cat', 'cat', 'cat', 'dog', 'dog', 'dog', 'cat', 'fox', 'dog', 'fox'];

test('accuracy and confusion matrix by hand', () => {
  close(accuracy(yTrue, yPred), 0.7);
  assert.deepEqual(confusionMatrix(yTrue, yPred), {
    labels: ['cat', 'dog', 'fox'],
    matrix: [
      [3, 1, 0],
      [1, 2, 0],
      [0, 1, 2],
    ],
  });
  // Given labels fix the order; a prediction outside the true labels gets its own column.
  assert.deepEqual(confusionMatrix(['a', 'b'], ['UNKNOWN', 'b'], ['b', 'a', 'UNKNOWN']).matrix, [[1, 0, 0], [0, 0, 1], [0, 0, 0]]);
  assert.throws(() => confusionMatrix(['a'], ['b'], ['a']), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => accuracy(['a'], []), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => accuracy([], []), { code: 'VISAGE_ERR_BAD_INPUT' });
});

test('precision, recall, F1, support and their macro and weighted averages by hand', () => {
  const report = classificationReport(yTrue, yPred);
  const [cat, dog, fox] = report.classes;
  close(cat.precision, 3 / 4); close(cat.recall, 3 / 4); close(cat.f1, 3 / 4);
  close(dog.precision, 2 / 4); close(dog.recall, 2 / 3); close(dog.f1, (2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3));
  close(fox.precision, 1); close(fox.recall, 2 / 3); close(fox.f1, 0.8);
  assert.deepEqual([cat.support, dog.support, fox.support], [4, 3, 3]);
  close(report.accuracy, 0.7);
  close(report.macro.precision, (0.75 + 0.5 + 1) / 3);
  close(report.macro.recall, (0.75 + 2 / 3 + 2 / 3) / 3);
  close(report.weighted.precision, (0.75 * 4 + 0.5 * 3 + 1 * 3) / 10);
  close(report.weighted.recall, 0.7); // weighted recall is accuracy
  close(report.weighted.f1, (0.75 * 4 + (4 / 7) * 3 + 0.8 * 3) / 10);
  assert.equal(report.macro.support, 10);
  // A label never predicted: precision 0 (not NaN); never true: recall 0, support 0.
  const [unknown, a] = classificationReport(['a', 'a'], ['a', 'UNKNOWN']).classes;
  assert.deepEqual(unknown, { label: 'UNKNOWN', precision: 0, recall: 0, f1: 0, support: 0 });
  close(a.recall, 0.5);
});

test('the text report has scikit-learn\'s layout', () => {
  const expected = [
    '              precision    recall  f1-score   support',
    '',
    '         cat       0.75      0.75      0.75         4',
    '         dog       0.50      0.67      0.57         3',
    '         fox       1.00      0.67      0.80         3',
    '',
    '    accuracy                           0.70        10',
    '   macro avg       0.75      0.69      0.71        10',
    'weighted avg       0.75      0.70      0.71        10',
    '',
  ].join('\n');
  assert.equal(formatReport(classificationReport(yTrue, yPred)), expected);
  // A long class name widens the first column; digits widen the numbers.
  const wide = formatReport(classificationReport(['a-very-long-name', 'b'], ['a-very-long-name', 'b']), 3).split('\n');
  assert.equal(wide[2], 'a-very-long-name      1.000     1.000     1.000         1');
  assert.equal(wide[5], '        accuracy                          1.000         2'); // under f1-score
});

test('mean and population standard deviation', () => {
  const { mean, std } = meanStd([0.9, 1, 0.8, 0.9]);
  close(mean, 0.9);
  close(std, Math.sqrt(0.005));
});
