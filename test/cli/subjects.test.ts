// visage subjects on a gallery filled with synthetic faces (no model needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openSqliteGallery } from '../../src/public/gallery.ts';
import { face, hashOf, unit } from '../gallery/helpers.ts';
import { tempDir, visage } from '../helpers/cli.ts';

async function galleryWith(db: string, people: Record<string, string[]>): Promise<void> {
  const gallery = await openSqliteGallery(db);
  for (const [name, images] of Object.entries(people)) for (const image of images) await gallery.addFaces(name, [face(image)], { createSubject: true });
  await gallery.close();
}

test('visage subjects list/show/rename/merge/delete', async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    await galleryWith(db, { Ada: ['a1', 'a2'], Grace: ['g1', 'shared'], Alan: ['shared'] });
    const list = await visage(['subjects', 'list', '--db', db, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).subjects.map((s: { name: string; faceCount: number }) => [s.name, s.faceCount]), [['Ada', 2], ['Alan', 1], ['Grace', 2]]);
    const table = await visage(['subjects', 'list'], { env: { VISAGE_DB: db } });
    assert.match(table.stdout, /^name\s+faces\s+enrolled\nAda\s+2\s+\d{4}-/, 'VISAGE_DB is the default gallery');
    const show = await visage(['subjects', 'show', 'ada', '--db', db]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^Ada: 2 face\(s\)/);
    assert.match(show.stdout, /a1\.jpg/);
    const rename = await visage(['subjects', 'rename', 'Ada', 'Ada Lovelace', '--db', db]);
    assert.equal(rename.code, 0, rename.stderr);
    assert.match(rename.stdout, /renamed "Ada" to "Ada Lovelace"/);
    const merge = await visage(['subjects', 'merge', 'Alan', 'Grace', '--db', db]);
    assert.equal(merge.code, 0, merge.stderr);
    assert.match(merge.stdout, /0 face\(s\) moved, 1 already enrolled for both dropped; Grace has 2 face\(s\)/);
    const refuse = await visage(['subjects', 'delete', 'Grace', '--db', db]);
    assert.equal(refuse.code, 2);
    assert.match(refuse.stderr, /delete removes "Grace" and 2 face\(s\); add --yes/);
    const del = await visage(['subjects', 'delete', 'Grace', '--yes', '--db', db, '--json']);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(JSON.parse(del.stdout), { deleted: 'Grace', deletedFaces: 2 });
    const after = await visage(['subjects', 'list', '--db', db, '--json']);
    assert.deepEqual(JSON.parse(after.stdout).subjects.map((s: { name: string }) => s.name), ['Ada Lovelace']);
  } finally {
    await remove();
  }
});

test('visage subjects: an unknown subject, a name taken, a missing gallery and bad usage', async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    await galleryWith(db, { Ada: ['a1'], Grace: ['g1'] });
    for (const args of [['show', 'Nobody'], ['rename', 'Nobody', 'X'], ['merge', 'Nobody', 'Ada'], ['merge', 'Ada', 'Nobody'], ['delete', 'Nobody', '--yes']]) {
      const result = await visage(['subjects', ...args, '--db', db]);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, /^visage: .*Nobody.*\n$/, args.join(' '));
    }
    const taken = await visage(['subjects', 'rename', 'Ada', 'grace', '--db', db]);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /exists/);
    const missing = await visage(['subjects', 'list', '--db', path.join(dir, 'none.db')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist/);
    assert.equal((await visage(['subjects', '--db', db])).code, 2);
    assert.equal((await visage(['subjects', 'rename', 'Ada', '--db', db])).code, 2);
    assert.equal((await visage(['subjects', 'frobnicate', '--db', db])).code, 2);
    const help = await visage(['subjects', '--help']);
    assert.match(help.stdout, /Usage: visage subjects/);
  } finally {
    await remove();
  }
});

test('visage subjects negatives / remove-negative: list a person\'s negative examples and undo one', async () => {
  const { dir, remove } = await tempDir();
  try {
    const db = path.join(dir, 'g.db');
    await galleryWith(db, { Ada: ['a1'], Grace: ['g1'] });
    const gallery = await openSqliteGallery(db);
    const id = await gallery.addNegative('Ada', { contentHash: hashOf('x1'), sourceFile: 'x1.jpg', box: { x: 1, y: 2, width: 30, height: 40 }, embeddings: { 'model-a': unit(5), 'model-b': unit(6, 4) } });
    await gallery.close();
    const table = await visage(['subjects', 'negatives', 'ada', '--db', db]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^id\\s+source\\s+box \\(x,y wxh\\)\\s+kept\\s+embedders\\n${id}\\s+x1\\.jpg\\s+1,2 30x40\\s+\\d{4}-\\d\\d-\\d\\d\\s+model-a,model-b\\n$`));
    const none = await visage(['subjects', 'negatives', 'Grace', '--db', db, '--json']);
    assert.deepEqual(JSON.parse(none.stdout).negatives, []);
    const wrong = await visage(['subjects', 'remove-negative', 'Grace', String(id), '--db', db]);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, `visage: no negative example with id ${id} for Grace\n`);
    const bad = await visage(['subjects', 'remove-negative', 'Ada', 'one', '--db', db]);
    assert.equal(bad.code, 2);
    const removed = await visage(['subjects', 'remove-negative', 'Ada', String(id), '--db', db, '--json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), { subject: 'Ada', removed: id });
    const after = await visage(['subjects', 'negatives', 'Ada', '--db', db, '--json']);
    assert.deepEqual(JSON.parse(after.stdout).negatives, []);
  } finally {
    await remove();
  }
});
