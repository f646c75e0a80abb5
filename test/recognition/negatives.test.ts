// "Not this person" across API nodes, on real faces (bbt): a negative example added through one
// node (a Recognizer on its own gallery connection) is honoured by another node's identify and
// nearest as soon as that node has the change log entry, with no timer: per request for SQLite (the
// catch-up before each search), by LISTEN/NOTIFY for PostgreSQL (the safety poll set to 10 minutes,
// so only the notification can bring it). On PostgreSQL the node keeps honouring it from memory
// while the database is out of reach, and follows a merge made meanwhile once it is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRecognizer, contentHash, openPostgresGallery, type Recognizer } from '../../src/public/gallery.ts';
import { createVisage, type Visage } from '../../src/index.ts';
import { galleryStores, postgresStore, PG_URL_ENV } from '../helpers/stores.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const skipData = skipUnless('bbt', 'people');
const person = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);
const enrolled = ['howard', 'penny', 'leonard', 'raj'];
/** Long enough that only a notification can bring a change within the tests' waits. */
const NO_POLL_MS = 600_000;

let visage: Visage;
before(async () => {
  // The default embedder: two photos of one person (howard4 and howard5: 0.936) stay under its
  // negative threshold (negativeMatch('fusion'), 0.986), so one photo's negative example leaves the
  // person's other photos alone (the ResNet alone: test/face/match/negatives.test.ts).
  if (!skipData) visage = await createVisage();
});
after(async () => { await visage?.close(); });

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - start;
}

/** Enrols photos 1-3 of each person through `node`. */
async function enrol(node: Recognizer): Promise<void> {
  for (const name of enrolled) {
    for (const n of [1, 2, 3]) assert.equal((await node.enroll(person(name, n), name)).status, 'added', `${name}${n}`);
  }
}

/** "Not this person": the largest face of `file` is kept as a negative example of `subject`, through `node`. */
async function notThisPerson(node: Recognizer, file: string, subject: string): Promise<number> {
  const bytes = await readFile(file);
  const { faces } = await node.visage.analyze(bytes);
  const face = faces.reduce((a, b) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
  return node.gallery.addNegative(subject, { contentHash: contentHash(bytes), sourceFile: file, box: face.box, embeddings: face.embeddings });
}

const names = (candidates: { name: string }[]) => candidates.map((c) => c.name);

for (const store of galleryStores()) {
  after(() => store.cleanup());
  test(`${store.name}: a negative example added on node A is honoured by node B's identify and nearest, with no timer`, { skip: store.skip || skipData }, async (t) => {
    const location = await store.newLocation();
    const a = await createRecognizer({ visage, db: location });
    await enrol(a);
    const b = await createRecognizer({ visage, gallery: await store.open(location), safetyPeriodMs: NO_POLL_MS });
    try {
      await b.prepare();
      assert.equal(b.syncStatus()?.listening ?? null, store.name === 'postgres' ? true : null);
      const before = await b.identify(person('howard', 4));
      assert.equal(before.faces[0]!.name, 'howard', 'a control: howard4 is named howard');
      assert.equal((await b.nearest(person('howard', 4)))[0]!.name, 'howard');

      await notThisPerson(a, person('howard', 4), 'howard');
      const seq = (await a.gallery.changesSince(0)).seq;
      if (store.name === 'postgres') {
        const lag = await until('node B hears of it', () => b.syncStatus()!.sequence >= seq, 2000);
        t.diagnostic(`node B had the negative example ${lag.toFixed(1)} ms after node A's commit (by notification; poll every ${NO_POLL_MS / 1000} s)`);
      }
      const after = await b.identify(person('howard', 4));
      assert.notEqual(after.faces[0]!.name, 'howard', 'identify honours the negative example');
      assert.ok(!names(after.faces[0]!.candidates).includes('howard'), 'howard is not even a candidate');
      const nearest = await b.nearest(person('howard', 4), { k: 4 });
      assert.ok(!names(nearest).includes('howard'), `nearest honours it too: ${names(nearest).join(', ')}`);
      assert.equal(nearest.length, enrolled.length - 1, 'the other people are still listed');
      const meanTemplate = await b.nearest(person('howard', 4), { k: 4, strategy: 'mean-template' });
      assert.ok(!names(meanTemplate).includes('howard'));
      // verifySubject agrees with identify: that face is not howard, whatever its similarity.
      const verified = await b.verifySubject(person('howard', 4), 'howard');
      assert.deepEqual([verified.same, verified.refused], [false, 'negative']);
      assert.ok(verified.similarity >= verified.threshold, `it would pass on similarity alone (${verified.similarity.toFixed(3)})`);
      // Only that face: howard's other photos are still his, on both nodes.
      for (const node of [a, b]) assert.equal((await node.identify(person('howard', 5))).faces[0]!.name, 'howard');
      const other = await b.verifySubject(person('howard', 5), 'howard');
      assert.deepEqual([other.same, other.refused], [true, undefined]);
      assert.equal((await b.nearest(person('howard', 5)))[0]!.name, 'howard');
    } finally {
      await b.close();
      await b.gallery.close();
      await a.close();
    }
  });
}

const pg = postgresStore();
after(() => pg.cleanup());

test('postgres: node B keeps honouring a negative example while the database is out of reach, and follows a merge made meanwhile', { skip: pg.skip || skipData }, async () => {
  const location = await pg.newLocation();
  const target = new URL(process.env[PG_URL_ENV]!);
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const a = await createRecognizer({ visage, db: location });
  const gallery = await openPostgresGallery(proxy.through(location), { connectTimeoutMs: 1000 });
  // A short safety period here: it is the probe that finds the silent connection dead.
  const b = await createRecognizer({ visage, gallery, safetyPeriodMs: 200 });
  try {
    await enrol(a);
    await b.prepare();
    await notThisPerson(a, person('penny', 4), 'penny');
    const seq = (await a.gallery.changesSince(0)).seq;
    await until('node B hears of it', () => b.syncStatus()!.sequence >= seq, 2000);

    proxy.silence();
    await until('node B sees the silence', () => !b.syncStatus()!.listening, 5000);
    const start = performance.now();
    const away = await b.identify(person('penny', 4));
    assert.notEqual(away.faces[0]!.name, 'penny', 'still honoured from memory');
    assert.ok(!names(await b.nearest(person('penny', 4))).includes('penny'));
    assert.equal((await b.identify(person('penny', 5))).faces[0]!.name, 'penny', 'her other photos are hers');
    assert.ok(performance.now() - start < 5000, 'not held up by the silent database');
    // Meanwhile on node A: penny merged into a new subject (the negative example moves with her faces).
    assert.equal((await a.enroll(person('penny', 2), 'Penny H')).status, 'added');
    await a.gallery.mergeSubjects('penny', 'Penny H');

    proxy.resume();
    const latest = (await a.gallery.changesSince(0)).seq;
    await until('node B is current again', () => {
      const status = b.syncStatus()!;
      return status.listening && status.failures === 0 && status.sequence >= latest;
    }, 15_000);
    const back = await b.identify(person('penny', 4));
    assert.ok(!['penny', 'Penny H'].includes(back.faces[0]!.name ?? ''), `the face is not the merged person either: ${back.faces[0]!.name}`);
    assert.ok(!names(await b.nearest(person('penny', 4))).some((name) => name.startsWith('Penny')));
    assert.equal((await b.identify(person('penny', 5))).faces[0]!.name, 'Penny H');
    // A per-request node (the other mode) agrees.
    const c = await createRecognizer({ visage, db: location, sync: 'per-request' });
    try {
      assert.ok(!names(await c.nearest(person('penny', 4))).some((name) => name.startsWith('Penny')));
    } finally {
      await c.close();
    }
  } finally {
    await b.close();
    await gallery.close();
    await a.close();
    await proxy.close();
  }
});
