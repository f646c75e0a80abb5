import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { visage as run } from '../helpers/cli.ts';

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

  const again = await visage(['models', 'prepare', '--only', 'human-liveness', '--json', '--dir', dir]);
  assert.equal(JSON.parse(again.stdout).models[0].status, 'cached');
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
