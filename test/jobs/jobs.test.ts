// Batch jobs on real PostgreSQL with real photos (bbt/people: 8 people, 5 crops each): a job done
// by a `visage worker` process, progress and per-item outcomes (a corrupt file, an image without a
// face), a worker killed with kill -9 mid-job and another one finishing it with every face stored
// exactly once, cancelling, and the /v1/jobs routes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openJobQueue, startWorker, enrolmentImages, type JobQueue } from '../../src/public/jobs.ts';
import { openGallery, openSqliteGallery } from '../../src/public/gallery.ts';
import { buildApp } from '../../src/server/index.ts';
import { createVisage, type Visage } from '../../src/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { jobDatabase, spawnWorker } from '../helpers/workers.ts';
import { post } from '../server/helpers.ts';

const db = jobDatabase();
const skip = db.skip || skipUnless('bbt', 'people');
const PEOPLE = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];
/** The ResNet alone: the tests are about the queue, not the embedder. */
const FAST = ['--preset', 'fast'];
let dir: string;
/** bbt/people copied: 40 images, 5 per person. */
let people: string;
/** The same plus bob/blank.png (no face) and bob/corrupt.jpg (not an image). */
let mixed: string;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(tmpdir(), 'visage-jobs-'));
  people = path.join(dir, 'people');
  mixed = path.join(dir, 'mixed');
  await cp(dataset('bbt', 'people'), people, { recursive: true });
  await cp(people, mixed, { recursive: true });
  await mkdir(path.join(mixed, 'bob'));
  await sharp({ create: { width: 240, height: 240, channels: 3, background: '#8a8a8a' } }).png().toFile(path.join(mixed, 'bob', 'blank.png'));
  await writeFile(path.join(mixed, 'bob', 'corrupt.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]));
});

after(async () => {
  if (skip) return;
  await db.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function galleryFaces(url: string) {
  const gallery = await openGallery(url, { create: false });
  try {
    return await gallery.listFaces();
  } finally {
    await gallery.close();
  }
}

test('a job done by a worker process: progress while it runs, then 40 faces added, the blank image skipped (no-face), the corrupt file failed (decode)', { skip, timeout: 300_000 }, async () => {
  const url = db.url();
  const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  try {
    const { images, unnamed } = await enrolmentImages([mixed]);
    assert.equal(images.length, 42);
    assert.deepEqual(unnamed, []);
    const job = await queue.submitEnrolment(images, { chunkSize: 4 });
    assert.equal(job.state, 'queued');
    assert.equal(job.progress.total, 42);
    assert.equal(job.progress.pending, 42);
    const worker = spawnWorker(url, [...FAST, '--quiet']);
    await worker.ready;
    const seen: number[] = [];
    const done = await queue.waitFor(job.id, { timeoutMs: 240_000, intervalMs: 250, onProgress: (j) => seen.push(j.progress.percent) });
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.stderr());
    assert.match(worker.stderr(), /SIGTERM, finishing the chunks under way/);
    assert.ok(seen.some((p) => p > 0 && p < 100), `progress seen between 0 and 100: ${seen.join(' ')}`);
    assert.equal(done.state, 'completed');
    assert.deepEqual([done.progress.added, done.progress.skipped, done.progress.failed, done.progress.pending, done.progress.working], [40, 1, 1, 0, 0]);
    assert.equal(done.progress.percent, 100);
    assert.ok(done.progress.itemsPerSecond! > 0);
    assert.deepEqual(done.result, { faceIds: 40, reasons: { VISAGE_ERR_IMAGE_DECODE: 1, 'no-face': 1 } });
    // The items that failed or were skipped, with their reasons.
    const errors = await queue.get(job.id, { states: ['failed', 'skipped'] });
    const byFile = Object.fromEntries(errors.items.map((item) => [path.basename(item.item), item]));
    assert.deepEqual(Object.keys(byFile).sort(), ['blank.png', 'corrupt.jpg']);
    assert.equal(byFile['blank.png']!.state, 'skipped');
    assert.equal(byFile['blank.png']!.reason, 'no-face');
    assert.equal(byFile['corrupt.jpg']!.state, 'failed');
    assert.equal(byFile['corrupt.jpg']!.reason, 'VISAGE_ERR_IMAGE_DECODE');
    const all = await queue.get(job.id, { states: ['added'] });
    assert.equal(all.items.length, 40);
    const faces = await galleryFaces(url);
    assert.equal(faces.length, 40);
    assert.deepEqual(all.items.flatMap((item) => item.faceIds).sort((a, b) => a - b), faces.map((f) => f.id).sort((a, b) => a - b));
    assert.deepEqual([...new Set(faces.map((f) => f.subjectName))].sort(), PEOPLE);
    // Submitted again: every image is found enrolled already (by content hash), nothing is added.
    const again = await queue.submitEnrolment((await enrolmentImages([people])).images, { chunkSize: 10 });
    const worker2 = await startWorker(url, { visageOptions: { preset: 'fast' } });
    const second = await queue.waitFor(again.id, { timeoutMs: 120_000, intervalMs: 250 });
    await worker2.stop();
    assert.deepEqual([second.progress.added, second.progress.skipped], [0, 40]);
    assert.deepEqual(second.result.reasons, { 'already-enrolled': 40 });
    assert.equal((await galleryFaces(url)).length, 40);
  } finally {
    await queue.close();
  }
});

test('a worker killed with kill -9 mid-job: its chunk expires, a new worker finishes the job, the gallery holds each of the 40 faces exactly once', { skip, timeout: 300_000 }, async (t) => {
  const url = db.url();
  // Chunks expire 15 s after a worker took them (a property of the job, set when it is submitted).
  const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1, chunkExpireSeconds: 15, retryLimit: 10 });
  try {
    const job = await queue.submitEnrolment((await enrolmentImages([people])).images, { chunkSize: 3 });
    const args = [...FAST, '--quiet', '--maintenance', '1'];
    const first = spawnWorker(url, args);
    await first.ready;
    let before = await queue.get(job.id, { limit: 0 });
    // Killed while it works on an item (taken, maybe stored, not recorded yet).
    while (before.progress.added < 7 || before.progress.working === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      before = await queue.get(job.id, { limit: 0 });
    }
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    const atKill = await queue.get(job.id, { limit: 0 });
    t.diagnostic(`killed at ${atKill.progress.added} added, ${atKill.progress.working} item(s) working`);
    assert.equal(atKill.state, 'running');
    assert.ok(atKill.progress.added < 40);
    const started = Date.now();
    const second = spawnWorker(url, args);
    await second.ready;
    const done = await queue.waitFor(job.id, { timeoutMs: 240_000, intervalMs: 250 });
    t.diagnostic(`the second worker finished it in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.stderr());
    assert.equal(done.state, 'completed');
    assert.deepEqual([done.progress.added, done.progress.skipped, done.progress.failed], [40, 0, 0], JSON.stringify(done.progress));
    const items = (await queue.get(job.id, { states: ['added'] })).items;
    const retried = items.filter((item) => item.attempts > 1);
    t.diagnostic(`items taken twice: ${retried.map((i) => `#${i.seq} (${i.message ?? 'enrolled on the second attempt'})`).join(', ') || 'none'}`);
    const faces = await galleryFaces(url);
    assert.equal(faces.length, 40, 'no face lost, none stored twice');
    assert.equal(new Set(faces.map((f) => `${f.subjectId}:${f.contentHash}`)).size, 40);
    assert.deepEqual(items.flatMap((i) => i.faceIds).sort((a, b) => a - b), faces.map((f) => f.id).sort((a, b) => a - b), 'every item names its face');
    for (const name of PEOPLE) assert.equal(faces.filter((f) => f.subjectName === name).length, 5, name);
  } finally {
    await queue.close();
  }
});

test('a face stored by a worker that died before recording it is recorded as added by the job; one enrolled before the job as already-enrolled', { skip, timeout: 300_000 }, async () => {
  const url = db.url();
  const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  const { createRecognizer } = await import('../../src/public/gallery.ts');
  const recognizer = await createRecognizer({ db: url, visageOptions: { preset: 'fast' } });
  try {
    const images = (await enrolmentImages([path.join(people, 'amy')])).images;
    // amy1 enrolled before the job exists.
    assert.equal((await recognizer.enroll(images[0]!.file!, 'amy')).status, 'added');
    const job = await queue.submitEnrolment(images, { chunkSize: 5 });
    // A worker takes amy2, stores its face, and dies before recording it (done here by hand).
    assert.ok(await queue.store.claim(job.id, 1));
    assert.equal((await recognizer.enroll(images[1]!.file!, 'amy')).status, 'added');
    const worker = await startWorker(url, { visageOptions: { preset: 'fast' } });
    const done = await queue.waitFor(job.id, { timeoutMs: 120_000 });
    await worker.stop();
    const [first, second] = done.items;
    assert.deepEqual([first!.state, first!.reason, first!.attempts], ['skipped', 'already-enrolled', 1]);
    assert.deepEqual([second!.state, second!.attempts], ['added', 2]);
    assert.match(second!.message!, /stored by an earlier attempt/);
    assert.deepEqual([done.progress.added, done.progress.skipped], [4, 1]);
    const faces = await galleryFaces(url);
    assert.equal(faces.length, 5);
    assert.deepEqual(done.items.flatMap((i) => i.faceIds).sort((a, b) => a - b), faces.map((f) => f.id).sort((a, b) => a - b));
  } finally {
    await recognizer.close();
    await queue.close();
  }
});

test('SIGTERM mid-job: the worker finishes the chunk under way, takes no other, exits 0; the next worker does the rest', { skip, timeout: 300_000 }, async () => {
  const url = db.url();
  const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  try {
    const job = await queue.submitEnrolment((await enrolmentImages([people])).images, { chunkSize: 4 });
    const first = spawnWorker(url, [...FAST, '--quiet']);
    await first.ready;
    while ((await queue.get(job.id, { limit: 0 })).progress.added < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.stderr());
    const between = (await queue.get(job.id, { limit: 0 })).progress;
    assert.equal(between.working, 0, 'no item left half done');
    assert.equal(between.added % 4, 0, `whole chunks done: ${between.added}`);
    assert.ok(between.added < 40);
    assert.equal(between.pending, 40 - between.added);
    const second = spawnWorker(url, [...FAST, '--quiet']);
    await second.ready;
    const done = await queue.waitFor(job.id, { timeoutMs: 240_000, intervalMs: 250 });
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
    assert.equal(done.progress.added, 40);
    assert.equal((await galleryFaces(url)).length, 40);
  } finally {
    await queue.close();
  }
});

test('cancel: the items not started are cancelled, the one under way finishes, nothing is stored afterwards', { skip, timeout: 300_000 }, async () => {
  const url = db.url();
  const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  const worker = await startWorker(url, { visageOptions: { preset: 'fast' }, maintenanceIntervalSeconds: 1 });
  try {
    const job = await queue.submitEnrolment((await enrolmentImages([people])).images, { chunkSize: 2 });
    let state = await queue.get(job.id, { limit: 0 });
    while (state.progress.added < 3) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await queue.get(job.id, { limit: 0 });
    }
    const cancelled = await queue.cancel(job.id);
    assert.equal(cancelled.state, 'cancelled');
    assert.ok(cancelled.progress.cancelled > 0);
    while ((await queue.get(job.id, { limit: 0 })).progress.working > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const final = await queue.get(job.id, { limit: 0 });
    const p = final.progress;
    assert.equal(final.state, 'cancelled');
    assert.equal(p.added + p.cancelled + p.skipped + p.failed, 40);
    assert.equal(p.pending, 0);
    assert.ok(p.added >= 3 && p.added < 40, JSON.stringify(p));
    assert.equal((await galleryFaces(url)).length, p.added);
    // Cancelling again changes nothing; an unknown job is a 404-coded error.
    assert.deepEqual((await queue.cancel(job.id)).progress, p);
    await assert.rejects(queue.cancel('00000000-0000-4000-8000-000000000000'), { code: 'VISAGE_ERR_UNKNOWN_JOB' });
    await assert.rejects(queue.get('12; DROP TABLE jobs'), { code: 'VISAGE_ERR_UNKNOWN_JOB' });
  } finally {
    await worker.stop();
    await queue.close();
  }
});

test('reindex: every face gets the second embedder\'s vector from its file, the face count unchanged; a face whose file is gone is skipped', { skip, timeout: 300_000 }, async () => {
  const url = db.url();
  const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  const worker = await startWorker(url, { visageOptions: { preset: 'fast' }, maintenanceIntervalSeconds: 1 });
  try {
    const folder = path.join(dir, 'reindex');
    for (const name of ['amy', 'raj']) await cp(path.join(people, name), path.join(folder, name), { recursive: true });
    const enrolled = await queue.waitFor((await queue.submitEnrolment((await enrolmentImages([folder])).images)).id, { timeoutMs: 120_000 });
    assert.equal(enrolled.progress.added, 10);
    await rm(path.join(folder, 'raj', 'raj5.png'));
    const before = (await galleryFaces(url)).map((f) => f.id).sort((a, b) => a - b);
    const job = await queue.submitReindex({ embedders: ['faceapi-recognition', 'human-faceres'], chunkSize: 4 });
    assert.equal(job.progress.total, 10);
    const done = await queue.waitFor(job.id, { timeoutMs: 240_000, intervalMs: 250 });
    assert.deepEqual([done.progress.added, done.progress.skipped, done.progress.failed], [9, 1, 0], JSON.stringify(done.items));
    const notFound = done.items.filter((item) => item.state === 'skipped');
    assert.deepEqual(notFound.map((item) => [item.item, item.reason]), [[`face ${notFound[0]!.faceIds[0] ?? notFound[0]!.item.slice(5)}`, 'image-not-found']]);
    assert.match(notFound[0]!.message!, /raj5\.png/);
    const faces = await galleryFaces(url);
    assert.equal(faces.length, 10);
    assert.deepEqual(faces.map((f) => f.id).sort((a, b) => a - b), before, 'vectors added to the faces: the same ids');
    assert.equal(faces.filter((f) => f.models.includes('human-faceres') && f.models.includes('faceapi-recognition')).length, 9);
    // Nothing left to do for the faces reindexed: a second job lists only the one whose file is gone.
    assert.equal((await queue.submitReindex({ embedders: ['faceapi-recognition', 'human-faceres'] })).progress.total, 1);
    await assert.rejects(queue.submitReindex({ embedders: ['no-such-embedder'] }), { code: 'VISAGE_ERR_BAD_OPTION' });
  } finally {
    await worker.stop();
    await queue.close();
  }
});

test('server: /v1/jobs on a PostgreSQL gallery (uploads, paths under the jobs root only, show, list, cancel, bad requests); on a SQLite gallery enrol and reindex 400 JOBS_NEED_POSTGRES', { skip, timeout: 300_000 }, async () => {
  const url = db.url();
  const visage: Visage = await createVisage({ preset: 'fast', maxFaces: 20 });
  const gallery = await openGallery(url);
  const queue: JobQueue = await openJobQueue(url, { maintenanceIntervalSeconds: 1 });
  const root = path.join(dir, 'root');
  await cp(path.join(people, 'penny'), path.join(root, 'people', 'penny'), { recursive: true });
  await symlink(path.join(people, 'howard'), path.join(root, 'people', 'escape'));
  const app = await buildApp({ visage, gallery, openWithoutKeys: true, jobs: queue, jobsRoot: root });
  const sqliteGallery = await openSqliteGallery(path.join(dir, 'plain.db'));
  const plain = await buildApp({ visage, gallery: sqliteGallery, openWithoutKeys: true });
  const worker = await startWorker(url, { visageOptions: { preset: 'fast' }, maintenanceIntervalSeconds: 1 });
  try {
    // Uploads, each named by "subjects" in order.
    const uploaded = await post(app, '/v1/jobs/enrollments', {
      image: [{ data: await readFile(path.join(people, 'amy', 'amy1.png')), filename: 'a.png' }, { data: await readFile(path.join(people, 'raj', 'raj1.png')), filename: 'b.png' }],
      subjects: JSON.stringify(['amy', 'raj']),
    });
    assert.equal(uploaded.statusCode, 202, uploaded.body);
    const id = uploaded.json().id;
    assert.equal(uploaded.headers.location, `/v1/jobs/${id}`);
    assert.equal(uploaded.json().progress.total, 2);
    await queue.waitFor(id, { timeoutMs: 120_000 });
    const shown = await app.inject({ url: `/v1/jobs/${id}?items=all` });
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.json().state, 'completed');
    assert.deepEqual(shown.json().items.map((i: { item: string; subject: string; state: string }) => [i.item, i.subject, i.state]), [['a.png', 'amy', 'added'], ['b.png', 'raj', 'added']]);
    assert.deepEqual((await gallery.listFaces()).map((f) => f.sourceFile).sort(), ['upload:a.png', 'upload:b.png']);
    // Paths under the root, named by their folders; outside it (.., an absolute path, a link out) refused.
    const byPath = await app.inject({ method: 'POST', url: '/v1/jobs/enrollments', payload: { paths: ['people/penny'] } });
    assert.equal(byPath.statusCode, 202, byPath.body);
    const pathJob = await queue.waitFor(byPath.json().id, { timeoutMs: 120_000 });
    assert.equal(pathJob.progress.added, 5);
    for (const bad of ['../people', path.join(people, 'amy'), 'people/escape', 'people']) {
      const refused = await app.inject({ method: 'POST', url: '/v1/jobs/enrollments', payload: { paths: [bad] } });
      assert.equal(refused.statusCode, 403, `${bad}: ${refused.body}`);
      assert.equal(refused.json().error.code, 'VISAGE_ERR_FORBIDDEN');
    }
    const missing = await app.inject({ method: 'POST', url: '/v1/jobs/enrollments', payload: { paths: ['people/nobody'] } });
    assert.equal(missing.statusCode, 404);
    // Bad requests.
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/jobs/enrollments', { subject: 'amy' }, 400, 'VISAGE_ERR_BAD_INPUT'],
      ['POST', '/v1/jobs/enrollments', { images: [(await readFile(path.join(people, 'amy', 'amy2.png'))).toString('base64')], subjects: ['a', 'b'] }, 400, 'VISAGE_ERR_BAD_INPUT'],
      ['POST', '/v1/jobs/enrollments', { paths: 'people/penny', chunkSize: 0 }, 400, 'VISAGE_ERR_BAD_INPUT'],
      ['POST', '/v1/jobs/reindex', { embedders: ['nope'] }, 400, 'VISAGE_ERR_BAD_INPUT'],
      ['POST', '/v1/jobs/reindex', { everything: true }, 400, 'VISAGE_ERR_BAD_INPUT'],
      ['GET', '/v1/jobs/not-a-job', undefined, 404, 'VISAGE_ERR_UNKNOWN_JOB'],
      ['GET', '/v1/jobs/00000000-0000-4000-8000-000000000000', undefined, 404, 'VISAGE_ERR_UNKNOWN_JOB'],
      ['GET', `/v1/jobs/${id}?items=some`, undefined, 400, 'VISAGE_ERR_BAD_INPUT'],
      ['GET', '/v1/jobs?state=done', undefined, 400, 'VISAGE_ERR_BAD_INPUT'],
      ['DELETE', '/v1/jobs/00000000-0000-4000-8000-000000000000', undefined, 404, 'VISAGE_ERR_UNKNOWN_JOB'],
    ];
    for (const [method, route, payload, status, code] of cases) {
      const res = await app.inject({ method: method as 'GET', url: route, ...(payload === undefined ? {} : { payload: payload as object }) });
      assert.equal(res.statusCode, status, `${method} ${route}: ${res.body}`);
      assert.equal(res.json().error.code, code, `${method} ${route}`);
    }
    // List, and cancel through both routes (a finished job stays completed).
    const list = (await app.inject({ url: '/v1/jobs?limit=10' })).json().jobs;
    assert.deepEqual(list.map((j: { id: string }) => j.id).slice(0, 2), [byPath.json().id, id]);
    await worker.stop();
    const queued = await app.inject({ method: 'POST', url: '/v1/jobs/enrollments', payload: { paths: ['people/penny'] } });
    assert.equal(queued.statusCode, 202);
    const cancelled = await app.inject({ method: 'DELETE', url: `/v1/jobs/${queued.json().id}` });
    assert.equal(cancelled.json().state, 'cancelled');
    assert.equal(cancelled.json().progress.cancelled, 5);
    assert.equal((await app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` })).json().state, 'completed');
    // A SQLite server has no queue: enrol and reindex get a coded 400; its own in-process jobs
    // (videos) are listed and shown, and the queue's are unknown to it.
    const reindexPlain = await plain.inject({ method: 'POST', url: '/v1/jobs/reindex' });
    assert.equal(reindexPlain.statusCode, 400);
    assert.equal(reindexPlain.json().error.code, 'VISAGE_ERR_JOBS_NEED_POSTGRES');
    assert.deepEqual((await plain.inject({ url: '/v1/jobs' })).json(), { jobs: [] });
    for (const [method, route] of [['GET', `/v1/jobs/${id}`], ['POST', `/v1/jobs/${id}/cancel`]] as const) {
      const res = await plain.inject({ method, url: route });
      assert.equal(res.statusCode, 404, `${method} ${route}`);
      assert.equal(res.json().error.code, 'VISAGE_ERR_UNKNOWN_JOB');
    }
    const plainUpload = await post(plain, '/v1/jobs/enrollments', { image: { data: await readFile(path.join(people, 'amy', 'amy1.png')) }, subject: 'amy' });
    assert.equal(plainUpload.statusCode, 400);
    assert.equal(plainUpload.json().error.code, 'VISAGE_ERR_JOBS_NEED_POSTGRES');
  } finally {
    await worker.stop();
    await app.close();
    await plain.close();
    await queue.close();
    await gallery.close();
    await sqliteGallery.close();
    await visage.close();
  }
});
