import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readLabelledFolder } from '../../src/classify/dataset.ts';
import { augmentation, augmentationCounts } from '../../src/classify/augment.ts';
import { EmbeddingCache, decodeVector, encodeVector } from '../../src/recognition/embedding-cache.ts';

test('readLabelledFolder: classes from folder names, images sorted, loose images listed apart; bad folders are one-line errors', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-dataset-'));
  try {
    for (const [folder, files] of [['bob', ['2.jpg', '1.png', 'notes.txt']], ['alice', ['a.jpg']], ['alice/more', ['b.jpeg']]] as const) {
      await mkdir(path.join(dir, folder), { recursive: true });
      for (const f of files) await writeFile(path.join(dir, folder, f), 'x');
    }
    await writeFile(path.join(dir, 'loose.jpg'), 'x');
    const data = await readLabelledFolder(dir, { minClasses: 2 });
    assert.deepEqual(data.classes, ['alice', 'bob']);
    assert.deepEqual(data.images.map((i) => `${i.label}:${path.relative(dir, i.file)}`), ['alice:alice/a.jpg', 'alice:alice/more/b.jpeg', 'bob:bob/1.png', 'bob:bob/2.jpg']);
    assert.deepEqual(data.unlabelled, [path.join(dir, 'loose.jpg')]);

    await assert.rejects(readLabelledFolder(path.join(dir, 'nope')), /^VisageError: no such folder: .*nope$|no such folder/);
    await assert.rejects(readLabelledFolder(path.join(dir, 'loose.jpg')), /is not a folder/);
    await assert.rejects(readLabelledFolder(path.join(dir, 'bob'), { minClasses: 2 }), /no class folders with images/);
    await mkdir(path.join(dir, 'carol'));
    await assert.rejects(readLabelledFolder(dir), /class folder .*carol has no images/);
    await rm(path.join(dir, 'carol'), { recursive: true });
    await rm(path.join(dir, 'bob'), { recursive: true });
    await assert.rejects(readLabelledFolder(dir, { minClasses: 2 }), /has 1 class folder \(alice\); a classifier needs at least 2/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('augmentation: seeded (same image and index, same view), small changes, no mirror when flip averages it away; smaller classes get more copies', () => {
  const a = augmentation('ab12cd34', 1, false), b = augmentation('ab12cd34', 1, false), c = augmentation('ab12cd34', 2, false);
  assert.deepEqual(a, b);
  assert.notEqual(a.key, c.key);
  for (let i = 1; i < 50; i++) {
    const v = augmentation('ff00ee11', i, true);
    assert.ok(Math.abs(v.angle) <= 10 && v.scale >= 0.9 && v.scale <= 1.1 && Math.abs(v.shiftX) <= 0.06 && v.brightness >= 0.75 && v.brightness <= 1.25);
    assert.equal(augmentation('ff00ee11', i, false).mirror, false);
  }
  assert.deepEqual(augmentationCounts({ big: 20, small: 5, mid: 10 }), { big: 1, small: 4, mid: 3 });
});

test('EmbeddingCache: entries survive a save and reopen, concurrent writers merge, a damaged file is rebuilt, settings separate files', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-cache-'));
  try {
    const vector = Float32Array.from([0.25, -0.5, 1]);
    assert.deepEqual(Array.from(decodeVector(encodeVector(vector))), Array.from(vector));
    const entry = (n: number) => ({ width: n, height: n, faces: [{ box: { x: 0, y: 0, width: n, height: n }, score: 0.9, embedding: encodeVector(vector) }] });
    const one = await EmbeddingCache.open(dir, 'faceapi-recognition', { flip: true });
    const two = await EmbeddingCache.open(dir, 'faceapi-recognition', { flip: true });
    one.set('hash-a', entry(1));
    two.set('hash-b', entry(2));
    await one.save();
    await two.save();
    const again = await EmbeddingCache.open(dir, 'faceapi-recognition', { flip: true });
    assert.equal(again.get('hash-a')?.width, 1);
    assert.equal(again.get('hash-b')?.width, 2);
    const other = await EmbeddingCache.open(dir, 'faceapi-recognition', { flip: false });
    assert.equal(other.size, 0, 'another pipeline setting has its own file');
    await writeFile(again.file!, '{ damaged');
    assert.equal((await EmbeddingCache.open(dir, 'faceapi-recognition', { flip: true })).size, 0);
    const memory = await EmbeddingCache.open(null, 'x', {});
    memory.set('k', entry(3));
    await memory.save();
    assert.equal(memory.file, null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('EmbeddingCache: four processes saving into one file at the same moment all keep their entries', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-cache-race-'));
  try {
    const module = new URL('../../src/recognition/embedding-cache.ts', import.meta.url).href;
    // Each process adds 40 entries of its own and saves after each, racing the others' saves.
    const script = `
      const { EmbeddingCache, encodeVector } = await import(${JSON.stringify(module)});
      const [dir, who] = process.argv.slice(-2);
      const cache = await EmbeddingCache.open(dir, 'faceapi-recognition', { flip: true });
      for (let i = 0; i < 40; i++) {
        cache.set(who + '-' + i, { width: i, height: i, faces: [{ box: { x: 0, y: 0, width: 1, height: 1 }, score: 0.9, embedding: encodeVector(new Float32Array(128).fill(i)) }] });
        await cache.save();
      }`;
    const { spawn } = await import('node:child_process');
    await Promise.all(['p0', 'p1', 'p2', 'p3'].map((who) => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, who], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${who} exited ${code}: ${stderr}`))));
    })));
    const merged = await EmbeddingCache.open(dir, 'faceapi-recognition', { flip: true });
    assert.equal(merged.size, 160, `${merged.size} of 160 entries kept`);
    assert.deepEqual((await readdir(dir)).filter((f) => !f.endsWith('.json')), [], 'no lock or temporary file left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
