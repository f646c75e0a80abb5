// Bad input and load: malformed multipart, truncated, corrupt and huge images (decompression
// bombs), bodies over the limits, wrong content types, paths where images belong, too many faces,
// and 1,000 concurrent requests; afterwards the server still answers and the gallery is intact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createVisage, type Visage } from '../../src/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { greyJpeg, pngBomb, post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('bbt', 'people') || skipUnless('bbt', 'group') || skipUnless('lfw-view1', 'images');
const MB = 1024 * 1024;
let server: TestServer;
let sheldon: Buffer;
let group: Buffer;

function assertError(res: { statusCode: number; json(): { error: { code: string; message: string } } }, status: number, code: string): void {
  assert.equal(res.statusCode, status, JSON.stringify(res.json()));
  assert.equal(res.json().error.code, code);
  assert.equal(typeof res.json().error.message, 'string');
}

before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true, limits: { maxImageBytes: 1 * MB, maxBodyBytes: 2 * MB, maxImages: 3, maxQueue: 16 } });
  sheldon = await readFile(dataset('bbt', 'people', 'sheldon', 'sheldon1.png'));
  group = await readFile(dataset('bbt', 'group', 'faceapi_bbt3.jpg'));
  await server.app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'sheldon' } });
  const enrolled = await post(server.app, '/v1/subjects/sheldon/faces', { image: [{ data: sheldon }, { data: await readFile(dataset('bbt', 'people', 'sheldon', 'sheldon2.png')) }] });
  assert.equal(enrolled.json().added, 2);
});

after(async () => {
  if (skip) return;
  await server.close();
  await (await testVisage()).close();
});

test('malformed multipart bodies are 400 or 415, with a code', { skip }, async () => {
  const { app } = server;
  const truncated = await app.inject({
    method: 'POST', url: '/v1/recognise', headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
    payload: '--XYZ\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff',
  });
  assertError(truncated, 400, 'VISAGE_ERR_BAD_INPUT');
  const noBoundary = await app.inject({ method: 'POST', url: '/v1/recognise', headers: { 'content-type': 'multipart/form-data' }, payload: 'hello' });
  assert.ok([400, 415].includes(noBoundary.statusCode), noBoundary.body);
  assert.match(noBoundary.json().error.code, /^VISAGE_ERR_/);
  const garbage = await app.inject({ method: 'POST', url: '/v1/recognise', headers: { 'content-type': 'multipart/form-data; boundary=XYZ' }, payload: Buffer.from('\x00\x01\x02 not multipart at all') });
  assertError(garbage, 400, 'VISAGE_ERR_BAD_INPUT');
  const headerless = await app.inject({ method: 'POST', url: '/v1/recognise', headers: { 'content-type': 'multipart/form-data; boundary=XYZ' }, payload: '--XYZ\r\n\r\nabc\r\n--XYZ--\r\n' });
  assert.ok(headerless.statusCode === 400, headerless.body);
  const textOnly = await post(app, '/v1/recognise', { image: 'not a file' });
  assertError(textOnly, 400, 'VISAGE_ERR_BAD_INPUT');
});

test('truncated, corrupt and empty images are 400; a decompression bomb is 413 before decoding', { skip }, async () => {
  const { app } = server;
  const half = await post(app, '/v1/recognise', { image: { data: group.subarray(0, Math.floor(group.length / 2)) } });
  assertError(half, 400, 'VISAGE_ERR_IMAGE_DECODE');
  const cut = await post(app, '/v1/recognise', { image: { data: group.subarray(0, 200) } });
  assertError(cut, 400, 'VISAGE_ERR_IMAGE_DECODE');
  const random = await post(app, '/v1/recognise', { image: { data: Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)) } });
  assertError(random, 400, 'VISAGE_ERR_IMAGE_DECODE');
  const empty = await post(app, '/v1/recognise', { image: { data: Buffer.alloc(0) } });
  assertError(empty, 400, 'VISAGE_ERR_BAD_INPUT');
  const svg = await post(app, '/v1/recognise', { image: { data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), filename: 'x.svg' } });
  assertError(svg, 400, 'VISAGE_ERR_IMAGE_DECODE');
  const started = Date.now();
  const bomb = pngBomb(60_000, 60_000); // 3.6 gigapixels announced in a 70-byte file
  assert.ok(bomb.length < 100);
  assertError(await post(app, '/v1/recognise', { image: { data: bomb } }), 413, 'VISAGE_ERR_IMAGE_TOO_LARGE');
  assertError(await app.inject({ method: 'POST', url: '/v1/subjects/sheldon/faces', payload: { image: bomb.toString('base64') } }), 413, 'VISAGE_ERR_IMAGE_TOO_LARGE');
  assertError(await app.inject({ method: 'POST', url: '/v1/verify', payload: { a: bomb.toString('base64'), b: sheldon.toString('base64') } }), 413, 'VISAGE_ERR_IMAGE_TOO_LARGE');
  assert.ok(Date.now() - started < 5000, 'refused from the header, not decoded');
  // A real image just over the server's 40 MP limit (7000 x 6000), small as a file.
  const big = await greyJpeg(7000, 6000);
  assert.ok(big.length < MB, `${big.length} bytes`);
  assertError(await post(app, '/v1/detect', { image: { data: big } }), 413, 'VISAGE_ERR_IMAGE_TOO_LARGE');
});

test('bodies over the limits are 413: file size, raw body, base64 member, whole body, image count', { skip }, async () => {
  const { app } = server;
  const tooBig = Buffer.alloc(1.5 * MB, 0xab);
  assertError(await post(app, '/v1/recognise', { image: { data: tooBig } }), 413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: tooBig, headers: { 'content-type': 'image/jpeg' } }), 413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: { image: tooBig.toString('base64') } }), 413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: { image: 'A'.repeat(3 * MB) } }), 413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  const four = Array.from({ length: 4 }, () => ({ data: sheldon }));
  assertError(await post(app, '/v1/subjects/sheldon/faces', { image: four }), 413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  const long = await app.inject({ url: `/v1/subjects/${'x'.repeat(5000)}` });
  assert.ok([404, 414].includes(long.statusCode), String(long.statusCode));
});

test('wrong content types are 415; broken JSON is 400', { skip }, async () => {
  const { app } = server;
  for (const type of ['text/plain', 'application/xml', 'image/svg+xml', 'application/x-www-form-urlencoded']) {
    const res = await app.inject({ method: 'POST', url: '/v1/recognise', payload: 'image=abc', headers: { 'content-type': type } });
    assertError(res, 415, 'VISAGE_ERR_UNSUPPORTED_MEDIA_TYPE');
  }
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: '{"image": ', headers: { 'content-type': 'application/json' } }), 400, 'VISAGE_ERR_BAD_INPUT');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: '[1,2]', headers: { 'content-type': 'application/json' } }), 400, 'VISAGE_ERR_BAD_INPUT');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: { image: 'not base64!' } }), 400, 'VISAGE_ERR_BAD_INPUT');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: { image: 42 } }), 400, 'VISAGE_ERR_BAD_INPUT');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise', payload: { image: sheldon.toString('base64'), threshold: 'high' } }), 400, 'VISAGE_ERR_BAD_INPUT');
  assertError(await app.inject({ method: 'POST', url: '/v1/recognise?strategy=vote', payload: { image: sheldon.toString('base64') } }), 400, 'VISAGE_ERR_BAD_INPUT');
  assertError(await app.inject({ method: 'POST', url: '/v1/subjects', payload: 'name=x', headers: { 'content-type': 'text/plain' } }), 415, 'VISAGE_ERR_UNSUPPORTED_MEDIA_TYPE');
  assertError(await app.inject({ method: 'PUT', url: '/v1/subjects' }), 404, 'VISAGE_ERR_NOT_FOUND');
});

test('no request reaches the file system: a path where an image belongs is just bad image data', { skip }, async () => {
  const { app } = server;
  for (const image of ['/etc/passwd', '../../../../etc/hostname', dataset('bbt', 'people', 'sheldon', 'sheldon1.png')]) {
    const res = await app.inject({ method: 'POST', url: '/v1/recognise', payload: { image } });
    assert.ok(res.statusCode === 400, `${image}: ${res.body}`);
    assert.notEqual(res.json().error.code, 'VISAGE_ERR_IMAGE_NOT_FOUND');
    assert.doesNotMatch(res.json().error.message, /passwd|hostname|no such file/);
    const field = await post(app, '/v1/recognise', { image });
    assertError(field, 400, 'VISAGE_ERR_BAD_INPUT');
  }
  const traversal = await app.inject({ url: '/v1/subjects/..%2F..%2Fetc%2Fpasswd/faces/1/thumbnail' });
  assert.equal(traversal.statusCode, 404);
});

test('faces per image are capped by the server Visage (maxFaces)', { skip }, async () => {
  const visage: Visage = await createVisage({ maxFaces: 2 });
  const capped = await startServer({ visage, openWithoutKeys: true });
  try {
    const res = await capped.app.inject({ method: 'POST', url: '/v1/recognise', payload: group, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().faces.length, 2);
    assert.equal(res.json().faceLimit, 2);
  } finally {
    await capped.close();
    await visage.close();
  }
});

test('1,000 concurrent requests: each answered (200, 4xx or 503 busy), health answers during the load, gallery intact', { skip }, async () => {
  const { app, gallery } = server;
  const before = await gallery.stats();
  const small = await readFile(dataset('lfw-view1', 'images', ...(await firstLfwImage())));
  const requests: Promise<{ kind: string; status: number; body: string }>[] = [];
  for (let i = 0; i < 1000; i++) {
    const kind = ['recognise', 'list', 'bad', 'truncated', 'health'][i % 5]!;
    const options = kind === 'recognise' ? { method: 'POST' as const, url: '/v1/recognise', payload: small, headers: { 'content-type': 'image/jpeg' } }
      : kind === 'list' ? { url: '/v1/subjects' }
        : kind === 'bad' ? { method: 'POST' as const, url: '/v1/recognise', payload: 'x', headers: { 'content-type': 'text/plain' } }
          : kind === 'truncated' ? { method: 'POST' as const, url: '/v1/recognise', payload: small.subarray(0, 300), headers: { 'content-type': 'image/jpeg' } }
            : { url: '/health' };
    requests.push(app.inject(options).then((res) => ({ kind, status: res.statusCode, body: res.body })));
  }
  // While that is queued, health still answers, and says the queue is busy.
  let answeredWhileBusy = false;
  for (let i = 0; i < 1000 && !answeredWhileBusy; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const health = await app.inject({ url: '/health' });
    assert.equal(health.statusCode, 200);
    answeredWhileBusy = health.json().queue.waiting > 0;
  }
  assert.ok(answeredWhileBusy, 'health answered while images waited for inference');
  const results = await Promise.all(requests);
  const counts: Record<string, Record<number, number>> = {};
  for (const r of results) {
    (counts[r.kind] ??= {})[r.status] = ((counts[r.kind] ??= {})[r.status] ?? 0) + 1;
    assert.doesNotThrow(() => JSON.parse(r.body), `${r.kind}: a JSON answer`);
    assert.ok(r.status < 500 || (r.status === 503 && JSON.parse(r.body).error.code === 'VISAGE_ERR_BUSY'), `${r.kind}: ${r.status} ${r.body}`);
  }
  assert.deepEqual(counts.list, { 200: 200 });
  assert.deepEqual(counts.health, { 200: 200 });
  assert.deepEqual(counts.bad, { 415: 200 });
  assert.ok((counts.recognise?.[200] ?? 0) >= 5, JSON.stringify(counts));
  assert.ok((counts.recognise?.[503] ?? 0) > 0, `the queue refused some: ${JSON.stringify(counts)}`);
  assert.ok(Object.keys(counts.truncated ?? {}).every((s) => ['400', '503'].includes(s)), JSON.stringify(counts));
  // Afterwards: the server answers, the gallery is unchanged and still recognises.
  const after = await gallery.stats();
  assert.deepEqual([after.subjects, after.faces], [before.subjects, before.faces]);
  const check = await post(app, '/v1/recognise', { image: { data: await readFile(dataset('bbt', 'people', 'sheldon', 'sheldon3.png')) } });
  assert.equal(check.statusCode, 200);
  assert.equal(check.json().faces[0].label, 'sheldon');
  const metrics = (await app.inject({ url: '/v1/metrics' })).json();
  const recognise = metrics.routes.find((r: { route: string }) => r.route === 'POST /v1/recognise');
  assert.ok(recognise.count >= 600 && recognise.p99Ms >= recognise.p50Ms);
  assert.ok(metrics.queue.refused > 0 && metrics.queue.waiting === 0);
});

async function firstLfwImage(): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const people = (await readdir(dataset('lfw-view1', 'images'))).sort();
  for (const name of people) {
    const files = (await readdir(dataset('lfw-view1', 'images', name))).filter((f) => f.endsWith('.jpg')).sort();
    if (files.length) return [name, files[0]!];
  }
  throw new Error('no LFW image');
}
