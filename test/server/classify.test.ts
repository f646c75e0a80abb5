// /v1/classify with a classifier trained on three bbt people (k-NN, as `visage train` makes it):
// their faces in a group photo get their names, the others UNKNOWN.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaceSource } from '../../src/classify/faces.ts';
import { trainFromFolder } from '../../src/classify/train.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('bbt', 'people') || skipUnless('bbt', 'group');
let server: TestServer;
let dir: string;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(tmpdir(), 'visage-classify-'));
  for (const name of ['sheldon', 'penny', 'raj']) await cp(dataset('bbt', 'people', name), path.join(dir, name), { recursive: true });
  const source = await FaceSource.create({ embedders: ['faceapi-recognition'], cacheDir: null });
  try {
    const { model } = await trainFromFolder({ trainDir: dir, kind: 'knn', source, split: 0 });
    server = await startServer({ openWithoutKeys: true, classifiers: { bbt3: model } });
  } finally {
    await source.close();
  }
});

after(async () => {
  if (skip) return;
  await server.close();
  await (await testVisage()).close();
  await rm(dir, { recursive: true, force: true });
});

test('classify: the trained people named in a group photo, the others UNKNOWN; listed; unknown model 404', { skip }, async () => {
  const list = (await server.app.inject({ url: '/v1/classifiers' })).json().classifiers;
  assert.deepEqual(list.map((c: { name: string; classes: string[] }) => [c.name, c.classes]), [['bbt3', ['penny', 'raj', 'sheldon']]]);
  const res = await post(server.app, '/v1/classify/bbt3', { image: { data: await readFile(dataset('bbt', 'group', 'faceapi_bbt3.jpg')) } });
  assert.equal(res.statusCode, 200, res.body);
  const labels = res.json().faces.map((f: { label: string }) => f.label);
  assert.equal(labels.length, 5);
  for (const name of ['sheldon', 'penny', 'raj']) assert.equal(labels.filter((l: string) => l === name).length, 1, labels.join(', '));
  assert.equal(labels.filter((l: string) => l === 'UNKNOWN').length, 2, labels.join(', '));
  const missing = await post(server.app, '/v1/classify/celebs', { image: { data: await readFile(dataset('bbt', 'people', 'raj', 'raj1.png')) } });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'VISAGE_ERR_NOT_FOUND');
});
