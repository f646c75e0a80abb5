// The server's quality gate on enrolment (limits per request, 422 VISAGE_ERR_LOW_QUALITY when every
// photo fails) and POST /v1/liveness (webcam frames: active check and passive model), on real
// images through inject().
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eyeModelAvailable } from '../../src/face/quality/eyes.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('lfw-view1', 'images') || skipUnless('nuaa', 'spoof') || skipUnless('media', 'hamilton_clip.mp4')
  || (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0 ? false : 'no ffmpeg on PATH')
  || (eyeModelAvailable() ? false : 'faceplugin-face-recognition-js is not installed (the eye model)');
const lfw = (file: string) => readFile(dataset('lfw-view1', 'images', file));
const CLOSED = 'Kim_Hong-up/Kim_Hong-up_0001.jpg';
const OPEN = 'Charlie_Sheen/Charlie_Sheen_0001.jpg';

let server: TestServer;
let work = '';
let turning: Buffer[] = [];

before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true });
  // Ten frames over 4 s of a singer turning his head (media/hamilton_clip.mp4, 3.7 s on).
  work = await mkdtemp(path.join(tmpdir(), 'visage-liveness-route-'));
  const run = spawnSync('ffmpeg', ['-v', 'error', '-ss', '3.7', '-t', '4', '-i', dataset('media', 'hamilton_clip.mp4'), '-vf', 'fps=2.5', '-q:v', '3', path.join(work, 'f%03d.jpg')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  turning = await Promise.all((await readdir(work)).sort().slice(0, 10).map((f) => readFile(path.join(work, f))));
});

after(async () => {
  if (skip) return;
  await server.close();
  await (await testVisage()).close();
  await rm(work, { recursive: true, force: true });
});

test('enrol: a closed-eye photo alone answers 422 VISAGE_ERR_LOW_QUALITY with the reason; with another photo it is a skipped result with refusals', { skip }, async () => {
  const { app } = server;
  const refused = await post(app, '/v1/subjects/kim/faces?create=true', { image: { data: await lfw(CLOSED), filename: 'kim.jpg' } });
  assert.equal(refused.statusCode, 422, refused.body);
  assert.deepEqual(refused.json(), { error: { code: 'VISAGE_ERR_LOW_QUALITY', message: 'not enrolled: eyes closed (1.0000 > 0.9999)' } });
  assert.equal((await app.inject({ url: '/v1/subjects/kim' })).statusCode, 404, 'nobody created');

  const mixed = await post(app, '/v1/subjects/charlie/faces?create=true', { image: [{ data: await lfw(OPEN), filename: 'open.jpg' }, { data: await lfw(CLOSED), filename: 'closed.jpg' }] });
  assert.equal(mixed.statusCode, 201, mixed.body);
  const [open, closed] = mixed.json().results;
  assert.equal(open.status, 'added');
  assert.deepEqual([closed.status, closed.reason, closed.refusals.map((r: { reason: string }) => r.reason)], ['skipped', 'low-quality', ['eyes-closed']]);
  assert.equal(closed.refusals[0].limit, 0.9999);
});

test('enrol: the gate\'s limits per request (query or form field), qualityGate=false, bad values refused', { skip }, async () => {
  const { app } = server;
  const relaxed = await post(app, '/v1/subjects/kim/faces?create=true&maxEyesClosed=1', { image: { data: await lfw(CLOSED) } });
  assert.equal(relaxed.statusCode, 201, relaxed.body);
  const strict = await post(app, '/v1/subjects/kim/faces', { image: { data: await lfw(OPEN) }, minSize: '400' });
  assert.equal(strict.statusCode, 422, strict.body);
  assert.match(strict.json().error.message, /^not enrolled: face too small \(\d+ px < 400\)$/);
  const off = await post(app, '/v1/subjects/kim/faces?qualityGate=false&minSize=400', { image: { data: await lfw(OPEN) } });
  assert.equal(off.statusCode, 400);
  assert.match(off.json().error.message, /qualityGate=false cannot be sent with quality limits/);
  const bad = await post(app, '/v1/subjects/kim/faces?maxEyesClosed=2', { image: { data: await lfw(OPEN) } });
  assert.deepEqual([bad.statusCode, bad.json().error.code], [400, 'VISAGE_ERR_BAD_INPUT']);
  assert.match(bad.json().error.message, /maxEyesClosed must be a number from 0 to 1/);
  const none = await post(app, '/v1/subjects/kim/faces?qualityGate=false', { image: { data: await lfw(CLOSED) } });
  assert.equal(none.statusCode, 200, 'the same image again: already enrolled, not a quality refusal');
  assert.equal(none.json().results[0].reason, 'already-enrolled');
});

test('POST /v1/liveness: a printed photo held still is not live (no blink, no turn; the passive model agrees); a head turning passes the active check', { skip }, async (t) => {
  const { app } = server;
  const spoofFile = readdirSync(dataset('nuaa', 'spoof')).filter((f) => f.startsWith('0004_')).sort()[0]!;
  const still = await readFile(dataset('nuaa', 'spoof', spoofFile));
  const photo = await post(app, '/v1/liveness', { image: Array.from({ length: 8 }, (_, i) => ({ data: still, filename: `frame${i}.jpg` })) });
  assert.equal(photo.statusCode, 200, photo.body);
  const answer = photo.json();
  t.diagnostic(`still photo: ${answer.reason}`);
  assert.equal(answer.live, false);
  assert.equal(answer.active.passed, false);
  assert.deepEqual([answer.active.faceFrames, answer.active.turn.yawRange, answer.active.blink.blinks], [8, 0, 0]);
  assert.equal(answer.passive.value, 'spoof');

  const head = await post(app, '/v1/liveness?challenge=turn', { image: turning.map((data, i) => ({ data, filename: `f${i}.jpg` })) });
  assert.equal(head.statusCode, 200, head.body);
  const moving = head.json();
  t.diagnostic(`turning head: active ${moving.active.passed} (yaw ${moving.active.turn.yawMin}..${moving.active.turn.yawMax}), passive ${JSON.stringify(moving.passive)}`);
  assert.equal(moving.active.passed, true);
  assert.ok(moving.active.turn.yawRange >= 20);
  assert.equal(moving.live, moving.passive.value === 'live');
});

test('POST /v1/liveness: bad requests', { skip }, async () => {
  const { app } = server;
  const one = await post(app, '/v1/liveness', { image: { data: turning[0]! } });
  assert.deepEqual([one.statusCode, one.json().error.code], [400, 'VISAGE_ERR_BAD_INPUT']);
  assert.match(one.json().error.message, /takes 3 to 100 frames in time order, got 1/);
  const challenge = await post(app, '/v1/liveness?challenge=smile', { image: turning.slice(0, 3).map((data) => ({ data })) });
  assert.deepEqual([challenge.statusCode, challenge.json().error.code], [400, 'VISAGE_ERR_BAD_INPUT']);
  const many = await post(app, '/v1/liveness', { image: Array.from({ length: 11 }, () => ({ data: turning[0]! })) });
  assert.equal(many.statusCode, 413);
});
