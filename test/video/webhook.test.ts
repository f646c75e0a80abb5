// WebhookPoster: events POSTed in order, failures and timeouts counted, a bounded queue, a bounded wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookPoster } from '../../src/video/webhook.ts';

async function receiver(answer: (body: { n: number }, response: ServerResponse, request: IncomingMessage) => void) {
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => { text += chunk; });
    request.on('end', () => answer(JSON.parse(text), response, request));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => { server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)); } };
}

test('in order, one at a time; an error status and a refused connection are failures, not exceptions', async () => {
  const got: number[] = [];
  let open = 0, most = 0;
  const hook = await receiver((body, response, request) => {
    open++; most = Math.max(most, open);
    assert.equal(request.headers['content-type'], 'application/json');
    got.push(body.n);
    setTimeout(() => { open--; response.statusCode = body.n === 3 ? 500 : 200; response.end(); }, 5);
  });
  try {
    const poster = new WebhookPoster(hook.url);
    for (let n = 1; n <= 6; n++) poster.post({ n });
    assert.deepEqual(await poster.settle(), { posted: 5, failed: 1, dropped: 0 });
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6]);
    assert.equal(most, 1, 'one POST at a time');
  } finally {
    await hook.close();
  }
  const refused = new WebhookPoster(hook.url); // closed now
  refused.post({ n: 1 });
  assert.deepEqual(await refused.settle(), { posted: 0, failed: 1, dropped: 0 });
  assert.throws(() => new WebhookPoster('ftp://example.invalid/'), /http\(s\) URL/);
});

test('a receiver that never answers: each POST times out, past maxPending events are dropped, settle() gives up in time', async () => {
  const hook = await receiver(() => undefined); // never answers
  try {
    const poster = new WebhookPoster(hook.url, { timeoutMs: 200, maxPending: 3 });
    for (let n = 1; n <= 5; n++) poster.post({ n });
    assert.equal(poster.dropped, 2);
    const started = performance.now();
    const counts = await poster.settle(450);
    const waited = performance.now() - started;
    assert.ok(waited < 2000, `settle waited ${waited.toFixed(0)} ms`);
    // Two time out within 450 ms; the third is still waiting and is dropped.
    assert.equal(counts.posted, 0);
    assert.equal(counts.failed + counts.dropped, 5);
    assert.ok(counts.failed >= 1, JSON.stringify(counts));
  } finally {
    await hook.close();
  }
});
