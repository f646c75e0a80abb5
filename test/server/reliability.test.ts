// The server against stale and hostile input (issue 13): each test reproduces one defect an
// attacker found (multipart bodies past the limit, bodies read before the queue is checked,
// Origin null in open mode, digit-only names, unbounded metadata, Fastify-shaped errors, stacks and
// secrets in the log, long inputs echoed back, unbounded limits, look-alike names) and holds the
// fix. Real photos of ../shared/datasets; real sockets where inject() would hide the behaviour.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';

import { buildApp } from '../../src/server/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { visage as runCli } from '../helpers/cli.ts';
import { holdWriteLockInProcess } from '../helpers/locks.ts';
import { multipart, post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('bbt', 'people') || skipUnless('bbt', 'group');
const MB = 1024 * 1024;
const bbt = (...parts: string[]) => readFile(dataset('bbt', ...parts));

function assertError(response: { statusCode: number; body: string }, status: number, code: string): { code: string; message: string } {
  assert.equal(response.statusCode, status, response.body.slice(0, 300));
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, response.body.slice(0, 300));
  assert.equal(typeof body.error.message, 'string');
  return body.error;
}

/** Sends raw bytes on a new connection; resolves with what came back once the server closes it (or after `waitMs`), and when the answer began. */
function rawExchange(port: number, write: (socket: net.Socket) => void, waitMs = 5000): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let text = '';
    let ms = Infinity;
    const socket = net.connect(port, '127.0.0.1', () => write(socket));
    const done = () => { clearTimeout(timer); resolve({ text, ms }); };
    const timer = setTimeout(() => { socket.destroy(); }, waitMs);
    socket.on('data', (chunk) => { ms = Math.min(ms, performance.now() - started); text += chunk.toString('latin1'); });
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function jsonOf(text: string): { error: { code: string; message: string } } {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
}

let server: TestServer;
let group: Buffer;

before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true, limits: { maxImageBytes: 1 * MB, maxBodyBytes: 2 * MB, maxBufferedBytes: 3 * MB } });
  group = await bbt('group', 'faceapi_bbt1.jpg');
});

after(async () => {
  await server?.close();
});

test('item 1: the running server follows another process: a person deleted by the CLI is not named at the next request; one enrolled by the CLI is', { skip }, async () => {
  const { app, dir } = server;
  const db = `${dir}/g.db`;
  const person = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);
  for (const n of [1, 2]) {
    const enrolled = await post(app, '/v1/subjects/sheldon/faces?create=true', { image: { data: await readFile(person('sheldon', n)) } });
    assert.equal(enrolled.statusCode, 201, enrolled.body);
  }
  let candidates: string[] = [];
  const recognise = async (file: string) => {
    const answer = await app.inject({ method: 'POST', url: '/v1/recognise', payload: await readFile(file), headers: { 'content-type': 'image/png' } });
    assert.equal(answer.statusCode, 200, answer.body);
    const faces = (answer.json() as { faces: { name: string | null; candidates: { name: string }[] }[] }).faces;
    candidates = faces.flatMap((f) => f.candidates.map((c) => c.name));
    return faces.map((f) => f.name);
  };
  assert.deepEqual(await recognise(person('sheldon', 3)), ['sheldon']);
  // The delete commits in another process; the very next request must not name him.
  const deleted = await runCli(['subjects', 'delete', 'sheldon', '--yes', '--db', db]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(await recognise(person('sheldon', 3)), [null], 'a deleted person is never named');
  assert.ok(!candidates.includes('sheldon'), 'nor offered as a candidate: he is out of the index');
  assertError(await app.inject({ url: '/v1/subjects/sheldon' }), 404, 'VISAGE_ERR_UNKNOWN_SUBJECT');
  // Enrolled by the CLI: recognised and verifiable through the server at once.
  const enrolled = await runCli(['enroll', person('penny', 1), person('penny', 2), '--name', 'penny', '--db', db]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  assert.deepEqual(await recognise(person('penny', 4)), ['penny']);
  const verified = await post(app, '/v1/verify', { image: { data: await readFile(person('penny', 5)) }, subject: 'penny' });
  assert.equal(verified.statusCode, 200, verified.body);
  assert.equal(verified.json().same, true);
  // A rename by the CLI is the name the server gives.
  assert.equal((await runCli(['subjects', 'rename', 'penny', 'Penny H', '--db', db])).code, 0);
  assert.deepEqual(await recognise(person('penny', 4)), ['Penny H']);
  assert.equal((await runCli(['gallery', 'reset', '--yes', '--db', db])).code, 0);
  assert.deepEqual(await recognise(person('penny', 4)), [null]);
});

test('item 3: with the server file locked by another process, a delete is answered at once and its thumbnails go once the lock does', { skip }, async () => {
  const { app, store, dir } = server;
  const enrolled = await post(app, '/v1/subjects/raj/faces?create=true', { image: { data: await bbt('people', 'raj', 'raj1.png') } });
  assert.equal(enrolled.statusCode, 201, enrolled.body);
  const faceId = enrolled.json().results[0].faceId as number;
  const contentHash = enrolled.json().results[0].contentHash as string;
  assert.ok(await store.getThumbnail(faceId, contentHash));
  const { released } = await holdWriteLockInProcess(`${dir}/g.server.db`, 1500);
  const started = performance.now();
  const deleted = await app.inject({ method: 'DELETE', url: '/v1/subjects/raj' });
  const ms = performance.now() - started;
  assert.equal(deleted.statusCode, 200, deleted.body);
  assert.ok(ms < 1200, `answered in ${Math.round(ms)} ms, not after the 1.5 s lock`);
  assert.equal(await server.gallery.findSubject('raj'), null);
  await released;
  // The retry holds it within busyTimeoutMs (5 s) of the lock: gone once the other process let go.
  const end = Date.now() + 8000;
  while ((await store.getThumbnail(faceId, contentHash)) && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await store.getThumbnail(faceId, contentHash), null);
});

test('item 2: a multipart body past maxBodyBytes is refused (413) though every part is under the image limit', { skip }, async () => {
  const parts = Array.from({ length: 5 }, (_, i) => ({ data: Buffer.alloc(0.9 * MB, i + 1), filename: `part${i}.jpg` }));
  const inQueueBefore = (await server.app.inject({ url: '/health' })).json().queue.completed;
  assertError(await post(server.app, '/v1/recognise', { image: parts }), 413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  assert.equal((await server.app.inject({ url: '/health' })).json().queue.completed, inQueueBefore, 'no inference ran');
});

test('item 2: a chunked multipart body (no Content-Length) is stopped at the limit while it streams', { skip }, async () => {
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (server.app.server.address() as net.AddressInfo).port;
  const body = await multipart({ image: Array.from({ length: 8 }, (_, i) => ({ data: Buffer.alloc(0.9 * MB, i + 1), filename: `p${i}.jpg` })) });
  let written = 0;
  const { text } = await rawExchange(port, (socket) => {
    socket.write(`POST /v1/recognise HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${body.headers['content-type']}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    // 64 KB chunks, paced, as a slow client would send them; stop once the server has answered.
    let answered = false;
    socket.once('data', () => { answered = true; });
    const send = () => {
      if (answered || socket.destroyed || written >= body.payload.length) return;
      const piece = body.payload.subarray(written, written + 64 * 1024);
      written += piece.length;
      socket.write(`${piece.length.toString(16)}\r\n`);
      socket.write(piece);
      socket.write('\r\n', () => setTimeout(send, 2));
    };
    send();
  });
  assert.equal(statusOf(text), 413, text.slice(0, 200));
  assert.equal(jsonOf(text).error.code, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  assert.ok(written < body.payload.length, `the server answered before the whole body (${written} of ${body.payload.length} bytes) was sent`);
});

test('item 2: an upload that would pass the bytes held for uploads is refused (503) when it arrives, unread', { skip }, async () => {
  const port = (server.app.server.address() as net.AddressInfo).port;
  // Two clients hold the 3 MB set aside for bodies by announcing 1.5 MB uploads each and sending nothing.
  const hold = async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /v1/recognise HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${1.5 * MB}\r\n\r\n`);
    return socket;
  };
  const holder = await hold();
  const second = await hold();
  try {
    await waitFor(async () => (await server.app.inject({ url: '/health' })).json().uploads.heldBytes === 3 * MB);
    // A third, of 200 KB, would pass the 3 MB: refused at once, with nothing of its body sent.
    const { text, ms } = await rawExchange(port, (socket) => {
      socket.write(`POST /v1/recognise HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\nContent-Length: ${200_000}\r\n\r\n`);
    });
    assert.equal(statusOf(text), 503, text.slice(0, 200));
    assert.equal(jsonOf(text).error.code, 'VISAGE_ERR_BUSY');
    assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms`);
  } finally {
    holder.destroy();
    second.destroy();
  }
  // Once those clients have gone, their room is given back.
  await waitFor(async () => (await server.app.inject({ url: '/health' })).json().uploads.heldBytes === 0);
});

test('item 2: a request that arrives at a full queue is refused (503) before its body is read', { skip }, async () => {
  // A slow image (the group photo tiled 2x2: many faces) keeps the one inference slot busy, a
  // second waits in the queue of one; a third that only sends its headers is answered at once.
  const tiled = await sharp(group).resize(1200).toBuffer().then(async (tile) => {
    const { width, height } = await sharp(tile).metadata();
    return sharp({ create: { width: width! * 2, height: height! * 2, channels: 3, background: '#888' } })
      .composite([{ input: tile, left: 0, top: 0 }, { input: tile, left: width!, top: 0 }, { input: tile, left: 0, top: height! }, { input: tile, left: width!, top: height! }])
      .jpeg({ quality: 85 }).toBuffer();
  });
  const app = await buildApp({ visage: await testVisage(), gallery: server.gallery, openWithoutKeys: true, limits: { maxQueue: 1 } });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as net.AddressInfo).port;
    let refusedUnread = false;
    for (let attempt = 0; attempt < 3 && !refusedUnread; attempt++) {
      const busy = [0, 1].map(() => fetch(`http://127.0.0.1:${port}/v1/recognise`, { method: 'POST', body: new Uint8Array(tiled), headers: { 'content-type': 'image/jpeg' } }));
      await waitFor(async () => {
        const queue = (await app.inject({ url: '/health' })).json().queue;
        return queue.running === 1 && queue.waiting === 1;
      }, 20_000, 2);
      const { text, ms } = await rawExchange(port, (socket) => {
        socket.write(`POST /v1/recognise HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\nContent-Length: ${500_000}\r\n\r\n`);
      }, 3000);
      const queue = (await app.inject({ url: '/health' })).json().queue;
      await Promise.all(busy.map((p) => p.then((r) => r.arrayBuffer())));
      // The slot may have freed just before the third arrived (then it waits for its body): try again.
      if (statusOf(text) === 0 && queue.waiting === 0) continue;
      assert.equal(statusOf(text), 503, text.slice(0, 200));
      assert.equal(jsonOf(text).error.code, 'VISAGE_ERR_BUSY');
      assert.ok(ms < 1500, `answered in ${Math.round(ms)} ms, without its body`);
      refusedUnread = true;
    }
    assert.ok(refusedUnread, 'the third request was never refused before its body');
  } finally {
    await app.close();
  }
});

test('a refused request received whole (401) keeps its keep-alive connection', { skip }, async () => {
  const app = await buildApp({ visage: await testVisage(), gallery: server.gallery, store: server.store });
  const created = await server.store.createKey('recognise');
  const key = created.key;
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as net.AddressInfo).port;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let text = '';
    socket.on('data', (chunk) => { text += chunk.toString('latin1'); });
    const answers = () => text.split('HTTP/1.1 ').slice(1).map((a) => Number(a.slice(0, 3)));
    socket.write('GET /v1/subjects HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer vsk_unknown\r\n\r\n');
    await waitFor(async () => answers().length === 1);
    // Past the 2 s a refused body may linger, the same connection still answers.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.ok(!socket.destroyed, 'the connection was kept');
    socket.write(`GET /v1/subjects HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\n\r\n`);
    await waitFor(async () => answers().length === 2);
    assert.deepEqual(answers(), [401, 200]);
    socket.destroy();
  } finally {
    await app.close();
    // The other tests use the server open, without keys.
    await server.store.revokeKey(created.id);
  }
});

test('item 4: in open mode a request with Origin "null" (sandboxed frame, file:// page) is refused', { skip }, async () => {
  const person = await bbt('people', 'penny', 'penny1.png');
  const enrol = (origin: string) => post(server.app, '/v1/subjects/penny/faces?create=true', { image: { data: person } }, { origin, host: 'localhost:3000' });
  assertError(await enrol('null'), 403, 'VISAGE_ERR_FORBIDDEN');
  assert.equal(await server.gallery.findSubject('penny'), null, 'nothing enrolled');
  assertError(await server.app.inject({ method: 'POST', url: '/v1/subjects', headers: { origin: 'null' }, payload: { name: 'mallory' } }), 403, 'VISAGE_ERR_FORBIDDEN');
  // The server's own page (a loopback origin) still works.
  assert.equal((await enrol('http://localhost:3000')).statusCode, 201);
});

test('item 5: a name made only of digits is refused (digits are ids), by the library, the API and the CLI alike', { skip }, async () => {
  const { app, gallery, dir } = server;
  const alice = await gallery.addSubject('alice');
  const bob = await gallery.addSubject('bob');
  await assert.rejects(gallery.addSubject('1'), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(gallery.addSubject(' 007 '), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(gallery.renameSubject(bob.id, '42'), { code: 'VISAGE_ERR_BAD_INPUT' });
  assertError(await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: String(alice.id) } }), 400, 'VISAGE_ERR_BAD_INPUT');
  assertError(await post(app, `/v1/subjects/${bob.id + 1000}/faces?create=true`, { image: { data: group } }), 404, 'VISAGE_ERR_UNKNOWN_SUBJECT');
  // The CLI reads digits as an id, as the API's URLs do.
  const shown = await runCli(['subjects', 'show', String(bob.id), '--json', '--db', `${dir}/g.db`]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).subject.name, 'bob');
  const deleted = await app.inject({ method: 'DELETE', url: `/v1/subjects/${alice.id}` });
  assert.equal(deleted.statusCode, 200);
  assert.equal(deleted.json().deleted.name, 'alice');
  assert.ok(await gallery.findSubject('bob'));
  await gallery.deleteSubject(bob.id);
});

test('item 6: subject metadata is bounded (16 KB as JSON); a 30 MB body is refused before it is parsed', { skip }, async () => {
  const { app, gallery } = server;
  await assert.rejects(gallery.addSubject('big', { notes: 'x'.repeat(17 * 1024) }), { code: 'VISAGE_ERR_BAD_INPUT' });
  assertError(await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'big', metadata: { notes: 'x'.repeat(20 * 1024) } } }), 400, 'VISAGE_ERR_BAD_INPUT');
  const huge = JSON.stringify({ name: 'huge', metadata: { notes: 'x'.repeat(30 * MB) } });
  assertError(await app.inject({ method: 'POST', url: '/v1/subjects', payload: huge, headers: { 'content-type': 'application/json' } }), 413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
  assert.equal(await gallery.findSubject('big'), null);
  assert.equal(await gallery.findSubject('huge'), null);
  // Two subjects each under the bound whose merged metadata would pass it: the merge is refused, nothing changed.
  await gallery.addSubject('half a', { a: 'x'.repeat(9 * 1024) });
  await gallery.addSubject('half b', { b: 'x'.repeat(9 * 1024) });
  await assert.rejects(gallery.mergeSubjects('half a', 'half b'), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.ok(await gallery.findSubject('half a'));
  await gallery.deleteSubject('half a');
  await gallery.deleteSubject('half b');
  const fine = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'small', metadata: { employee: 1234, doors: ['a', 'b'] } } });
  assert.equal(fine.statusCode, 201, fine.body);
  const list = await app.inject({ url: '/v1/subjects' });
  assert.ok(list.body.length < 10_000, `GET /v1/subjects is ${list.body.length} bytes`);
  await gallery.deleteSubject('small');
});

test('item 7: 414, 431 and bad-URL refusals come in the API error shape', { skip }, async () => {
  const port = (server.app.server.address() as net.AddressInfo).port;
  assertError(await server.app.inject({ url: `/v1/subjects/${'x'.repeat(5000)}` }), 414, 'VISAGE_ERR_URI_TOO_LONG');
  assertError(await server.app.inject({ url: '/v1/subjects/%E0%A4%A' }), 400, 'VISAGE_ERR_BAD_INPUT');
  const headers = await rawExchange(port, (socket) => socket.write(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
  assert.equal(statusOf(headers.text), 431, headers.text.slice(0, 200));
  assert.equal(jsonOf(headers.text).error.code, 'VISAGE_ERR_HEADERS_TOO_LARGE');
  const url = await rawExchange(port, (socket) => socket.write(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
  assert.equal(jsonOf(url.text).error.code, 'VISAGE_ERR_HEADERS_TOO_LARGE');
  const broken = await rawExchange(port, (socket) => socket.write('GARBAGE\r\n\r\n'));
  assert.equal(statusOf(broken.text), 400);
  assert.equal(jsonOf(broken.text).error.code, 'VISAGE_ERR_BAD_INPUT');
});

test('item 7: a 503 busy is not logged as an error with a stack; a key in the query string never reaches the log', { skip }, async () => {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  const app: FastifyInstance = await buildApp({ visage: await testVisage(), gallery: server.gallery, openWithoutKeys: true, limits: { maxQueue: 1 }, logger: { level: 'info', stream } });
  try {
    const answers = await Promise.all(Array.from({ length: 6 }, () => app.inject({ method: 'POST', url: '/v1/recognise', payload: group, headers: { 'content-type': 'image/jpeg' } })));
    const statuses = answers.map((a) => a.statusCode);
    assert.ok(statuses.includes(503), `statuses ${statuses.join(',')}`);
    await app.inject({ url: '/v1/info?api_key=vsk_SECRETSECRET123&x=1' });
    await app.inject({ url: '/v1/subjects?token=hunter2&k=3' });
    const entries = lines.map((l) => JSON.parse(l) as { level: number; err?: { stack?: string } });
    assert.equal(entries.filter((e) => e.level >= 50).length, 0, 'no error-level lines');
    assert.ok(!lines.some((l) => l.includes('"stack"')), 'no stacks');
    assert.ok(!lines.some((l) => l.includes('SECRETSECRET123') || l.includes('hunter2')), 'no secrets');
    assert.ok(lines.some((l) => l.includes('api_key=[redacted]')), 'the request is still logged');
  } finally {
    await app.close();
  }
});

test('item 7: a long form field is not echoed back; the limits have maxima', { skip }, async () => {
  const person = await bbt('people', 'amy', 'amy1.png');
  const long = 'x'.repeat(100_000);
  const json = await server.app.inject({ method: 'POST', url: '/v1/recognise', payload: { image: person.toString('base64'), threshold: long } });
  const error = assertError(json, 400, 'VISAGE_ERR_BAD_INPUT');
  assert.ok(error.message.length < 300 && !error.message.includes('x'.repeat(100)), error.message.slice(0, 300));
  const form = await post(server.app, '/v1/recognise', { image: { data: person }, k: long });
  assert.ok([400, 413].includes(form.statusCode), String(form.statusCode));
  assert.ok(form.body.length < 600 && !form.body.includes('x'.repeat(100)), form.body.slice(0, 300));
  const query = await server.app.inject({ method: 'POST', url: `/v1/recognise?strategy=${'y'.repeat(3000)}`, payload: person, headers: { 'content-type': 'image/png' } });
  assert.ok(query.statusCode >= 400 && !query.body.includes('y'.repeat(100)), query.body.slice(0, 300));
  await assert.rejects(buildApp({ visage: await testVisage(), gallery: server.gallery, limits: { maxImageBytes: 10 * 1024 * MB } }), { code: 'VISAGE_ERR_BAD_OPTION' });
  await assert.rejects(buildApp({ visage: await testVisage(), gallery: server.gallery, limits: { maxQueue: 1e9 } }), { code: 'VISAGE_ERR_BAD_OPTION' });
  const cli = await runCli(['serve', '--max-upload-mb', '100000', '--port', '0', '--db', `${server.dir}/cli.db`]);
  assert.equal(cli.code, 2, cli.stderr);
  assert.match(cli.stderr, /--max-upload-mb .*at most 100/);
});

test('item 7: names are one spelling: composed and decomposed letters are the same person; bidi overrides are refused', { skip }, async () => {
  const { gallery, app } = server;
  const decomposed = 'Zoe\u0308';
  const composed = 'Zo\u00eb';
  const zoe = await gallery.addSubject(decomposed);
  assert.equal(zoe.name, composed, 'stored in NFC');
  await assert.rejects(gallery.addSubject(composed), { code: 'VISAGE_ERR_DUPLICATE_SUBJECT' });
  assert.equal((await gallery.findSubject(decomposed))?.id, zoe.id);
  assert.equal((await app.inject({ url: `/v1/subjects/${encodeURIComponent(decomposed)}` })).json().id, zoe.id);
  for (const name of ['evil\u202Etxt.exe', 'a\u200Bb', '\u2066alice\u2069']) {
    await assert.rejects(gallery.addSubject(name), { code: 'VISAGE_ERR_BAD_INPUT' }, JSON.stringify(name));
    assertError(await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name } }), 400, 'VISAGE_ERR_BAD_INPUT');
  }
  await gallery.deleteSubject(zoe.id);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

