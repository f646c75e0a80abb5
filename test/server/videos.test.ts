// POST /v1/videos end to end through inject(), on a real video: 2.1 s of media/hamilton_clip.mp4
// (5.5-7.6 s, Lin-Manuel Miranda singing) cut by ffmpeg, against a gallery where he is enrolled
// from three other frames of the clip (3.8, 4.4 and 5.0 s). In process on a SQLite gallery:
// upload, job, progress, done, the track named, its thumbnail, the CSV and the HTML summary;
// bad input (not a video, no file, a still image, too large, a bad URL, bad options); cancel;
// keys and scopes. On PostgreSQL with a `visage worker` process: the same POST runs on the queue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { openGallery } from '../../src/public/gallery.ts';
import { buildApp } from '../../src/server/index.ts';
import { openJobQueue } from '../../src/jobs/queue.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../helpers/cli.ts';
import { jobDatabase, spawnWorker } from '../helpers/workers.ts';
import { greyJpeg, post, startServer, testVisage, type TestServer } from './helpers.ts';

const run = promisify(execFile);
const ffmpeg = process.env.VISAGE_FFMPEG || 'ffmpeg';
const skip = skipUnless('media', 'hamilton_clip.mp4');
const LIN = 'Lin-Manuel Miranda';
let temp: Awaited<ReturnType<typeof tempDir>>;
let clip: Buffer;
let longer: Buffer;
let frames: Buffer[];
let server: TestServer;

async function enrolLin(app: FastifyInstance, headers: Record<string, string> = {}): Promise<void> {
  for (const [i, frame] of frames.entries()) {
    const res = await post(app, `/v1/subjects/${encodeURIComponent(LIN)}/faces?create=true&largest=true`, { image: { data: frame, filename: `lin-${i}.jpg` } }, headers);
    assert.equal(res.statusCode, 201, res.body);
  }
}

/** Polls GET /v1/videos/{id} until the job is final (and its item too), keeping the progress seen. */
async function waitForVideo(app: FastifyInstance, id: string, seen: unknown[] = [], timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ url: `/v1/videos/${id}` });
    assert.equal(res.statusCode, 200, res.body);
    const job = res.json();
    if (job.progress) seen.push(job.progress);
    if ((job.state === 'completed' || job.state === 'cancelled') && (job.result || job.error)) return job;
    assert.ok(Date.now() < deadline, `video job ${id} not done in ${timeoutMs} ms: ${res.body}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  temp = await tempDir('visage-videos-');
  if (skip) return;
  const source = dataset('media', 'hamilton_clip.mp4');
  frames = [];
  for (const t of ['3.8', '4.4', '5.0']) {
    const out = path.join(temp.dir, `lin-${t}.jpg`);
    await run(ffmpeg, ['-loglevel', 'error', '-y', '-ss', t, '-i', source, '-frames:v', '1', out]);
    frames.push(await readFile(out));
  }
  const cut = path.join(temp.dir, 'lin.mp4');
  await run(ffmpeg, ['-loglevel', 'error', '-y', '-ss', '5.5', '-i', source, '-t', '2.1', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', cut]);
  clip = await readFile(cut);
  const cut2 = path.join(temp.dir, 'longer.mp4');
  await run(ffmpeg, ['-loglevel', 'error', '-y', '-ss', '3.5', '-i', source, '-t', '6', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', cut2]);
  longer = await readFile(cut2);
  server = await startServer({ openWithoutKeys: true });
  await enrolLin(server.app);
});

after(async () => {
  await server?.close();
  await temp.remove();
});

test('upload -> job -> progress -> done in process: the track is named, with its thumbnail, the CSV and the HTML summary; /v1/jobs shows the same job', { skip, timeout: 180_000 }, async () => {
  const { app } = server;
  const res = await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, fps: '3' });
  assert.equal(res.statusCode, 202, res.body);
  const created = res.json();
  assert.equal(res.headers.location, `/v1/videos/${created.id}`);
  assert.equal(created.kind, 'video');
  assert.ok(['queued', 'running'].includes(created.state), created.state);
  assert.equal(created.source, 'lin.mp4');
  assert.deepEqual(created.options, { fps: 3 });
  const seen: { seconds: number; duration: number; frames: number }[] = [];
  const job = await waitForVideo(app, created.id, seen);
  assert.equal(job.state, 'completed');
  assert.equal(job.error, null);
  assert.ok(Math.abs(job.progress.duration - 2.1) < 0.15, `duration ${job.progress.duration}`);
  assert.equal(job.progress.percent, 100);
  assert.ok(job.progress.frames >= 6 && job.progress.frames <= 7, `frames ${job.progress.frames}`);
  const result = job.result;
  assert.equal(result.source, 'lin.mp4');
  assert.equal(result.video.source, 'lin.mp4', 'the server\'s temporary path is not shown');
  assert.equal(result.frames, job.progress.frames);
  const named = result.tracks.filter((t: { subject: string | null }) => t.subject === LIN);
  assert.equal(named.length, 1, JSON.stringify(result.tracks.map((t: { label: string; frames: number }) => [t.label, t.frames])));
  for (const track of result.tracks) {
    for (const key of ['id', 'subject', 'label', 'start', 'end', 'frames', 'confidence']) assert.ok(key in track, key);
    assert.equal('boxes' in track, false);
  }
  const lin = named[0];
  assert.equal(lin.label, LIN);
  assert.ok(lin.frames >= 5, `frames ${lin.frames}`);
  assert.ok(lin.confidence > 0.5);
  assert.equal(lin.thumbnail, `/v1/videos/${job.id}/thumbs/track-${lin.id}.jpg`);
  const thumb = await app.inject({ url: lin.thumbnail });
  assert.equal(thumb.statusCode, 200);
  assert.equal(thumb.headers['content-type'], 'image/jpeg');
  assert.deepEqual([...thumb.rawPayload.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  assert.equal((await app.inject({ url: `/v1/videos/${job.id}/thumbs/track-999.jpg` })).statusCode, 404);
  assert.equal((await app.inject({ url: `/v1/videos/${job.id}/thumbs/..%2Fx.jpg` })).statusCode, 404);
  const csv = await app.inject({ url: `/v1/videos/${job.id}/timeline.csv` });
  assert.equal(csv.statusCode, 200);
  assert.match(csv.body, /^track,segment,person,known,first_seen_s,last_seen_s,frames,confidence,similarity,thumbnail\n/);
  assert.match(csv.body, new RegExp(`\\n${lin.id},1,${LIN},yes,`));
  const html = await app.inject({ url: `/v1/videos/${job.id}/summary.html` });
  assert.equal(html.statusCode, 200);
  assert.match(html.headers['content-type'] as string, /text\/html/);
  assert.match(html.body, /Who appears when/);
  // Thumbnails inside the page (a browser's <img> requests carry no API key): the track's JPEG itself.
  assert.ok(html.body.includes(`src="data:image/jpeg;base64,${thumb.rawPayload.toString('base64')}"`), 'the summary holds the track\'s thumbnail');
  assert.match(html.headers['content-security-policy'] as string, /img-src data:/);
  // The same job through /v1/jobs: the generic record with the video's view.
  const generic = (await app.inject({ url: `/v1/jobs/${job.id}?items=all` })).json();
  assert.equal(generic.kind, 'video');
  assert.equal(generic.state, 'completed');
  assert.deepEqual([generic.progress.total, generic.progress.added], [1, 1]);
  assert.equal(generic.items[0].item, 'lin.mp4');
  assert.equal(generic.video.result.tracks.length, result.tracks.length);
  const listed = (await app.inject({ url: '/v1/jobs' })).json().jobs;
  assert.ok(listed.some((j: { id: string }) => j.id === job.id));
  const videos = (await app.inject({ url: '/v1/videos' })).json().videos;
  assert.equal(videos[0].id, job.id);
  assert.equal(videos[0].tracks, result.tracks.length);
  // Enrol and reindex jobs still need the PostgreSQL queue.
  const reindex = await app.inject({ method: 'POST', url: '/v1/jobs/reindex', payload: {} });
  assert.equal(reindex.statusCode, 400);
  assert.equal(reindex.json().error.code, 'VISAGE_ERR_JOBS_NEED_POSTGRES');
});

test('bad input is refused at once with a clear 4xx: not a video, a still image, no file, an empty file, a bad URL, bad options, too large; unknown jobs 404', { skip, timeout: 60_000 }, async () => {
  const { app } = server;
  const jpeg = await greyJpeg(64, 64);
  const cases: [string, Awaited<ReturnType<typeof app.inject>>, number, string, RegExp][] = [
    ['text as a video', await post(app, '/v1/videos', { video: { data: Buffer.from('hello, this is not a video at all\n'.repeat(50)), filename: 'notes.mp4' } }), 400, 'VISAGE_ERR_VIDEO_DECODE', /notes\.mp4 could not be read as a video/],
    ['a still image', await post(app, '/v1/videos', { video: { data: jpeg, filename: 'grey.jpg' } }), 400, 'VISAGE_ERR_VIDEO_DECODE', /^grey\.jpg is a still image, not a video \(POST \/v1\/recognise reads images\)$/],
    ['no file', await post(app, '/v1/videos', { fps: '2' }), 400, 'VISAGE_ERR_BAD_INPUT', /no video/],
    ['an empty file', await post(app, '/v1/videos', { video: { data: Buffer.alloc(0), filename: 'empty.mp4' } }), 400, 'VISAGE_ERR_BAD_INPUT', /empty/],
    ['another field name', await post(app, '/v1/videos', { file: { data: clip, filename: 'lin.mp4' } }), 400, 'VISAGE_ERR_BAD_INPUT', /"video"/],
    ['a bad fps', await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, fps: 'fast' }), 400, 'VISAGE_ERR_BAD_INPUT', /fps must be a number/],
    ['to before from', await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, from: '2', to: '1' }), 400, 'VISAGE_ERR_BAD_INPUT', /must come after/],
    ['an unknown option', await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'https://example.invalid/v.mp4', speed: 2 } }), 400, 'VISAGE_ERR_BAD_INPUT', /unknown video option "speed" \(known: url, fps/],
    ['a file: URL', await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'file:///etc/passwd' } }), 400, 'VISAGE_ERR_BAD_INPUT', /http\(s\):\/\/ or rtsp/],
    ['not a URL', await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'camera one' } }), 400, 'VISAGE_ERR_BAD_INPUT', /not a URL/],
    ['a stream longer than a job', await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'rtsp://camera.invalid/live', from: 0, to: 7200 } }), 400, 'VISAGE_ERR_BAD_INPUT', /at most 3600 s/],
    ['a negative minSize', await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, minSize: '-1' }), 400, 'VISAGE_ERR_BAD_INPUT', /^minSize must be a number from 0 to 100000, got -1$/],
    ['minFrontalness over 1', await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'https://example.invalid/v.mp4', minFrontalness: 1.5 } }), 400, 'VISAGE_ERR_BAD_INPUT', /^minFrontalness must be a number from 0 to 1, got 1\.5$/],
    ['maxEyesClosed as text', await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, maxEyesClosed: 'closed' }), 400, 'VISAGE_ERR_BAD_INPUT', /^maxEyesClosed must be a number, got "closed"$/],
    ['reidentify not a switch', await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, reidentify: 'maybe' }), 400, 'VISAGE_ERR_BAD_INPUT', /^reidentify must be true or false, got "maybe"$/],
    ['reidentify as a number in JSON', await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'https://example.invalid/v.mp4', reidentify: 2 } }), 400, 'VISAGE_ERR_BAD_INPUT', /^reidentify must be true or false, got "2"$/],
    ['reidSimilarity over 1', await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, reidSimilarity: '2' }), 400, 'VISAGE_ERR_BAD_INPUT', /^reidSimilarity must be a number from -1 to 1, got 2$/],
    ['no gate with limits', await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, qualityGate: 'false', minSize: '48' }), 400, 'VISAGE_ERR_BAD_INPUT', /^qualityGate false cannot be given with quality limits \(minSize\)$/],
    ['unknown job', await app.inject({ url: '/v1/videos/00000000-0000-4000-8000-000000000000' }), 404, 'VISAGE_ERR_UNKNOWN_JOB', /no video job/],
    ['not a job id', await app.inject({ url: '/v1/videos/nope' }), 404, 'VISAGE_ERR_UNKNOWN_JOB', /no video job/],
  ];
  for (const [what, res, status, code, message] of cases) {
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    assert.equal(res.json().error.code, code, what);
    assert.match(res.json().error.message, message, what);
  }
  // Too large: refused by its Content-Length before it is read, and while streaming when it has none.
  const small = await startServer({ openWithoutKeys: true, videos: { maxBytes: 100_000 } });
  try {
    const big = await post(small.app, '/v1/videos', { video: { data: longer, filename: 'long.mp4' } });
    assert.equal(big.statusCode, 413, big.body);
    assert.equal(big.json().error.code, 'VISAGE_ERR_PAYLOAD_TOO_LARGE');
    const raw = await small.app.inject({ method: 'POST', url: '/v1/videos', payload: longer, headers: { 'content-type': 'video/mp4', 'transfer-encoding': 'chunked' } });
    assert.equal(raw.statusCode, 413, raw.body);
    // No room: one video runs, one waits (maxQueued 1), the next is refused before its body is read.
    const busy = await startServer({ openWithoutKeys: true, videos: { maxQueued: 1 } });
    try {
      assert.equal((await post(busy.app, '/v1/videos', { video: { data: longer, filename: 'a.mp4' } })).json().state, 'running');
      assert.equal((await post(busy.app, '/v1/videos', { video: { data: clip, filename: 'b.mp4' } })).json().state, 'queued');
      const third = await post(busy.app, '/v1/videos', { video: { data: clip, filename: 'c.mp4' } });
      assert.equal(third.statusCode, 503, third.body);
      assert.equal(third.json().error.code, 'VISAGE_ERR_BUSY');
    } finally {
      await busy.close();
    }
    const short = await startServer({ openWithoutKeys: true, videos: { maxSeconds: 3 } });
    try {
      const long = await post(short.app, '/v1/videos', { video: { data: longer, filename: 'long.mp4' } });
      assert.equal(long.statusCode, 400, long.body);
      assert.match(long.json().error.message, /runs 6\.0 s: at most 3 s per job/);
    } finally {
      await short.close();
    }
  } finally {
    await small.close();
  }
});

test('the video as the request body (Content-Type video/mp4) with options in the query; cancel stops a video under way and keeps what it saw; a queued one is cancelled before it starts', { skip, timeout: 180_000 }, async () => {
  const { app } = server;
  // Every frame (about 180): a cancel is noticed at the next progress write (about a second), and
  // at 5 fps the 6 s video could end before that.
  const first = await app.inject({ method: 'POST', url: '/v1/videos?fps=all', payload: longer, headers: { 'content-type': 'video/mp4', 'x-file-name': 'longer.mp4' } });
  assert.equal(first.statusCode, 202, first.body);
  // One video at a time: the second waits.
  const second = await post(app, '/v1/videos', { video: { data: clip, filename: 'second.mp4' } });
  assert.equal(second.statusCode, 202, second.body);
  assert.equal(second.json().state, 'queued');
  // Cancelled while queued: it never runs.
  const cancelledQueued = await app.inject({ method: 'DELETE', url: `/v1/videos/${second.json().id}` });
  assert.equal(cancelledQueued.statusCode, 200);
  assert.equal(cancelledQueued.json().state, 'cancelled');
  // The first is cancelled once it has analysed some frames.
  const id = first.json().id;
  for (;;) {
    const job = (await app.inject({ url: `/v1/videos/${id}` })).json();
    if (job.progress?.frames >= 3) break;
    assert.equal(job.state === 'completed', false, 'the 6 s video finished before it could be cancelled');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const cancelled = await app.inject({ method: 'POST', url: `/v1/videos/${id}/cancel` });
  assert.equal(cancelled.statusCode, 200);
  assert.equal(cancelled.json().state, 'cancelled');
  const job = await waitForVideo(app, id);
  assert.equal(job.state, 'cancelled');
  assert.equal(job.result.stopped, true);
  assert.ok(job.progress.seconds < 6, `stopped at ${job.progress.seconds} s of 6`);
  assert.equal(job.source, 'longer.mp4');
  const queuedJob = (await app.inject({ url: `/v1/jobs/${second.json().id}?items=all` })).json();
  assert.equal(queuedJob.items[0].state, 'cancelled');
  assert.equal(queuedJob.video.result, null);
  // A job cancelled (or done) is left as it is.
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/videos/${id}` })).json().state, 'cancelled');
});

test('the options of visage video: reidentify false keeps Lin-Manuel Miranda\'s two stays as two tracks; qualityGate false lets every face vote; limits change what is refused', { skip, timeout: 240_000 }, async () => {
  const { app } = server;
  const whole = await readFile(dataset('media', 'hamilton_clip.mp4'));
  type Track = { id: number; label: string; subject: string | null; segments: unknown[]; facesRefused: number; embedded: number; refusalReasons: Record<string, number> };
  const runJob = async (fields: Record<string, string>, query = '') => {
    const res = query
      ? await app.inject({ method: 'POST', url: `/v1/videos?${query}`, payload: whole, headers: { 'content-type': 'video/mp4', 'x-file-name': 'hamilton.mp4' } })
      : await post(app, '/v1/videos', { video: { data: whole, filename: 'hamilton.mp4' }, ...fields });
    assert.equal(res.statusCode, 202, res.body);
    const job = await waitForVideo(app, res.json().id);
    assert.equal(job.error, null, JSON.stringify(job.error));
    return job as { options: Record<string, unknown>; result: { tracks: Track[]; settings: Record<string, unknown>; faces: Record<string, number> } };
  };
  const lin = (tracks: Track[]) => tracks.filter((t) => t.subject === LIN);
  const refused = (tracks: Track[]) => tracks.reduce((n, t) => n + t.facesRefused, 0);
  const plain = await runJob({});
  // Lin is on stage in the wide shot (0-1.4 s) and in the close-up (3.6-7.6 s): one track, two segments.
  assert.deepEqual(lin(plain.result.tracks).map((t) => t.segments.length), [2], JSON.stringify(plain.result.tracks.map((t) => [t.label, t.segments.length])));
  assert.equal(plain.result.settings.reidentify, true);
  assert.ok(refused(plain.result.tracks) > 0, 'the default gate refuses some of hamilton\'s small, dark faces');

  const apart = await runJob({ reidentify: 'false' });
  assert.deepEqual(apart.options, { reidentify: false });
  assert.equal(apart.result.settings.reidentify, false);
  assert.ok(apart.result.tracks.every((t) => t.segments.length === 1), 'every stay its own track');
  // The tracker is the same either way: each segment of the joined tracks is a track of its own now.
  assert.equal(apart.result.tracks.length, plain.result.tracks.reduce((n, t) => n + t.segments.length, 0));
  assert.ok(apart.result.tracks.length > plain.result.tracks.length, `${apart.result.tracks.length} tracks against ${plain.result.tracks.length}`);

  // In the query, as the body is the video: no gate, every face votes.
  const open = await runJob({}, 'qualityGate=false');
  assert.deepEqual(open.options, { qualityGate: false });
  assert.equal(open.result.settings.quality, false);
  assert.equal(refused(open.result.tracks), 0);
  assert.equal(open.result.faces.refused, 0);

  // A stricter size limit than the default 32 px: more faces refused, each counted as small.
  const strict = await runJob({ minSize: '64', minSharpness: '5' });
  assert.deepEqual(strict.options, { minSize: 64, minSharpness: 5 });
  assert.equal((strict.result.settings.quality as { minSize: number }).minSize, 64);
  assert.ok(refused(strict.result.tracks) > refused(plain.result.tracks), `${refused(strict.result.tracks)} refused at 64 px against ${refused(plain.result.tracks)} at 32 px`);
  assert.ok(strict.result.tracks.some((t) => (t.refusalReasons.small ?? 0) > 0));
});

test('a video by URL: one served over http is analysed; one whose server refuses the connection fails its job with the source\'s error', { skip, timeout: 120_000 }, async () => {
  const { app } = server;
  const http = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': clip.length });
    response.end(clip);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  try {
    const served = await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: `http://user:secret@127.0.0.1:${port}/lin.mp4`, fps: 2 } });
    assert.equal(served.statusCode, 202, served.body);
    assert.equal(served.json().source, `http://127.0.0.1:${port}/lin.mp4`, 'credentials never shown');
    const done = await waitForVideo(app, served.json().id);
    assert.equal(done.error, null);
    assert.deepEqual(done.result.tracks.filter((t: { subject: string | null }) => t.subject).map((t: { label: string }) => t.label), [LIN]);
    assert.equal(done.result.video.source, `http://127.0.0.1:${port}/lin.mp4`);
  } finally {
    await new Promise((resolve) => http.close(resolve));
  }
  // The same port, closed now: connection refused.
  const refused = await app.inject({ method: 'POST', url: '/v1/videos', payload: { url: `http://user:secret@127.0.0.1:${port}/lin.mp4` } });
  assert.equal(refused.statusCode, 202, refused.body);
  const failed = await waitForVideo(app, refused.json().id);
  assert.equal(failed.state, 'completed');
  assert.equal(failed.result, null);
  assert.equal(failed.error.code, 'VISAGE_ERR_VIDEO_DECODE');
  assert.match(failed.error.message, /could not be read as a video: .*(refused|Connection)/i);
  assert.doesNotMatch(JSON.stringify(failed), /secret/);
});

test('keys: an upload needs a recognise key, a URL an admin key; a recognise key sees and cancels its own jobs only', { skip, timeout: 60_000 }, async () => {
  const keyed = await startServer();
  try {
    const admin = (await keyed.store.createKey('admin', 'admin')).key;
    const alice = (await keyed.store.createKey('recognise', 'alice')).key;
    const bob = (await keyed.store.createKey('recognise', 'bob')).key;
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    assert.equal((await post(keyed.app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' } })).statusCode, 401);
    const byUrl = await keyed.app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'rtsp://camera.invalid/live' }, headers: as(alice) });
    assert.equal(byUrl.statusCode, 403);
    assert.match(byUrl.json().error.message, /needs an admin key/);
    const mine = await post(keyed.app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, fps: '1' }, as(alice));
    assert.equal(mine.statusCode, 202, mine.body);
    const id = mine.json().id;
    assert.equal((await keyed.app.inject({ url: '/v1/videos', headers: as(bob) })).json().videos.length, 0);
    assert.equal((await keyed.app.inject({ url: '/v1/videos', headers: as(alice) })).json().videos.length, 1);
    const theirs = await keyed.app.inject({ method: 'DELETE', url: `/v1/videos/${id}`, headers: as(bob) });
    assert.equal(theirs.statusCode, 403);
    assert.equal((await keyed.app.inject({ url: `/v1/videos/${id}`, headers: as(bob) })).statusCode, 200);
    assert.equal((await keyed.app.inject({ method: 'DELETE', url: `/v1/videos/${id}`, headers: as(admin) })).statusCode, 200);
    // Its events: the rules of GET /v1/videos/{id} (a recognise key); cancelled, so the stream ends with that.
    assert.equal((await keyed.app.inject({ url: `/v1/videos/${id}/events` })).statusCode, 401);
    const events = await keyed.app.inject({ url: `/v1/videos/${id}/events`, headers: as(bob) });
    assert.equal(events.statusCode, 200);
    assert.match(String(events.headers['content-type']), /^text\/event-stream/);
    assert.match(events.body, /event: cancelled\ndata: \{"id":"[^"]+","kind":"video","state":"cancelled"/);
    // A webhook, like a URL, makes the server connect somewhere: admin keys only.
    const hooked = await keyed.app.inject({ method: 'POST', url: '/v1/videos', payload: { url: 'rtsp://camera.invalid/live', webhook: 'http://127.0.0.1:9/hook' }, headers: as(alice) });
    assert.equal(hooked.statusCode, 403);
    const hookedUpload = await post(keyed.app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, webhook: 'http://127.0.0.1:9/hook' }, as(alice));
    assert.equal(hookedUpload.statusCode, 403);
    assert.match(hookedUpload.json().error.message, /webhook needs an admin key/);
  } finally {
    await keyed.close();
  }
});

const db = jobDatabase();

test('PostgreSQL with a visage worker process: the same POST runs on the queue; the result, thumbnail and CSV come from the job tables; cancel stops the worker\'s video', { skip: skip || db.skip, timeout: 300_000 }, async () => {
  const url = db.url();
  const visage = await testVisage();
  const gallery = await openGallery(url);
  const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  const app = await buildApp({ visage, gallery, openWithoutKeys: true, jobs: queue });
  const worker = spawnWorker(url, ['--quiet']);
  try {
    await enrolLin(app);
    const res = await post(app, '/v1/videos', { video: { data: clip, filename: 'lin.mp4' }, fps: '3' });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().id;
    assert.equal(res.json().state, 'queued');
    await worker.ready;
    const job = await waitForVideo(app, id, [], 240_000);
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    const lin = job.result.tracks.filter((t: { subject: string | null }) => t.subject === LIN);
    assert.equal(lin.length, 1, JSON.stringify(job.result.tracks.map((t: { label: string }) => t.label)));
    const thumb = await app.inject({ url: lin[0].thumbnail });
    assert.equal(thumb.statusCode, 200);
    assert.deepEqual([...thumb.rawPayload.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.match((await app.inject({ url: `/v1/videos/${id}/timeline.csv` })).body, new RegExp(`,${LIN},yes,`));
    // Its events from another process: no track events here, the final one with the result.
    const events = await app.inject({ url: `/v1/videos/${id}/events` });
    assert.equal(events.statusCode, 200);
    assert.match(events.body, /track events do not reach this server/);
    assert.doesNotMatch(events.body, /event: track-/);
    const final = /event: done\ndata: (.*)\n\n$/.exec(events.body);
    assert.ok(final, events.body.slice(-300));
    assert.equal(JSON.parse(final[1]!).result.tracks.length, job.result.tracks.length);
    // In the job tables: the upload's bytes dropped once done, the job listed with the others.
    const generic = (await app.inject({ url: `/v1/jobs/${id}` })).json();
    assert.equal(generic.kind, 'video');
    assert.equal(generic.progress.added, 1);
    // Not a video: refused before anything is queued.
    const bad = await post(app, '/v1/videos', { video: { data: Buffer.from('not a video'.repeat(100)), filename: 'bad.mp4' } });
    assert.equal(bad.statusCode, 400);
    assert.equal((await queue.list({ kinds: ['video'] })).length, 1);
    // Cancelled while the worker runs it: the worker learns it from its next progress write and
    // stops, keeping what it saw.
    // Every frame (about 180), so that the video cannot end within the second a worker may take to
    // notice the cancel, even on an idle machine (at 5 fps it sometimes did, under load).
    const long = await post(app, '/v1/videos', { video: { data: longer, filename: 'longer.mp4' }, fps: 'all' });
    assert.equal(long.statusCode, 202, long.body);
    const longId = long.json().id;
    for (;;) {
      const running = (await app.inject({ url: `/v1/videos/${longId}` })).json();
      if (running.progress?.frames >= 2) break;
      assert.notEqual(running.state, 'completed', 'the 6 s video finished before it could be cancelled');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await app.inject({ method: 'POST', url: `/v1/videos/${longId}/cancel` })).json().state, 'cancelled');
    const stopped = await waitForVideo(app, longId, [], 60_000);
    assert.equal(stopped.state, 'cancelled');
    assert.equal(stopped.result.stopped, true);
    assert.ok(stopped.progress.seconds < 6, `stopped at ${stopped.progress.seconds} s of 6`);
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await app.close();
    await queue.close();
    await gallery.close();
    await db.cleanup();
  }
});
