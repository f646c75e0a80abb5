import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parsePairs, readPairsFile, imagePath, imageKey, distinctImages } from '../../src/eval/pairs.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

test('a View 1 file: one count, same-person then different-person lines, tabs or spaces', () => {
  const file = parsePairs('2\nAnn\t1\t2\nBob 1 3\nAnn 1 Cid 2\nDee 4 Eve 12\n\n');
  assert.equal(file.folds, 1);
  assert.equal(file.perFold, 2);
  assert.deepEqual(file.pairs.map((p) => [p.same, p.fold]), [[true, 0], [true, 0], [false, 0], [false, 0]]);
  assert.deepEqual(file.pairs[1], { first: { name: 'Bob', number: 1 }, second: { name: 'Bob', number: 3 }, same: true, fold: 0 });
  assert.deepEqual(file.pairs[3], { first: { name: 'Dee', number: 4 }, second: { name: 'Eve', number: 12 }, same: false, fold: 0 });
});

test('a View 2 file: "folds perFold" header, the fold comes from the position', () => {
  const file = parsePairs('2 1\r\nAnn 1 2\r\nAnn 1 Bob 1\r\nCid 1 2\r\nCid 2 Dee 3\r\n');
  assert.equal(file.folds, 2);
  assert.equal(file.perFold, 1);
  assert.deepEqual(file.pairs.map((p) => [p.first.name, p.same, p.fold]), [['Ann', true, 0], ['Ann', false, 0], ['Cid', true, 1], ['Cid', false, 1]]);
});

test('malformed files are refused with the line or the count that is wrong', () => {
  assert.throws(() => parsePairs(''), { code: 'VISAGE_ERR_BAD_INPUT', message: /empty/ });
  assert.throws(() => parsePairs('2\nAnn 1 2\nAnn 1 Bob 1\n'), { code: 'VISAGE_ERR_BAD_INPUT', message: /promises 1 x \(2 \+ 2\) = 4 pairs, the file has 2/ });
  assert.throws(() => parsePairs('2 1\nAnn 1 2\nBob 1 2\nCid 1 Dee 1\nEve 1 Fay 1\n'), { message: /fold 1 holds 2 same-person pairs, the header says 1/ });
  assert.throws(() => parsePairs('1\nAnn x 2\nAnn 1 Bob 1\n', 'f.txt'), { message: /f\.txt line 2: "x" is not a positive integer/ });
  assert.throws(() => parsePairs('1\nAnn 1\nAnn 1 Bob 1\n'), { message: /line 2: expected .* got 2 fields/ });
  assert.throws(() => parsePairs('1\nAnn 0 2\nAnn 1 Bob 1\n'), { message: /"0" is not a positive integer/ });
});

test('image paths, keys and distinct images', () => {
  assert.equal(imagePath('/lfw', { name: 'Aaron_Peirsol', number: 3 }), path.join('/lfw', 'Aaron_Peirsol', 'Aaron_Peirsol_0003.jpg'));
  assert.equal(imageKey({ name: 'A', number: 1234 }), 'A_1234');
  const { pairs } = parsePairs('2\nAnn 1 2\nBob 1 3\nAnn 1 Bob 3\nAnn 2 Cid 1\n');
  assert.deepEqual(distinctImages(pairs).map(imageKey), ['Ann_0001', 'Ann_0002', 'Bob_0001', 'Bob_0003', 'Cid_0001']);
});

test('the real View 1 files parse and every image they name exists', { skip: skipUnless('lfw-view1', 'pairsDevTest.txt') }, async () => {
  const testFile = await readPairsFile(dataset('lfw-view1', 'pairsDevTest.txt'));
  const trainFile = await readPairsFile(dataset('lfw-view1', 'pairsDevTrain.txt'));
  assert.equal(testFile.pairs.length, 1000);
  assert.equal(trainFile.pairs.length, 2200);
  assert.equal(testFile.pairs.filter((p) => p.same).length, 500);
  const images = distinctImages([...trainFile.pairs, ...testFile.pairs]);
  assert.equal(images.length, 4992);
  const missing = images.filter((image) => !existsSync(imagePath(dataset('lfw-view1', 'images'), image)));
  assert.deepEqual(missing, []);
});

test('an unreadable pairs file is bad input naming the file', async () => {
  await assert.rejects(readPairsFile('/nonexistent/pairs.txt'), { code: 'VISAGE_ERR_BAD_INPUT', message: /\/nonexistent\/pairs\.txt/ });
});
