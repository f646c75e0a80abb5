// /v1/subjects/{subject}/negatives on real faces (bbt): a "not this person" is listed, honoured by
// recognise and verify, and removed (undone), after which the face is the person's again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { contentHash } from '../../src/public/gallery.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('bbt', 'people');
const file = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);
let server: TestServer;

before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true });
  for (const name of ['howard', 'penny']) {
    for (const n of [1, 2, 3]) {
      const enrolled = await post(server.app, `/v1/subjects/${name}/faces?create=true`, { image: { data: await readFile(file(name, n)), filename: `${name}${n}.png` } });
      assert.equal(enrolled.statusCode, 201, enrolled.body);
    }
  }
});
after(async () => {
  if (skip) return;
  await server.close();
  await (await testVisage()).close();
});

test('negatives: listed, honoured by recognise and verify, removed (undone) through the API; unknown ids are 404 VISAGE_ERR_UNKNOWN_NEGATIVE', { skip }, async () => {
  const { app } = server;
  const bytes = await readFile(file('howard', 4));
  const recognise = async () => (await post(app, '/v1/recognise', { image: { data: bytes } })).json().faces[0].name as string | null;
  const verify = async () => (await post(app, '/v1/verify', { image: { data: bytes }, subject: 'howard' })).json();
  assert.equal(await recognise(), 'howard', 'a control');
  assert.equal((await verify()).same, true, 'a control');
  // "Not this person", as visage cluster not keeps it (the face's every vector).
  const { faces } = await (await testVisage()).analyze(bytes);
  const id = await server.gallery.addNegative('howard', { contentHash: contentHash(bytes), sourceFile: '/photos/howard4.png', box: faces[0]!.box, embeddings: faces[0]!.embeddings });
  const listed = await app.inject({ url: '/v1/subjects/howard/negatives' });
  assert.equal(listed.statusCode, 200, listed.body);
  assert.deepEqual(listed.json().negatives.map((n: { id: number; sourceFile: string; contentHash: string }) => [n.id, n.sourceFile, n.contentHash]), [[id, 'howard4.png', contentHash(bytes)]], 'the file name only, never a server path');
  assert.deepEqual(listed.json().negatives[0].models, Object.keys(faces[0]!.embeddings).sort());
  assert.deepEqual((await app.inject({ url: '/v1/subjects/penny/negatives' })).json().negatives, []);
  assert.notEqual(await recognise(), 'howard');
  const refused = await verify();
  assert.equal(refused.same, false, `verify honours the negative example: ${JSON.stringify(refused)}`);

  const wrongSubject = await app.inject({ method: 'DELETE', url: `/v1/subjects/penny/negatives/${id}` });
  assert.equal(wrongSubject.statusCode, 404);
  assert.equal(wrongSubject.json().error.code, 'VISAGE_ERR_UNKNOWN_NEGATIVE');
  assert.equal((await app.inject({ method: 'DELETE', url: '/v1/subjects/howard/negatives/abc' })).statusCode, 400);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/subjects/nobody/negatives/${id}` })).json().error.code, 'VISAGE_ERR_UNKNOWN_SUBJECT');
  const removed = await app.inject({ method: 'DELETE', url: `/v1/subjects/howard/negatives/${id}` });
  assert.equal(removed.statusCode, 200, removed.body);
  assert.equal(removed.json().deleted.id, id);
  assert.equal(await recognise(), 'howard', 'undone: named again');
  assert.equal((await verify()).same, true);
  const again = await app.inject({ method: 'DELETE', url: `/v1/subjects/howard/negatives/${id}` });
  assert.deepEqual([again.statusCode, again.json().error.code], [404, 'VISAGE_ERR_UNKNOWN_NEGATIVE']);
});
