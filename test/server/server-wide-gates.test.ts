// Server-wide liveness and enrolment quality (buildApp's requireLive and enrolmentQuality, the
// `visage serve --require-live --min-size ...` flags): they apply to requests that say nothing,
// and a request's own parameters still win. NUAA frames of subject 0004 and an LFW photo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';
import { serveCommand } from '../../src/cli/commands/serve.ts';

const skip = skipUnless('nuaa', 'spoof') || skipUnless('lfw-view1', 'images');
const spoofFrame = () => readFile(dataset('nuaa', 'spoof', readdirSync(dataset('nuaa', 'spoof')).filter((f) => f.startsWith('0004_')).sort()[0]!));

let server: TestServer;
before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true, requireLive: true, enrolmentQuality: { minSize: 400 } });
});
after(async () => {
  if (skip) return;
  await server.close();
  await (await testVisage()).close();
});

test('requireLive server-wide: a printed photo is refused without asking; requireLive=false turns it off for one request', { skip }, async () => {
  const spoof = await spoofFrame();
  const refused = await server.app.inject({ method: 'POST', url: '/v1/recognise', payload: spoof, headers: { 'content-type': 'image/jpeg' } });
  assert.equal(refused.statusCode, 200, refused.body);
  assert.equal(refused.json().faces[0].refused, 'not-live');
  const allowed = await server.app.inject({ method: 'POST', url: '/v1/recognise?requireLive=false', payload: spoof, headers: { 'content-type': 'image/jpeg' } });
  assert.equal(allowed.json().faces[0].refused, undefined, allowed.body);
});

test('enrolment quality server-wide: minSize 400 refuses a 250-px LFW photo (422, "small"); a request\'s minSize wins', { skip }, async () => {
  const photo = await readFile(dataset('lfw-view1', 'images', 'Charlie_Sheen/Charlie_Sheen_0001.jpg'));
  const refused = await post(server.app, '/v1/subjects/charlie/faces?create=true', { image: { data: photo, filename: 'c.jpg' } });
  assert.equal(refused.statusCode, 422, refused.body);
  assert.equal(refused.json().error.code, 'VISAGE_ERR_LOW_QUALITY');
  assert.match(refused.json().error.message, /face too small \(\d+ px < 400\)/);
  const added = await post(server.app, '/v1/subjects/charlie/faces?create=true&minSize=32', { image: { data: photo, filename: 'c.jpg' } });
  assert.equal(added.statusCode, 201, added.body);
  assert.equal(added.json().results[0].status, 'added');
});

test('visage serve: the gate\'s flags are checked before anything opens', async () => {
  await assert.rejects(serveCommand(['--min-size', 'big']), { code: 'VISAGE_ERR_USAGE', message: /--min-size/ });
  await assert.rejects(serveCommand(['--min-frontalness', '3']), { code: 'VISAGE_ERR_USAGE' });
});
