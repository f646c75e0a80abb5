// A Recognizer (as the server holds one) follows writes made by another process, the visage CLI,
// without refresh(): a person deleted there is no longer named, people enrolled there are
// identified and verified, on the very next call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createVisage, type Visage } from '../../src/index.ts';
import { createRecognizer, type Recognizer } from '../../src/public/gallery.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage as runVisage } from '../helpers/cli.ts';

const skip = skipUnless('bbt', 'people');
let visage: Visage;
let recognizer: Recognizer;
let temp: Awaited<ReturnType<typeof tempDir>>;
let db: string;
const photo = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);

/** The best candidate for the largest face of a photo (held-out photos do not all pass the threshold). */
async function named(file: string): Promise<string | null> {
  const { faces } = await recognizer.identify(file);
  return faces.reduce((a, b) => (a.box.width > b.box.width ? a : b)).candidates[0]?.name ?? null;
}

before(async () => {
  if (skip) return;
  temp = await tempDir();
  db = path.join(temp.dir, 'g.db');
  visage = await createVisage();
  recognizer = await createRecognizer({ visage, db });
  for (const name of ['amy', 'penny', 'stuart']) {
    for (const n of [1, 2, 3]) assert.equal((await recognizer.enroll(photo(name, n), name)).status, 'added');
  }
});

after(async () => {
  if (skip) return;
  await recognizer.close();
  await visage.close();
  await temp.remove();
});

test('a subject deleted by `visage subjects delete` in another process is no longer named', { skip }, async () => {
  assert.equal(await named(photo('stuart', 4)), 'stuart');
  const run = await runVisage(['subjects', 'delete', 'stuart', '--yes', '--db', db]);
  assert.equal(run.code, 0, run.stderr);
  assert.notEqual(await named(photo('stuart', 4)), 'stuart');
  assert.notEqual(await named(photo('stuart', 5)), 'stuart');
  for (const candidate of (await recognizer.identify(photo('stuart', 4))).faces.flatMap((face) => face.candidates)) {
    assert.notEqual(candidate.name, 'stuart', 'not even among the candidates');
  }
  assert.equal(await named(photo('amy', 4)), 'amy', 'the others stay');
});

test('faces enrolled by `visage enroll` in another process are identified and verified at once', { skip }, async () => {
  assert.notEqual(await named(photo('raj', 4)), 'raj');
  for (const n of [1, 2, 3]) {
    const run = await runVisage(['enroll', photo('raj', n), '--name', 'raj', '--db', db]);
    assert.equal(run.code, 0, run.stderr);
  }
  assert.equal(await named(photo('raj', 4)), 'raj');
  const verified = await recognizer.verifySubject(photo('raj', 5), 'raj'); // no longer "no face enrolled"
  assert.equal(verified.subject.name, 'raj');
  const embedding = (await visage.analyze(photo('raj', 5))).faces[0]!.embeddings[recognizer.modelId]!;
  assert.equal((await recognizer.identifyEmbedding(embedding)).candidates[0]!.name, 'raj');
  const renamed = await runVisage(['subjects', 'rename', 'raj', 'Raj Koothrappali', '--db', db]);
  assert.equal(renamed.code, 0, renamed.stderr);
  assert.equal(await named(photo('raj', 4)), 'Raj Koothrappali');
  assert.equal((await recognizer.nearest(photo('raj', 4)))[0]!.name, 'Raj Koothrappali');
});
