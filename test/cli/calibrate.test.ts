import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage } from '../helpers/cli.ts';

test('visage calibrate: a threshold from bbt/people, with TAR, FAR and a warning for too few pairs', { skip: skipUnless('bbt', 'people') }, async () => {
  const json = await visage(['calibrate', dataset('bbt', 'people'), '--json']);
  assert.equal(json.code, 0, json.stderr);
  const c = JSON.parse(json.stdout);
  assert.equal(c.people, 8);
  assert.equal(c.embeddings, 40);
  assert.equal(c.genuinePairs, 80);
  assert.equal(c.impostorPairs, 700);
  assert.ok(c.threshold > 0.8 && c.threshold < 1, String(c.threshold));
  assert.equal(c.far, 0);
  assert.match(c.warning, /only 700 different-person pairs/);
  const text = await visage(['calibrate', dataset('bbt', 'people'), '--far', '0.01']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /threshold\s+0\.\d{4}\s+\(use: visage identify --threshold/);
  assert.match(text.stdout, /TAR\s+\d+\.\d\d% of same-person pairs accepted/);
  assert.doesNotMatch(text.stderr, /warning/, '700 pairs are enough for 1%');
});

test('visage calibrate: bad input', async () => {
  const { dir, remove } = await tempDir();
  try {
    assert.equal((await visage(['calibrate', path.join(dir, 'nope')])).code, 1);
    await mkdir(path.join(dir, 'empty'));
    const empty = await visage(['calibrate', path.join(dir, 'empty')]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no per-person folders with images/);
    const far = await visage(['calibrate', dir, '--far', '2']);
    assert.equal(far.code, 2);
    assert.equal((await visage(['calibrate'])).code, 2);
  } finally {
    await remove();
  }
});
