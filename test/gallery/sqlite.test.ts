import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteGallery, SCHEMA_VERSION, APPLICATION_ID, SearchIndex, type GalleryChange } from '../../src/gallery/index.ts';
import { face, hashOf, rejectsWith, tempDir, unit } from './helpers.ts';

let dir: string;
let remove: () => Promise<void>;
let counter = 0;
const dbPath = (name = `g${++counter}.db`) => path.join(dir, name);

before(async () => ({ dir, remove } = await tempDir()));
after(async () => remove());

function raw(file: string, options?: Database.Options) {
  return new Database(file, options);
}

test('a new file gets the whole schema: WAL, foreign keys, user_version, application id', async () => {
  const file = dbPath();
  const gallery = await openSqliteGallery(file);
  const stats = await gallery.stats();
  assert.equal(stats.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual([stats.subjects, stats.faces, stats.models.length, stats.readOnly], [0, 0, 0, false]);
  await gallery.close();
  const db = raw(file, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
  assert.deepEqual(tables, ['change_log', 'embeddings', 'faces', 'sqlite_sequence', 'subjects']);
  db.close();
});

test('an empty (0-byte) file becomes a gallery; an empty SQLite database too', async () => {
  const empty = dbPath();
  writeFileSync(empty, '');
  await (await openSqliteGallery(empty)).close();
  const blank = dbPath();
  raw(blank).close(); // SQLite writes nothing for an untouched database: make one with a header
  const db = raw(blank);
  db.pragma('user_version = 0');
  db.exec('VACUUM');
  db.close();
  const gallery = await openSqliteGallery(blank);
  assert.equal((await gallery.stats()).schemaVersion, SCHEMA_VERSION);
  await gallery.close();
});

test('reopening keeps subjects, faces, embeddings and metadata', async () => {
  const file = dbPath();
  let gallery = await openSqliteGallery(file);
  await gallery.addSubject('Ada Lovelace', { born: 1815 });
  await gallery.addFaces('Ada Lovelace', [face('ada-1', { 'model-a': unit(1), 'model-b': unit(2, 4) })]);
  await gallery.addFaces('Grace', [face('grace-1')], { createSubject: true, metadata: { team: 'navy' } });
  await gallery.close();
  gallery = await openSqliteGallery(file);
  const subjects = await gallery.listSubjects();
  assert.deepEqual(subjects.map((s) => [s.name, s.faceCount, s.metadata]), [['Ada Lovelace', 1, { born: 1815 }], ['Grace', 1, { team: 'navy' }]]);
  const [ada] = await gallery.listFaces('ada lovelace'); // names compare case-insensitively
  assert.equal(ada!.sourceFile, 'ada-1.jpg');
  assert.equal(ada!.contentHash, hashOf('ada-1'));
  assert.deepEqual(ada!.models, ['model-a', 'model-b']);
  assert.deepEqual(ada!.box, { x: 10, y: 20, width: 100, height: 120 });
  assert.equal(ada!.landmarks!.nose.x, 60);
  assert.equal(ada!.quality!.frontalness, 0.93);
  const a = await gallery.embeddingsFor('model-a');
  assert.deepEqual([a.count, a.dim], [2, 8]);
  const expected = unit(1);
  for (let j = 0; j < 8; j++) assert.ok(Math.abs(a.vectors[j]! - expected[j]!) < 1e-6);
  const b = await gallery.embeddingsFor('model-b');
  assert.deepEqual([b.count, b.dim], [1, 4]);
  assert.equal((await gallery.embeddingsFor('model-c')).count, 0);
  await gallery.close();
});

test('embeddings are stored L2-normalised; bad vectors, hashes and names are refused', async () => {
  const gallery = await openSqliteGallery(dbPath());
  await gallery.addFaces('x', [face('x', { m: [3, 4] })], { createSubject: true });
  const { vectors } = await gallery.embeddingsFor('m');
  assert.ok(Math.abs(vectors[0]! - 0.6) < 1e-6 && Math.abs(vectors[1]! - 0.8) < 1e-6);
  await rejectsWith(gallery.addFaces('x', [face('y', { m: [0, 0] })]), 'VISAGE_ERR_BAD_INPUT', /all zeros/);
  await rejectsWith(gallery.addFaces('x', [face('y', { m: [1, Number.NaN] })]), 'VISAGE_ERR_BAD_INPUT', /non-finite/);
  await rejectsWith(gallery.addFaces('x', [face('y', {})]), 'VISAGE_ERR_BAD_INPUT', /no embedding/);
  await rejectsWith(gallery.addFaces('x', [{ ...face('y'), contentHash: 'abc' }]), 'VISAGE_ERR_BAD_INPUT', /64 lowercase hex/);
  await rejectsWith(gallery.addFaces('x', []), 'VISAGE_ERR_BAD_INPUT');
  await rejectsWith(gallery.addSubject('  '), 'VISAGE_ERR_BAD_INPUT', /empty/);
  await rejectsWith(gallery.addSubject('a\nb'), 'VISAGE_ERR_BAD_INPUT', /control/);
  await rejectsWith(openSqliteGallery(dbPath(), { readonly: true } as never), 'VISAGE_ERR_BAD_OPTION', /readonly/);
  await gallery.close();
  await rejectsWith(gallery.listSubjects(), 'VISAGE_ERR_CLOSED');
});

test('an image whose insert fails midway leaves nothing behind (one transaction per image)', async () => {
  const gallery = await openSqliteGallery(dbPath());
  await gallery.addFaces('Ada', [face('ada-1')], { createSubject: true });
  const before = await gallery.stats();
  // The second face repeats the first one's image: the UNIQUE constraint fails after the first
  // face and its embedding were inserted.
  await rejectsWith(gallery.addFaces('Ada', [face('ada-2'), face('ada-2')]), 'VISAGE_ERR_DUPLICATE_FACE', /already enrolled/);
  // Same with a subject created on the way: it must not be left behind either.
  await rejectsWith(gallery.addFaces('Bob', [face('bob-1'), face('bob-1')], { createSubject: true }), 'VISAGE_ERR_DUPLICATE_FACE');
  // A wrong-sized embedding for a known model, on the second face.
  await rejectsWith(gallery.addFaces('Ada', [face('ada-3'), face('ada-4', { 'model-a': unit(4, 5) })]), 'VISAGE_ERR_BAD_INPUT', /8-value/);
  assert.deepEqual(await gallery.stats(), before);
  assert.equal(await gallery.findSubject('Bob'), null);
  assert.equal(await gallery.hasContentHash(hashOf('ada-2')), false);
  assert.equal(await gallery.hasContentHash(hashOf('ada-3')), false);
  // The same image again for the same subject is refused; for another subject it is allowed.
  await rejectsWith(gallery.addFaces('Ada', [face('ada-1')]), 'VISAGE_ERR_DUPLICATE_FACE');
  await gallery.addFaces('Group photo neighbour', [face('ada-1')], { createSubject: true });
  assert.equal(await gallery.hasContentHash(hashOf('ada-1')), true);
  assert.equal(await gallery.hasContentHash(hashOf('ada-1'), 'Ada'), true);
  assert.equal(await gallery.hasContentHash(hashOf('ada-1'), 'Nobody'), false);
  await gallery.close();
});

test('rename, merge and delete; unknown and duplicate subjects are coded errors', async () => {
  const gallery = await openSqliteGallery(dbPath());
  await gallery.addSubject('Leonard', { glasses: true });
  await rejectsWith(gallery.addSubject('leonard'), 'VISAGE_ERR_DUPLICATE_SUBJECT');
  await rejectsWith(gallery.getSubject('Nobody'), 'VISAGE_ERR_UNKNOWN_SUBJECT', /Nobody/);
  await rejectsWith(gallery.getSubject(999), 'VISAGE_ERR_UNKNOWN_SUBJECT', /999/);
  await rejectsWith(gallery.addFaces('Nobody', [face('n')]), 'VISAGE_ERR_UNKNOWN_SUBJECT');
  await gallery.addFaces('Leonard', [face('l-1')]);
  await gallery.addFaces('Leonard', [face('l-2')]);
  const lenny = await gallery.addSubject('Lenny', { nickname: true, glasses: false });
  await gallery.addFaces('Lenny', [face('l-3')]);
  await gallery.addFaces('Lenny', [face('l-2')]); // the same photo enrolled under both names

  await rejectsWith(gallery.renameSubject('Lenny', 'LEONARD'), 'VISAGE_ERR_DUPLICATE_SUBJECT');
  const renamed = await gallery.renameSubject(lenny.id, 'Leonard H.');
  assert.equal(renamed.name, 'Leonard H.');
  assert.equal((await gallery.renameSubject('leonard h.', 'Leonard H')).name, 'Leonard H'); // itself, other case: allowed

  await rejectsWith(gallery.mergeSubjects('Leonard', 'Leonard'), 'VISAGE_ERR_BAD_INPUT');
  const merged = await gallery.mergeSubjects('Leonard H', 'Leonard');
  assert.deepEqual([merged.movedFaces, merged.droppedDuplicates, merged.subject.faceCount], [1, 1, 3]);
  assert.deepEqual(merged.subject.metadata, { nickname: true, glasses: true }); // into's keys win
  assert.equal(await gallery.findSubject('Leonard H'), null);
  assert.equal((await gallery.embeddingsFor('model-a')).count, 3);

  const faces = await gallery.listFaces('Leonard');
  await gallery.deleteFace(faces[0]!.id);
  await rejectsWith(gallery.deleteFace(faces[0]!.id), 'VISAGE_ERR_UNKNOWN_FACE');
  assert.deepEqual(await gallery.deleteSubject('Leonard'), { deletedFaces: 2 });
  const stats = await gallery.stats();
  assert.deepEqual([stats.subjects, stats.faces, stats.models.length], [0, 0, 0]); // embeddings cascaded

  await gallery.addFaces('Penny', [face('p')], { createSubject: true });
  await gallery.reset();
  assert.deepEqual((await gallery.listSubjects()).length, 0);
  await gallery.close();
});

test('listeners hear committed changes only, and a loaded SearchIndex follows them', async () => {
  const gallery = await openSqliteGallery(dbPath());
  const heard: string[] = [];
  const stop = gallery.onChange((change: GalleryChange) => heard.push(change.type));
  await gallery.addFaces('A', [face('a-1', { m: [1, 0, 0] })], { createSubject: true });
  const index = await SearchIndex.load(gallery, 'm');
  assert.equal(index.size, 1);
  await rejectsWith(gallery.addFaces('A', [face('a-1', { m: [1, 0, 0] })]), 'VISAGE_ERR_DUPLICATE_FACE');
  await gallery.addFaces('B', [face('b-1', { m: [0, 1, 0] }), face('b-2', { m: [0, 0.9, 0.1] })], { createSubject: true });
  assert.deepEqual([index.size, index.subjects], [3, 2]);
  assert.equal(index.searchFaces([0, 1, 0], 1)[0]!.name, 'B');
  await gallery.renameSubject('B', 'Bee');
  assert.equal(index.identify([0, 1, 0], { threshold: 0.5 }).subject!.name, 'Bee');
  await gallery.mergeSubjects('Bee', 'A');
  assert.deepEqual([index.size, index.subjects], [3, 1]);
  assert.equal(index.identify([0, 1, 0], { threshold: 0.5 }).subject!.name, 'A');
  const [first] = await gallery.listFaces('A');
  await gallery.deleteFace(first!.id);
  assert.equal(index.size, 2);
  await gallery.deleteSubject('A');
  assert.deepEqual([index.size, index.subjects], [0, 0]);
  assert.equal(index.identify([0, 1, 0], { threshold: 0.5 }).subject, null);
  stop();
  assert.deepEqual(heard, ['subject-added', 'faces-added', 'subject-added', 'faces-added', 'subject-renamed', 'subjects-merged', 'face-deleted', 'subject-deleted']);

  // Writes made while the index loads are applied after its snapshot, not lost or undone.
  await gallery.addFaces('D', [face('d-1', { m: [1, 1, 0] }), face('d-2', { m: [1, 0, 1] })], { createSubject: true });
  const [d1] = await gallery.listFaces('D');
  const loading = SearchIndex.load(gallery, 'm');
  // Not awaited in between: both writes run before the load has finished.
  const writes = [gallery.deleteFace(d1!.id), gallery.addFaces('E', [face('e-1', { m: [0, 1, 1] })], { createSubject: true })];
  const late = await loading;
  await Promise.all(writes);
  assert.deepEqual(late.searchFaces([1, 1, 1], 5).map((m) => m.name).sort(), ['D', 'E']);
  late.close();
  await gallery.deleteSubject('D');
  await gallery.deleteSubject('E');

  // Another connection's writes are seen after refresh().
  const other = await openSqliteGallery(gallery.location);
  await other.addFaces('C', [face('c-1', { m: [0, 0, 1] })], { createSubject: true });
  assert.equal(index.size, 0);
  await index.refresh();
  assert.equal(index.searchFaces([0, 0, 1], 1)[0]!.name, 'C');
  await other.close();
  index.close();
  await gallery.close();
});

test('two processes enrolling into one gallery at once: both finish, nothing lost or corrupted', async () => {
  const file = dbPath();
  await (await openSqliteGallery(file)).close();
  const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'writer.ts');
  const startAt = String(Date.now() + 3000);
  const run = (label: string) => new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', writer, file, label, '200', startAt], (error, stdout, stderr) => {
      if (error) reject(new Error(`${label}: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
  assert.deepEqual(await Promise.all([run('left'), run('right')]), ['done 200', 'done 200']);
  const gallery = await openSqliteGallery(file);
  const stats = await gallery.stats();
  assert.deepEqual([stats.subjects, stats.faces, stats.models[0]!.count], [10, 400, 400]);
  await gallery.close();
  const db = raw(file, { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});

test('a writer killed mid-enrolment leaves whole images only (every face has its embeddings)', async () => {
  const file = dbPath();
  await (await openSqliteGallery(file)).close();
  const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'writer.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', writer, file, 'killed', '100000', String(Date.now())], { stdio: 'ignore' });
  // Kill it once it has been writing for a while (its start-up takes about a second).
  const gallery = await openSqliteGallery(file);
  for (let waited = 0; waited < 20_000 && (await gallery.stats()).faces < 200; waited += 50) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const stats = await gallery.stats();
  assert.ok(stats.faces >= 200, `the writer wrote (${stats.faces} faces)`);
  assert.equal(stats.models[0]!.count, stats.faces);
  await gallery.addFaces('after the kill', [face('after')], { createSubject: true }); // the lock was released
  await gallery.close();
  const db = raw(file, { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

test('a database locked by another writer: waits busyTimeoutMs, then VISAGE_ERR_DB_LOCKED', async () => {
  const file = dbPath();
  const gallery = await openSqliteGallery(file, { busyTimeoutMs: 150 });
  const holder = raw(file);
  holder.exec('BEGIN IMMEDIATE');
  const start = performance.now();
  await rejectsWith(gallery.addSubject('Ada'), 'VISAGE_ERR_DB_LOCKED', /locked by another process \(waited 150 ms\)/);
  assert.ok(performance.now() - start >= 100, 'waited for the lock');
  assert.deepEqual(await gallery.listSubjects(), []); // WAL: reads go on while another writes
  holder.exec('ROLLBACK');
  holder.close();
  await gallery.addSubject('Ada');
  await gallery.close();
});

test('a read-only gallery file: reads work, writes are refused with VISAGE_ERR_DB_READ_ONLY, the file is unchanged', async () => {
  const file = dbPath();
  const writable = await openSqliteGallery(file);
  await writable.addFaces('Ada', [face('ada-1')], { createSubject: true });
  await writable.close();
  chmodSync(file, 0o444);
  const bytes = readFileSync(file);
  const gallery = await openSqliteGallery(file);
  assert.equal(gallery.readOnly, true);
  assert.equal((await gallery.listSubjects())[0]!.name, 'Ada');
  assert.equal((await gallery.embeddingsFor('model-a')).count, 1);
  await rejectsWith(gallery.addSubject('Bob'), 'VISAGE_ERR_DB_READ_ONLY', /read-only \(the file is not writable\)/);
  await rejectsWith(gallery.addFaces('Ada', [face('ada-2')]), 'VISAGE_ERR_DB_READ_ONLY');
  await rejectsWith(gallery.reset(), 'VISAGE_ERR_DB_READ_ONLY');
  await gallery.close();
  assert.ok(readFileSync(file).equals(bytes));
  chmodSync(file, 0o644);

  const asked = await openSqliteGallery(file, { readOnly: true });
  await rejectsWith(asked.deleteSubject('Ada'), 'VISAGE_ERR_DB_READ_ONLY', /opened read-only/);
  await asked.close();
  await rejectsWith(openSqliteGallery(dbPath('missing.db'), { readOnly: true }), 'VISAGE_ERR_DB_NOT_FOUND', /does not exist/);
  await rejectsWith(openSqliteGallery(path.join(dir, 'no-such-folder', 'g.db')), 'VISAGE_ERR_DB_NOT_FOUND', /folder/);
});

test('a file that is not a Visage gallery is refused with one line and left untouched', async () => {
  const text = dbPath('notes.db');
  writeFileSync(text, 'these are my notes, not a database\n');
  const random = dbPath('random.db');
  writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
  const foreign = dbPath('foreign.db');
  const db = raw(foreign);
  db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (12.5)");
  db.close();
  const foreignWal = dbPath('foreign-wal.db');
  const walDb = raw(foreignWal);
  walDb.pragma('journal_mode = WAL');
  walDb.exec('CREATE TABLE t (x)');
  walDb.close();

  for (const [file, message] of [[text, /not a SQLite database/], [random, /not a SQLite database/], [foreign, /another application/], [foreignWal, /another application/]] as const) {
    const before = { bytes: readFileSync(file), mtime: statSync(file).mtimeMs };
    await rejectsWith(openSqliteGallery(file), 'VISAGE_ERR_NOT_A_GALLERY', message);
    assert.ok(readFileSync(file).equals(before.bytes), `${path.basename(file)} unchanged`);
    assert.equal(statSync(file).mtimeMs, before.mtime);
    assert.ok(!existsSync(`${file}-wal`) && !existsSync(`${file}-journal`), 'no journal left beside it');
  }
  await rejectsWith(openSqliteGallery(dir), 'VISAGE_ERR_NOT_A_GALLERY', /folder/);
  assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('foreign') || name.startsWith('notes') || name.startsWith('random')).sort(),
    ['foreign-wal.db', 'foreign.db', 'notes.db', 'random.db']);
});

test('a gallery written by a newer schema is refused (VISAGE_ERR_DB_TOO_NEW), not downgraded', async () => {
  const file = dbPath();
  await (await openSqliteGallery(file)).close();
  const db = raw(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  await rejectsWith(openSqliteGallery(file), 'VISAGE_ERR_DB_TOO_NEW', new RegExp(`version ${SCHEMA_VERSION + 1}, newer`));
  const check = raw(file, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
  check.close();
});

test('export to a portable file and import it back: same subjects, metadata, faces and embeddings', async () => {
  const source = await openSqliteGallery(dbPath());
  await source.addFaces('Ada', [face('ada-1', { 'model-a': unit(1), 'model-b': unit(11, 4) })], { createSubject: true, metadata: { born: 1815 } });
  await source.addFaces('Ada', [face('ada-2', { 'model-a': unit(2) })]);
  await source.addFaces('Grace', [face('grace-1', { 'model-a': unit(3) })], { createSubject: true });
  await source.addSubject('Nobody yet');
  const file = path.join(dir, 'export.json');
  const summary = await source.exportTo(file);
  assert.deepEqual([summary.subjects, summary.faces], [3, 3]);
  assert.deepEqual(summary.models.map((m) => [m.modelId, m.dim, m.count]), [['model-a', 8, 3], ['model-b', 4, 1]]);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(json.format, 'visage-gallery');
  assert.equal(json.version, 1);

  const target = await openSqliteGallery(dbPath());
  const imported = await target.importFrom(file);
  assert.deepEqual(imported, { subjectsAdded: 3, subjectsMatched: 0, facesAdded: 3, facesSkipped: 0 });
  const strip = (faces: Awaited<ReturnType<typeof source.listFaces>>) => faces.map(({ id, subjectId, ...rest }) => rest);
  assert.deepEqual(strip(await target.listFaces()), strip(await source.listFaces()));
  assert.deepEqual((await target.listSubjects()).map(({ id, ...rest }) => rest), (await source.listSubjects()).map(({ id, ...rest }) => rest));
  for (const model of ['model-a', 'model-b']) {
    assert.deepEqual((await target.embeddingsFor(model)).vectors, (await source.embeddingsFor(model)).vectors);
  }
  // Importing again adds nothing: every image is already enrolled for its subject.
  assert.deepEqual(await target.importFrom(file), { subjectsAdded: 0, subjectsMatched: 3, facesAdded: 0, facesSkipped: 3 });

  await rejectsWith(target.importFrom(path.join(dir, 'absent.json')), 'VISAGE_ERR_BAD_INPUT', /file not found/);
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...json, version: 99 }));
  await rejectsWith(target.importFrom(bad), 'VISAGE_ERR_BAD_INPUT', /version 99 is newer/);
  json.subjects[0].faces[0].embeddings['model-a'] = Buffer.from(new Float32Array(7).buffer).toString('base64');
  writeFileSync(bad, JSON.stringify(json));
  await rejectsWith(target.importFrom(bad), 'VISAGE_ERR_BAD_INPUT', /7 values, expected 8/);
  writeFileSync(bad, '{"format": "something else"}');
  await rejectsWith(target.importFrom(bad), 'VISAGE_ERR_BAD_INPUT', /not a Visage gallery export/);
  await source.close();
  await target.close();
});
