import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';



test('visage detect --out --crops on a folder: annotated copies, a crop and an aligned crop per face, JSON and CSV reports', { skip: skipUnless('bbt', 'group') }, async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'visage-detect-'));
  try {
    const result = await visage(['detect', dataset('bbt', 'group'), '--out', out, '--crops', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { images } = JSON.parse(result.stdout);
    const inputs = (await readdir(dataset('bbt', 'group'))).filter((f) => /\.(jpe?g|png)$/i.test(f));
    assert.equal(images.length, inputs.length);
    const faces = images.flatMap((i: { faces: unknown[] }) => i.faces);
    // bbt/group holds 4-7 people per photo.
    assert.ok(faces.length >= 4 * images.length, `${faces.length} faces`);
    assert.equal((await readdir(path.join(out, 'crops'))).length, faces.length);
    assert.equal((await readdir(path.join(out, 'aligned'))).length, faces.length);
    const first = images[0];
    const annotated = await sharp(first.annotated).metadata();
    assert.deepEqual([annotated.width, annotated.height], [first.width, first.height]);
    const aligned = await sharp(first.faces[0].aligned).metadata();
    assert.deepEqual([aligned.width, aligned.height], [150, 150]);
    const crop = await sharp(first.faces[0].crop).metadata();
    assert.ok(crop.width! > first.faces[0].box.width, 'the crop is widened by the margin');
    const csv = (await readFile(path.join(out, 'detections.csv'), 'utf8')).trim().split('\n');
    assert.equal(csv.length, faces.length + 1);
    assert.match(csv[0]!, /^file,face,x,y,width,height,score/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('visage detect: a missing path, an empty folder and --crops without --out are one-line errors', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-detect-'));
  try {
    const missing = await visage(['detect', path.join(dir, 'nope.jpg')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^visage: no such file or folder: .*nope\.jpg\n$/);
    await mkdir(path.join(dir, 'empty'));
    await writeFile(path.join(dir, 'empty', 'notes.txt'), 'no images here');
    const empty = await visage(['detect', path.join(dir, 'empty')]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no images in folder/);
    const usage = await visage(['detect', dir, '--crops']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--crops needs --out/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('visage detect: a corrupt image is reported and the others are still processed', { skip: skipUnless('bbt', 'group', 'faceapi_bbt1.jpg') }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-detect-'));
  try {
    const bytes = await readFile(dataset('bbt', 'group', 'faceapi_bbt1.jpg'));
    await writeFile(path.join(dir, 'a_good.jpg'), bytes);
    await writeFile(path.join(dir, 'b_corrupt.jpg'), bytes.subarray(0, 500));
    const result = await visage(['detect', dir, '--json']);
    assert.equal(result.code, 1);
    const { images } = JSON.parse(result.stdout);
    assert.equal(images.length, 2);
    assert.ok(images[0].faces.length >= 4);
    assert.equal(images[1].error.code, 'VISAGE_ERR_IMAGE_DECODE');
    assert.match(result.stderr, /b_corrupt\.jpg: cannot decode/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
