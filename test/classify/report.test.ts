import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { confusionSvg, confusionPng } from '../../src/report/confusion.ts';
import { evaluationHtml, faceThumbnail } from '../../src/report/html.ts';
import { classificationReport } from '../../src/learn/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

test('confusion matrix picture: a cell per pair with its count, class names on both axes, the title; escaped names', async () => {
  const svg = confusionSvg({ labels: ['a<b', 'c'], matrix: [[3, 1], [0, 4]], title: 'accuracy 87.50%' });
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 4);
  assert.match(svg, />accuracy 87\.50%</);
  assert.equal((svg.match(/>a&lt;b</g) ?? []).length, 2, 'row and column label');
  assert.match(svg, /stroke="#d62828"/, 'an off-diagonal error is outlined');
  const natural = confusionSvg({ labels: ['s10', 's2'], matrix: [[1, 0], [0, 2]], title: 't' });
  assert.ok(natural.indexOf('>s2<') < natural.indexOf('>s10<'), 's2 before s10');
  const png = await sharp(await confusionPng({ labels: ['a', 'b', 'c'], matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], title: 't' })).metadata();
  assert.equal(png.format, 'png');
});

test('HTML report: misclassified faces as inlined thumbnails with true and predicted labels', { skip: skipUnless('celeb5', 'val', 'madonna', '1.jpg') }, async () => {
  const file = dataset('celeb5', 'val', 'madonna', '1.jpg');
  const box = { x: 40, y: 40, width: 80, height: 80 };
  const thumb = await sharp(await faceThumbnail(file, box)).metadata();
  assert.deepEqual([thumb.width, thumb.height], [112, 112]);
  const report = classificationReport(['madonna', 'elton'], ['elton', 'elton']);
  const html = await evaluationHtml({
    title: 'T', facts: [['model', 'm']], report, confusionPng: Buffer.from('png'),
    misclassified: [{ file, box, label: 'madonna', predicted: 'elton', probability: 0.61, decision: 'elton' }], rejected: [],
    crossValidation: { folds: 3, kind: 'svm', accuracies: [1, 0.5, 0.75], mean: 0.75, std: 0.2 },
  });
  assert.match(html, /<figure><img src="data:image\/jpeg;base64,[^"]+"[^>]*><figcaption>true <b>madonna<\/b><br>predicted <b class="wrong">elton<\/b> 0\.61/);
  assert.match(html, /75\.00% ± 20\.00%/);
  assert.match(html, /Misclassified faces \(1\)/);
});
