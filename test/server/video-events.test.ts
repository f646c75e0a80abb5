// GET /v1/videos/{id}/events (Server-Sent Events) on a live source: ffmpeg plays hamilton_clip in
// real time as an MPEG-TS stream over loopback HTTP (test/video/live-source.ts), the stream is
// submitted as a URL job with a webhook, and the events are read over a real socket while it
// plays: track-start / track-end as they happen, then `done` with the job as GET /v1/videos/{id}
// shows it. The webhook receives the same events, and the result counts what it was sent. A
// client that connects after the end gets every event at once; Last-Event-ID skips those it has.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { startLiveHttpStream } from '../video/live-source.ts';
import { startRtspServer } from '../video/rtsp-server.ts';
import { startServer, testVisage, type TestServer } from './helpers.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LocalJobRunner } from '../../src/jobs/local.ts';
import { createRecognizer } from '../../src/recognition/recognizer.ts';
import type { JobEventLog } from '../../src/jobs/events.ts';

const skip = skipUnless('media', 'hamilton_clip.mp4');
let server: TestServer;
let base: string;

interface SseEvent { id: number | null; type: string; data: any; at: number; whileStreaming: boolean }

/** Reads an event stream to its end, each event with the second it came at. */
async function readEvents(url: string, headers: Record<string, string> = {}, playing: () => boolean = () => false): Promise<{ status: number; type: string | null; events: SseEvent[] }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  const events: SseEvent[] = [];
  if (!response.body) return { status: response.status, type: response.headers.get('content-type'), events };
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body) {
    text += decoder.decode(chunk, { stream: true });
    for (let n = text.indexOf('\n\n'); n >= 0; n = text.indexOf('\n\n')) {
      const block = text.slice(0, n);
      text = text.slice(n + 2);
      const fields = new Map(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as const));
      if (!fields.has('event')) continue;
      events.push({ id: fields.has('id') ? Number(fields.get('id')) : null, type: fields.get('event')!, data: JSON.parse(fields.get('data')!), at: (performance.now() - started) / 1000, whileStreaming: playing() });
    }
  }
  return { status: response.status, type: response.headers.get('content-type'), events };
}

before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true }); // nobody enrolled: every track is a stranger
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await server?.close();
});

test('a live stream as a URL job: its track events arrive over SSE while it plays, then done; the webhook gets the same; a late client gets them all', { skip, timeout: 180_000 }, async (t) => {
  const hooked: string[] = [];
  const hook: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => { hooked.push(JSON.parse(body).type); response.end('ok'); });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const stream = await startLiveHttpStream(dataset('media', 'hamilton_clip.mp4'), 10); // the whole clip
  try {
    const submitted = await fetch(`${base}/v1/videos`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: stream.url, fps: 2, webhook: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }),
    });
    assert.equal(submitted.status, 202, await submitted.clone().text());
    const job = await submitted.json() as { id: string; links: { events: string } };
    assert.equal(job.links.events, `/v1/videos/${job.id}/events`);

    const live = await readEvents(`${base}${job.links.events}`, {}, () => stream.playing());
    assert.equal(live.status, 200);
    assert.match(live.type ?? '', /^text\/event-stream/);
    const tracks = live.events.filter((e) => e.type === 'track-start' || e.type === 'track-end');
    const progress = live.events.filter((e) => e.type === 'progress');
    t.diagnostic(`SSE: ${tracks.map((e) => `${e.type} ${e.at.toFixed(1)} s${e.whileStreaming ? '' : ' (stream over)'}`).join(', ')}; ${progress.length} progress; last ${live.events.at(-1)?.type} at ${live.events.at(-1)?.at.toFixed(1)} s`);
    const starts = tracks.filter((e) => e.type === 'track-start');
    const ends = tracks.filter((e) => e.type === 'track-end');
    assert.ok(starts.length >= 1, `no track started: ${JSON.stringify(live.events.map((e) => e.type))}`);
    assert.ok(starts[0]!.whileStreaming, `the first track-start came only after the stream ended (at ${starts[0]!.at.toFixed(1)} s)`);
    assert.equal(ends.length, starts.length, 'every track that started ended');
    assert.ok(ends.every((e) => /^unknown-\d+$/.test(e.data.track.label)), 'no gallery: everyone is a stranger');
    // The same JSON as `visage video --events`: track-start with an id and a box; track-end with the track, no thumbnail.
    assert.deepEqual(Object.keys(starts[0]!.data).sort(), ['time', 'track', 'type']);
    assert.equal(typeof starts[0]!.data.track.box.width, 'number');
    assert.equal(ends[0]!.data.track.thumbnail, null);
    assert.deepEqual(tracks.map((e) => e.id), tracks.map((_, i) => i + 1), 'numbered 1, 2, 3, ... in order');
    const last = live.events.at(-1)!;
    assert.equal(last.type, 'done');
    assert.equal(last.data.id, job.id);
    assert.equal(last.data.state, 'completed');
    // A person re-identified after an absence is one track of the result with a segment per stay; each
    // stay's end is a track-end event under the person's (first) id.
    assert.equal(new Set(ends.map((e) => e.data.track.id)).size, last.data.result.tracks.length, 'the result holds the tracks the events ended');
    assert.equal(last.data.result.tracks.reduce((n: number, t: { segments: unknown[] }) => n + t.segments.length, 0), ends.length, 'a track-end per segment');
    assert.deepEqual(last.data.result.webhook, { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, posted: tracks.length, failed: 0, dropped: 0 });
    assert.deepEqual(hooked, tracks.map((e) => e.type), 'the webhook got each event, in order');

    // Late: every event kept, then done, at once; with Last-Event-ID only those after it.
    const late = await readEvents(`${base}${job.links.events}`);
    assert.deepEqual(late.events.map((e) => [e.id, e.type]), [...tracks.map((e) => [e.id, e.type]), [last.id, 'done']]);
    const resumed = await readEvents(`${base}${job.links.events}`, { 'last-event-id': '1' });
    assert.deepEqual(resumed.events.map((e) => e.id), late.events.slice(1).map((e) => e.id));
  } finally {
    await stream.close();
    await new Promise((resolve) => hook.close(resolve));
  }
});

test('events of an unknown job: 404; a webhook that is not http(s): 400', { skip, timeout: 60_000 }, async () => {
  const unknown = await server.app.inject({ url: '/v1/videos/3a9f6b79-cc86-4335-ab1b-e0a42a8ef120/events' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'VISAGE_ERR_UNKNOWN_JOB');
  const bad = await server.app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'rtsp://127.0.0.1:9/cam', webhook: 'ftp://example.invalid/x' } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error.message, /webhook must be an http\(s\) URL/);
});

test('an rtsp camera as a job (RTP over TCP from the test RTSP server): events while it plays, then done; a refused URL: failed', { skip, timeout: 180_000 }, async (t) => {
  const camera = await startRtspServer({ video: dataset('media', 'hamilton_clip.mp4'), seconds: 6 });
  try {
    const submitted = await server.app.inject({ method: 'POST', url: '/v1/videos', payload: { url: camera.url, fps: 2 } });
    assert.equal(submitted.statusCode, 202, submitted.body);
    const id = submitted.json().id;
    const live = await readEvents(`${base}/v1/videos/${id}/events`, {}, () => camera.playing());
    const tracks = live.events.filter((e) => e.type.startsWith('track-'));
    t.diagnostic(`rtsp job: ${tracks.map((e) => `${e.type} ${e.at.toFixed(1)} s${e.whileStreaming ? '' : ' (stream over)'}`).join(', ')}; requests ${camera.methods.join(', ')}`);
    assert.ok(tracks.some((e) => e.type === 'track-start' && e.whileStreaming), 'a track started while the camera played');
    assert.equal(live.events.at(-1)!.type, 'done');
    const ended = tracks.filter((e) => e.type === 'track-end');
    assert.equal(live.events.at(-1)!.data.result.tracks.length, new Set(ended.map((e) => e.data.track.id)).size);
    assert.equal(live.events.at(-1)!.data.result.tracks.reduce((n: number, t: { segments: unknown[] }) => n + t.segments.length, 0), ended.length);
  } finally {
    await camera.close();
  }
  // The camera's port, closed now: the job fails, and its stream ends with `failed` and the error.
  const refused = await server.app.inject({ method: 'POST', url: '/v1/videos', payload: { url: `rtsp://127.0.0.1:${camera.port}/cam` } });
  const failed = await readEvents(`${base}/v1/videos/${refused.json().id}/events`);
  assert.deepEqual(failed.events.map((e) => e.type), ['failed']);
  assert.equal(failed.events[0]!.data.error.code, 'VISAGE_ERR_VIDEO_DECODE');
  assert.match(failed.events[0]!.data.error.message, /Connection refused/);
});

test('many jobs in one server: a finished job\'s event log goes with the job once its clients have left (a runner keeping 2 of 6; the 4 dropped logs are garbage-collected)', { skip, timeout: 180_000 }, async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const recognizer = await createRecognizer({ gallery: server.gallery, visage: await testVisage() });
  const runner = new LocalJobRunner({ gallery: server.gallery, recognizer, keep: 2 });
  const logs: WeakRef<JobEventLog>[] = [];
  const ids: string[] = [];
  let last: string[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      // One second of Lin-Manuel Miranda on stage: a track starts and ends.
      const job = runner.submitVideo({ file: dataset('media', 'hamilton_clip.mp4'), name: `clip-${i}.mp4` }, { fps: 2, from: 5.5, to: 6.5 });
      ids.push(job.id);
      const log = runner.events(job.id)!;
      logs.push(new WeakRef(log));
      // A client follows the job, as GET /v1/videos/{id}/events does, and leaves at its end.
      const seen: string[] = [];
      const { unsubscribe } = log.subscribe(0, (event) => { if (event.type !== 'progress') seen.push(event.type); });
      await runner.waitFor(job.id, { timeoutMs: 120_000, intervalMs: 50 });
      unsubscribe();
      const starts = seen.filter((type) => type === 'track-start').length;
      assert.ok(starts >= 1 && seen.filter((type) => type === 'track-end').length === starts && seen.at(-1) === 'done', `job ${i}: ${seen.join(', ')}`);
      last = seen;
    }
    assert.deepEqual(ids.map((id) => runner.has(id)), [false, false, false, false, true, true]);
    // A late client of a kept job still gets every event.
    assert.deepEqual(runner.events(ids[5]!)!.subscribe(0, () => undefined).backlog.map((e) => e.type), last);
    for (let round = 0; round < 3 && logs.slice(0, 4).some((ref) => ref.deref()); round++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gc();
    }
    assert.deepEqual(logs.map((ref) => ref.deref() !== undefined), [false, false, false, false, true, true], 'the dropped jobs\' logs are freed, the kept ones are not');
  } finally {
    await runner.close();
    await recognizer.close();
  }
});
