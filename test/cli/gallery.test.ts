// visage gallery stats/export/import/reset/copy/reindex on both stores, and files that are not galleries.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openSqliteGallery } from '../../src/public/gallery.ts';
import { defaultEmbedders, embedderInstalled } from '../../src/face/embed/index.ts';
import { face, hashOf, unit } from '../gallery/helpers.ts';
import { galleryStores, postgresStore, sqliteStore, PG_URL_ENV } from '../helpers/stores.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage } from '../helpers/cli.ts';

const files = sqliteStore();
const postgres = postgresStore();
after(() => files.cleanup());
after(() => postgres.cleanup());

/** dir/people/amy/<n>.png: copies of bbt's amy<n>.png, a per-person folder to enrol. */
async function amyPhotos(dir: string, numbers: number[]): Promise<string> {
  const photos = path.join(dir, 'people', 'amy');
  await mkdir(photos, { recursive: true });
  for (const n of numbers) await copyFile(dataset('bbt', 'people', 'amy', `amy${n}.png`), path.join(photos, `${n}.png`));
  return photos;
}

for (const store of galleryStores()) {
  after(() => store.cleanup());
  test(`${store.name}: visage gallery stats, export, import into another gallery, reset --yes`, { skip: store.skip }, async () => {
    const { dir, remove } = await tempDir();
    try {
      const { gallery, location: db } = await store.create();
      await gallery.addFaces('Ada', [face('a1')], { createSubject: true });
      await gallery.addFaces('Ada', [face('a2')]);
      await gallery.addFaces('Grace', [face('g1')], { createSubject: true });
      await gallery.addNegative('Grace', { contentHash: hashOf('x1'), embeddings: { 'model-a': unit(5) } });
      await gallery.close();
      const stats = await visage(['gallery', 'stats', '--db', db, '--json']);
      assert.equal(stats.code, 0, stats.stderr);
      assert.deepEqual(JSON.parse(stats.stdout).models, [{ modelId: 'model-a', dim: 8, count: 3 }]);
      const text = await visage(['gallery', 'stats', '--db', db]);
      assert.match(text.stdout, /subjects\s+2\nfaces\s+3\nembeddings\s+model-a: 3 of 8 values/);
      const file = path.join(dir, 'export.json');
      const exported = await visage(['gallery', 'export', file, '--db', db]);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, /exported 2 subject\(s\), 3 face\(s\) \(model-a 3\), 1 negative example\(s\)/);
      assert.equal(JSON.parse(await readFile(file, 'utf8')).format, 'visage-gallery');
      const other = await store.newLocation();
      const imported = await visage(['gallery', 'import', file, '--db', other, '--json']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.deepEqual(JSON.parse(imported.stdout), { subjectsAdded: 2, subjectsMatched: 0, facesAdded: 3, facesSkipped: 0, negativesAdded: 1, negativesSkipped: 0 });
      const again = await visage(['gallery', 'import', file, '--db', other]);
      assert.match(again.stdout, /imported 0 face\(s\).*3 face\(s\) already enrolled; 0 negative example\(s\) \(1 already kept\)/);
      const refuse = await visage(['gallery', 'reset', '--db', other]);
      assert.equal(refuse.code, 2);
      assert.match(refuse.stderr, /reset deletes 2 subject\(s\) and 3 face\(s\).*add --yes/);
      const reset = await visage(['gallery', 'reset', '--yes', '--db', other]);
      assert.equal(reset.code, 0, reset.stderr);
      assert.match((await visage(['gallery', 'stats', '--db', other])).stdout, /subjects\s+0/);
    } finally {
      await remove();
    }
  });
}

test('visage gallery copy: SQLite to PostgreSQL and back, progress on stderr; a non-empty target needs --merge; VISAGE_DATABASE_URL', { skip: postgres.skip }, async () => {
  const { gallery, location: file } = await files.create();
  await gallery.addFaces('Ada', [face('a1', { 'model-a': unit(1), 'model-b': unit(2, 4) })], { createSubject: true, metadata: { born: 1815 } });
  await gallery.addFaces('Grace', [face('g1')], { createSubject: true });
  await gallery.addNegative('Ada', { contentHash: hashOf('x1'), box: { x: 1, y: 2, width: 3, height: 4 }, embeddings: { 'model-a': unit(5) } });
  await gallery.close();
  const url = await postgres.newLocation();
  const there = await visage(['gallery', 'copy', file, url]);
  assert.equal(there.code, 0, there.stderr);
  assert.match(there.stdout, /^copied .* to postgres:\/\/visage_test:\*\*\*@.*: 2 face\(s\) \(model-a 2, model-b 1\), 2 new subject\(s\).*; 1 negative example\(s\)\n$/);
  assert.match(there.stderr, /reading .*2\/2/);
  assert.match(there.stderr, /writing postgres:\/\/visage_test:\*\*\*@.*2\/2/);
  const refused = await visage(['gallery', 'copy', file, url]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^visage: gallery .* already holds 2 subject\(s\) and 2 face\(s\).*--merge\)\n$/);
  const merged = await visage(['gallery', 'copy', file, url, '--merge', '--json']);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(JSON.parse(merged.stdout).imported, { subjectsAdded: 0, subjectsMatched: 2, facesAdded: 0, facesSkipped: 2, negativesAdded: 0, negativesSkipped: 1 });
  // PostgreSQL as the default gallery (VISAGE_DATABASE_URL), copied back into a new SQLite file.
  const back = await files.newLocation();
  const copied = await visage(['gallery', 'copy', url, back, '--json']);
  assert.equal(copied.code, 0, copied.stderr);
  const fromEnv = await visage(['gallery', 'stats', '--json'], { env: { VISAGE_DATABASE_URL: url } });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  const stats = JSON.parse(fromEnv.stdout);
  assert.deepEqual([stats.subjects, stats.faces, stats.models], [2, 2, [{ modelId: 'model-a', dim: 8, count: 2 }, { modelId: 'model-b', dim: 4, count: 1 }]]);
  const local = await openSqliteGallery(back);
  assert.deepEqual((await local.listSubjects()).map((subject) => [subject.name, subject.faceCount, subject.metadata]), [['Ada', 1, { born: 1815 }], ['Grace', 1, {}]]);
  assert.deepEqual((await local.embeddingsFor('model-b')).vectors, Float32Array.from(unit(2, 4)));
  assert.deepEqual((await local.listNegatives('model-a')).map((n) => [n.subjectId, n.contentHash, n.box, [...n.vector]]),
    [[(await local.getSubject('Ada')).id, hashOf('x1'), { x: 1, y: 2, width: 3, height: 4 }, [...Float32Array.from(unit(5))]]], 'the negative example went there and back');
  await local.close();
  assert.equal((await visage(['gallery', 'copy', file])).code, 2);
});

test('visage gallery with PostgreSQL that refuses the login or is not there: one line, exit 1, no password shown', { skip: postgres.skip }, async () => {
  const wrong = new URL(process.env[PG_URL_ENV]!);
  wrong.password = 'not-the-password';
  const refused = await visage(['gallery', 'stats', '--db', wrong.href]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^visage: gallery postgres:\/\/visage_test:\*\*\*@.* login refused \(password authentication failed for user "visage_test"\)\n$/);
  assert.ok(!refused.stderr.includes('not-the-password'));
  const away = new URL(wrong.href);
  away.port = '1';
  const unreachable = await visage(['subjects', 'list', '--db', away.href]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^visage: gallery .* cannot be reached \(connect ECONNREFUSED 127\.0\.0\.1:1\)\n$/);
  const empty = await visage(['gallery', 'stats', '--db', await postgres.newLocation()]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /does not exist .*enrol people first: visage enroll <folder> --db <url>/);
});

test('enroll and identify with a PostgreSQL gallery (real photos)', { skip: postgres.skip || skipUnless('bbt', 'people') }, async () => {
  const { dir, remove } = await tempDir();
  try {
    await amyPhotos(dir, [1, 2]);
    const url = await postgres.newLocation();
    const enrolled = await visage(['enroll', path.join(dir, 'people'), '--db', url]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    assert.match(enrolled.stdout, /added 2 face\(s\) of 1 person\(s\) to postgres:\/\/visage_test:\*\*\*@/);
    const found = await visage(['identify', dataset('bbt', 'people', 'amy', 'amy3.png'), '--db', url, '--json']);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).images[0].faces[0].name, 'amy');
  } finally {
    await remove();
  }
});

test('visage gallery: a file that is not a gallery, a bad export file, unknown actions', async () => {
  const { dir, remove } = await tempDir();
  try {
    const notDb = path.join(dir, 'notes.db');
    await writeFile(notDb, 'just some text that is not SQLite');
    const result = await visage(['gallery', 'stats', '--db', notDb]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^visage: .*notes\.db is not a Visage gallery.*\n$/);
    assert.equal(await readFile(notDb, 'utf8'), 'just some text that is not SQLite', 'left untouched');
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"hello": 1}');
    const imported = await visage(['gallery', 'import', bad, '--db', path.join(dir, 'g.db')]);
    assert.equal(imported.code, 1);
    assert.match(imported.stderr, /not a Visage gallery export/);
    assert.equal((await visage(['gallery', 'shrink', '--db', path.join(dir, 'g.db')])).code, 2);
    assert.equal((await visage(['gallery', 'export', '--db', path.join(dir, 'g.db')])).code, 2);
  } finally {
    await remove();
  }
});

test('visage gallery reindex: faces enrolled with one embedder get another\'s vectors from their source images', { skip: skipUnless('bbt', 'people') }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const photos = await amyPhotos(dir, [1, 2]);
    const db = path.join(dir, 'g.db');
    assert.equal((await visage(['enroll', path.join(dir, 'people'), '--db', db])).code, 0);
    const warned = await visage(['identify', path.join(photos, '1.png'), '--db', db, '--embedders', 'human-mobilefacenet', '--threshold', '0.5']);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /holds no human-mobilefacenet faces \(its 2 faces were enrolled with other embedders: run visage gallery reindex\)/);
    const reindex = await visage(['gallery', 'reindex', '--db', db, '--embedders', 'human-mobilefacenet']);
    assert.equal(reindex.code, 0, reindex.stderr);
    assert.match(reindex.stdout, /^2 face\(s\) re-embedded with human-mobilefacenet/);
    const stats = JSON.parse((await visage(['gallery', 'stats', '--db', db, '--json'])).stdout);
    // Enrolled with the default embedder (the fusion where its package is installed), then reindexed.
    assert.deepEqual(stats.models.map((m: { modelId: string; count: number }) => [m.modelId, m.count]), [[defaultEmbedders()[0], 2], ['human-mobilefacenet', 2]]);
    const found = await visage(['identify', path.join(photos, '1.png'), '--db', db, '--embedders', 'human-mobilefacenet', '--threshold', '0.5', '--json']);
    assert.equal(JSON.parse(found.stdout).images[0].faces[0].name, 'amy');
  } finally {
    await remove();
  }
});

test('a gallery built with the ResNet keeps matching with it and says so; reindex moves it to the default', { skip: skipUnless('bbt', 'people') || (embedderInstalled('fusion') ? false : 'the fusion is not installed') }, async () => {
  const { dir, remove } = await tempDir();
  const fusion = defaultEmbedders()[0]!;
  try {
    const photos = await amyPhotos(dir, [1, 2]);
    const db = path.join(dir, 'g.db');
    assert.equal((await visage(['enroll', path.join(dir, 'people'), '--db', db, '--embedders', 'faceapi-recognition'])).code, 0);
    const old = await visage(['identify', path.join(photos, '1.png'), '--db', db, '--json']);
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stderr, new RegExp(`the gallery was built with faceapi-recognition \\(2 of 2 faces; 0 have ${fusion}, the default\\): matching with faceapi-recognition; to move to ${fusion}: visage gallery reindex --embedders ${fusion},faceapi-recognition`));
    const before = JSON.parse(old.stdout).images[0];
    assert.equal(before.faces[0].name, 'amy');
    const reindex = await visage(['gallery', 'reindex', '--db', db, '--embedders', `${fusion},faceapi-recognition`]);
    assert.equal(reindex.code, 0, reindex.stderr);
    const now = await visage(['identify', path.join(photos, '2.png'), '--db', db]);
    assert.equal(now.code, 0, now.stderr);
    assert.doesNotMatch(now.stderr, /built with/);
    assert.match(now.stdout, /amy/);
  } finally {
    await remove();
  }
});

test('visage gallery create: a new (look-alike) gallery from a folder of per-person folders; an existing file is refused', { skip: skipUnless('celeb5', 'val') }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'celebs.db');
    // Every photo, whatever its quality (the gate, on by default, refuses Elton John behind dark
    // glasses as "eyes closed"): the gate's flags pass on to the enrolment.
    const created = await visage(['gallery', 'create', 'celebs', dataset('celeb5', 'val'), '--db', db, '--no-quality-gate']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /serve it with: visage serve --lookalike celebs=/);
    const gallery = await openSqliteGallery(db);
    const subjects = (await gallery.listSubjects()).map((s) => s.name).sort();
    await gallery.close();
    assert.deepEqual(subjects, ['ben_afflek', 'elton_john', 'jerry_seinfeld', 'madonna', 'mindy_kaling']);
    const again = await visage(['gallery', 'create', 'celebs', dataset('celeb5', 'val'), '--db', db]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    const badName = await visage(['gallery', 'create', '../x', dataset('celeb5', 'val')]);
    assert.equal(badName.code, 2);
  } finally {
    await remove();
  }
});

test('--preset fast matches with the ResNet whatever the gallery holds; a preset beside --embedders is refused', { skip: skipUnless('bbt', 'people') }, async () => {
  const { dir, remove } = await tempDir();
  try {
    const photos = await amyPhotos(dir, [1]);
    const db = path.join(dir, 'g.db');
    assert.equal((await visage(['enroll', path.join(dir, 'people'), '--db', db, '--preset', 'fast'])).code, 0);
    const found = await visage(['identify', dataset('bbt', 'people', 'amy', 'amy2.png'), '--db', db, '--preset', 'fast', '--json']);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).modelId, 'faceapi-recognition');
    const both = await visage(['identify', path.join(photos, '1.png'), '--db', db, '--preset', 'fast', '--embedders', 'fusion']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /^visage: option preset: give preset or embedders, not both\n$|preset or embedders, not both/);
  } finally {
    await remove();
  }
});
