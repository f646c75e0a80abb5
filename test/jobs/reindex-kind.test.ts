// The reindex job kind's item (src/jobs/kinds/reindex.ts) run directly on a SQLite gallery with
// real faces (bbt): the new vector is added to the face (same id); running the item again, as a
// retry after a worker died before recording it, adds nothing and counts it added; an item saved by a version that
// removed the face before storing it again is finished from its save.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createVisage, type Visage } from '../../src/index.ts';
import { openSqliteGallery, createRecognizer, type SqliteGallery } from '../../src/public/gallery.ts';
import { REINDEX_KIND } from '../../src/jobs/kinds/reindex.ts';
import { hashFinder } from '../../src/recognition/reindex.ts';
import { vectorToBase64 } from '../../src/gallery/portable.ts';
import type { WorkerContext } from '../../src/jobs/kind.ts';
import type { ClaimedItem } from '../../src/jobs/store.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../helpers/cli.ts';

const skip = skipUnless('bbt', 'people');
const WANTED = ['faceapi-recognition', 'human-faceres'];
let temp: Awaited<ReturnType<typeof tempDir>>;
let both: Visage;
before(async () => {
  temp = await tempDir();
  if (!skip) both = await createVisage({ embedders: WANTED as never });
});
after(async () => {
  await both?.close();
  await temp.remove();
});

test('reindex item: vectors added in place, a retry adds nothing, a legacy save is finished', { skip }, async () => {
  const db = path.join(temp.dir, 'g.db');
  const first = await createRecognizer({ db, visageOptions: { embedders: ['faceapi-recognition'] } });
  for (const name of ['amy', 'raj']) assert.equal((await first.enroll(dataset('bbt', 'people', name, `${name}1.png`), name)).status, 'added');
  await first.close();
  const { params, items } = await REINDEX_KIND.plan!(db, { embedders: WANTED });
  assert.equal(items.length, 2);
  const gallery: SqliteGallery = await openSqliteGallery(db);
  const context = { gallery: async () => gallery, visageFor: async () => both, hashFinder, store: null } as unknown as WorkerContext;
  const job = { id: 'j', params } as never;
  const item = (seq: number, saved: Record<string, unknown> | null = null, attempts = 1): ClaimedItem => ({
    jobId: 'j', seq, input: items[seq]!.input, subject: items[seq]!.subject ?? null, data: null, attempts, saved, claimed: new Date(),
  });
  try {
    const [amy] = await gallery.listFaces('amy');
    const done = await REINDEX_KIND.run(context, job, item(0));
    assert.deepEqual([done.state, done.faceIds], ['added', [amy!.id]]);
    const [after] = await gallery.listFaces('amy');
    assert.deepEqual([after!.id, after!.models], [amy!.id, WANTED]);
    const seq = (await gallery.changesSince(0)).seq;
    // A retry of the same item (the worker died after the commit, before recording it): counted as
    // added, as it was, and nothing written; a first attempt finding the vectors there (added by
    // someone else meanwhile) is skipped.
    const again = await REINDEX_KIND.run(context, job, item(0, null, 2));
    assert.deepEqual([again.state, again.faceIds, again.message], ['added', [amy!.id], 'vectors added by an earlier attempt of this job']);
    const meanwhile = await REINDEX_KIND.run(context, job, item(0));
    assert.deepEqual([meanwhile.state, meanwhile.reason], ['skipped', 'already-indexed']);
    assert.equal((await gallery.changesSince(0)).seq, seq, 'nothing written');

    // Raj's item as an earlier version left it: the face removed after its record and vectors were saved.
    const [raj] = await gallery.listFaces('raj');
    const resnet = await gallery.embeddingsFor('faceapi-recognition', [raj!.id]);
    const saved = {
      face: items[1]!.input,
      vectors: { 'faceapi-recognition': { dim: resnet.dim, base64: vectorToBase64(resnet.vectors) } },
    };
    await gallery.deleteFace(raj!.id);
    const restored = await REINDEX_KIND.run(context, job, item(1, saved));
    assert.equal(restored.state, 'added');
    const [back] = await gallery.listFaces('raj');
    assert.deepEqual([back!.id, back!.models, restored.faceIds], [restored.faceIds![0], WANTED, [back!.id]]);
    const kept = await gallery.embeddingsFor('faceapi-recognition', [back!.id]);
    assert.deepEqual(kept.vectors, resnet.vectors, 'the saved vector');
    // Retried once more: nothing to do (reported 'added' when the stored face got a new id, SQLite
    // may give the old one back: then 'already-indexed'), nothing written.
    const before = (await gallery.changesSince(0)).seq;
    const retried = await REINDEX_KIND.run(context, job, item(1, saved));
    assert.ok(['added', 'skipped'].includes(retried.state), retried.state);
    assert.deepEqual(retried.faceIds, [back!.id]);
    assert.equal((await gallery.changesSince(0)).seq, before, 'nothing written');
    assert.equal((await gallery.listFaces('raj')).length, 1);
  } finally {
    await gallery.close();
  }
});
