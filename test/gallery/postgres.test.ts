// The PostgreSQL store's own behaviour: the schema (created, identified, refused when foreign or
// newer), the change log written by triggers for every writer and announced by NOTIFY at commit,
// the write lock, processes writing at once or killed, a server that cannot be reached, refuses the
// login or goes away mid-run, and copies between SQLite and PostgreSQL. The contract every store
// keeps is tested in contract.test.ts. Needs VISAGE_TEST_PG_URL (test/helpers/stores.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  CHANGE_CHANNEL, POSTGRES_SCHEMA_VERSION, SearchIndex, copyGallery, openGallery, openPostgresGallery,
} from '../../src/gallery/index.ts';
import { CHANGE_LOG_KEEP, MIGRATIONS, VERSION_TABLE, VERSION_TABLE_SQL, WRITE_LOCK_KEY } from '../../src/gallery/postgres/migrations.ts';
import { face, hashOf, negativesByName, rejectsWith, unit } from './helpers.ts';
import { postgresStore, sqliteStore, withSchema, PG_URL_ENV } from '../helpers/stores.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';

const store = postgresStore();
const files = sqliteStore();
after(() => store.cleanup());
after(() => files.cleanup());
const it = (name: string, fn: () => Promise<void>) => test(name, { skip: store.skip }, fn);
const base = () => process.env[PG_URL_ENV]!;

/** A plain connection to the test database, as another application (or psql) would have. */
async function raw(schema?: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: base(), ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  return client;
}
const schemaOf = (location: string) => new URL(location).searchParams.get('schema')!;

it('a new schema gets the tables, the version table and the triggers; opening again migrates nothing', async () => {
  const location = await store.newLocation();
  // Two processes opening a new gallery at once: one migrates, the other waits and finds it done.
  const [a, b] = await Promise.all([openPostgresGallery(location), openPostgresGallery(location)]);
  const stats = await a.stats();
  assert.deepEqual([stats.schemaVersion, stats.subjects, stats.faces, stats.readOnly], [POSTGRES_SCHEMA_VERSION, 0, 0, false]);
  assert.match(stats.location, /^postgres:\/\/visage_test:\*\*\*@/, 'the password is masked');
  const client = await raw();
  const schema = schemaOf(location);
  const tables = (await client.query('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [schema])).rows.map((row) => row.tablename);
  assert.deepEqual(tables, ['change_log', 'embeddings', 'faces', 'negatives', 'subjects', 'visage_gallery']);
  // Every migration recorded once, in order (1 .. the current version).
  assert.deepEqual((await client.query(`SELECT version FROM ${schema}.visage_gallery ORDER BY version`)).rows, Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })));
  await client.end();
  await a.close();
  await b.close();
  await (await openPostgresGallery(location)).close();
});

it('a schema of another application is refused and left untouched; a newer schema version too; bad options and URLs', async () => {
  const location = await store.newLocation();
  const schema = schemaOf(location);
  const client = await raw();
  await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.invoices (id int, total numeric); INSERT INTO ${schema}.invoices VALUES (1, 12.5)`);
  await rejectsWith(openPostgresGallery(location), 'VISAGE_ERR_NOT_A_GALLERY', /another application \(invoices\).*left untouched/);
  assert.deepEqual((await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [schema])).rows, [{ tablename: 'invoices' }]);

  const newer = await store.newLocation();
  await (await openPostgresGallery(newer)).close();
  await client.query(`INSERT INTO ${schemaOf(newer)}.visage_gallery (version, description) VALUES (${POSTGRES_SCHEMA_VERSION + 1}, 'from the future')`);
  await rejectsWith(openPostgresGallery(newer), 'VISAGE_ERR_DB_TOO_NEW', new RegExp(`version ${POSTGRES_SCHEMA_VERSION + 1}, newer`));
  await client.end();

  await rejectsWith(openPostgresGallery(await store.newLocation(), { create: false }), 'VISAGE_ERR_DB_NOT_FOUND', /does not exist/);
  await rejectsWith(openPostgresGallery(await store.newLocation(), { readOnly: true }), 'VISAGE_ERR_DB_NOT_FOUND', /does not exist/);
  await rejectsWith(openPostgresGallery(base(), { schema: 'Not-A-Name' }), 'VISAGE_ERR_BAD_OPTION', /schema name/);
  await rejectsWith(openPostgresGallery(base(), { pool: 3 } as never), 'VISAGE_ERR_BAD_OPTION', /unknown gallery option "pool"/);
  await rejectsWith(openPostgresGallery('postgres://a:secret@[bad'), 'VISAGE_ERR_BAD_OPTION', /not a valid PostgreSQL URL/);
  const error = await rejectsWith(openPostgresGallery(withSchema(base(), 'a').replace('schema=a', 'schema=a&schema=b'), { schema: 'c' }), 'VISAGE_ERR_BAD_OPTION');
  assert.ok(!error.message.includes('visage_test:visage_test'));
});

it('read-only: reads work, every write is refused with VISAGE_ERR_DB_READ_ONLY', async () => {
  const { gallery, location } = await store.create();
  await gallery.addFaces('ada', [face('ada-1')], { createSubject: true });
  const reader = await openPostgresGallery(location, { readOnly: true });
  assert.equal(reader.readOnly, true);
  assert.equal((await reader.listSubjects())[0]!.name, 'ada');
  assert.equal((await reader.embeddingsFor('model-a')).count, 1);
  await rejectsWith(reader.addSubject('bob'), 'VISAGE_ERR_DB_READ_ONLY', /opened read-only/);
  await rejectsWith(reader.reset(), 'VISAGE_ERR_DB_READ_ONLY');
  assert.equal((await gallery.stats()).faces, 1);
  await reader.close();
  await gallery.close();
});

it('the triggers log every writer (a plain connection, cascaded deletes included), and NOTIFY tells listeners at commit', async () => {
  const { gallery, location } = await store.create();
  const schema = schemaOf(location);
  await gallery.addFaces('ada', [face('ada-1'), face('ada-2')], { createSubject: true });
  const ids = (await gallery.listFaces('ada')).map((stored) => stored.id);
  const { seq } = await gallery.changesSince(0);
  assert.ok(seq >= 2);
  const listener = await raw();
  const heard: string[] = [];
  listener.on('notification', (message) => { if (message.channel === CHANGE_CHANNEL) heard.push(message.payload ?? ''); });
  await listener.query(`LISTEN ${CHANGE_CHANNEL}`);

  const writer = await raw(schema);
  await writer.query('BEGIN');
  await writer.query("DELETE FROM subjects WHERE name = 'ada'"); // faces and embeddings go by cascade
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(heard, [], 'nothing is announced before the commit');
  await writer.query('COMMIT');
  await writer.query("INSERT INTO subjects (name) VALUES ('grace')");
  await writer.query("UPDATE subjects SET name = 'Grace Hopper' WHERE name = 'grace'");
  // A write rolled back logs nothing and announces nothing.
  await writer.query('BEGIN');
  await writer.query("UPDATE subjects SET name = 'nobody' WHERE name = 'Grace Hopper'");
  await writer.query('ROLLBACK');
  for (let waited = 0; heard.length < 2 && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(heard, [schema, schema], 'one notification per committed transaction that logged, with the schema as payload');

  const changes = await gallery.changesSince(seq);
  assert.equal(changes.reload, false);
  assert.deepEqual(changes.faceIds.sort(), ids.sort());
  assert.deepEqual(changes.renamed.map((subject) => subject.name), ['Grace Hopper']);
  assert.deepEqual(await gallery.changesSince(changes.seq), { seq: changes.seq, reload: false, faceIds: [], renamed: [], negativeIds: [] });
  // The store's own writes notify too.
  await gallery.addFaces('Grace Hopper', [face('grace-1')]);
  for (let waited = 0; heard.length < 3 && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(heard.length, 3);
  await writer.end();
  await listener.end();
  await gallery.close();
});

it('a version-2 schema (negative examples, not logged) is upgraded: data, log and sequence kept; negatives logged and announced from then on, by every writer', async () => {
  const location = await store.newLocation();
  const schema = schemaOf(location);
  const client = await raw();
  // The schema as the previous Visage left it: migrations 1 and 2, and some writes.
  await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}; ${VERSION_TABLE_SQL}`);
  for (const migration of MIGRATIONS.filter((m) => m.version <= 2)) {
    await client.query(migration.sql(schema));
    await client.query(`INSERT INTO ${VERSION_TABLE} (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
  }
  const vector = (seed: number, dim = 8) => Buffer.from(Float32Array.from(unit(seed, dim)).buffer);
  const [ada, alan] = (await client.query("INSERT INTO subjects (name) VALUES ('ada'), ('alan') RETURNING id")).rows.map((row) => Number(row.id));
  for (const [subject, label, seed] of [[ada, 'ada-1', 1], [ada, 'ada-2', 2], [alan, 'alan-1', 3]] as const) {
    const { rows: [row] } = await client.query('INSERT INTO faces (subject_id, content_hash) VALUES ($1, $2) RETURNING id', [subject, hashOf(label)]);
    await client.query("INSERT INTO embeddings (face_id, model_id, dim, vector) VALUES ($1, 'model-a', 8, $2)", [row.id, vector(seed)]);
  }
  await client.query(`INSERT INTO negatives (id, subject_id, content_hash, box, model_id, dim, vector) VALUES
    (nextval('negatives_id'), $1, $2, '{"x":1,"y":2,"width":3,"height":4}', 'model-a', 8, $3)`, [ada, hashOf('ada-1'), vector(1)]);
  const oldLog = (await client.query('SELECT seq, kind, face_id, subject_id FROM change_log ORDER BY seq')).rows;
  const oldSeq = Number(oldLog.at(-1).seq);
  assert.equal(oldLog.length, 3, 'three embeddings logged; the negative example was not');

  const a = await openPostgresGallery(location);
  assert.equal((await a.stats()).schemaVersion, POSTGRES_SCHEMA_VERSION);
  assert.deepEqual((await client.query('SELECT seq, kind, face_id, subject_id FROM change_log ORDER BY seq')).rows, oldLog, 'the log is kept');
  assert.deepEqual((await client.query('SELECT version FROM visage_gallery ORDER BY version')).rows.map((row) => row.version), [1, 2, 3]);
  assert.deepEqual((await a.listFaces()).map((f) => [f.subjectName, f.contentHash]), [['ada', hashOf('ada-1')], ['ada', hashOf('ada-2')], ['alan', hashOf('alan-1')]]);
  assert.deepEqual((await a.listNegatives('model-a')).map((n) => [n.id, n.subjectId, n.box]), [[1, ada, { x: 1, y: 2, width: 3, height: 4 }]]);
  assert.deepEqual(await a.changesSince(oldSeq), { seq: oldSeq, reload: false, faceIds: [], renamed: [], negativeIds: [] });
  const index = await SearchIndex.load(a, 'model-a');
  assert.equal(index.identify(unit(1), { threshold: 0.99 }).subject, null, 'the negative example of version 2 is honoured');
  assert.equal(index.identify(unit(2), { threshold: 0.99 }).subject?.name, 'ada');

  // A plain connection (another program) adds and deletes negative examples: logged, announced.
  const listener = await raw();
  let heard = 0;
  listener.on('notification', (message) => { if (message.channel === CHANGE_CHANNEL && message.payload === schema) heard++; });
  await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
  const { rows: [added] } = await client.query(`INSERT INTO negatives (id, subject_id, content_hash, model_id, dim, vector)
    VALUES (nextval('negatives_id'), $1, $2, 'model-a', 8, $3) RETURNING id`, [alan, hashOf('alan-1'), vector(3)]);
  for (let waited = 0; heard < 1 && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(heard, 1, 'announced at commit');
  const changes = await a.changesSince(oldSeq);
  assert.deepEqual([changes.seq > oldSeq, changes.negativeIds], [true, [Number(added.id)]]);
  await index.catchUp();
  assert.equal(index.identify(unit(3), { threshold: 0.99 }).subject, null);
  await client.query('DELETE FROM negatives WHERE subject_id = $1', [alan]);
  await client.query('DELETE FROM subjects WHERE id = $1', [ada]); // its negative goes by cascade
  const removed = await a.changesSince(changes.seq);
  assert.deepEqual(removed.negativeIds.sort((x, y) => x - y), [1, Number(added.id)]);
  await index.catchUp();
  assert.deepEqual([index.negativeCount, index.identify(unit(3), { threshold: 0.99 }).subject?.name], [0, 'alan']);
  index.close();
  await listener.end();
  await client.end();
  await a.close();
});

it('the log keeps the last entries only; a reader further behind reloads in full', async () => {
  const { gallery, location } = await store.create();
  await gallery.addFaces('ada', [face('ada-1', { 'model-a': unit(1) })], { createSubject: true });
  const index = await SearchIndex.load(gallery, 'model-a');
  const client = await raw(schemaOf(location));
  // More writes than the log keeps, by another connection, in one transaction.
  await client.query('BEGIN');
  const { rows: [subject] } = await client.query("INSERT INTO subjects (name) VALUES ('many') RETURNING id");
  const vector = Buffer.from(Float32Array.from(unit(7)).buffer);
  await client.query(`WITH added AS (INSERT INTO faces (subject_id, content_hash)
    SELECT $1, encode(sha256(('many-' || i)::bytea), 'hex') FROM generate_series(1, ${CHANGE_LOG_KEEP + 10}) i RETURNING id)
    INSERT INTO embeddings (face_id, model_id, dim, vector) SELECT id, 'model-a', 8, $2 FROM added`, [subject.id, vector]);
  await client.query('COMMIT');
  assert.ok(Number((await client.query('SELECT count(*) FROM change_log')).rows[0].count) <= CHANGE_LOG_KEEP);
  await client.end();
  const changes = await gallery.changesSince(index.sequence);
  assert.equal(changes.reload, true);
  await index.catchUp();
  assert.equal(index.size, CHANGE_LOG_KEEP + 11);
  assert.equal((await gallery.changesSince(index.sequence)).faceIds.length, 0);
  assert.equal((await gallery.changesSince(index.sequence + 1)).reload, true, "a sequence number this gallery never gave: reload");
  index.close();
  await gallery.close();
});

it('a writer holding the gallery\'s write lock: a write waits busyTimeoutMs, then VISAGE_ERR_DB_LOCKED having written nothing; reads go on', async () => {
  const { gallery: first, location } = await store.create();
  await first.close();
  const gallery = await openPostgresGallery(location, { busyTimeoutMs: 300 });
  const holder = await raw();
  await holder.query('BEGIN');
  await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [WRITE_LOCK_KEY, schemaOf(location)]);
  const start = performance.now();
  await rejectsWith(gallery.addFaces('grace', [face('grace-1')], { createSubject: true }), 'VISAGE_ERR_DB_LOCKED', /locked by another writer \(waited 300 ms\)/);
  const waited = performance.now() - start;
  assert.ok(waited >= 250 && waited < 2000, `${waited} ms`);
  assert.deepEqual(await gallery.listSubjects(), []);
  // Released while another write waits for it: that write goes through.
  const slow = await openPostgresGallery(location, { busyTimeoutMs: 5000 });
  setTimeout(() => { void holder.query('COMMIT'); }, 200);
  const waiting = performance.now();
  await slow.addFaces('grace', [face('grace-1')], { createSubject: true });
  assert.ok(performance.now() - waiting >= 150, 'it waited for the lock');
  assert.equal((await gallery.stats()).faces, 1);
  await holder.end();
  await slow.close();
  await gallery.close();
});

const writerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'writer.ts');

it('two processes enrolling into one gallery at once: both finish, nothing lost; a reader following the log agrees with a fresh load', async () => {
  const { gallery, location } = await store.create();
  const index = await SearchIndex.load(gallery, 'model-a');
  const startAt = String(Date.now() + 3000);
  const run = (label: string) => new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', writerScript, location, label, '150', startAt], (error, stdout, stderr) => {
      if (error) reject(new Error(`${label}: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
  let following = true;
  const follow = (async () => { while (following) { await index.catchUp(); await new Promise((resolve) => setTimeout(resolve, 5)); } })();
  assert.deepEqual(await Promise.all([run('left'), run('right')]), ['done 150', 'done 150']);
  following = false;
  await follow;
  await index.catchUp();
  const stats = await gallery.stats();
  assert.deepEqual([stats.subjects, stats.faces, stats.models[0]!.count], [10, 300, 300]);
  const fresh = await SearchIndex.load(gallery, 'model-a');
  assert.deepEqual([index.size, index.subjects], [fresh.size, fresh.subjects]);
  fresh.close();
  index.close();
  await gallery.close();
});

it('a writer killed mid-enrolment (kill -9) leaves whole images only, and its lock is released', async () => {
  const { gallery, location } = await store.create();
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, location, 'killed', '100000', String(Date.now())], { stdio: 'ignore' });
  for (let waited = 0; waited < 30_000 && (await gallery.stats()).faces < 100; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const stats = await gallery.stats();
  assert.ok(stats.faces >= 100, `the writer wrote (${stats.faces} faces)`);
  assert.equal(stats.models[0]!.count, stats.faces, 'every face has its embedding');
  await gallery.addFaces('after the kill', [face('after')], { createSubject: true }); // the server ended its transaction and lock
  await gallery.close();
});

it('a server that cannot be reached, a wrong password, a missing database: one-line coded errors, the password never shown', async () => {
  const url = new URL(base());
  const wrong = new URL(url.href);
  wrong.password = 'not-the-password';
  const refused = await rejectsWith(openPostgresGallery(wrong.href), 'VISAGE_ERR_DB_UNAVAILABLE', /login refused \(password authentication failed/);
  assert.ok(!refused.message.includes('not-the-password'));
  const closedPort = await tcpProxy({ host: '127.0.0.1', port: 1 });
  const noServer = closedPort.through(base());
  closedPort.cut();
  await rejectsWith(openPostgresGallery(noServer), 'VISAGE_ERR_DB_UNAVAILABLE', /cannot be reached/);
  closedPort.silence();
  const start = performance.now();
  await rejectsWith(openPostgresGallery(noServer, { connectTimeoutMs: 300 }), 'VISAGE_ERR_DB_UNAVAILABLE', /cannot be reached .*timeout/i);
  assert.ok(performance.now() - start < 3000);
  await closedPort.close();
  const missing = new URL(url.href);
  missing.pathname = '/visage_no_such_database';
  await rejectsWith(openPostgresGallery(missing.href), 'VISAGE_ERR_DB_NOT_FOUND', /database "visage_no_such_database" does not exist/);
  // openGallery picks the store by the location's form.
  await rejectsWith(openGallery(wrong.href), 'VISAGE_ERR_DB_UNAVAILABLE');
});

it('the server going away mid-run: calls fail with VISAGE_ERR_DB_UNAVAILABLE (no crash, nothing half-written); back, it is used again', async () => {
  const location = await store.newLocation();
  const proxy = await tcpProxy({ host: new URL(base()).hostname, port: Number(new URL(base()).port || 5432) });
  const gallery = await openPostgresGallery(proxy.through(location));
  await gallery.addFaces('ada', [face('ada-1')], { createSubject: true });
  const index = await SearchIndex.load(gallery, 'model-a');
  proxy.cut(); // every connection, idle ones of the pool included, is dropped
  await new Promise((resolve) => setTimeout(resolve, 50));
  await rejectsWith(gallery.listSubjects(), 'VISAGE_ERR_DB_UNAVAILABLE', /cannot be reached/);
  await rejectsWith(gallery.addFaces('ada', [face('ada-2')]), 'VISAGE_ERR_DB_UNAVAILABLE');
  await rejectsWith(index.catchUp(), 'VISAGE_ERR_DB_UNAVAILABLE');
  assert.equal(index.size, 1, 'the index keeps answering from memory');
  proxy.resume();
  assert.deepEqual((await gallery.listSubjects()).map((subject) => subject.faceCount), [1], 'the failed write left nothing');
  await gallery.addFaces('ada', [face('ada-2')]);
  await index.catchUp();
  assert.equal(index.size, 2);
  // A write whose connection breaks mid-transaction: rolled back by the server.
  const direct = await openPostgresGallery(location);
  const client = await raw();
  const writes = gallery.addFaces('bob', Array.from({ length: 200 }, (_, i) => face(`bob-${i}`)), { createSubject: true });
  setTimeout(() => proxy.cut(), 30);
  await writes.then(() => undefined, (error: { code?: string }) => assert.equal(error.code, 'VISAGE_ERR_DB_UNAVAILABLE'));
  proxy.resume();
  const bob = await direct.findSubject('bob');
  assert.ok(bob === null || bob.faceCount === 200, `all of the image or none (${bob?.faceCount})`);
  await client.end();
  index.close();
  await direct.close();
  await gallery.close();
  await proxy.close();
});

it('gallery copy: SQLite to PostgreSQL and back gives the same subjects, metadata, faces and embeddings; a non-empty target needs merge', async () => {
  const { gallery: source } = await files.create();
  await source.addFaces('Ada', [face('ada-1', { 'model-a': unit(1), 'model-b': unit(11, 4) })], { createSubject: true, metadata: { born: 1815, note: 'é' } });
  await source.addFaces('Ada', [face('ada-2', { 'model-a': unit(2) })]);
  await source.addFaces('Grace', [face('grace-1', { 'model-a': unit(3) })], { createSubject: true });
  await source.addSubject('Nobody yet');
  // Negative examples travel too (one with a vector of a model no face has).
  await source.addNegative('Ada', { contentHash: hashOf('stranger-1'), sourceFile: 'stranger-1.jpg', box: { x: 1, y: 2, width: 30, height: 40 }, embeddings: { 'model-a': unit(7), 'model-c': unit(5, 3) } });
  await source.addNegative('Grace', { contentHash: hashOf('stranger-2'), embeddings: { 'model-a': unit(9) } });
  const { gallery: middle } = await store.create();
  const phases = new Set<string>();
  const there = await copyGallery(source, middle, { onProgress: (phase) => phases.add(phase) });
  assert.deepEqual(there.imported, { subjectsAdded: 3, subjectsMatched: 0, facesAdded: 3, facesSkipped: 0, negativesAdded: 2, negativesSkipped: 0 });
  assert.deepEqual([...phases], ['export', 'import']);
  const { gallery: back } = await files.create();
  await copyGallery(middle, back);
  const strip = (faces: Awaited<ReturnType<typeof source.listFaces>>) => faces.map(({ id, subjectId, ...rest }) => rest);
  for (const copy of [middle, back]) {
    assert.deepEqual(strip(await copy.listFaces()), strip(await source.listFaces()));
    assert.deepEqual((await copy.listSubjects()).map(({ id, ...rest }) => rest), (await source.listSubjects()).map(({ id, ...rest }) => rest));
    for (const model of ['model-a', 'model-b']) assert.deepEqual((await copy.embeddingsFor(model)).vectors, (await source.embeddingsFor(model)).vectors);
    for (const model of ['model-a', 'model-c']) assert.deepEqual(await negativesByName(copy, model), await negativesByName(source, model), `negatives of ${model}`);
  }
  await rejectsWith(copyGallery(source, middle), 'VISAGE_ERR_BAD_INPUT', /already holds 3 subject\(s\).*--merge/);
  assert.deepEqual((await copyGallery(source, middle, { merge: true })).imported, { subjectsAdded: 0, subjectsMatched: 3, facesAdded: 0, facesSkipped: 3, negativesAdded: 0, negativesSkipped: 2 });
  await rejectsWith(copyGallery(middle, middle, { merge: true }), 'VISAGE_ERR_BAD_INPUT', /onto itself/);
  await source.close();
  await middle.close();
  await back.close();
});
