// Two API nodes on one PostgreSQL gallery (issue 15, item 2): two server instances in this process,
// each with its own gallery object and connection pool (as two processes would have; bench/scale/
// lag.ts runs two real `visage serve` processes). Node B reaches PostgreSQL through a TCP proxy so
// that the database can be taken away from it alone. Real faces (bbt). Needs VISAGE_TEST_PG_URL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { openPostgresGallery, type PostgresGallery } from '../../src/public/gallery.ts';
import { buildApp, PostgresServerStore } from '../../src/server/index.ts';
import { listenApplicationName } from '../../src/gallery/postgres/listen.ts';
import { SAFETY_PERIOD_MS } from '../../src/gallery/sync.ts';
import { postgresStore, PG_URL_ENV } from '../helpers/stores.ts';
import { tcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { visage as runVisage } from '../helpers/cli.ts';
import { testVisage } from './helpers.ts';

const store = postgresStore();
const skip = store.skip || skipUnless('bbt', 'people');
const image = (name: string, n: number) => readFile(dataset('bbt', 'people', name, `${name}${n}.png`));

interface Node { app: FastifyInstance; gallery: PostgresGallery; store: PostgresServerStore }
let a: Node;
let b: Node;
let proxy: TcpProxy;
let location: string;
let schema: string;
let admin: string;
let db: pg.Client;

async function node(url: string): Promise<Node> {
  const gallery = await openPostgresGallery(url);
  const keys = await PostgresServerStore.open(gallery);
  const app = await buildApp({ visage: await testVisage(), gallery, store: keys });
  return { app, gallery, store: keys };
}

const auth = (key = admin) => ({ authorization: `Bearer ${key}` });

async function enrol(target: Node, name: string, images: Buffer[]) {
  const response = await target.app.inject({
    method: 'POST', url: `/v1/subjects/${name}/faces?create=true`, headers: auth(), payload: { images: images.map((data) => data.toString('base64')) },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json();
}

async function recognise(target: Node, data: Buffer, key = admin) {
  return target.app.inject({ method: 'POST', url: '/v1/recognise', headers: auth(key), payload: { image: data.toString('base64') } });
}

async function databaseSeq(): Promise<number> {
  const { rows } = await db.query(`SELECT coalesce(max(seq), 0)::int AS seq FROM ${schema}.change_log`);
  return rows[0].seq;
}

async function health(target: Node) {
  return (await target.app.inject({ url: '/health' })).json();
}

/** Waits until `target`'s /health sequence reaches `seq`; returns the milliseconds it took. */
async function reaches(target: Node, seq: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const sync = (await health(target)).sync;
    if (sync.sequence >= seq) return performance.now() - start;
    if (performance.now() - start > timeoutMs) assert.fail(`sequence ${sync.sequence} did not reach ${seq} in ${timeoutMs} ms: ${JSON.stringify(sync)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

before(async () => {
  if (skip) return;
  location = await store.newLocation();
  schema = new URL(location).searchParams.get('schema')!;
  const target = new URL(process.env[PG_URL_ENV]!);
  proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  a = await node(location);
  // The first admin key, made as `visage keys create` does, in the shared tables.
  admin = (await a.store.createKey('admin', 'test admin')).key;
  b = await node(proxy.through(location));
  db = new pg.Client({ connectionString: process.env[PG_URL_ENV] });
  await db.connect();
});

after(async () => {
  if (skip) return;
  for (const n of [a, b]) {
    if (!n) continue;
    await n.app.close();
    n.store.close();
    await n.gallery.close();
  }
  await db?.end();
  await proxy?.close();
  await store.cleanup();
});

test('enrolled through node A, recognised through node B within the bounded lag; /health reports the sequence', { skip }, async () => {
  const before = (await health(b)).sync;
  assert.equal(before.listening, true);
  assert.equal(before.safetyPeriodMs, SAFETY_PERIOD_MS);
  const enrolled = await enrol(a, 'amy', [await image('amy', 1), await image('amy', 2)]);
  assert.equal(enrolled.added, 2);
  const target = await databaseSeq();
  const lag = await reaches(b, target, SAFETY_PERIOD_MS);
  assert.ok(lag < SAFETY_PERIOD_MS, `${lag} ms`);
  const sync = (await health(b)).sync;
  assert.equal(sync.databaseSequence, target);
  assert.equal(sync.lag, 0);
  assert.ok(sync.msSinceApplied !== null && sync.msSinceApplied < 5000);
  const found = await recognise(b, await image('amy', 3));
  assert.equal(found.statusCode, 200, found.body);
  assert.equal(found.json().faces[0].name, 'amy');
});

test('a key made on node A works on node B; revoked on A, refused by B at its next request', { skip }, async () => {
  const made = await a.app.inject({ method: 'POST', url: '/v1/keys', headers: auth(), payload: { scope: 'recognise', name: 'door' } });
  assert.equal(made.statusCode, 201, made.body);
  const { key, id } = made.json();
  assert.match(key, /^vsk_/);
  assert.equal((await b.app.inject({ url: '/v1/subjects', headers: auth(key) })).statusCode, 200);
  assert.equal((await b.app.inject({ method: 'POST', url: '/v1/subjects', headers: auth(key), payload: { name: 'x' } })).statusCode, 403, 'scope recognise');
  const listed = (await b.app.inject({ url: '/v1/keys', headers: auth() })).json().keys;
  assert.deepEqual(listed.map((k: { name: string }) => k.name), ['test admin', 'door']);
  const stored = (await db.query(`SELECT hash FROM ${schema}.api_keys WHERE id = $1`, [id])).rows[0].hash;
  assert.notEqual(stored, key);
  assert.match(stored, /^[0-9a-f]{64}$/, 'only the SHA-256 is kept');
  assert.equal((await a.app.inject({ method: 'DELETE', url: `/v1/keys/${id}`, headers: auth() })).statusCode, 200);
  const refused = await b.app.inject({ url: '/v1/subjects', headers: auth(key) });
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.json().error.code, 'VISAGE_ERR_UNAUTHORIZED');
});

test('a thumbnail enrolled through node A is served by node B, and goes with its face', { skip }, async () => {
  const faces = (await b.app.inject({ url: '/v1/subjects/amy/faces', headers: auth() })).json().faces;
  assert.equal(faces.length, 2);
  assert.ok(faces[0].thumbnail, 'B knows the face has a thumbnail');
  const fromB = await b.app.inject({ url: faces[0].thumbnail, headers: auth() });
  assert.equal(fromB.statusCode, 200);
  assert.equal(fromB.headers['content-type'], 'image/jpeg');
  const fromA = await a.app.inject({ url: faces[0].thumbnail, headers: auth() });
  assert.deepEqual(fromB.rawPayload, fromA.rawPayload);
  assert.equal((await b.app.inject({ method: 'DELETE', url: `/v1/subjects/amy/faces/${faces[1].id}`, headers: auth() })).statusCode, 200);
  const gone = await db.query(`SELECT 1 FROM ${schema}.thumbnails WHERE face_id = $1`, [faces[1].id]);
  assert.equal(gone.rowCount, 0, 'deleted with the face');
});

test('listening connections killed (pg_terminate_backend): the nodes listen again, catch up and stay current', { skip }, async () => {
  const killed = await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [listenApplicationName(schema)]);
  assert.equal(killed.rowCount, 2, 'one per node');
  // Written while B is reconnecting: heard by no one, caught up after the reconnect.
  await enrol(a, 'penny', [await image('penny', 1), await image('penny', 2)]);
  await reaches(b, await databaseSeq(), 3 * SAFETY_PERIOD_MS);
  const start = performance.now();
  while (!(await health(b)).sync.listening) {
    assert.ok(performance.now() - start < 10_000, 'B listens again');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal((await recognise(b, await image('penny', 3))).json().faces[0].name, 'penny');
  // And it stays current: the next write is heard by notification (well under the safety period).
  await enrol(a, 'raj', [await image('raj', 1)]);
  assert.ok(await reaches(b, await databaseSeq(), SAFETY_PERIOD_MS) < SAFETY_PERIOD_MS);
});

test('PostgreSQL away from node B: recognition answered from memory, writes 503 VISAGE_ERR_DB_UNAVAILABLE, health says so; current again once back', { skip }, async () => {
  assert.equal((await recognise(b, await image('amy', 3))).statusCode, 200, 'the admin key seen valid just now');
  proxy.cut();
  try {
    const found = await recognise(b, await image('amy', 4));
    assert.equal(found.statusCode, 200, found.body);
    assert.equal(found.json().faces[0].name, 'amy', 'from the index in memory');
    const write = await b.app.inject({ method: 'POST', url: '/v1/subjects', headers: auth(), payload: { name: 'leonard' } });
    assert.equal(write.statusCode, 503, write.body);
    assert.equal(write.json().error.code, 'VISAGE_ERR_DB_UNAVAILABLE');
    const enrolB = await b.app.inject({ method: 'POST', url: '/v1/subjects/leonard/faces?create=true', headers: auth(), payload: { image: (await image('leonard', 1)).toString('base64') } });
    assert.equal(enrolB.statusCode, 503, enrolB.body);
    const list = await b.app.inject({ url: '/v1/subjects', headers: auth() });
    assert.equal(list.statusCode, 503, 'a read that needs the database: a clear 503');
    // Written through A meanwhile: B cannot know yet.
    await enrol(a, 'sheldon', [await image('sheldon', 1), await image('sheldon', 2)]);
    const start = performance.now();
    let sync = (await health(b)).sync;
    while (sync.listening) {
      assert.ok(performance.now() - start < 3 * SAFETY_PERIOD_MS + 2000, 'B sees its listening connection gone');
      await new Promise((resolve) => setTimeout(resolve, 50));
      sync = (await health(b)).sync;
    }
    assert.ok(sync.msSinceCurrent >= 0);
    const unknown = await recognise(b, await image('sheldon', 3));
    assert.equal(unknown.statusCode, 200);
    assert.notEqual(unknown.json().faces[0].name, 'sheldon', 'stale while away, as /health says');
  } finally {
    proxy.resume();
  }
  await reaches(b, await databaseSeq(), 6 * SAFETY_PERIOD_MS + 5000);
  assert.equal((await recognise(b, await image('sheldon', 3))).json().faces[0].name, 'sheldon');
  const sync = (await health(b)).sync;
  assert.equal(sync.lag, 0);
  assert.equal(sync.failures, 0);
});

test('visage keys create|list|revoke --db postgres://...: the keys every node on that database uses', { skip }, async () => {
  const created = await runVisage(['keys', 'create', '--scope', 'recognise', '--name', 'cli', '--db', location, '--json']);
  assert.equal(created.code, 0, created.stderr);
  const { key, id } = JSON.parse(created.stdout);
  assert.equal((await b.app.inject({ url: '/v1/subjects', headers: auth(key) })).statusCode, 200, 'accepted by node B');
  const listed = await runVisage(['keys', 'list', '--db', location, '--json']);
  assert.ok(JSON.parse(listed.stdout).some((k: { id: number; name: string }) => k.id === id && k.name === 'cli'));
  assert.doesNotMatch(listed.stdout, new RegExp(key));
  const revoked = await runVisage(['keys', 'revoke', String(id), '--db', location]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await a.app.inject({ url: '/v1/subjects', headers: auth(key) })).statusCode, 401, 'refused by node A at once');
});
