// npm run bench:scale [-- --images 5000] [--db postgres://...] [--workers 2] [--clients 4] [--preset fast]
//
// Visage spread over processes on one PostgreSQL, on this machine (loopback only): two API nodes
// (`visage serve`), two job workers (`visage worker`), real face images enrolled through one
// enrol job (LFW View 1, then ORL's 40 people, then celeb5 and bbt, as many as --images asks),
// recognise requests spread over both nodes by clients that try the other node when one fails,
// and the index sync lag between the nodes (a face enrolled through A, seen by B's /health).
// While the job runs, one worker and one API node are killed with SIGKILL and started again.
// At the end the gallery is counted: every image the job reports stored is in it exactly once,
// and nothing else is.
//
// The database: --db, else VISAGE_DATABASE_URL, else VISAGE_TEST_PG_URL; the run uses a schema of
// its own (dropped at the end unless --keep). Prints a table; the machine is shared, so the
// figures come with the load average.
import type { ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openJobQueue } from '../src/jobs/index.ts';
import type { EnrolmentImage } from '../src/jobs/index.ts';
import { datasets, printTable, startServe, stopServe, type ServeProcess } from './serve-process.ts';
import { spawnWorker, type WorkerProcess } from '../test/helpers/workers.ts';
import { lagImages, measureSyncLag, percentile } from './scale/lag.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '5000' },
    db: { type: 'string' },
    workers: { type: 'string', default: '2' },
    clients: { type: 'string', default: '4' },
    preset: { type: 'string' },
    'chunk-expire': { type: 'string', default: '20' },
    'kill-at': { type: 'string', default: '20,40' },
    keep: { type: 'boolean', default: false },
  },
});
const wanted = Number(values.images);
const killAt = values['kill-at'].split(',').map(Number);
const workerCount = Number(values.workers);
const clientCount = Number(values.clients);
const base = values.db ?? process.env.VISAGE_DATABASE_URL ?? process.env.VISAGE_TEST_PG_URL;
if (!base) throw new Error('name the database: --db postgres://..., VISAGE_DATABASE_URL or VISAGE_TEST_PG_URL');
const pipeline = values.preset ? ['--preset', values.preset] : [];
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Real face images, as many as asked, each with its person: folders of people, in a fixed order. */
async function faceImages(count: number): Promise<EnrolmentImage[]> {
  const sources: [string, string][] = [['lfw-view1/images', ''], ['orl', 'orl-'], ['celeb5', ''], ['bbt/people', 'bbt-']];
  const images: EnrolmentImage[] = [];
  for (const [folder, prefix] of sources) {
    const top = path.join(datasets, folder);
    const people = (await readdir(top, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    for (const person of people) {
      for (const file of (await readdir(path.join(top, person))).sort()) {
        if (!/\.(jpe?g|png|pgm)$/i.test(file)) continue;
        images.push({ file: path.join(top, person, file), subject: `${prefix}${person}` });
        if (images.length === count) return images;
      }
    }
  }
  throw new Error(`only ${images.length} images found under ${datasets}, ${count} asked`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** `visage worker` as a child process (test/helpers/workers.ts), resolved once it takes jobs. */
async function startWorker(db: string): Promise<WorkerProcess> {
  const worker = spawnWorker(db, ['--quiet', '--maintenance', '2', ...pipeline]);
  await worker.ready;
  return worker;
}

function killNow(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** A recognise client: each request to its next node in turn; a failed one is tried once on the other. */
interface ClientStats {
  ok: number;
  latencies: number[];
  /** Failed requests per node (a network error, a timeout or a 5xx). */
  failed: number[];
  /** Of the failed ones, tried again on the other node: succeeded, failed. */
  retriedOk: number;
  retriedFailed: number;
}

async function recognise(url: string, body: string): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/v1/recognise`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(60_000) });
    await response.arrayBuffer();
    return { ok: response.status < 500, ms: performance.now() - started };
  } catch {
    return { ok: false, ms: performance.now() - started };
  }
}

const schema = `visage_scale_${process.pid}`;
const database = new URL(base);
database.searchParams.set('schema', schema);
const db = database.href;
const admin = new URL(base);
admin.searchParams.delete('schema');

const nodes: (ServeProcess | null)[] = [null, null];
const workers: (WorkerProcess | null)[] = [];
const started = Date.now();
let stopClients = false;
try {
  const images = await faceImages(wanted);
  log(`bench:scale: ${images.length} images, ${workerCount} workers, 2 API nodes, ${clientCount} clients; schema ${schema}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const ports = [await freePort(), await freePort()];
  const nodeArgs = (n: number) => ['--port', String(ports[n]), '--threads', '1', ...pipeline];
  // A first: it creates the gallery's tables; then B.
  for (let n = 0; n < 2; n++) nodes[n] = await startServe(db, nodeArgs(n), { entry: 'sources' });
  const urls = nodes.map((node) => node!.url);
  for (let w = 0; w < workerCount; w++) workers.push(await startWorker(db));
  log(`nodes ${urls.join(', ')}; ${workerCount} workers ready`);

  // Recognise load: bbt's face crops (small, so the clients ask often), read once.
  const probeFiles = (await lagImages()).slice(0, 20);
  const probes = await Promise.all(probeFiles.map(async (file) => JSON.stringify({ image: (await readFile(file)).toString('base64') })));
  const stats: ClientStats = { ok: 0, latencies: [], failed: [0, 0], retriedOk: 0, retriedFailed: 0 };
  const down = [false, false];
  const clients = Array.from({ length: clientCount }, async (_, c) => {
    for (let i = c; !stopClients; i++) {
      const n = i % 2;
      const body = probes[i % probes.length]!;
      const first = await recognise(urls[n]!, body);
      if (first.ok) { stats.ok++; stats.latencies.push(first.ms); continue; }
      stats.failed[n]!++;
      const other = await recognise(urls[1 - n]!, body);
      if (other.ok) { stats.retriedOk++; stats.ok++; stats.latencies.push(other.ms); } else stats.retriedFailed++;
      if (down[n]) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  // The job, through the library's queue (the API's POST /v1/jobs/enrollments takes the same).
  // Chunks of 8 that come back --chunk-expire seconds after their worker was killed.
  const queue = await openJobQueue(db, { chunkExpireSeconds: Number(values['chunk-expire']), retryLimit: 10, maintenanceIntervalSeconds: 2 });
  const submitted = Date.now();
  const job = await queue.submitEnrolment(images, { largest: true });
  log(`job ${job.id}: ${job.progress.total} items`);

  // Sync lag samples through the run, and the kills.
  const lagSamples: number[] = [];
  let lagWrites = 0;
  const kills: string[] = [];
  let killedWorker = false, killedNode = false;
  let lastPercent = -1;
  for (;;) {
    const detail = await queue.get(job.id, { limit: 0 });
    const p = detail.progress;
    if (Math.floor(p.percent / 10) !== Math.floor(lastPercent / 10)) log(`job ${p.percent.toFixed(0)}%: ${p.added} added, ${p.skipped} skipped, ${p.failed} failed; ${p.itemsPerSecond?.toFixed(2) ?? '?'} images/s; requests ${stats.ok} ok`);
    lastPercent = p.percent;
    if (detail.state === 'completed' || detail.state === 'cancelled') break;
    if (!killedWorker && p.percent >= killAt[0]!) {
      killedWorker = true;
      await killNow(workers[0]!.child);
      kills.push(`worker 1 killed at ${p.percent.toFixed(0)}%`);
      log(kills.at(-1)!);
      setTimeout(() => { void startWorker(db).then((w) => { workers[0] = w; log('worker 1 started again'); }); }, 3000);
    }
    if (!killedNode && p.percent >= killAt[1]!) {
      killedNode = true;
      down[1] = true;
      await killNow(nodes[1]!.child);
      kills.push(`API node B killed at ${p.percent.toFixed(0)}%`);
      log(kills.at(-1)!);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      nodes[1] = await startServe(db, nodeArgs(1), { entry: 'sources' });
      down[1] = false;
      log('API node B started again');
    }
    if (!down[1]) {
      const lag = await measureSyncLag({ nodeA: urls[0]!, nodeB: urls[1]!, database: db, images: probeFiles, writes: 1, prefix: `lag-${lagWrites}` });
      lagWrites++;
      lagSamples.push(...lag.samples);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const jobSeconds = (Date.now() - submitted) / 1000;
  stopClients = true;
  await Promise.all(clients);
  const detail = await queue.get(job.id, { limit: 0 });
  await queue.close();

  // Count: every item stored by the job is in the gallery once; nothing else is (but the lag faces).
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  let counted: { faces: number; distinct: number; missing: number; extra: number; expected: number };
  try {
    const { rows: faces } = await client.query(`SELECT s.name, f.content_hash FROM ${schema}.faces f JOIN ${schema}.subjects s ON s.id = f.subject_id WHERE s.name NOT LIKE 'lag-%'`);
    const { rows: items } = await client.query(`SELECT subject, content_hash FROM ${schema}_jobs.job_items WHERE job_id = $1 AND state = 'added'`, [job.id]);
    const key = (subject: string, hash: string) => `${subject.toLowerCase()}\u0000${hash}`;
    const inGallery = new Set(faces.map((r) => key(r.name, r.content_hash)));
    const stored = new Set(items.map((r) => key(r.subject, r.content_hash)));
    counted = {
      faces: faces.length, distinct: inGallery.size, expected: stored.size,
      missing: [...stored].filter((k) => !inGallery.has(k)).length,
      extra: [...inGallery].filter((k) => !stored.has(k)).length,
    };
  } finally {
    await client.end();
  }

  const p = detail.progress;
  const sorted = [...stats.latencies].sort((a, b) => a - b);
  const lagSorted = [...lagSamples].sort((a, b) => a - b);
  const f = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '-');
  console.log(`\nbench:scale: ${images.length} images, 2 API nodes, ${workerCount} workers, ${clientCount} recognise clients; ${kills.join('; ')}\n`);
  printTable(['part', 'figure'], [
    ['enrol job', `${p.total} images in ${jobSeconds.toFixed(0)} s = ${(p.total / jobSeconds).toFixed(2)} images/s; ${p.added} added, ${p.skipped} skipped, ${p.failed} failed`],
    ['recognise requests', `${stats.ok} answered, ${(stats.ok / jobSeconds).toFixed(2)} requests/s; p50 ${f(percentile(sorted, 0.5))} ms, p99 ${f(percentile(sorted, 0.99))} ms`],
    ['failed at node A (never killed)', String(stats.failed[0])],
    ['failed at node B (killed once)', `${stats.failed[1]}; tried again on the other node: ${stats.retriedOk} succeeded, ${stats.retriedFailed} failed`],
    ['index sync lag A -> B', `${lagSamples.length} writes; p50 ${f(percentile(lagSorted, 0.5))} ms, p99 ${f(percentile(lagSorted, 0.99))} ms`],
    ['gallery faces (job)', `${counted.faces} counted, ${counted.distinct} distinct, ${counted.expected} expected (items added); missing ${counted.missing}, extra ${counted.extra}`],
  ]);
  console.log(`\nitems by reason: ${JSON.stringify(detail.result.reasons)}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  const right = counted.missing === 0 && counted.extra === 0 && counted.faces === counted.distinct && stats.failed[0] === 0 && stats.retriedFailed === 0;
  console.log(right ? 'every check passed' : 'A CHECK FAILED (see the table)');
  if (!right) process.exitCode = 1;
} finally {
  stopClients = true;
  for (const w of workers) if (w) await stopServe(w.child);
  for (const n of nodes) if (n) await stopServe(n.child);
  if (!values.keep) {
    const client = new pg.Client({ connectionString: admin.href });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE; DROP SCHEMA IF EXISTS ${schema}_pgboss CASCADE`);
    await client.end();
  }
}
