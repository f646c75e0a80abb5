// The server's own file (<db>.server.db) locked by another connection or process: authentication
// answers at once (its "last used" note is skipped and written later), a thumbnail write waits
// without blocking the event loop, and fails with VISAGE_ERR_DB_LOCKED after busyTimeoutMs.
// The gallery locked by another process: a write request waits (503 at the end), and the server
// answers other requests meanwhile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteServerStore } from '../../src/server/store.ts';
import { openSqliteGallery } from '../../src/public/gallery.ts';
import { holdWriteLockInProcess, watchEventLoop } from '../helpers/locks.ts';
import { startServer, testVisage } from './helpers.ts';

let dir: string;
let counter = 0;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'visage-store-locks-')); });
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await (await testVisage()).close();
});
const storePath = () => path.join(dir, `s${++counter}.server.db`);
const hash = 'a'.repeat(64);
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

test('findKey under another connection\'s lock answers at once; its last-used note waits for a free file', async () => {
  const file = storePath();
  const store = SqliteServerStore.open(file);
  const created = await store.createKey('recognise', 'kiosk');
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  const start = performance.now();
  const found = await store.findKey(created.key);
  const took = performance.now() - start;
  assert.equal(found?.id, created.id);
  assert.ok(took < 50, `authentication did not wait for the lock (${took} ms)`);
  assert.equal((await store.listKeys())[0]!.lastUsed, null, 'skipped while the file was locked');
  holder.exec('ROLLBACK');
  holder.close();
  await store.findKey(created.key);
  assert.notEqual((await store.listKeys())[0]!.lastUsed, null, 'written at the next request');
  store.close();
});

test('putThumbnail under another connection\'s lock: waits without blocking, succeeds on release; past busyTimeoutMs VISAGE_ERR_DB_LOCKED', async () => {
  const file = storePath();
  const store = SqliteServerStore.open(file, { busyTimeoutMs: 1000 });
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  setTimeout(() => holder.exec('ROLLBACK'), 300);
  let loop = watchEventLoop();
  let start = performance.now();
  await store.putThumbnail(1, hash, jpeg);
  let waited = performance.now() - start;
  let { maxLagMs } = loop.stop();
  assert.ok(waited >= 280, `waited for the lock (${waited} ms)`);
  assert.ok(maxLagMs < 100, `max lag ${maxLagMs} ms`);
  assert.deepEqual(await store.getThumbnail(1, hash), jpeg);

  holder.exec('BEGIN IMMEDIATE');
  loop = watchEventLoop();
  start = performance.now();
  await assert.rejects(store.putThumbnail(2, hash, jpeg), (error: { code?: string; message: string }) => {
    assert.equal(error.code, 'VISAGE_ERR_DB_LOCKED');
    assert.match(error.message, /locked by another process \(waited 1000 ms\)/);
    return true;
  });
  waited = performance.now() - start;
  ({ maxLagMs } = loop.stop());
  await assert.rejects(store.deleteThumbnails([1]), { code: 'VISAGE_ERR_DB_LOCKED' });
  await assert.rejects(store.createKey('admin'), { code: 'VISAGE_ERR_DB_LOCKED' });
  holder.exec('ROLLBACK');
  holder.close();
  assert.ok(waited >= 980, `gave up after busyTimeoutMs (${waited} ms)`);
  assert.ok(maxLagMs < 100, `max lag ${maxLagMs} ms`);
  assert.equal(await store.getThumbnail(2, hash), null, 'nothing written');
  assert.deepEqual(await store.getThumbnail(1, hash), jpeg, 'nothing deleted');
  assert.equal((await store.listKeys()).length, 0);
  store.close();
});

test('another process holding the server file\'s lock for 1.5 s: auth answers at once, the thumbnail is written after, the event loop runs', async (t) => {
  const file = storePath();
  const store = SqliteServerStore.open(file);
  const created = await store.createKey('admin');
  const { released } = await holdWriteLockInProcess(file, 1500);
  const loop = watchEventLoop();
  const start = performance.now();
  const found = await store.findKey(created.key);
  const authMs = performance.now() - start;
  await store.putThumbnail(7, hash, jpeg);
  const waited = performance.now() - start;
  const { maxLagMs, ticks } = loop.stop();
  await released;
  t.diagnostic(`findKey ${authMs.toFixed(1)} ms; putThumbnail waited ${waited.toFixed(0)} ms; event loop max lag ${maxLagMs.toFixed(1)} ms, ${ticks} ticks`);
  assert.equal(found?.id, created.id);
  assert.ok(authMs < 50, `findKey ${authMs} ms`);
  assert.ok(waited >= 1000, `the thumbnail waited for the other process (${waited} ms)`);
  assert.ok(maxLagMs < 100, `max lag ${maxLagMs} ms`);
  assert.deepEqual(await store.getThumbnail(7, hash), jpeg);
  store.close();
});

test('the gallery locked by another process: a write request ends in 503 VISAGE_ERR_DB_LOCKED while others are answered at once', async (t) => {
  const file = path.join(dir, 'locked.db');
  const gallery = await openSqliteGallery(file, { busyTimeoutMs: 1000 });
  await gallery.addSubject('ada');
  const server = await startServer({ gallery, openWithoutKeys: true });
  const local = { host: 'localhost' };
  const { released } = await holdWriteLockInProcess(file, 1500);
  const start = performance.now();
  const rename = server.app.inject({ method: 'PATCH', url: '/v1/subjects/ada', payload: { name: 'Ada Lovelace' }, headers: local });
  const healthTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const asked = performance.now();
    const health = await server.app.inject({ url: '/v1/health', headers: local });
    const list = await server.app.inject({ url: '/v1/subjects', headers: local });
    healthTimes.push(performance.now() - asked);
    assert.equal(health.statusCode, 200);
    assert.deepEqual(list.json().subjects.map((subject: { name: string }) => subject.name), ['ada']);
  }
  const answer = await rename;
  const waited = performance.now() - start;
  await released;
  t.diagnostic(`rename answered ${answer.statusCode} after ${waited.toFixed(0)} ms; health + list meanwhile took at most ${Math.max(...healthTimes).toFixed(1)} ms`);
  assert.equal(answer.statusCode, 503);
  assert.equal(answer.json().error.code, 'VISAGE_ERR_DB_LOCKED');
  assert.ok(waited >= 950, `${waited} ms`);
  assert.ok(Math.max(...healthTimes) < 100, `other requests answered at once (${healthTimes})`);
  assert.equal((await server.app.inject({ method: 'PATCH', url: '/v1/subjects/ada', payload: { name: 'Ada Lovelace' }, headers: local })).statusCode, 200);
  await server.close();
  await gallery.close();
});
