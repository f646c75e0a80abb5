// The recognition layer on real photos: bbt/people crops enrolled, bbt/group photos identified,
// LFW faces as strangers; verify; nearest; coverage and reindex from recorded paths and by hash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { createVisage, type Visage } from '../../src/index.ts';
import { createRecognizer, openSqliteGallery, DEFAULT_THRESHOLDS, type Recognizer } from '../../src/public/gallery.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../helpers/cli.ts';

const skip = skipUnless('bbt', 'people') || skipUnless('bbt', 'group') || skipUnless('lfw-view1', 'images');
let visage: Visage;
let recognizer: Recognizer;
let temp: Awaited<ReturnType<typeof tempDir>>;
const people = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];

before(async () => {
  if (skip) return;
  temp = await tempDir();
  // The ResNet alone: these tests are about the recognizer's mechanics (the default fusion: test/face/embed/fusion.test.ts).
  visage = await createVisage({ embedders: ['faceapi-recognition'] });
  recognizer = await createRecognizer({ visage, db: path.join(temp.dir, 'g.db') });
});

after(async () => {
  if (skip) return;
  await recognizer.close();
  await visage.close();
  await temp.remove();
});

test('enroll: one face per image, adds and never replaces, skips an image already enrolled for that person', { skip }, async () => {
  for (const name of people) {
    for (const n of [1, 2, 3]) {
      const outcome = await recognizer.enroll(dataset('bbt', 'people', name, `${name}${n}.png`), name);
      assert.equal(outcome.status, 'added', `${name}${n}: ${outcome.message}`);
      assert.equal(outcome.faces >= 1, true);
    }
  }
  const again = await recognizer.enroll(dataset('bbt', 'people', 'amy', 'amy1.png'), 'amy');
  assert.deepEqual([again.status, again.reason], ['skipped', 'already-enrolled']);
  // The same picture may enrol another person (it is a different subject), never twice the same.
  const group = await recognizer.enroll(dataset('bbt', 'group', 'faceapi_bbt1.jpg'), 'someone');
  assert.deepEqual([group.status, group.reason], ['skipped', 'several-faces']);
  const stored = await recognizer.gallery.listFaces('amy');
  assert.equal(stored.length, 3);
  assert.ok(path.isAbsolute(stored[0]!.sourceFile!), 'the absolute source path is kept for reindex');
  assert.deepEqual(await recognizer.coverage(), { modelId: 'faceapi-recognition', faces: 24, indexed: 24, missing: 0 });
});

test('identify: the held-out crops of enrolled people are named; LFW strangers are UNKNOWN', { skip }, async () => {
  assert.equal(recognizer.threshold, DEFAULT_THRESHOLDS['faceapi-recognition']!['mean-template']);
  let right = 0, total = 0;
  for (const name of people) {
    for (const n of [4, 5]) {
      const { faces } = await recognizer.identify(dataset('bbt', 'people', name, `${name}${n}.png`));
      const largest = faces.reduce((a, b) => (a.box.width > b.box.width ? a : b));
      total++;
      if (largest.name === name) right++;
      assert.ok(largest.name === null || largest.name === name, `${name}${n} named ${largest.name}`);
      assert.ok(largest.candidates.length >= 1 && largest.candidates.length <= 3);
    }
  }
  // At the default (strict) identify threshold about half are named (8 of 16 measured), never wrongly.
  assert.ok(right >= 6, `${right} of ${total} held-out crops named right`);
  const lfw = dataset('lfw-view1', 'images');
  const strangers = (await readdir(lfw)).slice(0, 20);
  let accepted = 0;
  for (const name of strangers) {
    const [file] = await readdir(path.join(lfw, name));
    const { faces } = await recognizer.identify(path.join(lfw, name, file!));
    accepted += faces.filter((f) => f.name !== null).length;
  }
  assert.ok(accepted <= 1, `${accepted} LFW strangers were given a bbt name`);
});

test('identify: group photos name several people, each at most once per photo', { skip }, async () => {
  // Photo 3: four of its five people are named at the default threshold (measured), photo 1 none.
  const result = await recognizer.identify(dataset('bbt', 'group', 'faceapi_bbt3.jpg'), { k: 2 });
  const names = result.faces.map((f) => f.name).filter((n): n is string => n !== null);
  assert.ok(names.length >= 3, `named ${names.join(', ')}`);
  assert.equal(new Set(names).size, names.length, `a person named twice: ${names.join(', ')}`);
  for (const f of result.faces) assert.ok(f.candidates.length <= 2);
  const strict = await recognizer.identify(dataset('bbt', 'group', 'faceapi_bbt1.jpg'), { threshold: 1 });
  assert.ok(strict.faces.every((f) => f.name === null), 'threshold 1: everyone UNKNOWN');
  const nearest = await recognizer.nearest(dataset('bbt', 'people', 'penny', 'penny5.png'), { k: 3 });
  assert.equal(nearest.length, 3);
  assert.ok(nearest[0]!.similarity >= nearest[1]!.similarity);
});

test('verify: same person and different people, with the threshold used; no face is an error', { skip }, async () => {
  const same = await recognizer.verify(dataset('bbt', 'people', 'sheldon', 'sheldon1.png'), dataset('bbt', 'people', 'sheldon', 'sheldon4.png'));
  assert.equal(same.same, true, `similarity ${same.similarity}`);
  const different = await recognizer.verify(dataset('bbt', 'people', 'sheldon', 'sheldon1.png'), dataset('bbt', 'people', 'penny', 'penny1.png'));
  assert.equal(different.same, false, `similarity ${different.similarity}`);
  assert.equal(different.threshold, DEFAULT_THRESHOLDS['faceapi-recognition']!.pair, 'verify compares one pair: the pair threshold');
  const blank = { data: new Uint8Array(64 * 64 * 3).fill(128), width: 64, height: 64, channels: 3 as const };
  await assert.rejects(recognizer.verify(blank, dataset('bbt', 'people', 'amy', 'amy1.png')), /no face found/);
});

test('reindex: faces enrolled with one embedder get another, from the recorded path or found by hash; a vanished file is reported', { skip }, async () => {
  const dir = path.join(temp.dir, 'photos');
  await mkdir(dir);
  for (const name of ['amy', 'raj', 'penny']) await copyFile(dataset('bbt', 'people', name, `${name}1.png`), path.join(dir, `${name}.png`));
  const db = path.join(temp.dir, 'reindex.db');
  const first = await createRecognizer({ visage, db });
  for (const name of ['amy', 'raj', 'penny']) assert.equal((await first.enroll(path.join(dir, `${name}.png`), name)).status, 'added');
  await first.close();
  // Raj's photo moved elsewhere, Penny's is gone.
  const moved = path.join(temp.dir, 'moved');
  await mkdir(moved);
  await rename(path.join(dir, 'raj.png'), path.join(moved, 'r.png'));
  await rm(path.join(dir, 'penny.png'));

  const other = await createVisage({ embedders: ['human-mobilefacenet', 'faceapi-recognition'] });
  const second = await createRecognizer({ visage: other, db, threshold: 0.5 });
  try {
    assert.deepEqual(await second.coverage(), { modelId: 'human-mobilefacenet', faces: 3, indexed: 0, missing: 3 });
    const before = await second.gallery.listFaces();
    const resnet = await second.gallery.embeddingsFor('faceapi-recognition');
    const summary = await second.reindex({ search: [moved] });
    // The vectors were added to the faces (one transaction each): same ids, the old vectors untouched.
    assert.deepEqual((await second.gallery.listFaces()).map((f) => [f.id, f.subjectName, f.created]), before.map((f) => [f.id, f.subjectName, f.created]));
    const kept = await second.gallery.embeddingsFor('faceapi-recognition');
    assert.deepEqual([[...kept.faceIds], kept.vectors], [[...resnet.faceIds], resnet.vectors]);
    assert.equal(summary.reindexed, 2);
    assert.equal(summary.skipped.length, 1);
    assert.equal(summary.skipped[0]!.subject, 'penny');
    assert.match(summary.skipped[0]!.reason, /not found or changed/);
    assert.deepEqual(await second.coverage(), { modelId: 'human-mobilefacenet', faces: 3, indexed: 2, missing: 1 });
    const stats = await second.gallery.stats();
    assert.deepEqual(stats.models.map((m) => [m.modelId, m.count]), [['faceapi-recognition', 3], ['human-mobilefacenet', 2]]);
    const { faces } = await second.identify(dataset('bbt', 'people', 'amy', 'amy1.png'));
    assert.equal(faces[0]!.candidates[0]!.name, 'amy', 'the reindexed space finds her');
  } finally {
    await second.close();
    await other.close();
  }
  const gallery = await openSqliteGallery(db);
  assert.equal((await gallery.listSubjects()).length, 3, 'nothing lost');
  await gallery.close();
});

test('reindex: a face whose new vectors cannot be stored is reported and kept as it was (no remove-then-store)', { skip }, async () => {
  const dir = path.join(temp.dir, 'photos-kept');
  await mkdir(dir);
  await copyFile(dataset('bbt', 'people', 'amy', 'amy2.png'), path.join(dir, 'amy.png'));
  const db = path.join(temp.dir, 'reindex-kept.db');
  const first = await createRecognizer({ visage, db });
  assert.equal((await first.enroll(path.join(dir, 'amy.png'), 'amy')).status, 'added');
  // Someone else's face holds a human-mobilefacenet vector of another length: amy's cannot join it.
  await first.gallery.addFaces('odd', [{ contentHash: 'a'.repeat(64), embeddings: { 'faceapi-recognition': Array.from({ length: 128 }, (_, i) => (i === 0 ? 1 : 0)), 'human-mobilefacenet': [1, 0, 0, 0] } }], { createSubject: true });
  await first.close();
  const other = await createVisage({ embedders: ['human-mobilefacenet', 'faceapi-recognition'] });
  const second = await createRecognizer({ visage: other, db, threshold: 0.5 });
  try {
    const [amy] = await second.gallery.listFaces('amy');
    const summary = await second.reindex();
    assert.deepEqual([summary.reindexed, summary.skipped.map((s) => s.faceId)], [0, [amy!.id]]);
    assert.match(summary.skipped[0]!.reason, /has \d+ values, but the gallery holds 4-value embeddings/);
    const [after] = await second.gallery.listFaces('amy');
    assert.deepEqual([after!.id, after!.models], [amy!.id, ['faceapi-recognition']], 'the face is still there, with its vector');
  } finally {
    await second.close();
    await other.close();
  }
});

test('createRecognizer: options are checked before anything opens', async () => {
  await assert.rejects(createRecognizer({} as never), /needs a gallery or a db/);
  await assert.rejects(createRecognizer({ db: '/nonexistent/folder/x.db', threshold: 3 }), /threshold must be a similarity/);
  await assert.rejects(createRecognizer({ db: '/nonexistent/folder/x.db', strategy: 'vote' as never }), /strategy must be one of/);
  await assert.rejects(createRecognizer({ db: '/nonexistent/folder/x.db' }), { code: 'VISAGE_ERR_DB_NOT_FOUND' });
});
