// The LFW harness end to end on a handful of real pairs, with the model-free pixel baseline so it
// runs in about a second (the anchors' own runs are the benchmark itself, not a test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/lfw.ts', ...args], { cwd: repo });
const skip = skipUnless('lfw-view1', 'pairsDevTest.txt');

test('View 1 by default: threshold from DevTrain, the figures the issue names in --json', { skip }, async () => {
  const { stdout } = await run(['--systems', 'pixels,pixels-flip', '--limit', '4', '--json']);
  const out = JSON.parse(stdout);
  assert.match(out.protocol, /threshold fitted on 8 training pairs, accuracy on 8 test pairs/);
  assert.deepEqual(out.results.map((r: { system: string }) => r.system), ['pixels', 'pixels-flip']);
  // The two share one pass over the images.
  assert.deepEqual(out.results[0].shared_pass_with, ['pixels-flip']);
  assert.equal(out.results[0].embed_seconds, out.results[1].embed_seconds);
  const row = out.results[0];
  for (const key of ['system', 'accuracy', 'accuracy_std', 'auc', 'tar_at_far_0_1', 'threshold', 'no_face', 'no_face_policy']) assert.ok(key in row, key);
  assert.equal(row.system, 'pixels');
  assert.equal(row.protocol, 'train-test');
  assert.equal(row.accuracy_std, null);
  assert.ok(row.accuracy >= 0 && row.accuracy <= 100 && row.accuracy % 12.5 === 0, `accuracy ${row.accuracy} is k/8 in percent`);
  assert.ok(row.auc >= 0 && row.auc <= 1);
  assert.equal(row.no_face, 0);
  assert.equal(row.test_pairs, 8);
});

test('a View 2 style file runs k-fold cross-validation and prints a table', { skip }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-lfw-'));
  try {
    // Two folds of two same and two different pairs, taken from the View 1 test file.
    const lines = (await readFile(dataset('lfw-view1', 'pairsDevTest.txt'), 'utf8')).trim().split('\n').slice(1);
    const same = lines.slice(0, 4), different = lines.slice(500, 504);
    const file = path.join(dir, 'pairs.txt');
    await writeFile(file, ['2 2', ...same.slice(0, 2), ...different.slice(0, 2), ...same.slice(2), ...different.slice(2)].join('\n'));
    const { stdout } = await run(['--pairs', file, '--images', dataset('lfw-view1', 'images'), '--systems', 'pixels']);
    assert.match(stdout, /2-fold cross-validation on 8 pairs/);
    assert.match(stdout, /\| pixels \| \d+\.\d\d ± \d+\.\d\d% \|/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad command lines fail with one clear line', { skip }, async () => {
  await assert.rejects(run(['--systems', 'nope']), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /unknown system "nope"; known: faceapi, faceapi-centre, human/);
    return true;
  });
  await assert.rejects(run(['--systems', 'pixels', '--images', '/nonexistent', '--limit', '1']), /images not found under \/nonexistent/);
  await assert.rejects(run(['--limit', '0']), /--limit must be a positive whole number/);
});
