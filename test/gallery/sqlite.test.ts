// The SQLite store's own behaviour: the file (schema, WAL, application id), processes writing at
// once or killed, locks, read-only files, foreign files, newer schemas. The contract every store
// keeps is tested in contract.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteGallery, SCHEMA_VERSION, APPLICATION_ID } from '../../src/gallery/index.ts';
import { face, rejectsWith, tempDir } from './helpers.ts';

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
  assert.deepEqual(tables, ['change_log', 'embeddings', 'faces', 'negatives', 'sqlite_sequence', 'subjects']);
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


test(':memory: is a gallery in memory: it works, and no file of that name is written', async () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const gallery = await openSqliteGallery(':memory:');
    await gallery.addFaces('ada', [face('m1'), face('m2')], { createSubject: true });
    const stats = await gallery.stats();
    assert.deepEqual([stats.subjects, stats.faces, stats.schemaVersion], [1, 2, SCHEMA_VERSION]);
    await gallery.close();
    assert.equal(existsSync(path.join(dir, ':memory:')), false);
    const again = await openSqliteGallery(':memory:');
    assert.equal((await again.stats()).faces, 0, 'each opening is a new, empty gallery');
    await again.close();
    await rejectsWith(openSqliteGallery(':memory:', { readOnly: true }), 'VISAGE_ERR_BAD_OPTION');
  } finally {
    process.chdir(cwd);
  }
});
