// Face attributes and requireLive through the REST API (inject()): /v1/recognise?attributes=...,
// requireLive on recognise, verify and enrolment, on NUAA frames (a printed photo and live frames).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('nuaa', 'live') || skipUnless('nuaa', 'spoof');
let server: TestServer;
const frame = (kind: 'live' | 'spoof', i: number) => {
  const files = readdirSync(dataset('nuaa', kind)).filter((f) => f.startsWith('0004_')).sort();
  return readFile(dataset('nuaa', kind, files[i * 5]!));
};

before(async () => { if (!skip) server = await startServer({ openWithoutKeys: true }); });
after(async () => {
  if (skip) return;
  await server.close();
  await (await testVisage()).close();
});

test('recognise: attributes only when asked, a bad name refused', { skip }, async () => {
  const photo = await frame('live', 0);
  const plain = await server.app.inject({ method: 'POST', url: '/v1/recognise', payload: photo, headers: { 'content-type': 'image/jpeg' } });
  assert.equal(plain.statusCode, 200, plain.body);
  assert.equal(plain.json().faces[0].attributes, undefined);
  const asked = await server.app.inject({ method: 'POST', url: '/v1/recognise?attributes=age,gender,emotion,liveness', payload: photo, headers: { 'content-type': 'image/jpeg' } });
  assert.equal(asked.statusCode, 200, asked.body);
  const a = asked.json().faces[0].attributes;
  assert.deepEqual(Object.keys(a).sort(), ['age', 'emotion', 'gender', 'liveness']);
  assert.equal(typeof a.age.value, 'number');
  assert.equal(a.liveness.value, 'live');
  const bad = await server.app.inject({ method: 'POST', url: '/v1/recognise?attributes=mood', payload: photo, headers: { 'content-type': 'image/jpeg' } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error.message, /attributes takes age, gender, emotion, liveness/);
});

test('requireLive: a printed photo is refused at enrolment (not-live), verify (422) and recognise (NOT LIVE)', { skip }, async () => {
  const { app } = server;
  const spoof = await frame('spoof', 0), live = await frame('live', 1), live2 = await frame('live', 2);
  const refused = await post(app, '/v1/subjects/person4/faces?create=true&requireLive=true', { image: { data: spoof, filename: 'spoof.jpg' } });
  assert.equal(refused.json().results[0].reason, 'not-live', refused.body);
  const added = await post(app, '/v1/subjects/person4/faces?create=true&requireLive=true&largest=true', { image: { data: live, filename: 'live.jpg' } });
  assert.equal(added.json().results[0].status, 'added', added.body);
  const verify = await post(app, '/v1/verify', { a: { data: live2, filename: 'a.jpg' }, b: { data: spoof, filename: 'b.jpg' }, requireLive: 'true' });
  assert.equal(verify.statusCode, 422, verify.body);
  assert.equal(verify.json().error.code, 'VISAGE_ERR_NOT_LIVE');
  const recognised = await app.inject({ method: 'POST', url: '/v1/recognise?requireLive=true', payload: spoof, headers: { 'content-type': 'image/jpeg' } });
  const face = recognised.json().faces[0];
  assert.equal(face.label, 'NOT LIVE');
  assert.equal(face.refused, 'not-live');
  const named = await app.inject({ method: 'POST', url: '/v1/recognise?requireLive=true', payload: live2, headers: { 'content-type': 'image/jpeg' } });
  assert.equal(named.json().faces[0].label, 'person4', named.body);
});
