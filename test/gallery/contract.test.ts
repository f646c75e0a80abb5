// The Gallery contract, one suite for every store (test/helpers/stores.ts): SQLite and PostgreSQL
// must answer the same calls with the same results and the same coded errors. What only one store
// has (SQLite's file locks, WAL, read-only files; PostgreSQL's schemas, NOTIFY, a server that goes
// away) is tested in sqlite.test.ts, locks.test.ts, changelog.test.ts and postgres.test.ts.
//
// Every reader follows every writer: two gallery objects on one store (two connections, as two
// processes would have); what the second writes, the first one's SearchIndex answers on its next
// catch-up, without refresh().
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openGallery, SearchIndex, type Gallery, type GalleryChange } from '../../src/gallery/index.ts';
import { face, hashOf, negativesByName, rejectsWith, tempDir, unit } from './helpers.ts';
import { galleryStores } from '../helpers/stores.ts';

let dir: string;
let remove: () => Promise<void>;
before(async () => ({ dir, remove } = await tempDir()));
after(async () => remove());

/** A face of `label` whose model-a vector is unit(seed): searchable by that seed. */
const faceOf = (label: string, seed: number) => face(label, { 'model-a': unit(seed) });

/** Who the index names for the vector unit(seed) (best face, threshold 0.99: only that very face). */
function whoIs(index: SearchIndex, seed: number): string | null {
  return index.identify(unit(seed), { threshold: 0.99 }).subject?.name ?? null;
}

for (const store of galleryStores()) {
  after(() => store.cleanup());
  const it = (name: string, fn: () => Promise<void>) => test(`${store.name}: ${name}`, { skip: store.skip }, fn);
  const fresh = async () => (await store.create()).gallery;

  /** Reader (a) with its index, writer (b): two connections on one new gallery with ada (seeds 1, 2) and alan (3). */
  async function pair(): Promise<{ a: Gallery; b: Gallery; index: SearchIndex; close: () => Promise<void> }> {
    const { gallery: a, location } = await store.create();
    await a.addFaces('ada', [faceOf('ada-1', 1), faceOf('ada-2', 2)], { createSubject: true });
    await a.addFaces('alan', [faceOf('alan-1', 3)], { createSubject: true });
    const index = await SearchIndex.load(a, 'model-a');
    const b = await store.open(location);
    return { a, b, index, close: async () => { index.close(); await a.close(); await b.close(); } };
  }

  it('reopening keeps subjects, faces, embeddings and metadata', async () => {
    const created = await store.create();
    let gallery = created.gallery;
    await gallery.addSubject('Ada Lovelace', { born: 1815 });
    await gallery.addFaces('Ada Lovelace', [face('ada-1', { 'model-a': unit(1), 'model-b': unit(2, 4) })]);
    await gallery.addFaces('Grace', [face('grace-1')], { createSubject: true, metadata: { team: 'navy' } });
    await gallery.close();
    gallery = await store.open(created.location);
    const subjects = await gallery.listSubjects();
    assert.deepEqual(subjects.map((s) => [s.name, s.faceCount, s.metadata]), [['Ada Lovelace', 1, { born: 1815 }], ['Grace', 1, { team: 'navy' }]]);
    const [ada] = await gallery.listFaces('ada lovelace'); // names compare case-insensitively
    assert.equal(ada!.sourceFile, 'ada-1.jpg');
    assert.equal(ada!.contentHash, hashOf('ada-1'));
    assert.deepEqual(ada!.models, ['model-a', 'model-b']);
    assert.deepEqual(ada!.box, { x: 10, y: 20, width: 100, height: 120 });
    assert.equal(ada!.landmarks!.nose.x, 60);
    assert.equal(ada!.quality!.frontalness, 0.93);
    const a = await gallery.embeddingsFor('model-a');
    assert.deepEqual([a.count, a.dim], [2, 8]);
    const expected = unit(1);
    for (let j = 0; j < 8; j++) assert.ok(Math.abs(a.vectors[j]! - expected[j]!) < 1e-6);
    const b = await gallery.embeddingsFor('model-b');
    assert.deepEqual([b.count, b.dim], [1, 4]);
    assert.equal((await gallery.embeddingsFor('model-c')).count, 0);
    await gallery.close();
  });
  it('embeddings are stored L2-normalised; bad vectors, hashes and names are refused', async () => {
    const gallery = await fresh();
    await gallery.addFaces('x', [face('x', { m: [3, 4] })], { createSubject: true });
    const { vectors } = await gallery.embeddingsFor('m');
    assert.ok(Math.abs(vectors[0]! - 0.6) < 1e-6 && Math.abs(vectors[1]! - 0.8) < 1e-6);
    await rejectsWith(gallery.addFaces('x', [face('y', { m: [0, 0] })]), 'VISAGE_ERR_BAD_INPUT', /all zeros/);
    await rejectsWith(gallery.addFaces('x', [face('y', { m: [1, Number.NaN] })]), 'VISAGE_ERR_BAD_INPUT', /non-finite/);
    await rejectsWith(gallery.addFaces('x', [face('y', {})]), 'VISAGE_ERR_BAD_INPUT', /no embedding/);
    await rejectsWith(gallery.addFaces('x', [{ ...face('y'), contentHash: 'abc' }]), 'VISAGE_ERR_BAD_INPUT', /64 lowercase hex/);
    await rejectsWith(gallery.addFaces('x', []), 'VISAGE_ERR_BAD_INPUT');
    await rejectsWith(gallery.addSubject('  '), 'VISAGE_ERR_BAD_INPUT', /empty/);
    await rejectsWith(gallery.addSubject('a\nb'), 'VISAGE_ERR_BAD_INPUT', /control/);
    await rejectsWith(openGallery(await store.newLocation(), { readonly: true } as never), 'VISAGE_ERR_BAD_OPTION', /readonly/);
    await gallery.close();
    await rejectsWith(gallery.listSubjects(), 'VISAGE_ERR_CLOSED');
  });
  it('an image whose insert fails midway leaves nothing behind (one transaction per image)', async () => {
    const gallery = await fresh();
    await gallery.addFaces('Ada', [face('ada-1')], { createSubject: true });
    const before = await gallery.stats();
    // The second face repeats the first one's image: the UNIQUE constraint fails after the first
    // face and its embedding were inserted.
    await rejectsWith(gallery.addFaces('Ada', [face('ada-2'), face('ada-2')]), 'VISAGE_ERR_DUPLICATE_FACE', /already enrolled/);
    // Same with a subject created on the way: it must not be left behind either.
    await rejectsWith(gallery.addFaces('Bob', [face('bob-1'), face('bob-1')], { createSubject: true }), 'VISAGE_ERR_DUPLICATE_FACE');
    // A wrong-sized embedding for a known model, on the second face.
    await rejectsWith(gallery.addFaces('Ada', [face('ada-3'), face('ada-4', { 'model-a': unit(4, 5) })]), 'VISAGE_ERR_BAD_INPUT', /8-value/);
    assert.deepEqual(await gallery.stats(), before);
    assert.equal(await gallery.findSubject('Bob'), null);
    assert.equal(await gallery.hasContentHash(hashOf('ada-2')), false);
    assert.equal(await gallery.hasContentHash(hashOf('ada-3')), false);
    // The same image again for the same subject is refused; for another subject it is allowed.
    await rejectsWith(gallery.addFaces('Ada', [face('ada-1')]), 'VISAGE_ERR_DUPLICATE_FACE');
    await gallery.addFaces('Group photo neighbour', [face('ada-1')], { createSubject: true });
    assert.equal(await gallery.hasContentHash(hashOf('ada-1')), true);
    assert.equal(await gallery.hasContentHash(hashOf('ada-1'), 'Ada'), true);
    assert.equal(await gallery.hasContentHash(hashOf('ada-1'), 'Nobody'), false);
    await gallery.close();
  });
  it('rename, merge and delete; unknown and duplicate subjects are coded errors', async () => {
    const gallery = await fresh();
    await gallery.addSubject('Leonard', { glasses: true });
    await rejectsWith(gallery.addSubject('leonard'), 'VISAGE_ERR_DUPLICATE_SUBJECT');
    await rejectsWith(gallery.getSubject('Nobody'), 'VISAGE_ERR_UNKNOWN_SUBJECT', /Nobody/);
    await rejectsWith(gallery.getSubject(999), 'VISAGE_ERR_UNKNOWN_SUBJECT', /999/);
    await rejectsWith(gallery.addFaces('Nobody', [face('n')]), 'VISAGE_ERR_UNKNOWN_SUBJECT');
    await gallery.addFaces('Leonard', [face('l-1')]);
    await gallery.addFaces('Leonard', [face('l-2')]);
    const lenny = await gallery.addSubject('Lenny', { nickname: true, glasses: false });
    await gallery.addFaces('Lenny', [face('l-3')]);
    await gallery.addFaces('Lenny', [face('l-2')]); // the same photo enrolled under both names

    await rejectsWith(gallery.renameSubject('Lenny', 'LEONARD'), 'VISAGE_ERR_DUPLICATE_SUBJECT');
    const renamed = await gallery.renameSubject(lenny.id, 'Leonard H.');
    assert.equal(renamed.name, 'Leonard H.');
    assert.equal((await gallery.renameSubject('leonard h.', 'Leonard H')).name, 'Leonard H'); // itself, other case: allowed

    await rejectsWith(gallery.mergeSubjects('Leonard', 'Leonard'), 'VISAGE_ERR_BAD_INPUT');
    const merged = await gallery.mergeSubjects('Leonard H', 'Leonard');
    assert.deepEqual([merged.movedFaces, merged.droppedDuplicates, merged.subject.faceCount], [1, 1, 3]);
    assert.deepEqual(merged.subject.metadata, { nickname: true, glasses: true }); // into's keys win
    assert.equal(await gallery.findSubject('Leonard H'), null);
    assert.equal((await gallery.embeddingsFor('model-a')).count, 3);

    const faces = await gallery.listFaces('Leonard');
    await gallery.deleteFace(faces[0]!.id);
    await rejectsWith(gallery.deleteFace(faces[0]!.id), 'VISAGE_ERR_UNKNOWN_FACE');
    assert.deepEqual(await gallery.deleteSubject('Leonard'), { deletedFaces: 2 });
    const stats = await gallery.stats();
    assert.deepEqual([stats.subjects, stats.faces, stats.models.length], [0, 0, 0]); // embeddings cascaded

    await gallery.addFaces('Penny', [face('p')], { createSubject: true });
    await gallery.reset();
    assert.deepEqual((await gallery.listSubjects()).length, 0);
    await gallery.close();
  });
  it('listeners hear committed changes only, and a loaded SearchIndex follows them', async () => {
    const { gallery, location } = await store.create();
    const heard: string[] = [];
    const stop = gallery.onChange((change: GalleryChange) => heard.push(change.type));
    await gallery.addFaces('A', [face('a-1', { m: [1, 0, 0] })], { createSubject: true });
    const index = await SearchIndex.load(gallery, 'm');
    assert.equal(index.size, 1);
    await rejectsWith(gallery.addFaces('A', [face('a-1', { m: [1, 0, 0] })]), 'VISAGE_ERR_DUPLICATE_FACE');
    await gallery.addFaces('B', [face('b-1', { m: [0, 1, 0] }), face('b-2', { m: [0, 0.9, 0.1] })], { createSubject: true });
    assert.deepEqual([index.size, index.subjects], [3, 2]);
    assert.equal(index.searchFaces([0, 1, 0], 1)[0]!.name, 'B');
    await gallery.renameSubject('B', 'Bee');
    assert.equal(index.identify([0, 1, 0], { threshold: 0.5 }).subject!.name, 'Bee');
    await gallery.mergeSubjects('Bee', 'A');
    assert.deepEqual([index.size, index.subjects], [3, 1]);
    assert.equal(index.identify([0, 1, 0], { threshold: 0.5 }).subject!.name, 'A');
    const [first] = await gallery.listFaces('A');
    await gallery.deleteFace(first!.id);
    assert.equal(index.size, 2);
    await gallery.deleteSubject('A');
    assert.deepEqual([index.size, index.subjects], [0, 0]);
    assert.equal(index.identify([0, 1, 0], { threshold: 0.5 }).subject, null);
    stop();
    assert.deepEqual(heard, ['subject-added', 'faces-added', 'subject-added', 'faces-added', 'subject-renamed', 'subjects-merged', 'face-deleted', 'subject-deleted']);

    // Writes made while the index loads are applied after its snapshot, not lost or undone.
    await gallery.addFaces('D', [face('d-1', { m: [1, 1, 0] }), face('d-2', { m: [1, 0, 1] })], { createSubject: true });
    const [d1] = await gallery.listFaces('D');
    const loading = SearchIndex.load(gallery, 'm');
    // Not awaited in between: both writes run before the load has finished.
    const writes = [gallery.deleteFace(d1!.id), gallery.addFaces('E', [face('e-1', { m: [0, 1, 1] })], { createSubject: true })];
    const late = await loading;
    await Promise.all(writes);
    assert.deepEqual(late.searchFaces([1, 1, 1], 5).map((m) => m.name).sort(), ['D', 'E']);
    late.close();
    await gallery.deleteSubject('D');
    await gallery.deleteSubject('E');

    // Another connection's writes are seen after refresh().
    const other = await store.open(location);
    await other.addFaces('C', [face('c-1', { m: [0, 0, 1] })], { createSubject: true });
    assert.equal(index.size, 0);
    await index.refresh();
    assert.equal(index.searchFaces([0, 0, 1], 1)[0]!.name, 'C');
    await other.close();
    index.close();
    await gallery.close();
  });
  it('export to a portable file and import it back: same subjects, metadata, faces and embeddings', async () => {
    const source = await fresh();
    await source.addFaces('Ada', [face('ada-1', { 'model-a': unit(1), 'model-b': unit(11, 4) })], { createSubject: true, metadata: { born: 1815 } });
    await source.addFaces('Ada', [face('ada-2', { 'model-a': unit(2) })]);
    await source.addFaces('Grace', [face('grace-1', { 'model-a': unit(3) })], { createSubject: true });
    await source.addSubject('Nobody yet');
    const file = path.join(dir, `export-${store.name}.json`);
    const summary = await source.exportTo(file);
    assert.deepEqual([summary.subjects, summary.faces], [3, 3]);
    assert.deepEqual(summary.models.map((m) => [m.modelId, m.dim, m.count]), [['model-a', 8, 3], ['model-b', 4, 1]]);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(json.format, 'visage-gallery');
    assert.equal(json.version, 1, 'a gallery without negative examples is written as version 1, which every Visage reads');
    assert.equal(summary.negatives, 0);

    const target = await fresh();
    const imported = await target.importFrom(file);
    assert.deepEqual(imported, { subjectsAdded: 3, subjectsMatched: 0, facesAdded: 3, facesSkipped: 0, negativesAdded: 0, negativesSkipped: 0 });
    const strip = (faces: Awaited<ReturnType<typeof source.listFaces>>) => faces.map(({ id, subjectId, ...rest }) => rest);
    assert.deepEqual(strip(await target.listFaces()), strip(await source.listFaces()));
    assert.deepEqual((await target.listSubjects()).map(({ id, ...rest }) => rest), (await source.listSubjects()).map(({ id, ...rest }) => rest));
    for (const model of ['model-a', 'model-b']) {
      assert.deepEqual((await target.embeddingsFor(model)).vectors, (await source.embeddingsFor(model)).vectors);
    }
    // Importing again adds nothing: every image is already enrolled for its subject.
    assert.deepEqual(await target.importFrom(file), { subjectsAdded: 0, subjectsMatched: 3, facesAdded: 0, facesSkipped: 3, negativesAdded: 0, negativesSkipped: 0 });

    await rejectsWith(target.importFrom(path.join(dir, 'absent.json')), 'VISAGE_ERR_BAD_INPUT', /file not found/);
    const bad = path.join(dir, `bad-${store.name}.json`);
    writeFileSync(bad, JSON.stringify({ ...json, version: 99 }));
    await rejectsWith(target.importFrom(bad), 'VISAGE_ERR_BAD_INPUT', /version 99 is newer/);
    json.subjects[0].faces[0].embeddings['model-a'] = Buffer.from(new Float32Array(7).buffer).toString('base64');
    writeFileSync(bad, JSON.stringify(json));
    await rejectsWith(target.importFrom(bad), 'VISAGE_ERR_BAD_INPUT', /7 values, expected 8/);
    writeFileSync(bad, '{"format": "something else"}');
    await rejectsWith(target.importFrom(bad), 'VISAGE_ERR_BAD_INPUT', /not a Visage gallery export/);
    await source.close();
    await target.close();
  });
  it('a subject deleted through another connection is no longer named after the reader catches up', async () => {
    const { b, index, close } = await pair();
    assert.equal(whoIs(index, 1), 'ada');
    await b.deleteSubject('ada');
    assert.equal(whoIs(index, 1), 'ada', 'nothing is applied before a catch-up');
    await index.catchUp();
    assert.equal(whoIs(index, 1), null);
    assert.equal(whoIs(index, 2), null);
    assert.equal(whoIs(index, 3), 'alan');
    assert.deepEqual([index.size, index.subjects], [1, 1]);
    await close();
  });
  it('a face deleted, faces added, a subject renamed through another connection: caught up', async () => {
    const { b, index, close } = await pair();
    const [first] = await b.listFaces('ada');
    await b.deleteFace(first!.id);
    await b.addFaces('grace', [faceOf('grace-1', 4)], { createSubject: true });
    await b.addFaces('alan', [faceOf('alan-2', 5)]);
    await b.renameSubject('alan', 'Alan Turing');
    await index.catchUp();
    assert.equal(whoIs(index, 1), null);
    assert.equal(whoIs(index, 2), 'ada');
    assert.equal(whoIs(index, 4), 'grace');
    assert.equal(whoIs(index, 3), 'Alan Turing');
    assert.equal(whoIs(index, 5), 'Alan Turing');
    assert.deepEqual([index.size, index.subjects], [4, 3]);
    await close();
  });
  it('a merge through another connection: the moved faces answer with the subject merged into', async () => {
    const { b, index, close } = await pair();
    await b.addFaces('alan', [faceOf('ada-1', 1)]); // an image enrolled for both: dropped by the merge
    await index.catchUp();
    const merged = await b.mergeSubjects('alan', 'ada');
    assert.equal(merged.droppedDuplicates, 1);
    await index.catchUp();
    assert.equal(whoIs(index, 3), 'ada');
    assert.equal(index.searchFaces(unit(1), 5).filter((match) => match.similarity > 0.99).length, 1, 'the dropped duplicate is gone');
    assert.deepEqual([index.size, index.subjects], [3, 1]);
    await close();
  });
  it('a reset through another connection empties the reader; faces enrolled afterwards are found', async () => {
    const { b, index, close } = await pair();
    await b.reset();
    await index.catchUp();
    assert.deepEqual([index.size, index.subjects], [0, 0]);
    await b.addFaces('ada', [faceOf('ada-9', 9)], { createSubject: true });
    await index.catchUp();
    assert.equal(whoIs(index, 9), 'ada');
    assert.equal(whoIs(index, 1), null);
    await close();
  });
  it("the reader's own writes, applied at once through its listener, are re-read harmlessly", async () => {
    const { a, b, index, close } = await pair();
    await a.addFaces('ada', [faceOf('ada-3', 6)]);
    assert.equal(whoIs(index, 6), 'ada', 'applied at commit, before any catch-up');
    const [first] = await a.listFaces('alan');
    await a.deleteFace(first!.id);
    await b.addFaces('grace', [faceOf('grace-1', 4)], { createSubject: true });
    await index.catchUp();
    await index.catchUp();
    assert.deepEqual([index.size, index.subjects], [4, 2], 'no face twice, none lost');
    assert.equal(index.searchFaces(unit(6), 5).filter((match) => match.similarity > 0.99).length, 1);
    assert.equal(whoIs(index, 3), null);
    assert.equal(whoIs(index, 4), 'grace');
    await close();
  });
  it('concurrent catch-ups and searches agree with a fresh load', async () => {
    const { b, index, close } = await pair();
    const writes = (async () => {
      for (let i = 0; i < 20; i++) await b.addFaces(`p${i % 4}`, [faceOf(`p-${i}`, 100 + i)], { createSubject: true });
      await b.deleteSubject('p1');
    })();
    const readers = Array.from({ length: 10 }, async () => { for (let i = 0; i < 10; i++) await index.catchUp(); });
    await Promise.all([writes, ...readers]);
    await index.catchUp();
    const fresh = await SearchIndex.load(b, 'model-a');
    assert.deepEqual([index.size, index.subjects], [fresh.size, fresh.subjects]);
    for (let i = 0; i < 20; i++) assert.equal(whoIs(index, 100 + i), whoIs(fresh, 100 + i), `face p-${i}`);
    fresh.close();
    await close();
  });
  it('negative examples: kept per model, listed with their subject, refused for an unknown subject, deleted with the subject', async () => {
    const gallery = await fresh();
    await gallery.addFaces('ada', [faceOf('ada-1', 1)], { createSubject: true });
    await gallery.addFaces('alan', [faceOf('alan-1', 2)], { createSubject: true });
    const ada = await gallery.getSubject('ada');
    const id = await gallery.addNegative('ada', { contentHash: hashOf('stranger-1'), sourceFile: 'stranger-1.jpg', box: { x: 1, y: 2, width: 30, height: 40 }, embeddings: { 'model-a': unit(7), 'model-b': unit(8, 4) } });
    const second = await gallery.addNegative(ada.id, { contentHash: hashOf('stranger-2'), embeddings: { 'model-a': unit(9) } });
    assert.ok(second > id);
    const listed = await gallery.listNegatives('model-a');
    assert.deepEqual(listed.map((n) => [n.id, n.subjectId, n.contentHash, n.sourceFile, n.box]), [
      [id, ada.id, hashOf('stranger-1'), 'stranger-1.jpg', { x: 1, y: 2, width: 30, height: 40 }], [second, ada.id, hashOf('stranger-2'), null, null],
    ]);
    assert.deepEqual([...listed[0]!.vector].map((v) => +v.toFixed(5)), unit(7).map((v) => +v.toFixed(5)));
    assert.equal((await gallery.listNegatives('model-b')).length, 1);
    assert.equal((await gallery.listNegatives('model-b'))[0]!.vector.length, 4);
    await rejectsWith(gallery.addNegative('nobody', { contentHash: hashOf('x'), embeddings: { 'model-a': unit(1) } }), 'VISAGE_ERR_UNKNOWN_SUBJECT');
    await rejectsWith(gallery.addNegative('ada', { contentHash: 'nope', embeddings: { 'model-a': unit(1) } }), 'VISAGE_ERR_BAD_INPUT');
    await gallery.deleteSubject('ada');
    assert.deepEqual(await gallery.listNegatives('model-a'), []);
  });

  it('negative examples are in the change log: added, moved by a merge, deleted with their subject; a reader\'s index follows them', async () => {
    const { a, b, index, close } = await pair();
    // The negative example is ada's very face (seed 1): the index stops naming ada for it.
    const seq = index.sequence;
    const id = await b.addNegative('ada', { contentHash: hashOf('ada-1'), embeddings: { 'model-a': unit(1) } });
    const logged = await a.changesSince(seq);
    assert.deepEqual([logged.negativeIds, logged.faceIds, logged.reload], [[id], [], false]);
    assert.equal(whoIs(index, 1), 'ada', 'not caught up yet');
    await index.catchUp();
    assert.equal(index.negativeCount, 1);
    assert.equal(whoIs(index, 1), null);
    assert.ok(!index.searchSubjects(unit(1), { k: 5 }).some((c) => c.name === 'ada'), 'nor among the candidates');
    assert.ok(index.searchSubjects(unit(1), { k: 5, honourNegatives: false }).some((c) => c.name === 'ada'));
    assert.equal(whoIs(index, 2), 'ada', 'her other face is still hers');
    assert.ok(!index.searchSubjects(unit(1), { k: 5, strategy: 'mean-template' }).some((c) => c.name === 'ada'), 'under either strategy');
    // Written through the reader's own gallery object: applied as it commits, no catch-up.
    await a.addNegative('alan', { contentHash: hashOf('alan-1'), embeddings: { 'model-a': unit(3) } });
    assert.equal(whoIs(index, 3), null);

    // A merge moves the negative examples with the faces: the face is not the merged person either.
    await b.addFaces('Ada L', [faceOf('adal-1', 4)], { createSubject: true });
    const merged = await b.mergeSubjects('ada', 'Ada L');
    const moved = await a.changesSince(index.sequence);
    assert.ok(moved.negativeIds.includes(id));
    await index.catchUp();
    assert.equal(whoIs(index, 2), 'Ada L');
    assert.equal(whoIs(index, 1), null);
    assert.deepEqual((await a.listNegatives('model-a')).filter((n) => n.id === id).map((n) => n.subjectId), [merged.subject.id]);

    // Deleted with their subject (a cascade): logged, and gone from the index. A subject made
    // afterwards (which may get the same id in SQLite) is not refused by a stale negative.
    await b.deleteSubject('Ada L');
    const deleted = await a.changesSince(index.sequence);
    assert.ok(deleted.negativeIds.includes(id));
    await b.addFaces('eve', [faceOf('eve-1', 1)], { createSubject: true });
    await index.catchUp();
    assert.equal(index.negativeCount, 1, "alan's is left");
    assert.equal(whoIs(index, 1), 'eve');
    // A fresh load agrees with the reader that followed the log.
    const fresh = await SearchIndex.load(b, 'model-a');
    assert.equal(fresh.negativeCount, index.negativeCount);
    for (const seed of [1, 2, 3, 4]) assert.equal(whoIs(fresh, seed), whoIs(index, seed), `seed ${seed}`);
    fresh.close();
    // negativesFor: all of a model's, or those listed (gone ones left out), with the log's sequence.
    const all = await a.negativesFor('model-a');
    assert.deepEqual(all.negatives.map((n) => n.subjectId), [(await a.getSubject('alan')).id]);
    assert.deepEqual((await a.negativesFor('model-a', [id])).negatives, []);
    assert.equal(all.seq, (await a.changesSince(0)).seq);
    await close();
  });

  it('deleteNegative undoes a "not this person": every model\'s vector goes, logged, heard, and a reader\'s index matches the face again', async () => {
    const { a, b, index, close } = await pair();
    const heard: GalleryChange[] = [];
    a.onChange((change) => heard.push(change));
    const ada = await a.getSubject('ada');
    const id = await b.addNegative('ada', { contentHash: hashOf('ada-1'), box: { x: 1, y: 2, width: 3, height: 4 }, embeddings: { 'model-a': unit(1), 'model-b': unit(5, 4) } });
    const kept = await b.addNegative('alan', { contentHash: hashOf('x'), embeddings: { 'model-a': unit(9) } });
    await index.catchUp();
    assert.equal(whoIs(index, 1), null);
    // Listed over every model (one entry per model), or one subject's.
    assert.deepEqual((await a.listNegatives()).map((n) => [n.id, n.modelId]), [[id, 'model-a'], [id, 'model-b'], [kept, 'model-a']]);
    assert.deepEqual((await a.listNegatives(undefined, 'ADA')).map((n) => [n.id, n.subjectId, n.modelId]), [[id, ada.id, 'model-a'], [id, ada.id, 'model-b']]);
    assert.deepEqual((await a.listNegatives('model-b', 'alan')), []);
    await rejectsWith(a.listNegatives(undefined, 'nobody'), 'VISAGE_ERR_UNKNOWN_SUBJECT');
    // Named with the wrong subject, an unknown id, or not an id: nothing changes.
    await rejectsWith(b.deleteNegative(id, 'alan'), 'VISAGE_ERR_UNKNOWN_NEGATIVE', /for alan/);
    await rejectsWith(b.deleteNegative(kept + 100), 'VISAGE_ERR_UNKNOWN_NEGATIVE');
    await rejectsWith(b.deleteNegative(1.5), 'VISAGE_ERR_UNKNOWN_NEGATIVE');
    await rejectsWith(b.deleteNegative(id, 'nobody'), 'VISAGE_ERR_UNKNOWN_SUBJECT');
    assert.equal((await a.listNegatives()).length, 3);
    // Through the other connection: the log tells the reader, whose index names ada again.
    const seq = index.sequence;
    await b.deleteNegative(id, ada.id);
    const logged = await a.changesSince(seq);
    assert.deepEqual([logged.negativeIds, logged.faceIds, logged.reload], [[id], [], false]);
    await index.catchUp();
    assert.equal(index.negativeCount, 1);
    assert.equal(whoIs(index, 1), 'ada');
    assert.deepEqual((await a.listNegatives()).map((n) => n.id), [kept]);
    await rejectsWith(b.deleteNegative(id), 'VISAGE_ERR_UNKNOWN_NEGATIVE'); // already gone
    // The id of a negative example removed is not given again (a stale listing cannot name another).
    const temporary = await b.addNegative('ada', { contentHash: hashOf('y'), embeddings: { 'model-a': unit(11) } });
    await b.deleteNegative(temporary);
    const next = await b.addNegative('ada', { contentHash: hashOf('z'), embeddings: { 'model-a': unit(12) } });
    assert.ok(next > temporary, `${next} > ${temporary}`);
    await b.deleteNegative(next);
    // Through the reader's own object: heard as it commits, applied without a catch-up.
    assert.equal(whoIs(index, 9), null);
    await index.catchUp();
    await a.addFaces('alan', [faceOf('alan-9', 9)]);
    assert.equal(whoIs(index, 9), null, "alan's own face, but a negative of his");
    await a.deleteNegative(kept);
    assert.deepEqual(heard.filter((c) => c.type === 'negative-deleted').map((c) => c.type === 'negative-deleted' && [c.negativeId, c.subjectId]), [[kept, (await a.getSubject('alan')).id]]);
    assert.equal(whoIs(index, 9), 'alan');
    const fresh = await SearchIndex.load(b, 'model-a');
    assert.equal(fresh.negativeCount, 0);
    fresh.close();
    await close();
  });

  it('addEmbeddings: vectors of new models added to a stored face in one transaction, logged; indexes of those models pick the face up; a repeat changes nothing', async () => {
    const { a, b, index, close } = await pair();
    const other = await SearchIndex.load(a, 'model-b'); // no model-b vector anywhere yet
    const heard: GalleryChange[] = [];
    a.onChange((change) => heard.push(change));
    const [ada1] = (await a.listFaces('ada')).filter((f) => f.contentHash === hashOf('ada-1'));
    const seq = index.sequence;
    const result = await b.addEmbeddings(ada1!.id, { 'model-b': unit(5, 4), 'model-a': unit(99) });
    assert.deepEqual(result.added, ['model-b'], 'model-a was held already: left as stored');
    assert.deepEqual([result.face.id, result.face.models, result.face.subjectName], [ada1!.id, ['model-a', 'model-b'], 'ada']);
    assert.deepEqual((await a.listFaces('ada')).map((f) => [f.id, f.models]), [[ada1!.id, ['model-a', 'model-b']], [(await a.listFaces('ada'))[1]!.id, ['model-a']]]);
    const stored = await a.embeddingsFor('model-a', [ada1!.id]);
    assert.deepEqual([...stored.vectors].map((v) => +v.toFixed(5)), unit(1).map((v) => +v.toFixed(5)), 'the model-a vector is unchanged');
    const logged = await a.changesSince(seq);
    assert.deepEqual([logged.faceIds, logged.reload], [[ada1!.id], false]);
    // The reader's indexes: model-a still finds the face once, model-b finds it now.
    await index.catchUp();
    await other.catchUp();
    assert.equal(index.size, 3);
    assert.equal(whoIs(index, 1), 'ada');
    assert.deepEqual([other.size, other.dim, other.identify(unit(5, 4), { threshold: 0.99 }).subject?.name], [1, 4, 'ada']);
    // Again: nothing added, nothing logged, nothing heard.
    const again = await b.addEmbeddings(ada1!.id, { 'model-b': unit(6, 4) });
    assert.deepEqual(again.added, []);
    assert.equal((await a.changesSince(other.sequence)).faceIds.length, 0);
    // Through the reader's own object: heard, and applied to the model-b index at once.
    const [alan1] = await a.listFaces('alan');
    await a.addEmbeddings(alan1!.id, { 'model-b': unit(7, 4) });
    assert.deepEqual(heard.map((c) => c.type), ['embeddings-added']);
    assert.equal(other.identify(unit(7, 4), { threshold: 0.99 }).subject?.name, 'alan', 'no catch-up needed');
    assert.equal(index.size, 3, 'the model-a index is not touched');
    // Errors: nothing is written.
    await rejectsWith(b.addEmbeddings(alan1!.id + 1000, { 'model-c': unit(1) }), 'VISAGE_ERR_UNKNOWN_FACE');
    await rejectsWith(b.addEmbeddings(1.5, { 'model-c': unit(1) }), 'VISAGE_ERR_UNKNOWN_FACE');
    await rejectsWith(b.addEmbeddings(alan1!.id, {}), 'VISAGE_ERR_BAD_INPUT');
    await rejectsWith(b.addEmbeddings(ada1!.id, { 'model-c': unit(1), 'model-d': [0, 0] }), 'VISAGE_ERR_BAD_INPUT');
    const [ada2] = (await a.listFaces('ada')).filter((f) => f.contentHash === hashOf('ada-2'));
    await rejectsWith(b.addEmbeddings(ada2!.id, { 'model-c': unit(1), 'model-b': unit(1, 8) }), 'VISAGE_ERR_BAD_INPUT', /4-value/);
    assert.deepEqual((await a.listFaces('ada')).map((f) => f.models), [['model-a', 'model-b'], ['model-a']], 'all or nothing');
    const fresh = await SearchIndex.load(b, 'model-b');
    assert.equal(fresh.size, other.size);
    fresh.close();
    other.close();
    await close();
  });

  it('export and import carry negative examples (version 2); importing again skips those already kept', async () => {
    const source = await fresh();
    await source.addFaces('Ada', [faceOf('ada-1', 1)], { createSubject: true });
    await source.addSubject('Grace');
    await source.addNegative('Ada', { contentHash: hashOf('x-1'), sourceFile: 'x-1.jpg', box: { x: 1, y: 2, width: 30, height: 40 }, embeddings: { 'model-a': unit(7), 'model-b': unit(8, 4) } });
    // Two faces of one image, by their boxes: two negative examples.
    await source.addNegative('Ada', { contentHash: hashOf('x-1'), box: { x: 50, y: 2, width: 30, height: 40 }, embeddings: { 'model-a': unit(9) } });
    await source.addNegative('Grace', { contentHash: hashOf('x-2'), embeddings: { 'model-a': unit(1) } });
    const file = path.join(dir, `negatives-${store.name}.json`);
    const summary = await source.exportTo(file);
    assert.deepEqual([summary.subjects, summary.faces, summary.negatives], [2, 1, 3]);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(json.version, 2);
    assert.deepEqual(json.subjects.map((s: { name: string; negatives?: unknown[] }) => [s.name, s.negatives?.length]), [['Ada', 2], ['Grace', 1]]);

    const target = await fresh();
    assert.deepEqual(await target.importFrom(file), { subjectsAdded: 2, subjectsMatched: 0, facesAdded: 1, facesSkipped: 0, negativesAdded: 3, negativesSkipped: 0 });
    for (const model of ['model-a', 'model-b']) assert.deepEqual(await negativesByName(target, model), await negativesByName(source, model));
    assert.deepEqual(await target.importFrom(file), { subjectsAdded: 0, subjectsMatched: 2, facesAdded: 0, facesSkipped: 1, negativesAdded: 0, negativesSkipped: 3 });
    // The import is logged like any write: an index loaded from the target honours them.
    const index = await SearchIndex.load(target, 'model-a');
    assert.equal(index.negativeCount, 3);
    assert.equal(whoIs(index, 1), 'Ada');
    assert.ok(!index.searchSubjects(unit(7)).some((c) => c.name === 'Ada'), 'a face Ada was said not to be');
    assert.ok(index.searchSubjects(unit(7), { honourNegatives: false }).some((c) => c.name === 'Ada'));
    index.close();

    const bad = path.join(dir, `bad-negatives-${store.name}.json`);
    json.subjects[0].negatives[0].contentHash = 'nope';
    writeFileSync(bad, JSON.stringify(json));
    await rejectsWith(target.importFrom(bad), 'VISAGE_ERR_BAD_INPUT', /negative 0: contentHash/);
    await source.close();
    await target.close();
  });
}
