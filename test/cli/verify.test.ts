import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { defaultEmbedders } from '../../src/face/embed/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage } from '../helpers/cli.ts';

const skip = skipUnless('bbt', 'people');
const crop = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);

test('visage verify: same person, different people (exit 0 either way), with similarity and threshold', { skip }, async () => {
  const same = await visage(['verify', crop('leonard', 1), crop('leonard', 3), '--json']);
  assert.equal(same.code, 0, same.stderr);
  const a = JSON.parse(same.stdout);
  assert.equal(a.same, true);
  assert.ok(a.similarity >= a.threshold);
  const different = await visage(['verify', crop('leonard', 1), crop('bernadette', 1)]);
  assert.equal(different.code, 0, different.stderr);
  assert.match(different.stdout, new RegExp(`^different people: similarity 0\\.\\d{3} < threshold 0\\.\\d{3} \\(${defaultEmbedders()[0]}\\)\n$`));
});

test('visage verify: no face, a missing file and a wrong number of images', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const blank = path.join(dir, 'blank.png');
    await sharp({ create: { width: 120, height: 120, channels: 3, background: { r: 200, g: 200, b: 200 } } }).png().toFile(blank);
    const noFace = await visage(['verify', blank, crop('amy', 1)]);
    assert.equal(noFace.code, 1);
    assert.match(noFace.stderr, /^visage: no face found in .*blank\.png\n$/);
    const missing = await visage(['verify', path.join(dir, 'x.jpg'), crop('amy', 1)]);
    assert.equal(missing.code, 1);
    const one = await visage(['verify', crop('amy', 1)]);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /verify takes two images, got 1/);
  } finally {
    await remove();
  }
});
