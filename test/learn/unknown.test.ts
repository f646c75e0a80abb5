import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseThreshold, chooseThresholdFromScores, decide, fit, fitUnknownThreshold, strangerConfidences, UNKNOWN } from '../../src/learn/index.ts';
import { clusters } from './synthetic.ts';

const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-12, `${what} ${actual} != ${expected}`);

// Seven validation samples over classes a, b. Positives (named rightly): 0.9, 0.8, 0.7, 0.65.
// Negatives: a b taken for a at 0.6, and two strangers ("x") at 0.55 and 0.8.
const classes = ['a', 'b'];
const probabilities = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.55, 0.45], [0.2, 0.8], [0.65, 0.35]];
const labels = ['a', 'a', 'b', 'b', 'x', 'x', 'a'];

test('false-accept rule: the lowest threshold letting through at most the target share of negatives', () => {
  const strict = chooseThreshold(probabilities, labels, classes, { targetFalseAccept: 0 });
  // Every negative rejected: above the 0.8 stranger, halfway to the next confidence, 0.9.
  close(strict.threshold, 0.85);
  assert.deepEqual([strict.positives, strict.negatives, strict.falseAcceptRate], [4, 3, 0]);
  close(strict.trueAcceptRate, 1 / 4);
  // One negative in three allowed: the 0.8 stranger passes, the 0.6 is rejected.
  const third = chooseThreshold(probabilities, labels, classes, { targetFalseAccept: 0.34 });
  close(third.threshold, 0.625);
  close(third.falseAcceptRate, 1 / 3);
  close(third.trueAcceptRate, 1);
  close(third.accuracyWithReject, 6 / 7);
  // Every negative allowed: accept everything.
  assert.equal(chooseThreshold(probabilities, labels, classes, { targetFalseAccept: 1 }).threshold, 0);
  // The default is 'false-accept' at 5%: here that means rejecting every negative.
  close(chooseThreshold(probabilities, labels, classes).threshold, 0.85);
  // No negatives at all: nothing to reject, threshold 0.
  assert.equal(chooseThreshold([[0.9, 0.1]], ['a'], classes).threshold, 0);
});

test('accuracy rule: the threshold maximising (accepted positives + rejected negatives) / samples', () => {
  const best = chooseThreshold(probabilities, labels, classes, { rule: 'accuracy' });
  close(best.threshold, 0.625);
  close(best.accuracyWithReject, 6 / 7);
  // Ties go to the lowest threshold: all-positive data accepts everything.
  assert.equal(chooseThreshold([[0.9, 0.1], [0.4, 0.6]], ['a', 'b'], classes, { rule: 'accuracy' }).threshold, 0);
});

test('decide: the top class when its probability reaches the threshold, else UNKNOWN', () => {
  assert.deepEqual(decide([0.7, 0.3], classes, 0.625), { label: 'a', probability: 0.7 });
  assert.deepEqual(decide([0.4, 0.6], classes, 0.6), { label: 'b', probability: 0.6 });
  assert.deepEqual(decide([0.6, 0.4], classes, 0.625), { label: UNKNOWN, probability: 0.6 });
  assert.equal(UNKNOWN, 'UNKNOWN');
  assert.throws(() => decide([1], classes, 0.5), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => chooseThreshold([], [], classes), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => chooseThreshold(probabilities, labels, classes, { rule: 'magic' as 'accuracy' }), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => chooseThreshold(probabilities, labels, classes, { targetFalseAccept: 2 }), { code: 'VISAGE_ERR_BAD_OPTION' });
});

test('strangers: a threshold chosen on validation strangers rejects new strangers and accepts known people', () => {
  // Six people around one set of centres; the classifier knows c0..c3, c4 and c5 are strangers.
  const counts = [30, 30, 30, 30, 30, 30];
  const known = (set: ReturnType<typeof clusters>) => set.y.flatMap((label, i) => (['c4', 'c5'].includes(label) ? [] : [i]));
  const trainAll = clusters({ d: 128, counts, noise: 1.5, seed: 21 });
  const rows = known(trainAll);
  // Not k-NN: its vote shares say how unanimous the neighbours are, not how near they are, so a
  // stranger whose five nearest faces are one person's gets probability 1 (a similarity threshold
  // on the nearest neighbour is the tool for k-NN).
  for (const kind of ['logistic', 'svm', 'mlp'] as const) {
    const model = fit(kind, rows.map((i) => trainAll.X[i]), rows.map((i) => trainAll.y[i]));
    const validation = clusters({ d: 128, counts, noise: 1.5, seed: 22, centreSeed: 21 });
    const threshold = fitUnknownThreshold(model, validation.X, validation.y, { targetFalseAccept: 0.05 });
    assert.ok(threshold.falseAcceptRate <= 0.05 && threshold.negatives >= 60, JSON.stringify(threshold));
    const test = clusters({ d: 128, counts, noise: 1.5, seed: 23, centreSeed: 21 });
    let strangersAccepted = 0;
    let knownRight = 0;
    test.X.forEach((x, i) => {
      const { label } = decide(model.predictProba(x), model.classes, threshold.threshold);
      if (['c4', 'c5'].includes(test.y[i])) strangersAccepted += label === UNKNOWN ? 0 : 1;
      else knownRight += label === test.y[i] ? 1 : 0;
    });
    assert.ok(strangersAccepted <= 6, `${kind}: ${strangersAccepted} of 60 strangers accepted`);
    assert.ok(knownRight >= 96, `${kind}: ${knownRight} of 120 known faces named`);
    if (process.env.VISAGE_LEARN_VERBOSE) console.log(kind, threshold, strangersAccepted, knownRight);
  }
});

test('no strangers in the validation data: simulated ones (classes held out in turn) give the threshold', () => {
  // The classifier knows all of c0..c5; the real strangers (c6, c7) are only in the test set.
  const known = clusters({ d: 128, counts: [30, 30, 30, 30, 30, 30], noise: 1.5, seed: 31 });
  const model = fit('logistic', known.X, known.y);
  const simulated = strangerConfidences('logistic', known.X, known.y, { groups: 3 });
  assert.equal(simulated.length, 180); // every training sample is a stranger once
  const validation = clusters({ d: 128, counts: [10, 10, 10, 10, 10, 10], noise: 1.5, seed: 32, centreSeed: 31 });
  const scored = validation.X.map((x, i) => {
    const p = model.predictProba(x);
    const top = p.indexOf(Math.max(...p));
    return { confidence: p[top], positive: model.classes[top] === validation.y[i] };
  });
  const threshold = chooseThresholdFromScores([...scored, ...simulated.map((confidence) => ({ confidence, positive: false }))], { targetFalseAccept: 0.05 });
  assert.ok(threshold.threshold > 0 && threshold.negatives >= 180, JSON.stringify(threshold));
  const test = clusters({ d: 128, counts: [20, 20, 20, 20, 20, 20, 20, 20], noise: 1.5, seed: 33, centreSeed: 31 });
  let strangersAccepted = 0;
  let knownRight = 0;
  test.X.forEach((x, i) => {
    const { label } = decide(model.predictProba(x), model.classes, threshold.threshold);
    if (['c6', 'c7'].includes(test.y[i])) strangersAccepted += label === UNKNOWN ? 0 : 1;
    else knownRight += label === test.y[i] ? 1 : 0;
  });
  assert.ok(strangersAccepted <= 4, `${strangersAccepted} of 40 strangers accepted`);
  assert.ok(knownRight >= 100, `${knownRight} of 120 known faces named`);
  assert.throws(() => strangerConfidences('knn', known.X.slice(0, 60), known.y.slice(0, 60)), { code: 'VISAGE_ERR_BAD_INPUT', message: /too few/ });
});
