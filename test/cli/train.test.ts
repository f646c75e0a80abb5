import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';



/** A small celeb5 subset: 3 people x 5 photos (some with several faces) and a picture with no face. */
async function celebSubset(dir: string): Promise<void> {
  const pick: Record<string, string[]> = {
    ben_afflek: ['1.jpg', '2.jpg', '3.jpg', '4.jpg', '8.jpg'],
    madonna: ['1.jpg', '2.jpg', '3.jpg', '4.jpg', '11.jpg'],
    mindy_kaling: ['1.jpg', '2.jpg', '3.jpg', '11.jpg'],
  };
  for (const [person, files] of Object.entries(pick)) {
    await mkdir(path.join(dir, person), { recursive: true });
    for (const f of files) await copyFile(dataset('celeb5', 'train', person, f), path.join(dir, person, f));
  }
  // Two photos of one person side by side: an image with two real faces (celeb5's own several-face
  // photos mostly owe their extra faces to phantoms, which the face check drops).
  const [left, right] = await Promise.all(['7.jpg', '4.jpg'].map((f) => sharp(dataset('celeb5', 'train', 'mindy_kaling', f)).resize({ height: 350 }).toBuffer({ resolveWithObject: true })));
  await sharp({ create: { width: left!.info.width + right!.info.width, height: 350, channels: 3, background: '#808080' } })
    .composite([{ input: left!.data, left: 0, top: 0 }, { input: right!.data, left: left!.info.width, top: 0 }])
    .jpeg().toFile(path.join(dir, 'mindy_kaling', 'two.jpg'));
  await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } }).png().toFile(path.join(dir, 'madonna', 'blank.png'));
}

test('visage train: a model file from a folder per person, several-face images and faceless images reported, a second run read from the cache', { skip: skipUnless('celeb5', 'train') }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-train-'));
  try {
    const train = path.join(dir, 'train');
    await celebSubset(train);
    const cache = path.join(dir, 'cache');
    const model = path.join(dir, 'celeb.visage');
    const first = await visage(['train', train, '--model', model, '--cache', cache, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.deepEqual(summary.classes, ['ben_afflek', 'madonna', 'mindy_kaling']);
    assert.equal(summary.images, 16);
    assert.equal(summary.facesUsed, 15);
    assert.deepEqual(summary.noFaceImages, [path.join(train, 'madonna', 'blank.png')]);
    const multi = summary.multiFaceImages.map((m: { file: string }) => path.relative(train, m.file));
    assert.ok(multi.includes(path.join('mindy_kaling', 'two.jpg')), `several-face images: ${multi}`);
    assert.equal(summary.cache.analysed, 16);
    assert.match(summary.threshold.method, /false-accept/);
    assert.match(first.stderr, /embedding 16\/16/, 'progress on stderr');

    const file = JSON.parse(await readFile(model, 'utf8'));
    assert.equal(file.format, 'visage-model');
    assert.equal(file.version, 1);
    assert.deepEqual(file.classes, summary.classes);
    assert.deepEqual(file.embedders, ['faceapi-recognition']);
    // --help names as the default the embedder a model gets without --embedder, whatever is installed.
    const help = await visage(['train', '--help']);
    assert.match(help.stdout, new RegExp(`--embedder ID +${file.embedders[0]} \\(default\\),`));
    assert.equal(file.classifier.kind, 'logistic');
    assert.equal(file.classifier.params.classWeight, 'balanced');
    assert.ok(file.unknown.threshold > 0 && file.unknown.threshold < 1, `threshold ${file.unknown.threshold}`);
    assert.equal(file.pipeline.flip, true);

    // Second run: every face from the cache, no model loaded; human-readable summary.
    const second = await visage(['train', train, '--model', model, '--cache', cache, '--classifier', 'svm']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /0 analysed, 16 from the cache/);
    assert.match(second.stdout, /several faces: \d+ image\(s\), the largest face used/);
    assert.match(second.stdout, /no face: 1 \(.*blank\.png\)/);
    assert.match(second.stdout, /unknown threshold: 0\.\d+ on the probability; learn's 'false-accept' rule/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('visage train: bad input is a one-line error with a non-zero exit status', { skip: skipUnless('celeb5', 'train') }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-train-'));
  try {
    const model = path.join(dir, 'm.visage');
    const cache = ['--cache', path.join(dir, 'cache')];
    const missing = await visage(['train', path.join(dir, 'nope'), '--model', model, ...cache]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^visage: no such folder: .*nope\n$/);

    const single = path.join(dir, 'single');
    await mkdir(path.join(single, 'ben_afflek'), { recursive: true });
    await copyFile(dataset('celeb5', 'train', 'ben_afflek', '1.jpg'), path.join(single, 'ben_afflek', '1.jpg'));
    const one = await visage(['train', single, '--model', model, ...cache]);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /^visage: .*has 1 class folder \(ben_afflek\); a classifier needs at least 2\n$/);

    await mkdir(path.join(single, 'nobody'));
    const empty = await visage(['train', single, '--model', model, ...cache]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^visage: class folder .*nobody has no images\n$/);

    const usage = await visage(['train', single]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--model FILE is required/);
    const kind = await visage(['train', single, '--model', model, '--classifier', 'forest']);
    assert.equal(kind.code, 2);
    assert.match(kind.stderr, /--classifier must be one of svm, logistic, knn, mlp, stack/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
