import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { orlSubset, visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';




test('visage evaluate: accuracy, report, confusion-matrix PNG, k-fold cross-validation, self-contained HTML; strangers counted apart', { skip: skipUnless('orl', 's1') }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-evaluate-'));
  try {
    const people = ['s1', 's2', 's3', 's4', 's5', 's6'];
    await orlSubset(path.join(dir, 'train'), people, [1, 2, 3]);
    await orlSubset(path.join(dir, 'test'), people, [7, 8, 9]);
    await orlSubset(path.join(dir, 'test'), ['s39'], [1, 2]);
    const cache = ['--cache', path.join(dir, 'cache')];
    const model = path.join(dir, 'orl.visage');
    const trained = await visage(['train', path.join(dir, 'train'), '--model', model, '--classifier', 'knn', ...cache]);
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /unknown threshold: 0\.\d+ on the similarity/);

    const report = path.join(dir, 'report');
    const result = await visage(['evaluate', path.join(dir, 'test'), '--model', model, '--folds', '3', '--report', report, ...cache]);
    assert.equal(result.code, 0, result.stderr);
    const accuracy = Number(/accuracy ([\d.]+)% \(18 faces\)/.exec(result.stdout)?.[1]);
    assert.ok(accuracy >= 80, result.stdout);
    assert.match(result.stdout, /precision\s+recall\s+f1-score\s+support/);
    assert.match(result.stdout, /macro avg/);
    assert.match(result.stdout, /weighted avg/);
    assert.match(result.stdout, /strangers \(classes the model does not know\): 2 faces, \d named/);
    assert.match(result.stdout, /3-fold cross-validation \(knn\): [\d.]+% ± [\d.]+%/);

    const png = await sharp(path.join(report, 'confusion-matrix.png')).metadata();
    assert.equal(png.format, 'png');
    assert.ok(png.width! > 300 && png.height! > 300);
    const html = await readFile(path.join(report, 'report.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<table class="report">[\s\S]*<th>s1<\/th>[\s\S]*macro avg[\s\S]*weighted avg/);
    assert.match(html, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]{1000,}" alt="confusion matrix"/);
    assert.doesNotMatch(html, /src="(?!data:)/, 'nothing linked: self-contained');
    const evaluation = JSON.parse(await readFile(path.join(report, 'evaluation.json'), 'utf8'));
    assert.equal(evaluation.known, 18);
    assert.equal(evaluation.crossValidation.accuracies.length, 3);
    assert.deepEqual(evaluation.confusion.labels, people);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('visage evaluate: a missing folder, a missing model and bad --folds are one-line errors', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-evaluate-'));
  try {
    const missing = await visage(['evaluate', path.join(dir, 'nope'), '--model', path.join(dir, 'none.visage')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^visage: no such model file: .*\n$/);
    const folds = await visage(['evaluate', dir, '--model', 'm.visage', '--folds', '1']);
    assert.equal(folds.code, 2);
    assert.match(folds.stderr, /--folds takes a whole number >= 2/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
