// The REST server follows the gallery's other writers: a person deleted by `visage subjects
// delete` in another process while the server runs is no longer named by /v1/recognise, and
// people enrolled by `visage enroll` are named and verified, without a restart or a refresh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { visage as runVisage } from '../helpers/cli.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('bbt', 'people');
let server: TestServer;
let db: string;
const photo = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);

/** The best candidate /v1/recognise gives the largest face of a photo. */
async function recognised(name: string, n: number): Promise<string | null> {
  const res = await post(server.app, '/v1/recognise', { image: { data: await readFile(photo(name, n)) } });
  assert.equal(res.statusCode, 200, res.body);
  const faces = res.json().faces as { box: { width: number }; candidates: { name: string }[] }[];
  return faces.reduce((a, b) => (a.box.width > b.box.width ? a : b)).candidates[0]?.name ?? null;
}

before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true });
  db = path.join(server.dir, 'g.db');
  for (const name of ['amy', 'stuart']) {
    const images = await Promise.all([1, 2, 3].map(async (n) => ({ data: await readFile(photo(name, n)), filename: `${name}${n}.png` })));
    const res = await post(server.app, `/v1/subjects/${name}/faces?create=true`, { image: images });
    assert.equal(res.json().added, 3, res.body);
  }
});

after(async () => {
  if (skip) return;
  await server.close();
  await (await testVisage()).close();
});

test('/v1/recognise no longer names a person deleted by the CLI in another process', { skip }, async () => {
  assert.equal(await recognised('stuart', 4), 'stuart');
  const run = await runVisage(['subjects', 'delete', 'stuart', '--yes', '--db', db]);
  assert.equal(run.code, 0, run.stderr);
  assert.notEqual(await recognised('stuart', 4), 'stuart');
  assert.equal(await recognised('amy', 4), 'amy');
});

test('faces enrolled by the CLI in another process are recognised and verified by the server at once', { skip }, async () => {
  const run = await runVisage(['enroll', photo('raj', 1), '--name', 'raj', '--db', db]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await recognised('raj', 4), 'raj');
  const verify = await post(server.app, '/v1/verify', { image: { data: await readFile(photo('raj', 5)) }, subject: 'raj' });
  assert.equal(verify.statusCode, 200, `not "no face enrolled": ${verify.body}`);
  assert.equal(verify.json().subject.name, 'raj');
});
