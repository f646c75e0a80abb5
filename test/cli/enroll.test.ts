// visage enroll: folder-per-person and flat folders, --name, skips with reasons, and bad input:
// corrupt and non-image files, no face, missing path, empty folder, read-only and locked
// databases, two processes enrolling into one gallery at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { openSqliteGallery } from '../../src/public/gallery.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage } from '../helpers/cli.ts';
import { eyeModelAvailable } from '../../src/face/quality/eyes.ts';

const skip = skipUnless('bbt', 'people');
const crop = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);

async function facesIn(db: string): Promise<Record<string, number>> {
  const gallery = await openSqliteGallery(db, { create: false });
  try {
    return Object.fromEntries((await gallery.listSubjects()).map((s) => [s.name, s.faceCount]));
  } finally {
    await gallery.close();
  }
}

test('visage enroll: a folder of per-person folders, then again (everything already enrolled)', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    const first = await visage(['enroll', dataset('bbt', 'people'), '--db', db, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const { summary, images } = JSON.parse(first.stdout);
    assert.deepEqual([summary.added, summary.people, summary.skipped, summary.errors], [40, 8, 0, 0]);
    assert.equal(images[0].subject, 'amy');
    assert.match(first.stderr, /enrolling 40\/40/, 'progress on stderr');
    const again = await visage(['enroll', dataset('bbt', 'people'), '--db', db]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /added 0 face\(s\) of 0 person\(s\).*skipped 40 \(40 already-enrolled\)/);
    assert.deepEqual(await facesIn(db), { amy: 5, bernadette: 5, howard: 5, leonard: 5, penny: 5, raj: 5, sheldon: 5, stuart: 5 });
  } finally {
    await remove();
  }
});

test('visage enroll: person folders that are symbolic links are followed and named after the link', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const people = path.join(dir, 'people');
    await mkdir(people);
    await symlink(dataset('bbt', 'people', 'amy'), path.join(people, 'amy'), 'dir');
    await symlink(dataset('bbt', 'people', 'raj'), path.join(people, 'Rajesh'), 'dir');
    await symlink(people, path.join(people, 'again'), 'dir'); // a cycle must not loop
    await symlink(path.join(dir, 'gone'), path.join(people, 'gone'), 'dir');
    const db = path.join(dir, 'g.db');
    const result = await visage(['enroll', people, '--db', db, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { summary } = JSON.parse(result.stdout);
    assert.deepEqual([summary.added, summary.people, summary.skipped, summary.errors], [10, 2, 0, 0]);
    assert.deepEqual(await facesIn(db), { amy: 5, Rajesh: 5 });
  } finally {
    await remove();
  }
});

test('visage enroll: files named after people, --name for single files, names that name nobody skipped', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const flat = path.join(dir, 'flat');
    await mkdir(flat);
    await copyFile(crop('amy', 1), path.join(flat, 'Amy_Farrah_Fowler.png'));
    await copyFile(crop('amy', 2), path.join(flat, 'Amy_Farrah_Fowler_0002.png'));
    await copyFile(crop('raj', 1), path.join(flat, 'Raj (2).png'));
    await copyFile(crop('raj', 2), path.join(flat, 'IMG_0001.png'));
    const db = path.join(dir, 'g.db');
    const result = await visage(['enroll', flat, '--db', db, '--json']);
    assert.equal(result.code, 1, 'an image was skipped for a reason other than being enrolled already');
    const { images } = JSON.parse(result.stdout);
    const byFile = Object.fromEntries(images.map((i: { file: string }) => [path.basename(i.file), i]));
    assert.equal(byFile['Amy_Farrah_Fowler_0002.png'].subject, 'Amy Farrah Fowler');
    assert.equal(byFile['Raj (2).png'].subject, 'Raj');
    assert.equal(byFile['IMG_0001.png'].reason, 'no-name');
    const named = await visage(['enroll', path.join(flat, 'IMG_0001.png'), '--name', 'raj', '--db', db]);
    assert.equal(named.code, 0, named.stderr);
    assert.deepEqual(await facesIn(db), { 'Amy Farrah Fowler': 2, Raj: 2 }, 'names compare case-insensitively: raj is Raj');
    const usage = await visage(['enroll', flat, '--name', ' ', '--db', db]);
    assert.equal(usage.code, 2);
  } finally {
    await remove();
  }
});

test('visage enroll: corrupt, non-image and faceless files are reported; the good images are enrolled; exit 1', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const person = path.join(dir, 'people', 'penny');
    await mkdir(person, { recursive: true });
    await copyFile(crop('penny', 1), path.join(person, 'a.png'));
    const bytes = await readFile(crop('penny', 2));
    await writeFile(path.join(person, 'b_corrupt.png'), bytes.subarray(0, 300));
    await writeFile(path.join(person, 'c_text.jpg'), 'this is not an image\n');
    await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 90, g: 140, b: 200 } } }).png().toFile(path.join(person, 'd_sky.png'));
    const db = path.join(dir, 'g.db');
    const result = await visage(['enroll', path.join(dir, 'people'), '--db', db, '--json']);
    assert.equal(result.code, 1);
    const { summary, images } = JSON.parse(result.stdout);
    assert.deepEqual([summary.added, summary.skipped, summary.errors], [1, 1, 2]);
    assert.deepEqual(images.map((i: { status: string; reason?: string }) => i.reason ?? i.status), ['added', 'VISAGE_ERR_IMAGE_DECODE', 'VISAGE_ERR_IMAGE_DECODE', 'no-face']);
    const text = await visage(['enroll', path.join(dir, 'people'), '--db', db]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /d_sky\.png\s+penny\s+no face found/);
    assert.match(text.stderr, /b_corrupt\.png: /);
    assert.deepEqual(await facesIn(db), { penny: 1 });
  } finally {
    await remove();
  }
});

test('visage enroll: a group photo is skipped with the CLI\'s way out (--largest) and taken with it; a video is refused by name, videos in folders counted', { skip: skip || skipUnless('bbt', 'group', 'faceapi_bbt3.jpg') || skipUnless('media', 'tiny5frames.mp4') }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const person = path.join(dir, 'people', 'penny');
    await mkdir(person, { recursive: true });
    await copyFile(crop('penny', 1), path.join(person, 'a.png'));
    await copyFile(dataset('bbt', 'group', 'faceapi_bbt3.jpg'), path.join(person, 'group.jpg'));
    await copyFile(dataset('media', 'tiny5frames.mp4'), path.join(person, 'clip.mp4'));
    const db = path.join(dir, 'g.db');
    const result = await visage(['enroll', path.join(dir, 'people'), '--db', db]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /group\.jpg\s+penny\s+5 faces found; an enrolment photo shows one person \(or use --largest\)/);
    assert.match(result.stderr, /^visage: skipped 1 video file \(clip\.mp4\): this reads still images; videos are read by visage video$/m);
    const largest = await visage(['enroll', path.join(person, 'group.jpg'), '--name', 'penny', '--largest', '--db', db]);
    assert.equal(largest.code, 0, largest.stderr);
    const video = await visage(['enroll', path.join(person, 'clip.mp4'), '--name', 'penny', '--db', db, '--json']);
    assert.equal(video.code, 1);
    assert.deepEqual(JSON.parse(video.stdout).images.map((i: { reason: string }) => i.reason), ['VISAGE_ERR_VIDEO_NOT_IMAGE']);
    assert.deepEqual(await facesIn(db), { penny: 2 });
  } finally {
    await remove();
  }
});

test('visage enroll: a missing path, an empty folder and no argument are one-line errors; nothing is created', async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    const missing = await visage(['enroll', path.join(dir, 'nope'), '--db', db]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^visage: no such file or folder: .*nope\n$/);
    await mkdir(path.join(dir, 'empty'));
    const empty = await visage(['enroll', path.join(dir, 'empty'), '--db', db]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^visage: no images in folder .*empty/);
    const none = await visage(['enroll', '--db', db]);
    assert.equal(none.code, 2);
    const help = await visage(['enroll', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: visage enroll/);
    await assert.rejects(readFile(db), /ENOENT/, 'no gallery created for a failed command line');
  } finally {
    await remove();
  }
});

test('visage enroll: a read-only gallery is refused with one line and left as it was', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    assert.equal((await visage(['enroll', crop('amy', 1), '--name', 'amy', '--db', db])).code, 0);
    const before = await readFile(db);
    await chmod(db, 0o444);
    const result = await visage(['enroll', crop('amy', 2), '--name', 'amy', '--db', db]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^visage: gallery .* is read-only: nothing changed\n$/);
    assert.deepEqual(await readFile(db), before);
    await chmod(db, 0o644);
    assert.deepEqual(await facesIn(db), { amy: 1 });
  } finally {
    await remove();
  }
});

/** A child process that holds the gallery's write lock for `ms` milliseconds. */
function holdLock(db: string, ms: number): Promise<{ held: Promise<void> }> {
  const code = `const Database = require('better-sqlite3'); const db = new Database(${JSON.stringify(db)});
    db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const held = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve) => child.stdout.once('data', () => resolve({ held })));
}

test('visage enroll: a gallery locked by another process briefly is waited for; locked for longer, a clear error and nothing lost', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    assert.equal((await visage(['enroll', crop('howard', 1), '--name', 'howard', '--db', db])).code, 0);
    const brief = await holdLock(db, 1500);
    const waited = await visage(['enroll', crop('howard', 2), '--name', 'howard', '--db', db]);
    await brief.held;
    assert.equal(waited.code, 0, waited.stderr);
    const long = await holdLock(db, 20_000);
    const locked = await visage(['enroll', crop('howard', 3), crop('howard', 4), '--name', 'howard', '--db', db]);
    assert.equal(locked.code, 1);
    assert.match(locked.stderr, /locked.*stopped: 2 image\(s\) not processed; those added are kept/);
    await long.held;
    assert.deepEqual(await facesIn(db), { howard: 2 });
  } finally {
    await remove();
  }
});

test('visage enroll: two processes enrolling into one gallery at once both succeed and nothing is lost', { skip }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    const [a, b] = await Promise.all([
      visage(['enroll', dataset('bbt', 'people', 'amy'), dataset('bbt', 'people', 'raj'), dataset('bbt', 'people', 'penny'), '--name', 'crowd', '--db', db]),
      visage(['enroll', dataset('bbt', 'people', 'penny'), dataset('bbt', 'people', 'sheldon'), dataset('bbt', 'people', 'stuart'), '--db', db]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await facesIn(db), { crowd: 15, penny: 5, sheldon: 5, stuart: 5 });
  } finally {
    await remove();
  }
});

const closedEyes = dataset('lfw-view1', 'images', 'Kim_Hong-up', 'Kim_Hong-up_0001.jpg');
const skipEyes = skipUnless('lfw-view1', 'images') || (eyeModelAvailable() ? false : 'faceplugin-face-recognition-js is not installed (the eye model)');

test('visage enroll: the quality gate refuses a closed-eye photo with its reason; its limits are flags; bad limits are usage errors', { skip: skipEyes }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    const refused = await visage(['enroll', closedEyes, '--name', 'Kim', '--db', db, '--json']);
    assert.equal(refused.code, 1, refused.stderr);
    const row = JSON.parse(refused.stdout).images[0];
    assert.deepEqual([row.status, row.reason, row.message], ['skipped', 'low-quality', 'eyes closed (1.0000 > 0.9999)']);
    assert.deepEqual(row.refusals.map((r: { reason: string }) => r.reason), ['eyes-closed']);
    const table = await visage(['enroll', closedEyes, '--name', 'Kim', '--db', db]);
    assert.match(table.stdout, /eyes closed \(1\.0000 > 0\.9999\)/);
    assert.match(table.stdout, /skipped 1 \(1 low-quality\)/);
    const relaxed = await visage(['enroll', closedEyes, '--name', 'Kim', '--db', db, '--max-eyes-closed', '1']);
    assert.equal(relaxed.code, 0, relaxed.stderr);
    assert.deepEqual(await facesIn(db), { Kim: 1 });
    const strict = await visage(['enroll', crop('amy', 1), '--name', 'amy', '--db', db, '--min-size', '400', '--json']);
    assert.equal(JSON.parse(strict.stdout).images[0].refusals[0].reason, 'small');
    const none = await visage(['enroll', crop('amy', 1), '--name', 'amy', '--db', db, '--min-size', '400', '--no-quality-gate']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--no-quality-gate cannot be given with quality limits/);
    const bad = await visage(['enroll', crop('amy', 1), '--name', 'amy', '--db', db, '--max-eyes-closed', '2']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /quality gate: maxEyesClosed must be a number from 0 to 1, got 2/);
  } finally {
    await remove();
  }
});
