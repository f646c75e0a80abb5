import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../../src/learn/index.ts';
import {
  ClassifierModel, chooseUnknownThreshold, crossValidateHead, fitHead, loadModel, parseModel, saveModel, strangerScores,
  MODEL_FORMAT, MODEL_VERSION, type HeadKind, type LabelledViews, type ModelFile,
} from '../../src/classify/model.ts';

/** Unit vectors around one random centre per class (noise `spread`), in `views` views. */
function clusters(classes: number, perClass: number, dims: number[], spread = 0.25, seed = 3): LabelledViews & { centres: number[][][] } {
  const rng = createRng(seed);
  const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
  const centres = dims.map((d) => Array.from({ length: classes }, () => unit(Array.from({ length: d }, () => rng.normal()))));
  const views: number[][][] = dims.map(() => []);
  const y: string[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      dims.forEach((d, v) => views[v]!.push(unit(centres[v]![c]!.map((x) => x + (spread / Math.sqrt(d)) * rng.normal()))));
      y.push(`person${c}`);
    }
  }
  return { views, y, centres };
}

function modelFile(kind: HeadKind, data: LabelledViews, embedders: string[], threshold = 0.5): ClassifierModel {
  const head = fitHead(kind, data.views, data.y);
  const file: ModelFile = {
    format: MODEL_FORMAT, version: MODEL_VERSION, created: new Date(0).toISOString(), classes: [...head.classes], embedders, pipeline: { flip: true },
    classifier: { kind, params: {}, model: head.toJSON() },
    unknown: { threshold, score: head.score, rule: 'false-accept', targetFalseAccept: 0.05, method: 'test', falseAcceptRate: 0, trueAcceptRate: 1 },
    training: {},
  };
  return new ClassifierModel(file, head);
}

test('every head kind fits, names its classes, and survives a save and load with identical probabilities', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-model-'));
  try {
    const one = clusters(4, 8, [32]);
    const two = clusters(4, 8, [32, 16]);
    for (const kind of ['svm', 'logistic', 'knn', 'mlp', 'stack'] as HeadKind[]) {
      const data = kind === 'stack' ? two : one;
      const embedders = kind === 'stack' ? ['a', 'b'] : ['a'];
      const model = modelFile(kind, data, embedders, 0);
      const file = path.join(dir, `${kind}.visage`);
      await saveModel(model, file);
      const loaded = await loadModel(file);
      assert.equal(loaded.kind, kind);
      assert.deepEqual(loaded.classes, ['person0', 'person1', 'person2', 'person3']);
      let right = 0;
      data.y.forEach((label, i) => {
        const faces = Object.fromEntries(embedders.map((id, v) => [id, data.views[v]![i]!]));
        const before = model.predict(faces), after = loaded.predict(faces);
        assert.deepEqual(Array.from(after.probabilities), Array.from(before.probabilities), kind);
        if (after.label === label) right++;
      });
      assert.ok(right >= data.y.length - 1, `${kind}: ${right}/${data.y.length} training faces named rightly`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the unknown decision: a face far from every class is UNKNOWN at the chosen threshold, a class member is named', () => {
  const all = clusters(8, 10, [256], 0.3, 5);
  // Six known people; the other two are strangers never seen in training.
  const knownRows = all.y.map((_, i) => i).filter((i) => !['person6', 'person7'].includes(all.y[i]!));
  const train = { views: [knownRows.filter((_, k) => k % 5 !== 0).map((i) => all.views[0]![i]!)], y: knownRows.filter((_, k) => k % 5 !== 0).map((i) => all.y[i]!) };
  const validation = { views: [knownRows.filter((_, k) => k % 5 === 0).map((i) => all.views[0]![i]!)], y: knownRows.filter((_, k) => k % 5 === 0).map((i) => all.y[i]!) };
  for (const kind of ['logistic', 'knn'] as HeadKind[]) {
    const head = fitHead(kind, train.views, train.y);
    const choice = chooseUnknownThreshold(kind, head, train, validation);
    assert.equal(choice.rule, 'false-accept');
    assert.equal(choice.score, kind === 'knn' ? 'similarity' : 'probability');
    assert.equal(choice.strangers, train.y.length, 'every training face scored once as a simulated stranger');
    assert.ok(choice.threshold > 0 && choice.threshold < 1, `${kind} threshold ${choice.threshold}`);
    const model = modelFile(kind, train, ['a'], choice.threshold);
    const strangers = all.y.map((label, i) => ({ label, i })).filter(({ label }) => label === 'person6' || label === 'person7');
    const accepted = strangers.filter(({ i }) => model.predict({ a: all.views[0]![i]! }).label !== 'UNKNOWN').length;
    assert.ok(accepted <= 4, `${kind}: ${accepted} of ${strangers.length} strangers named at ${JSON.stringify(choice)} ${strangers.map(({ i }) => model.predict({ a: all.views[0]![i]! }).confidence.toFixed(3))}`);
    const named = validation.y.filter((label, i) => model.predict({ a: validation.views[0]![i]! }).label === label).length;
    assert.ok(named >= validation.y.length - 2, `${kind}: ${named}/${validation.y.length} known faces named`);
    // A threshold of 0 names everyone (the decision is only the threshold).
    assert.notEqual(model.predict({ a: all.views[0]![strangers[0]!.i]! }, 0).label, 'UNKNOWN');
  }
});

test('strangerScores needs three classes; cross-validation of a head kind gives per-fold accuracies', () => {
  const two = clusters(2, 6, [16]);
  assert.deepEqual(strangerScores('logistic', two), []);
  const data = clusters(3, 10, [16, 8]);
  const cv = crossValidateHead('stack', data, 5);
  assert.equal(cv.accuracies.length, 5);
  assert.ok(cv.mean > 0.9, `mean ${cv.mean}`);
  assert.ok(cv.std >= 0);
});

test('a corrupt, foreign or mismatched model file is a one-line VISAGE_ERR_BAD_CLASSIFIER; a missing one says so', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-model-'));
  try {
    const model = modelFile('logistic', clusters(3, 5, [8]), ['a']);
    const good = path.join(dir, 'good.visage');
    await saveModel(model, good);
    const text = await readFile(good, 'utf8');
    const cases: [string, string, RegExp][] = [
      ['truncated.visage', text.slice(0, text.length / 2), /not JSON/],
      ['foreign.visage', JSON.stringify({ hello: 1 }), /format is undefined/],
      ['newer.visage', JSON.stringify({ ...JSON.parse(text), version: 99 }), /version 99/],
      ['classes.visage', JSON.stringify({ ...JSON.parse(text), classes: ['x', 'y', 'z'] }), /classes differ/],
      ['weights.visage', JSON.stringify({ ...JSON.parse(text), classifier: { kind: 'logistic', model: { format: 'visage-classifier' } } }), /classifier\.model/],
      ['kind.visage', JSON.stringify({ ...JSON.parse(text), classifier: { ...JSON.parse(text).classifier, kind: 'svm' } }), /does not match/],
    ];
    for (const [name, body, pattern] of cases) {
      const file = path.join(dir, name);
      await writeFile(file, body);
      await assert.rejects(loadModel(file), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'VISAGE_ERR_BAD_CLASSIFIER', name);
        assert.match(error.message, pattern, name);
        assert.ok(!error.message.includes('\n'), 'one line');
        return true;
      });
    }
    await assert.rejects(loadModel(path.join(dir, 'none.visage')), /no such model file/);
    assert.throws(() => parseModel([]), /not a JSON object/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
