// Clustering real photos (celeb5's validation folder: 5 people, 25 photos): clusters by person,
// a second run from the embedding cache that keeps the cluster ids, naming a cluster into a real
// SQLite gallery, and "not this person" honoured by the next clustering run and by identify.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import path from 'node:path';
import { imagesUnder } from '../../src/face/image/files.ts';
import { openSqliteGallery } from '../../src/gallery/index.ts';
import { createRecognizer } from '../../src/recognition/recognizer.ts';
import { resolveConfig } from '../../src/config.ts';
import { cachedFaceLookup, clusterPhotos, mergeClusters, nameCluster, notThisPerson, splitCluster, type ClusterReport } from '../../src/recognition/clustering.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../gallery/helpers.ts';

const skip = skipUnless('celeb5', 'val');
const embedder = resolveConfig({}).embedders[0]!;
let dir: string;
let remove: () => Promise<void>;
let files: string[];
before(async () => {
  ({ dir, remove } = await tempDir('visage-cluster-'));
  if (!skip) files = (await imagesUnder(dataset('celeb5', 'val'))).sort();
});
after(async () => remove());

const person = (file: string) => path.basename(path.dirname(file));
const keyFiles = (report: ClusterReport) => new Map([...report.clusters.flatMap((c) => c.faces), ...report.unclustered, ...report.setAside, ...report.matched.flatMap((m) => m.faces)].map((f) => [f.key, f.file]));

test('clusterPhotos: celeb5 val clustered by person, a second run from the cache keeps the ids; name, not-this-person, merge and split', { skip, timeout: 300_000 }, async () => {
  const cacheDir = path.join(dir, 'cache');
  const first = await clusterPhotos(files, { cacheDir, embedder });
  assert.equal(first.report.images, 25);
  assert.equal(first.report.analysed, 25);
  // Every cluster is one person; the largest ones are the celebrities.
  for (const c of first.report.clusters) {
    const people = new Set(c.faces.map((f) => person(f.file)));
    assert.equal(people.size, 1, `cluster ${c.id} mixes ${[...people].join(', ')}`);
    assert.equal(new Set(c.faces.map((f) => f.contentHash)).size, c.faces.length, 'two faces of one photo in a cluster');
  }
  assert.ok(first.report.clusters.length >= 4, `${first.report.clusters.length} clusters`);
  const clustered = first.report.clusters.reduce((n, c) => n + c.faces.length, 0);
  assert.ok(clustered >= 18, `only ${clustered} of ${first.report.faces} faces clustered`);

  // The second run clusters in a worker thread (as the server does for large sets): same clusters.
  const again = await clusterPhotos(files, { cacheDir, embedder, state: first.state, thread: 1 });
  assert.equal(again.report.analysed, 0, 'the second run reads every image from the cache');
  assert.deepEqual(again.report.clusters.map((c) => [c.id, c.faces.map((f) => f.key)]), first.report.clusters.map((c) => [c.id, c.faces.map((f) => f.key)]));

  // Name the largest cluster; the next run with the gallery gives its faces to that person.
  const gallery = await openSqliteGallery(path.join(dir, 'g.db'));
  try {
    const largest = first.report.clusters[0]!;
    const name = person(largest.faces[0]!.file);
    const named = await nameCluster(again.state, largest.id, name, gallery, cachedFaceLookup(embedder, keyFiles(first.report), cacheDir));
    assert.equal(named.added, largest.faces.length);
    assert.equal(named.state.clusters.find((c) => c.id === largest.id)!.subject, name);
    const withGallery = await clusterPhotos(files, { cacheDir, embedder, gallery, state: named.state });
    const matched = withGallery.report.matched.find((m) => m.subject === name);
    assert.ok(matched && matched.faces.length >= largest.faces.length, 'the named faces are matched to the person');
    assert.ok(!withGallery.report.clusters.some((c) => c.faces.some((f) => largest.faces.some((g) => g.key === f.key))));

    // Not this person: one of those faces is never matched to them again, by clustering or identify.
    const wrong = largest.faces[0]!;
    const state = await notThisPerson(withGallery.state, wrong.key, name, gallery, cachedFaceLookup(embedder, keyFiles(withGallery.report), cacheDir));
    assert.equal((await gallery.listNegatives(embedder)).length, 1);
    assert.equal((await gallery.listFaces(name)).length, largest.faces.length - 1, 'the enrolled copy of that face is removed');
    const after = await clusterPhotos(files, { cacheDir, embedder, gallery, state });
    assert.ok(!after.report.matched.find((m) => m.subject === name)!.faces.some((f) => f.key === wrong.key));
    const recognizer = await createRecognizer({ gallery });
    try {
      const result = await recognizer.identify(wrong.file);
      const same = result.faces.find((f) => Math.abs(f.box.x - wrong.box.x) < 2 && Math.abs(f.box.y - wrong.box.y) < 2)!;
      assert.notEqual(same.name, name, 'identify honours the negative example');
      assert.ok(!same.candidates.some((c) => c.name === name));
    } finally {
      await recognizer.close();
    }
  } finally {
    await gallery.close();
  }

  // Merge and split on the state.
  const [a, b] = first.state.clusters;
  const merged = mergeClusters(first.state, a!.id, b!.id);
  assert.equal(merged.clusters.find((c) => c.id === a!.id)!.faces.length, a!.faces.length + b!.faces.length);
  assert.throws(() => mergeClusters(first.state, a!.id, a!.id), { code: 'VISAGE_ERR_BAD_INPUT' });
  const split = splitCluster(merged, a!.id, b!.faces);
  assert.deepEqual(split.state.clusters.find((c) => c.id === split.newId)!.faces, b!.faces);
  assert.throws(() => mergeClusters(split.state, a!.id, split.newId), /split apart/);
  // The split holds on the next run: those faces never come back together.
  const rerun = await clusterPhotos(files, { cacheDir, embedder, state: split.state });
  assert.ok(!rerun.report.clusters.some((c) => c.faces.some((f) => f.key === a!.faces[0]) && c.faces.some((f) => f.key === b!.faces[0])));
});
