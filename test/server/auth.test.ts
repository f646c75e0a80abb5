// API keys and scopes: 401 without or with a bad key, 403 for a recognise key on admin calls,
// revocation at once (also from another ServerStore, as `visage keys revoke` would), the open
// server without keys (localhost only, Host and Origin checked), and the key store itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SqliteServerStore, serverStorePath, hashKey } from '../../src/server/index.ts';
import { startServer, testVisage, type TestServer } from './helpers.ts';

let locked: TestServer;
let open: TestServer;

before(async () => {
  locked = await startServer();
  open = await startServer({ openWithoutKeys: true });
});

after(async () => {
  await locked.close();
  await open.close();
  await (await testVisage()).close();
});

test('no key: 401 with WWW-Authenticate; public routes answer', async () => {
  const res = await locked.app.inject({ url: '/v1/subjects' });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().error.code, 'VISAGE_ERR_UNAUTHORIZED');
  assert.match(res.headers['www-authenticate'] as string, /^Bearer/);
  for (const url of ['/health', '/v1/health', '/openapi.json', '/docs', '/']) assert.equal((await locked.app.inject({ url })).statusCode, 200, url);
  // Refused before the body is read: an upload without a key is not parsed.
  const upload = await locked.app.inject({ method: 'POST', url: '/v1/recognise', payload: Buffer.alloc(1000), headers: { 'content-type': 'image/jpeg' } });
  assert.equal(upload.statusCode, 401);
});

test('scopes: recognise keys read, admin keys write; bad and revoked keys are 401', async () => {
  const admin = await locked.store.createKey('admin', 'ops');
  const reader = await locked.store.createKey('recognise');
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  assert.equal((await locked.app.inject({ url: '/v1/subjects', headers: as(reader.key) })).statusCode, 200);
  assert.equal((await locked.app.inject({ url: '/v1/subjects', headers: { 'x-api-key': reader.key } })).statusCode, 200, 'X-API-Key works too');
  const forbidden = await locked.app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'ada' }, headers: as(reader.key) });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().error.code, 'VISAGE_ERR_FORBIDDEN');
  assert.equal((await locked.app.inject({ url: '/v1/keys', headers: as(reader.key) })).statusCode, 403);
  assert.equal((await locked.app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'ada' }, headers: as(admin.key) })).statusCode, 201);
  assert.equal((await locked.app.inject({ url: '/v1/metrics', headers: as(admin.key) })).statusCode, 200, 'admin keys make read calls too');
  const wrong = await locked.app.inject({ url: '/v1/subjects', headers: as(`${reader.key.slice(0, -2)}xx`) });
  assert.equal(wrong.statusCode, 401);
  assert.match(wrong.json().error.message, /unknown or revoked/);
  assert.equal((await locked.app.inject({ url: '/v1/subjects', headers: { authorization: 'Basic abc' } })).statusCode, 401);

  // Keys over REST (admin), and revocation from another handle on the same file (the CLI's way).
  const made = await locked.app.inject({ method: 'POST', url: '/v1/keys', payload: { scope: 'recognise', name: 'kiosk' }, headers: as(admin.key) });
  assert.equal(made.statusCode, 201);
  const kiosk = made.json();
  assert.match(kiosk.key, /^vsk_[\w-]{43}$/);
  assert.equal((await locked.app.inject({ url: '/v1/subjects', headers: as(kiosk.key) })).statusCode, 200);
  const other = SqliteServerStore.open(path.join(locked.dir, 'g.server.db'), { create: false });
  await other.revokeKey(kiosk.id);
  other.close();
  assert.equal((await locked.app.inject({ url: '/v1/subjects', headers: as(kiosk.key) })).statusCode, 401, 'revoked: refused at the next request');
  const listed = (await locked.app.inject({ url: '/v1/keys', headers: as(admin.key) })).json().keys;
  assert.equal(listed.length, 3);
  assert.ok(listed.every((k: Record<string, unknown>) => !('key' in k) && !('hash' in k)), 'secrets never listed');
  assert.ok(listed.find((k: { id: number }) => k.id === kiosk.id).revoked);
  const revoke = await locked.app.inject({ method: 'DELETE', url: `/v1/keys/${reader.id}`, headers: as(admin.key) });
  assert.equal(revoke.statusCode, 200);
  assert.equal((await locked.app.inject({ method: 'DELETE', url: '/v1/keys/9999', headers: as(admin.key) })).statusCode, 404);
});

test('keys are stored as SHA-256 only, in a file only its owner reads', async () => {
  const created = await locked.store.createKey('admin');
  const bytes = await readFile(path.join(locked.dir, 'g.server.db'));
  const wal = await readFile(path.join(locked.dir, 'g.server.db-wal')).catch(() => Buffer.alloc(0));
  const all = Buffer.concat([bytes, wal]);
  assert.equal(all.includes(created.key), false, 'the key itself is nowhere in the file');
  assert.equal(all.includes(hashKey(created.key)), true);
  if (process.platform !== 'win32') assert.equal((await stat(path.join(locked.dir, 'g.server.db'))).mode & 0o077, 0);
  assert.equal(serverStorePath('data/visage.db'), 'data/visage.server.db');
  assert.equal(serverStorePath('gallery'), 'gallery.server.db');
});

test('a server without keys is open on localhost only, to same-machine origins; the first key closes it', async () => {
  assert.equal((await open.app.inject({ url: '/v1/subjects' })).statusCode, 200);
  assert.equal((await open.app.inject({ url: '/v1/subjects', headers: { host: '127.0.0.1:3000', origin: 'http://localhost:3000' } })).statusCode, 200);
  const rebinding = await open.app.inject({ url: '/v1/subjects', headers: { host: 'attacker.example:3000' } });
  assert.equal(rebinding.statusCode, 403);
  const crossSite = await open.app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'x' }, headers: { origin: 'https://attacker.example' } });
  assert.equal(crossSite.statusCode, 403);
  assert.equal((await open.app.inject({ url: '/v1/info' })).json().auth, 'open (localhost, no keys)');
  const key = await open.store.createKey('recognise');
  assert.equal((await open.app.inject({ url: '/v1/subjects' })).statusCode, 401, 'closed once a key exists');
  assert.equal((await open.app.inject({ url: '/v1/subjects', headers: { 'x-api-key': key.key } })).statusCode, 200);
  await open.store.revokeKey(key.id);
  assert.equal((await open.app.inject({ url: '/v1/subjects' })).statusCode, 200, 'open again with no active key');
});
