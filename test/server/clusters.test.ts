// "People to name" through the REST API (inject), on real photos: five LFW people with six or seven
// photos each (31 images, one of each person's photos held back). Photos are clustered by person;
// naming a cluster enrols its faces, after which a held-back photo of that person is recognised;
// merge, split and "not this person" change the clusters as the CLI's calls do, and the state is
// the server store's (a second server on the same files sees it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import path from 'node:path';
import { openSqliteGallery } from '../../src/public/gallery.ts';
import { buildApp, SqliteServerStore } from '../../src/server/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';
import { lfwPeople, PEOPLE } from './lfw-people.ts';

const skip = skipUnless('lfw-view1', 'images', PEOPLE[0]!);

test('a server file of version 1 (keys, thumbnails) gains the cluster tables, its keys kept', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-v1-'));
  try {
    const file = path.join(dir, 'old.server.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE api_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
      prefix TEXT NOT NULL, created TEXT NOT NULL, last_used TEXT, revoked TEXT);
      CREATE TABLE thumbnails (face_id INTEGER PRIMARY KEY, content_hash TEXT NOT NULL, jpeg BLOB NOT NULL, created TEXT NOT NULL);
      INSERT INTO api_keys (name, scope, hash, prefix, created) VALUES ('old', 'admin', '${'0'.repeat(64)}', 'vsk_abcdef', '2026-01-01T00:00:00Z');`);
    db.pragma('user_version = 1');
    db.pragma(`application_id = ${0x56535356}`);
    db.close();
    const store = SqliteServerStore.open(file);
    try {
      assert.deepEqual((await store.listKeys()).map((k) => k.name), ['old']);
      const snap = await store.clusters.snapshot();
      assert.equal(snap.embedder, null);
      assert.equal(snap.version, 0);
    } finally {
      store.close();
    }
    const again = new Database(file, { readonly: true });
    assert.equal(again.pragma('user_version', { simple: true }), 2);
    again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

interface ClusterJson { id: string; subject: string | null; size: number; faces: { key: string; file: string; thumbnail: string }[] }

let server: TestServer;
let photos: Map<string, string[]>;
/** LFW photos are 250x250 with the person in the centre: their face is the one nearest it. */
const personOf = (file: string) => file.replace(/_\d{4}\.jpg$/, '');

before(async () => {
  if (skip) return;
  photos = await lfwPeople();
  server = await startServer({ openWithoutKeys: true });
});
after(async () => server?.close());

async function upload(files: string[]) {
  const results = [];
  // In requests of 10 (the server's default maxImages).
  for (let i = 0; i < files.length; i += 10) {
    const parts = await Promise.all(files.slice(i, i + 10).map(async (f) => ({ data: await readFile(f), filename: path.basename(f) })));
    const res = await post(server.app, '/v1/clusters', { image: parts });
    assert.equal(res.statusCode, 200, res.body);
    results.push(res.json());
  }
  return results.at(-1)!;
}

const view = async (query = '') => {
  const res = await server.app.inject({ method: 'GET', url: `/v1/clusters${query}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { clusters: ClusterJson[]; matched: { subject: string; faces: { key: string; file: string }[] }[]; unclustered: { key: string; file: string }[]; images: number; faces: number; unnamedClusters: number };
};

/** The cluster holding most of `person`'s photos. */
const clusterOf = (clusters: ClusterJson[], person: string) => clusters
  .map((c) => ({ c, n: c.faces.filter((f) => personOf(f.file) === person).length }))
  .sort((a, b) => b.n - a.n)[0]!.c;

test('POST /v1/clusters: 31 LFW photos of 5 people clustered by person, thumbnails served, bad requests answered 4xx', { skip, timeout: 600_000 }, async () => {
  const files = [...photos.values()].flatMap((list) => list.slice(0, -1));
  assert.equal(files.length, 26);
  const last = await upload(files);
  assert.equal(last.images, 26);
  const { clusters } = await view();
  // Every person's main cluster holds most of their photos, and no cluster mixes people's
  // centre faces (LFW photos show bystanders too: only the photo's subject counts).
  for (const person of PEOPLE) {
    const cluster = clusterOf(clusters, person);
    const mine = cluster.faces.filter((f) => personOf(f.file) === person).length;
    assert.ok(mine >= 4, `${person}: only ${mine} of 5 photos in cluster ${cluster.id}`);
  }
  const mains = PEOPLE.map((p) => clusterOf(clusters, p).id);
  assert.equal(new Set(mains).size, PEOPLE.length, 'two people share a cluster');

  const face = clusters[0]!.faces[0]!;
  const thumb = await server.app.inject({ method: 'GET', url: face.thumbnail });
  assert.equal(thumb.statusCode, 200);
  assert.equal(thumb.headers['content-type'], 'image/jpeg');
  assert.ok(thumb.rawPayload.length > 1000);

  const one = await server.app.inject({ method: 'GET', url: `/v1/clusters/${clusters[0]!.id}` });
  assert.equal(one.statusCode, 200);
  assert.equal(one.json().size, clusters[0]!.size);

  // Bad requests: clear 4xx answers, and the server goes on.
  const bad = [
    [await server.app.inject({ method: 'GET', url: '/v1/clusters/c999' }), 404, 'VISAGE_ERR_UNKNOWN_CLUSTER'],
    [await server.app.inject({ method: 'GET', url: '/v1/clusters/nonsense' }), 404, 'VISAGE_ERR_UNKNOWN_CLUSTER'],
    [await server.app.inject({ method: 'POST', url: '/v1/clusters/c999/name', payload: { subject: 'x' } }), 404, 'VISAGE_ERR_UNKNOWN_CLUSTER'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/${mains[0]}/name`, payload: {} }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/${mains[0]}/name`, payload: { subject: 'x', extra: 1 } }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/${mains[0]}/merge`, payload: { clusters: [mains[0]] } }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/${mains[0]}/merge`, payload: { clusters: [] } }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/${mains[0]}/split`, payload: { faces: ['nope'] } }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/${mains[0]}/split`, payload: { faces: clusterOf(clusters, PEOPLE[1]!).faces.slice(0, 1).map((f) => f.key) } }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'POST', url: '/v1/clusters/faces/0123456789abcdef-0/not', payload: { subject: 'x' } }), 404, 'VISAGE_ERR_UNKNOWN_FACE'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/faces/${face.key}/not`, payload: {} }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'POST', url: `/v1/clusters/faces/${face.key}/not`, payload: { subject: 'Nobody Enrolled' } }), 404, 'VISAGE_ERR_UNKNOWN_SUBJECT'],
    [await server.app.inject({ method: 'GET', url: '/v1/clusters/faces/..%2F..%2Fetc/thumbnail' }), 404, 'VISAGE_ERR_UNKNOWN_FACE'],
    [await server.app.inject({ method: 'POST', url: '/v1/clusters', payload: { paths: ['people'] } }), 403, 'VISAGE_ERR_FORBIDDEN'],
    [await server.app.inject({ method: 'POST', url: '/v1/clusters', payload: {} }), 400, 'VISAGE_ERR_BAD_INPUT'],
    [await server.app.inject({ method: 'GET', url: '/v1/clusters?limit=0' }), 400, 'VISAGE_ERR_BAD_INPUT'],
  ] as const;
  for (const [res, status, code] of bad) {
    assert.equal(res.statusCode, status, res.body);
    assert.equal(res.json().error.code, code, res.body);
    assert.ok(res.json().error.message.length > 10);
  }
  // A corrupt upload is reported as failed, the good one in the same request still added.
  const mixed = await post(server.app, '/v1/clusters', { image: [{ data: Buffer.from('not an image at all'), filename: 'broken.jpg' }, { data: await readFile(files[0]!), filename: 'again.jpg' }] });
  assert.equal(mixed.statusCode, 200, mixed.body);
  assert.deepEqual(mixed.json().results.map((r: { status: string }) => r.status), ['failed', 'added']);
  assert.equal((await server.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});

test('name a cluster: its faces are enrolled, and a held-back photo of that person is recognised; a second server on the same files sees the clusters', { skip, timeout: 600_000 }, async () => {
  const { clusters } = await view();
  const person = PEOPLE[0]!;
  const cluster = clusterOf(clusters, person);
  const named = await server.app.inject({ method: 'POST', url: `/v1/clusters/${cluster.id}/name`, payload: { subject: 'Colin Powell' } });
  assert.equal(named.statusCode, 200, named.body);
  assert.equal(named.json().added, cluster.size);
  assert.equal(named.json().subject, 'Colin Powell');
  const after = await view('?unnamed=true');
  assert.ok(!after.clusters.some((c) => c.id === cluster.id), 'a named cluster is not listed with ?unnamed=true');
  assert.equal((await view()).clusters.find((c) => c.id === cluster.id)!.subject, 'Colin Powell');

  const held = photos.get(person)!.at(-1)!;
  const res = await post(server.app, '/v1/recognise', { image: { data: await readFile(held), filename: path.basename(held) } });
  assert.equal(res.statusCode, 200, res.body);
  const names = res.json().faces.map((f: { name: string | null }) => f.name);
  assert.ok(names.includes('Colin Powell'), `recognised as ${JSON.stringify(names)}`);

  // Another server on the same gallery and server file: the same clusters, names included.
  const gallery = await openSqliteGallery(path.join(server.dir, 'g.db'));
  const store = SqliteServerStore.open(path.join(server.dir, 'g.server.db'));
  const other = await buildApp({ visage: await testVisage(), gallery, store, openWithoutKeys: true });
  try {
    const seen = (await other.inject({ method: 'GET', url: '/v1/clusters' })).json() as { clusters: ClusterJson[] };
    assert.deepEqual(seen.clusters.map((c) => [c.id, c.subject, c.size]), (await view()).clusters.map((c) => [c.id, c.subject, c.size]));
  } finally {
    await other.close();
    await gallery.close();
    store.close();
  }
});

test('merge, split and not-this-person', { skip, timeout: 600_000 }, async () => {
  const { clusters } = await view('?unnamed=true');
  const a = clusterOf(clusters, PEOPLE[1]!), b = clusterOf(clusters, PEOPLE[2]!);
  const merged = await server.app.inject({ method: 'POST', url: `/v1/clusters/${a.id}/merge`, payload: { clusters: [b.id] } });
  assert.equal(merged.statusCode, 200, merged.body);
  let now = (await view()).clusters;
  assert.equal(now.find((c) => c.id === a.id)!.size, a.size + b.size);
  assert.ok(!now.some((c) => c.id === b.id));

  // Split b's faces out again: a new cluster, kept apart from now on (a later clustering too).
  const split = await server.app.inject({ method: 'POST', url: `/v1/clusters/${a.id}/split`, payload: { faces: b.faces.map((f) => f.key) } });
  assert.equal(split.statusCode, 200, split.body);
  const newId = split.json().newCluster as string;
  now = (await view()).clusters;
  assert.deepEqual(now.find((c) => c.id === newId)!.faces.map((f) => f.key).sort(), b.faces.map((f) => f.key).sort());
  assert.equal(now.find((c) => c.id === a.id)!.size, a.size);
  // Adding the held-back photos re-clusters everything: the split stays, the merge undone by it stays undone.
  await upload(PEOPLE.slice(1).map((p) => photos.get(p)!.at(-1)!));
  now = (await view()).clusters;
  const together = now.find((c) => c.faces.some((f) => f.key === a.faces[0]!.key))!;
  assert.ok(!together.faces.some((f) => b.faces.some((g) => g.key === f.key)), 'a split is kept by the next clustering');

  // Not this person: a face of the named person is kept as a negative example and leaves them.
  const person = (await view()).matched.find((m) => m.subject === 'Colin Powell') ?? { faces: (await view()).clusters.find((c) => c.subject === 'Colin Powell')!.faces };
  const wrong = person.faces[0]!;
  const not = await server.app.inject({ method: 'POST', url: `/v1/clusters/faces/${wrong.key}/not`, payload: {} });
  assert.equal(not.statusCode, 200, not.body);
  assert.equal(not.json().subject, 'Colin Powell');
  const embedder = (await server.app.inject({ method: 'GET', url: '/v1/clusters' })).json().embedder as string;
  assert.equal((await server.gallery.listNegatives(embedder)).length, 1);
  const later = await view();
  const stillThere = [...later.matched.filter((m) => m.subject === 'Colin Powell').flatMap((m) => m.faces), ...later.clusters.filter((c) => c.subject === 'Colin Powell').flatMap((c) => c.faces)];
  assert.ok(!stillThere.some((f) => f.key === wrong.key), 'the face left the person');
  // The photo itself is no longer recognised as them (the negative example reaches the search index through the change log).
  const res = await post(server.app, '/v1/recognise', { image: { data: await readFile(dataset('lfw-view1', 'images', PEOPLE[0]!, wrong.file)), filename: 'x.jpg' } });
  const face = res.json().faces.sort((x: { box: { width: number } }, y: { box: { width: number } }) => y.box.width - x.box.width)[0];
  assert.notEqual(face.name, 'Colin Powell');

  const cleared = await server.app.inject({ method: 'DELETE', url: '/v1/clusters' });
  assert.equal(cleared.statusCode, 200);
  const empty = await view();
  assert.equal(empty.faces, 0);
  assert.equal(empty.clusters.length, 0);
});
