// Real faces through the whole library path: createVisage() analyses the bbt people photos,
// the faces go into a SQLite gallery, a SearchIndex finds each person's held-out photo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createVisage, type Visage } from '../../src/index.ts';
import { contentHash, openSqliteGallery, SearchIndex, type SqliteGallery } from '../../src/gallery/index.ts';
import type { Face } from '../../src/types.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from './helpers.ts';

const skip = skipUnless('bbt', 'people');
let visage: Visage;
let gallery: SqliteGallery;
let remove: () => Promise<void>;
let dir: string;

before(async () => {
  if (skip) return;
  ({ dir, remove } = await tempDir());
  visage = await createVisage(); // models from $VISAGE_MODEL_DIR or the user cache
  gallery = await openSqliteGallery(path.join(dir, 'people.db'));
});
after(async () => {
  if (skip) return;
  await visage.close();
  await gallery.close();
  await remove();
});

const largest = (faces: Face[]) => faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));

test('enrolled bbt people: each held-out photo finds its person first', { skip }, async () => {
  const root = dataset('bbt', 'people');
  const people = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  assert.ok(people.length >= 5, `found ${people.length} people in ${root}`);
  const modelId = visage.config.embedders[0]!;
  const heldOut: { name: string; file: string }[] = [];
  for (const name of people) {
    const files = (await readdir(path.join(root, name))).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    heldOut.push({ name, file: path.join(root, name, files.pop()!) });
    for (const file of files) {
      const bytes = await readFile(path.join(root, name, file));
      const { faces } = await visage.analyze(bytes);
      if (faces.length === 0) continue;
      const face = largest(faces);
      await gallery.addFaces(name, [{
        contentHash: contentHash(bytes), sourceFile: file, box: face.box, landmarks: face.landmarks.five, quality: face.quality,
        embeddings: face.embeddings,
      }], { createSubject: true });
    }
  }
  const stats = await gallery.stats();
  assert.equal(stats.subjects, people.length, 'every person enrolled with at least one face');
  const index = await SearchIndex.load(gallery, modelId);
  assert.equal(index.size, stats.faces);
  const wrong: string[] = [];
  for (const { name, file } of heldOut) {
    const { faces } = await visage.analyze(file);
    assert.ok(faces.length > 0, `a face in ${file}`);
    const query = largest(faces).embeddings[modelId]!;
    for (const strategy of ['best-face', 'mean-template'] as const) {
      const [first] = index.searchSubjects(query, { k: 3, strategy });
      if (first!.name !== name) wrong.push(`${path.basename(file)} (${strategy}): ${first!.name} ${first!.similarity.toFixed(3)}`);
    }
  }
  assert.deepEqual(wrong, [], `held-out photos matched to someone else: ${wrong.join('; ')}`);
  index.close();
});
