import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { orlSubset, visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';




test('visage classify: every face boxed and named (UNKNOWN below the threshold), CSV and JSON; --threshold overrides', { skip: skipUnless('orl', 's1') }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-classify-'));
  try {
    const people = ['s1', 's2', 's3', 's4', 's5'];
    await orlSubset(path.join(dir, 'train'), people, [1, 2, 3, 4]);
    await orlSubset(path.join(dir, 'test'), people, [9]);
    // A stranger (a subject the model never saw) among the test images.
    await copyFile(dataset('orl', 's40', '9.png'), path.join(dir, 'test', 'stranger.png'));
    const cache = ['--cache', path.join(dir, 'cache')];
    const model = path.join(dir, 'orl.visage');
    const trained = await visage(['train', path.join(dir, 'train'), '--model', model, '--classifier', 'logistic', ...cache]);
    assert.equal(trained.code, 0, trained.stderr);

    const out = path.join(dir, 'out');
    const result = await visage(['classify', path.join(dir, 'test'), '--model', model, '--out', out, '--json', ...cache]);
    assert.equal(result.code, 0, result.stderr);
    const { images, threshold } = JSON.parse(result.stdout);
    assert.equal(images.length, 6);
    const byName = new Map(images.map((i: { file: string }) => [path.relative(path.join(dir, 'test'), i.file), i]));
    let named = 0;
    for (const person of people) {
      const faces = (byName.get(path.join(person, '9.png')) as { faces: { class: string; top: string }[] }).faces;
      assert.equal(faces.length, 1);
      if (faces[0]!.top === person) named++;
    }
    assert.ok(named >= 4, `${named}/5 known test faces have the right top class`);
    const stranger = (byName.get('stranger.png') as { faces: { class: string; confidence: number }[] }).faces[0]!;
    assert.ok(stranger.class === 'UNKNOWN' || stranger.confidence >= threshold);
    const outputs = (await readdir(out)).sort();
    assert.ok(outputs.includes('s1_9.jpg') && outputs.includes('stranger.jpg'), outputs.join(' '));
    const meta = await sharp(path.join(out, 's1_9.jpg')).metadata();
    assert.deepEqual([meta.width, meta.height], [92, 112]);
    const csv = (await readFile(path.join(out, 'classifications.csv'), 'utf8')).trim().split('\n');
    assert.equal(csv[0], 'file,face,class,probability,confidence,x,y,width,height,error');
    assert.equal(csv.length, 7);
    assert.match(csv[1]!, /s1\/9\.png,1,(s\d|UNKNOWN),0\.\d+,/);

    const strict = await visage(['classify', path.join(dir, 'test'), '--model', model, '--out', out, '--threshold', '1.01', '--json', ...cache]);
    assert.ok(JSON.parse(strict.stdout).images.every((i: { faces: { class: string }[] }) => i.faces.every((f) => f.class === 'UNKNOWN')));
    const loose = await visage(['classify', path.join(dir, 'test', 'stranger.png'), '--model', model, '--out', out, '--threshold', '0', ...cache]);
    assert.equal(loose.code, 0);
    assert.match(loose.stdout, /stranger\.png\s+1\s+s\d\s+0\.\d\d/, 'threshold 0 names every face');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('visage classify: a corrupt or missing model file and a missing image folder are one-line errors', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-classify-'));
  try {
    const corrupt = path.join(dir, 'corrupt.visage');
    await writeFile(corrupt, '{"format":"visage-model","version":1,"classes":["a"');
    const a = await visage(['classify', dir, '--model', corrupt, '--out', path.join(dir, 'out')]);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /^visage: .*corrupt\.visage is not a usable Visage model: not JSON \(corrupt or not a model file\)\n$/);
    const b = await visage(['classify', dir, '--model', path.join(dir, 'none.visage'), '--out', path.join(dir, 'out')]);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /^visage: no such model file: .*none\.visage\n$/);
    const usage = await visage(['classify', dir, '--model', corrupt]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--out DIR is required/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
