// "People to name" over a PostgreSQL gallery with two API nodes: node A has the job queue (photos
// under its jobs root become a `cluster` job that a worker does), node B has none (uploads are
// clustered in the request). Both see the same clusters (the gallery schema's cluster tables); a
// name given on one node is seen on the other, and the named person is then recognised; merge,
// split and not-this-person across nodes. Needs VISAGE_TEST_PG_URL (test/helpers/stores.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createVisage, type Visage } from '../../src/index.ts';
import { openGallery } from '../../src/public/gallery.ts';
import { openJobQueue, startWorker, type JobQueue, type JobWorker } from '../../src/public/jobs.ts';
import { buildApp } from '../../src/server/index.ts';
import { openServerStore } from '../../src/server/open-store.ts';
import type { ServerStore } from '../../src/server/store.ts';
import type { OpenedGallery } from '../../src/gallery/open.ts';
import { skipUnless } from '../helpers/datasets.ts';
import { jobDatabase } from '../helpers/workers.ts';
import { post } from './helpers.ts';
import { lfwPeople, PEOPLE } from './lfw-people.ts';

const db = jobDatabase();
const skip = db.skip || skipUnless('lfw-view1', 'images', PEOPLE[0]!);

interface ClusterJson { id: string; subject: string | null; size: number; faces: { key: string; file: string }[] }
interface Node { app: FastifyInstance; gallery: OpenedGallery; store: ServerStore }

let dir: string;
let root: string;
let visage: Visage;
let queue: JobQueue;
let worker: JobWorker;
let a: Node, b: Node;
let photos: Map<string, string[]>;

const personOf = (file: string) => path.basename(file).replace(/_\d{4}\.jpg$/, '');

before(async () => {
  if (skip) return;
  photos = await lfwPeople();
  dir = await mkdtemp(path.join(tmpdir(), 'visage-people-pg-'));
  root = path.join(dir, 'root');
  for (const [person, files] of photos) {
    await mkdir(path.join(root, 'lfw', person), { recursive: true });
    for (const file of files.slice(0, -1)) await cp(file, path.join(root, 'lfw', person, path.basename(file)));
  }
  const url = db.url();
  // The default embedder on the nodes and the worker (the ResNet alone misses the held-back photo
  // measured here: 0.960 against its threshold 0.968).
  visage = await createVisage({ maxFaces: 20 });
  queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  const node = async (jobs: JobQueue | null): Promise<Node> => {
    const gallery = await openGallery(url);
    const store = await openServerStore(gallery, { galleryLocation: url });
    const app = await buildApp({ visage, gallery, store, openWithoutKeys: true, jobs, jobsRoot: root });
    return { app, gallery, store };
  };
  a = await node(queue);
  b = await node(null);
  worker = await startWorker(url, { maintenanceIntervalSeconds: 1 });
});

after(async () => {
  if (skip) return;
  await worker?.stop({ timeoutMs: 5000 });
  for (const n of [a, b]) {
    if (!n) continue;
    await n.app.close();
    await n.store.close();
    await n.gallery.close();
  }
  await queue?.close();
  await visage?.close();
  await db.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const view = async (node: Node, query = '') => {
  const res = await node.app.inject({ method: 'GET', url: `/v1/clusters${query}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { clusters: ClusterJson[]; matched: { subject: string; faces: { key: string; file: string }[] }[]; images: number; faces: number; embedder: string };
};
const clusterOf = (clusters: ClusterJson[], person: string) => clusters
  .map((c) => ({ c, n: c.faces.filter((f) => personOf(f.file) === person).length }))
  .sort((x, y) => y.n - x.n)[0]!.c;

test('PostgreSQL, two API nodes: a cluster job on node A, the clusters seen on node B; name on B, recognised on A; merge, split, not-this-person across nodes', { skip, timeout: 600_000 }, async () => {
  const submitted = await a.app.inject({ method: 'POST', url: '/v1/clusters', payload: { paths: ['lfw'] } });
  assert.equal(submitted.statusCode, 202, submitted.body);
  assert.equal(submitted.json().job.kind, 'cluster');
  const done = await queue.waitFor(submitted.json().job.id, { timeoutMs: 300_000 });
  assert.equal(done.progress.added, 26, JSON.stringify(done.items));
  // Outside the jobs root: refused.
  const out = await a.app.inject({ method: 'POST', url: '/v1/clusters', payload: { paths: ['../'] } });
  assert.equal(out.statusCode, 403, out.body);

  const seen = await view(b);
  assert.equal(seen.images, 26);
  assert.equal(seen.embedder, visage.config.embedders[0]);
  for (const person of PEOPLE) {
    const mine = clusterOf(seen.clusters, person).faces.filter((f) => personOf(f.file) === person).length;
    assert.ok(mine >= 4, `${person}: only ${mine} of 5 photos in one cluster`);
  }
  assert.equal(new Set(PEOPLE.map((p) => clusterOf(seen.clusters, p).id)).size, PEOPLE.length, 'two people share a cluster');
  assert.deepEqual((await view(a)).clusters.map((c) => [c.id, c.size]), seen.clusters.map((c) => [c.id, c.size]));
  const thumb = await a.app.inject({ url: `/v1/clusters/faces/${seen.clusters[0]!.faces[0]!.key}/thumbnail` });
  assert.equal(thumb.statusCode, 200);
  assert.equal(thumb.headers['content-type'], 'image/jpeg');

  // Name on B; A shows the name and recognises a held-back photo of that person.
  const target = clusterOf(seen.clusters, PEOPLE[0]!);
  const named = await b.app.inject({ method: 'POST', url: `/v1/clusters/${target.id}/name`, payload: { subject: 'Colin Powell' } });
  assert.equal(named.statusCode, 200, named.body);
  assert.equal(named.json().added, target.size);
  assert.equal((await view(a)).clusters.find((c) => c.id === target.id)!.subject, 'Colin Powell');
  const held = photos.get(PEOPLE[0]!)!.at(-1)!;
  let names: (string | null)[] = [];
  for (let i = 0; i < 20 && !names.includes('Colin Powell'); i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 250)); // A's index catches up from the change feed
    const res = await post(a.app, '/v1/recognise', { image: { data: await readFile(held), filename: 'held.jpg' } });
    assert.equal(res.statusCode, 200, res.body);
    names = res.json().faces.map((f: { name: string | null }) => f.name);
  }
  assert.ok(names.includes('Colin Powell'), `recognised as ${JSON.stringify(names)}`);

  // B has no queue: uploads are clustered in the request, and A sees them.
  const uploads = await Promise.all(PEOPLE.filter((p) => p !== PEOPLE[0]).map(async (p) => ({ data: await readFile(photos.get(p)!.at(-1)!), filename: path.basename(photos.get(p)!.at(-1)!) })));
  const sync = await post(b.app, '/v1/clusters', { image: uploads });
  assert.equal(sync.statusCode, 200, sync.body);
  assert.equal((await view(a)).images, 30);

  // Merge on A, split on B, both seen on the other node.
  const now = (await view(a, '?unnamed=true')).clusters;
  const x = clusterOf(now, PEOPLE[1]!), y = clusterOf(now, PEOPLE[2]!);
  assert.equal((await a.app.inject({ method: 'POST', url: `/v1/clusters/${x.id}/merge`, payload: { clusters: [y.id] } })).statusCode, 200);
  assert.equal((await view(b)).clusters.find((c) => c.id === x.id)!.size, x.size + y.size);
  const split = await b.app.inject({ method: 'POST', url: `/v1/clusters/${x.id}/split`, payload: { faces: y.faces.map((f) => f.key) } });
  assert.equal(split.statusCode, 200, split.body);
  assert.equal((await view(a)).clusters.find((c) => c.id === split.json().newCluster)!.size, y.size);

  // Not this person, on A, of a face of the named person: kept as a negative example in the gallery.
  const after = await view(b);
  const group = after.matched.find((m) => m.subject === 'Colin Powell')?.faces ?? after.clusters.find((c) => c.subject === 'Colin Powell')!.faces;
  const not = await a.app.inject({ method: 'POST', url: `/v1/clusters/faces/${group[0]!.key}/not`, payload: { subject: 'Colin Powell' } });
  assert.equal(not.statusCode, 200, not.body);
  assert.equal((await b.gallery.listNegatives(visage.config.embedders[0]!)).length, 1);
  const later = await view(b);
  const left = [...later.matched.filter((m) => m.subject === 'Colin Powell').flatMap((m) => m.faces), ...later.clusters.filter((c) => c.subject === 'Colin Powell').flatMap((c) => c.faces)];
  assert.ok(!left.some((f) => f.key === group[0]!.key));
});
