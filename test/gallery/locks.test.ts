// A lock held by another connection or process never blocks the event loop: a write waits for it
// between timers (timers and reads go on meanwhile), succeeds once it is released, or fails with
// VISAGE_ERR_DB_LOCKED after busyTimeoutMs having written nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteGallery } from '../../src/gallery/index.ts';
import { face, rejectsWith, tempDir } from './helpers.ts';
import { holdWriteLockInProcess, watchEventLoop } from '../helpers/locks.ts';

let temp: Awaited<ReturnType<typeof tempDir>>;
let counter = 0;
before(async () => { temp = await tempDir('visage-locks-'); });
after(async () => { await temp.remove(); });
const dbPath = () => path.join(temp.dir, `g${++counter}.db`);

test('a write meeting another connection\'s lock waits without blocking the event loop, and succeeds once it is released', async (t) => {
  const file = dbPath();
  const gallery = await openSqliteGallery(file);
  await gallery.addSubject('Ada');
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  setTimeout(() => holder.exec('ROLLBACK'), 400);
  const loop = watchEventLoop();
  const start = performance.now();
  const write = gallery.addFaces('Grace', [face('grace-1')], { createSubject: true });
  // Reads go on meanwhile (WAL), answered at once.
  let reads = 0;
  while (performance.now() - start < 300) {
    assert.deepEqual((await gallery.listSubjects()).map((subject) => subject.name), ['Ada']);
    reads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const [stored] = await write;
  const waited = performance.now() - start;
  const { maxLagMs, ticks } = loop.stop();
  t.diagnostic(`write waited ${waited.toFixed(0)} ms; event loop max lag ${maxLagMs.toFixed(1)} ms, ${ticks} timer ticks, ${reads} reads meanwhile`);
  holder.close();
  assert.equal(stored!.subjectName, 'Grace');
  assert.ok(waited >= 380, `the write waited for the lock (${waited} ms)`);
  assert.ok(waited < 600, `and went ahead soon after its release (${waited} ms)`);
  assert.ok(maxLagMs < 100, `the event loop ran meanwhile (max lag ${maxLagMs} ms)`);
  assert.ok(ticks >= 20, `timers ran meanwhile (${ticks} ticks)`);
  assert.ok(reads >= 5);
  await gallery.close();
});

test('a lock held longer than busyTimeoutMs: VISAGE_ERR_DB_LOCKED, nothing written, the event loop free meanwhile', async () => {
  const file = dbPath();
  const gallery = await openSqliteGallery(file, { busyTimeoutMs: 300 });
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  const loop = watchEventLoop();
  const start = performance.now();
  await rejectsWith(gallery.addFaces('Grace', [face('grace-1')], { createSubject: true }), 'VISAGE_ERR_DB_LOCKED', /locked by another process \(waited 300 ms\)/);
  const waited = performance.now() - start;
  const { maxLagMs } = loop.stop();
  holder.exec('ROLLBACK');
  holder.close();
  assert.ok(waited >= 290 && waited < 500, `gave up after busyTimeoutMs (${waited} ms)`);
  assert.ok(maxLagMs < 100, `max lag ${maxLagMs} ms`);
  assert.deepEqual(await gallery.listSubjects(), []);
  assert.deepEqual(await gallery.listFaces(), []);
  assert.equal((await gallery.changesSince(0)).seq, 0, 'nothing logged either');
  await gallery.close();
});

test('another process holding the write lock for 1.5 s: the event loop keeps running, the write succeeds after', async (t) => {
  const file = dbPath();
  const gallery = await openSqliteGallery(file);
  await gallery.addSubject('Ada');
  const { released } = await holdWriteLockInProcess(file, 1500);
  const loop = watchEventLoop();
  const start = performance.now();
  const write = gallery.deleteSubject('Ada');
  const [subjects] = await Promise.all([gallery.listSubjects(), write]);
  const waited = performance.now() - start;
  const { maxLagMs, ticks } = loop.stop();
  await released;
  t.diagnostic(`write waited ${waited.toFixed(0)} ms for the other process; event loop max lag ${maxLagMs.toFixed(1)} ms, ${ticks} ticks`);
  assert.deepEqual(subjects.map((subject) => subject.name), ['Ada'], 'read while the other process held the lock');
  assert.deepEqual(await gallery.listSubjects(), []);
  assert.ok(waited >= 1000, `waited for the other process (${waited} ms)`);
  assert.ok(maxLagMs < 100, `max lag ${maxLagMs} ms`);
  assert.ok(ticks >= 50, `${ticks} ticks`);
  await gallery.close();
});
