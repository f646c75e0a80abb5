// npm run bench:abuse: load and abuse of a real `visage serve` process, one table row per case.
//
// The server runs from the TypeScript sources (node --import tsx src/cli/main.ts serve) over a
// temporary gallery with the bbt people enrolled by `visage enroll`, with an admin and a recognise
// key (`visage keys create`). During every case a worker thread samples the server's VmRSS from
// /proc/<pid>/status every 50 ms and polls GET /health every 50 ms (a thread of its own, so that
// the load the driver makes does not delay the probes). Each case starts a server of its own, so
// its peak RSS is its own.
//
//   burst N        N concurrent POST /v1/recognise (small LFW JPEGs, raw body), N = 200, 500, 1000
//   big uploads    16 concurrent multipart requests of 10 parts x 14 MB of random bytes, streamed
//                  (chunked, nothing held in memory); RSS 20 s after. Target: peak RSS <= 600 MB,
//                  /health max <= 250 ms
//   lock gallery   another process holds the gallery's write lock (BEGIN IMMEDIATE) for 6 s while
//                  an admin creates and deletes a subject and others recognise. Target: /health
//                  max <= 250 ms
//   lock keys      the same on the server file (<db>.server.db) with fresh keys, whose first use
//                  records last_used
//   kill -9        concurrent enrolments, SIGKILL at a random moment, restart, five rounds; then
//                  PRAGMA integrity_check, faces answered 201 but missing (target 0), duplicates
//   delete by CLI  `visage subjects delete` in another process while the server recognises that
//                  person in a loop: delay to the first answer without the name, answers naming
//                  the person for requests sent after the CLI exited (target 0)
//   metadata flood a subject with a 30 MB metadata object, then 6 concurrent GET /v1/subjects
//   origin null    an open server (no keys, loopback) asked to enrol with `Origin: null` (target 403)
//
// The driver is node:http with an agent of as many sockets as requests (undici is not installed).
//
//   npm run bench:abuse -- [--quick] [--cases burst,nokey,big,lock,kill,delete,flood,origin] [--sizes 200,500,1000]
//                          [--big 16] [--rounds 5] [--after 20] [--watch 10] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { percentile } from '../src/server/metrics.ts';
import { serverStorePath } from '../src/server/store.ts';
import { datasets, printTable, root, startServe, stopServe, visageArgv, type ServeProcess } from './serve-process.ts';

const CASES = ['burst', 'nokey', 'big', 'lock', 'kill', 'delete', 'flood', 'origin'] as const;
type CaseId = typeof CASES[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string', default: CASES.join(',') },
    sizes: { type: 'string' },
    big: { type: 'string' },
    rounds: { type: 'string' },
    after: { type: 'string' },
    watch: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const chosen = new Set(values.cases.split(',').map((c) => c.trim()).filter(Boolean));
for (const c of chosen) if (!(CASES as readonly string[]).includes(c)) throw new Error(`unknown case "${c}" (${CASES.join(', ')})`);
const sizes = (values.sizes ?? (quick ? '200' : '200,500,1000')).split(',').map(Number);
const bigRequests = Number(values.big ?? (quick ? 4 : 16));
const rounds = Number(values.rounds ?? (quick ? 3 : 5));
const afterSeconds = Number(values.after ?? (quick ? 5 : 20));
const watchSeconds = Number(values.watch ?? (quick ? 5 : 10));
const BIG_PARTS = 10;
const BIG_PART_BYTES = 14 * 1024 * 1024;
const LOCK_MS = 6000;

const t0 = performance.now();
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (v: number) => Math.round(v * 10) / 10;

// --- child processes and the temporary folder are removed whatever happens

const children = new Set<ChildProcess>();
const track = (child: ChildProcess) => { children.add(child); child.once('exit', () => children.delete(child)); };
const work = await mkdtemp(path.join(tmpdir(), 'visage-bench-abuse-'));
const cleanUp = () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.once('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { cleanUp(); process.exit(130); });

/** Runs the visage CLI from the sources; resolves when it exits (never rejects). */
function visage(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string; exitedAt: number }> {
  const child = spawn(process.execPath, visageArgv('sources', args), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-8192); });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr, exitedAt: performance.now() })));
}

async function createKey(db: string, scope: 'admin' | 'recognise', name: string): Promise<string> {
  const run = await visage(['keys', 'create', '--scope', scope, '--name', name, '--db', db, '--json']);
  if (run.code !== 0) throw new Error(`keys create failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { key: string }).key;
}

const serve = (db: string, args: readonly string[] = []): Promise<ServeProcess> => startServe(db, args, { entry: 'sources', onSpawn: track });

// --- HTTP

interface Answer { status: number; ms: number; sentAt: number; body: Buffer; error?: string }

/** One request; never rejects: a socket error or timeout is `error` (status stays 0 unless a response came first). */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | Readable; agent?: http.Agent; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    let status = 0;
    let done = false;
    const chunks: Buffer[] = [];
    let kept = 0;
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false });
    const timer = setTimeout(() => req.destroy(new Error('timeout')), options.timeoutMs ?? 300_000);
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (options.body instanceof Readable) options.body.destroy();
      req.destroy();
      resolve({ status, ms: performance.now() - sentAt, sentAt, body: Buffer.concat(chunks), ...(error ? { error } : {}) });
    };
    req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      // An early answer (413 while we still upload): stop sending.
      if (options.body instanceof Readable) { options.body.unpipe(req); options.body.destroy(); }
      res.on('data', (c: Buffer) => { if (kept < 1 << 20) { chunks.push(c); kept += c.length; } });
      res.on('end', () => finish());
      res.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    });
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

function multipart(parts: { name: string; filename?: string; type?: string; data: Buffer | string }[]): { body: Buffer; contentType: string } {
  const boundary = `----visage-abuse-${randomBytes(8).toString('hex')}`;
  const pieces: Buffer[] = [];
  for (const part of parts) {
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ''}\r\n`));
    pieces.push(Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = (answer: Answer): any => { try { return JSON.parse(answer.body.toString()); } catch { return null; } };

// --- watching the server: RSS and /health, in a worker thread

interface Watched { healthMs: number[]; healthFailures: number; rssPeakKb: number; hwmKb: number }

const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { readFileSync } = require('node:fs');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let running = true, rssPeakKb = 0, hwmKb = 0, failures = 0;
const healthMs = [];
const sample = () => {
  try {
    const status = readFileSync('/proc/' + workerData.pid + '/status', 'utf8');
    const rss = Number(/VmRSS:\\s+(\\d+)/.exec(status)?.[1] ?? 0), hwm = Number(/VmHWM:\\s+(\\d+)/.exec(status)?.[1] ?? 0);
    if (rss > rssPeakKb) rssPeakKb = rss;
    if (hwm > hwmKb) hwmKb = hwm;
  } catch {}
};
sample();
const timer = setInterval(sample, 50);
const probe = () => new Promise((resolve) => {
  const t = performance.now();
  const req = http.get(workerData.url + '/health', { agent, timeout: 60000 }, (res) => { res.resume(); res.on('end', () => resolve(performance.now() - t)); res.on('error', () => resolve(-1)); });
  req.on('error', () => resolve(-1));
  req.on('timeout', () => req.destroy());
});
parentPort.on('message', () => { running = false; });
(async () => {
  while (running) {
    const ms = await probe();
    if (ms < 0) failures++; else healthMs.push(ms);
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(timer);
  sample();
  agent.destroy();
  parentPort.postMessage({ healthMs, healthFailures: failures, rssPeakKb, hwmKb });
})();
`;

/** Watchers still running: a case that fails halfway must not leave one keeping the process alive. */
const watchers = new Set<Worker>();

function watch(server: ServeProcess): { stop: () => Promise<Watched> } {
  const worker = new Worker(WATCHER, { eval: true, workerData: { pid: server.child.pid, url: server.url } });
  watchers.add(worker);
  worker.once('exit', () => watchers.delete(worker));
  const result = new Promise<Watched>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  return {
    stop: async () => {
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const watched = await Promise.race([result, new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), 70_000); })]);
      clearTimeout(timer);
      await worker.terminate();
      return watched ?? { healthMs: [], healthFailures: 0, rssPeakKb: 0, hwmKb: 0 };
    },
  };
}

function mergeWatched(all: Watched[]): Watched {
  return {
    healthMs: all.flatMap((w) => w.healthMs),
    healthFailures: all.reduce((n, w) => n + w.healthFailures, 0),
    rssPeakKb: Math.max(0, ...all.map((w) => w.rssPeakKb)),
    hwmKb: Math.max(0, ...all.map((w) => w.hwmKb)),
  };
}

function rssKb(pid: number | undefined): number | null {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]); } catch { return null; }
}

// --- rows

interface Row {
  case: string;
  requests: number;
  served: number;
  refused: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  healthMaxMs: number | null;
  healthP99Ms: number | null;
  healthFailures: number;
  peakRssMb: number | null;
  /** VmHWM at the end: the server's own peak since it started (each case starts its server). */
  hwmMb: number | null;
  integrity: string;
  facesLost: number | null;
  statuses: Record<string, number>;
  seconds: number;
  notes: string;
}

/** Served = 2xx; refused = 4xx and 503; errors = other 5xx and requests without an answer. */
function tally(answers: readonly Answer[]): Pick<Row, 'requests' | 'served' | 'refused' | 'errors' | 'p50Ms' | 'p99Ms' | 'statuses'> {
  const statuses: Record<string, number> = {};
  const servedMs: number[] = [];
  let refused = 0;
  let errors = 0;
  for (const a of answers) {
    const key = a.status ? String(a.status) : (a.error ?? 'error');
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (a.status >= 200 && a.status < 300) servedMs.push(a.ms);
    else if (a.status === 503 || (a.status >= 400 && a.status < 500)) refused++;
    else errors++;
  }
  servedMs.sort((x, y) => x - y);
  return {
    requests: answers.length, served: servedMs.length, refused, errors,
    p50Ms: servedMs.length ? round1(percentile(servedMs, 50)) : null, p99Ms: servedMs.length ? round1(percentile(servedMs, 99)) : null, statuses,
  };
}

function row(name: string, started: number, answers: readonly Answer[], watched: Watched, extra: Partial<Row> = {}): Row {
  const health = [...watched.healthMs].sort((a, b) => a - b);
  return {
    case: name, ...tally(answers),
    healthMaxMs: health.length ? round1(health[health.length - 1]!) : null,
    healthP99Ms: health.length ? round1(percentile(health, 99)) : null,
    healthFailures: watched.healthFailures,
    peakRssMb: watched.rssPeakKb ? Math.round(watched.rssPeakKb / 1024) : null,
    hwmMb: watched.hwmKb ? Math.round(watched.hwmKb / 1024) : null,
    integrity: '-', facesLost: null, seconds: round1((performance.now() - started) / 1000), notes: '',
    ...extra,
  };
}

const statusText = (statuses: Record<string, number>) => Object.entries(statuses).map(([s, n]) => `${s}x${n}`).join(' ');

// --- the shared starting point: a gallery with the bbt people, an admin and a recognise key

const base = path.join(work, 'base');
await mkdir(base);
const baseDb = path.join(base, 'g.db');
log('enrolling the bbt people with visage enroll ...');
const enrolled = await visage(['enroll', path.join(datasets, 'bbt', 'people'), '--db', baseDb]);
if (enrolled.code !== 0) throw new Error(`visage enroll failed (${enrolled.code}): ${enrolled.stderr}`);
const adminKey = await createKey(baseDb, 'admin', 'bench admin');
const recogniseKey = await createKey(baseDb, 'recognise', 'bench recognise');

let caseCount = 0;
/** A fresh copy of the base gallery (and its server file unless `keys` is false). */
async function caseDb(keys = true): Promise<string> {
  const dir = path.join(work, `case-${++caseCount}`);
  await mkdir(dir);
  const db = path.join(dir, 'g.db');
  for (const suffix of ['', '-wal']) if (existsSync(baseDb + suffix)) copyFileSync(baseDb + suffix, db + suffix);
  if (keys) copyFileSync(serverStorePath(baseDb), serverStorePath(db));
  return db;
}

const lfw = path.join(datasets, 'lfw-view1', 'images');
const lfwPeople = (await readdir(lfw)).sort();
async function lfwImage(person: string): Promise<{ file: string; data: Buffer }> {
  const file = path.join(lfw, person, (await readdir(path.join(lfw, person))).sort()[0]!);
  return { file, data: await readFile(file) };
}
const faces = await Promise.all(lfwPeople.slice(0, 40).map(async (p) => (await lfwImage(p)).data));

/** Raw-body recognise; `key` null sends none (an open server refuses unknown keys). */
const recognise = (server: ServeProcess, image: Buffer, key: string | null = recogniseKey, agent?: http.Agent, type = 'image/jpeg') =>
  send(`${server.url}/v1/recognise`, { method: 'POST', headers: { ...(key ? bearer(key) : {}), 'content-type': type }, body: image, agent });

/** The server's own event-loop delay since it started (GET /v1/metrics), to tell its blocking from the machine's scheduling. */
async function serverLoop(server: ServeProcess): Promise<string> {
  const answer = await send(`${server.url}/v1/metrics`, { headers: bearer(recogniseKey) });
  const loop = answer.status === 200 ? (JSON.parse(answer.body.toString()) as { eventLoop?: { p99Ms: number; maxMs: number } }).eventLoop : undefined;
  return loop ? `server event loop p99 ${loop.p99Ms} ms, max ${loop.maxMs} ms` : 'server event loop not reported';
}

async function warmUp(server: ServeProcess, key: string | null = recogniseKey): Promise<void> {
  const answer = await recognise(server, faces[0]!, key);
  if (answer.status !== 200) throw new Error(`warm-up recognise answered ${answer.status || answer.error}: ${answer.body.toString().slice(0, 300)}`);
}

// --- cases

/** `n` concurrent recognise requests, with the recognise key or (badKey) a key the server does not know. */
async function burst(n: number, badKey = false): Promise<Row> {
  const server = await serve(await caseDb());
  try {
    await warmUp(server);
    const agent = new http.Agent({ maxSockets: n, keepAlive: false });
    const started = performance.now();
    const watcher = watch(server);
    const key = badKey ? `vsk_${randomBytes(32).toString('base64url')}` : recogniseKey;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => recognise(server, faces[i % faces.length]!, key, agent)));
    const watched = await watcher.stop();
    agent.destroy();
    const r = row(badKey ? `${n} recognise, unknown key` : `${n} concurrent recognise`, started, answers, watched);
    return { ...r, notes: `${statusText(r.statuses)}; /health p99 ${r.healthP99Ms ?? '-'} ms; ${await serverLoop(server)}` };
  } finally {
    await stopServe(server.child);
  }
}

/** A multipart body of `parts` files of `bytes` random bytes each, made as it is read. */
function bigBody(boundary: string, parts: number, bytes: number, pool: Buffer): Readable {
  const chunk = 256 * 1024;
  async function* generate() {
    for (let p = 0; p < parts; p++) {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big-${p}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
      yield Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
      for (let left = bytes - 4; left > 0; left -= chunk) {
        const n = Math.min(left, chunk);
        const offset = randomInt(pool.length - n);
        yield pool.subarray(offset, offset + n);
      }
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return Readable.from(generate(), { objectMode: false });
}

async function bigUploads(): Promise<Row> {
  const server = await serve(await caseDb());
  try {
    await warmUp(server);
    // 8 MB of random bytes, read at random offsets: random content without making 2.2 GB of it.
    const pool = randomBytes(8 * 1024 * 1024);
    const agent = new http.Agent({ maxSockets: bigRequests, keepAlive: false });
    const started = performance.now();
    const watcher = watch(server);
    const answers = await Promise.all(Array.from({ length: bigRequests }, () => {
      const boundary = `----visage-abuse-${randomBytes(8).toString('hex')}`;
      return send(`${server.url}/v1/recognise`, {
        method: 'POST', agent, timeoutMs: quick ? 90_000 : 180_000,
        headers: { ...bearer(recogniseKey), 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
        body: bigBody(boundary, BIG_PARTS, BIG_PART_BYTES, pool),
      });
    }));
    const answeredMs = performance.now() - started;
    log(`  answered in ${(answeredMs / 1000).toFixed(1)} s; watching ${afterSeconds} s more ...`);
    await sleep(afterSeconds * 1000);
    const after = rssKb(server.child.pid);
    const watched = await watcher.stop();
    agent.destroy();
    const r = row(`${bigRequests} x ${BIG_PARTS} parts x 14 MB`, started, answers, watched);
    const codes = [...new Set(answers.map((a) => json(a)?.error).filter(Boolean).map((e: { code: string; message: string }) => `${e.code}: ${e.message.slice(0, 80)}`))].join('; ');
    return {
      ...r,
      notes: `${statusText(r.statuses)}${codes ? ` (${codes})` : ''}; answered in ${(answeredMs / 1000).toFixed(1)} s; RSS ${afterSeconds} s after ${after === null ? 'n/a (server gone)' : `${Math.round(after / 1024)} MB`}; alive ${server.child.exitCode === null && server.child.signalCode === null ? 'yes' : 'no'}`,
    };
  } finally {
    await stopServe(server.child);
  }
}

/** Another process holds the write lock of `file` for `ms`; resolves once it holds it. */
async function holdLock(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(ms)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const released = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('locked')) resolve(); });
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}): ${stderr}`)));
  });
  return { released };
}

async function lock(which: 'gallery' | 'keys'): Promise<Row> {
  const db = await caseDb();
  const server = await serve(db);
  try {
    await warmUp(server);
    const victim = `lock-victim-${which}`;
    const made = await send(`${server.url}/v1/subjects`, { method: 'POST', headers: { ...bearer(adminKey), 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ name: victim })) });
    if (made.status !== 201) throw new Error(`could not create ${victim}: ${made.status} ${made.body.toString().slice(0, 200)}`);
    // Keys never used: their first request records last_used in the server file.
    const admin = which === 'keys' ? await createKey(db, 'admin', 'fresh admin') : adminKey;
    const reader = which === 'keys' ? await createKey(db, 'recognise', 'fresh recognise') : recogniseKey;
    const started = performance.now();
    const watcher = watch(server);
    const { released } = await holdLock(which === 'gallery' ? db : serverStorePath(db), LOCK_MS);
    const lockedAt = performance.now();
    await sleep(200);
    const named = async (label: string, answer: Promise<Answer>) => ({ label, answer: await answer });
    const results = await Promise.all([
      named('POST subject', send(`${server.url}/v1/subjects`, { method: 'POST', headers: { ...bearer(admin), 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ name: `lock-new-${which}` })), timeoutMs: 60_000 })),
      named('DELETE subject', send(`${server.url}/v1/subjects/${victim}`, { method: 'DELETE', headers: bearer(admin), timeoutMs: 60_000 })),
      ...[0, 1, 2].map((i) => named('recognise', send(`${server.url}/v1/recognise`, { method: 'POST', headers: { ...bearer(reader), 'content-type': 'image/jpeg' }, body: faces[i + 1]!, timeoutMs: 60_000 }))),
    ]);
    await released;
    const releasedAfter = performance.now() - lockedAt;
    await sleep(300);
    const watched = await watcher.stop();
    const r = row(which === 'gallery' ? 'lock on gallery, 6 s' : 'lock on server file, 6 s', started, results.map((x) => x.answer), watched);
    const describe = ({ label, answer }: { label: string; answer: Answer }) => `${label} ${answer.status || answer.error} in ${(answer.ms / 1000).toFixed(1)} s`;
    return { ...r, notes: `${results.map(describe).join('; ')}; lock released after ${(releasedAfter / 1000).toFixed(1)} s` };
  } finally {
    await stopServe(server.child);
  }
}

interface Acknowledged { subject: string; contentHash: string }

async function killRounds(): Promise<Row> {
  const db = await caseDb();
  const started = performance.now();
  const answers: Answer[] = [];
  const acknowledged: Acknowledged[] = [];
  const watchedAll: Watched[] = [];
  const integrity: string[] = [];
  const storeIntegrity: string[] = [];
  let lost = 0;
  let duplicates = 0;
  let next = 100; // LFW people after the 40 used as recognise images
  const notes: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const server = await serve(db);
    try {
      await warmUp(server);
      const watcher = watch(server);
      let alive = true;
      const worker = async () => {
        while (alive && next < lfwPeople.length) {
          const person = lfwPeople[next++]!;
          const image = await lfwImage(person);
          const form = multipart([{ name: 'image', filename: path.basename(image.file), type: 'image/jpeg', data: image.data }]);
          const answer = await send(`${server.url}/v1/subjects/${encodeURIComponent(person)}/faces?create=true&largest=true`, {
            method: 'POST', headers: { ...bearer(adminKey), 'content-type': form.contentType }, body: form.body, timeoutMs: 60_000,
          });
          answers.push(answer);
          if (answer.status === 201) {
            for (const result of (json(answer)?.results ?? []) as { status: string; contentHash?: string }[]) {
              if (result.status === 'added' && result.contentHash) acknowledged.push({ subject: person, contentHash: result.contentHash });
            }
          }
        }
      };
      const workers = Array.from({ length: 4 }, worker);
      const killAfter = 1000 + randomInt(3000);
      await sleep(killAfter);
      alive = false; // requests sent after the kill would only count refused connections
      server.child.kill('SIGKILL');
      await new Promise((resolve) => server.child.exitCode !== null || server.child.signalCode !== null ? resolve(null) : server.child.once('exit', resolve));
      await Promise.all(workers);
      watchedAll.push(await watcher.stop());
      notes.push(`${(killAfter / 1000).toFixed(1)}`);
    } finally {
      await stopServe(server.child);
    }
    const check = new Database(db, { fileMustExist: true });
    try {
      const result = check.pragma('integrity_check', { simple: true }) as string;
      integrity.push(result);
      const has = check.prepare('SELECT count(*) AS n FROM faces f JOIN subjects s ON s.id = f.subject_id WHERE s.name = ? AND f.content_hash = ?');
      lost = acknowledged.filter((a) => (has.get(a.subject, a.contentHash) as { n: number }).n === 0).length;
      duplicates = (check.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM faces GROUP BY subject_id, content_hash HAVING count(*) > 1)').get() as { n: number }).n;
    } finally {
      check.close();
    }
    // The server file (keys, thumbnails) is written during enrolment too.
    const store = new Database(serverStorePath(db), { fileMustExist: true });
    try {
      storeIntegrity.push(store.pragma('integrity_check', { simple: true }) as string);
    } finally {
      store.close();
    }
  }
  // The gallery must still open as a server after the last kill.
  const last = await serve(db).catch((error: Error) => error);
  const restarts = last instanceof Error ? `restart after last kill failed: ${last.message.split('\n')[0]}` : 'restarts fine';
  if (!(last instanceof Error)) await stopServe(last.child);
  const okRounds = integrity.filter((i) => i === 'ok').length;
  const r = row(`kill -9 mid-enrolment x${rounds}`, started, answers, mergeWatched(watchedAll));
  return {
    ...r, integrity: okRounds === integrity.length ? 'ok' : `${integrity.length - okRounds} bad`, facesLost: lost,
    notes: `${statusText(r.statuses)}; ${acknowledged.length} faces acknowledged; duplicates ${duplicates}; server file integrity ${storeIntegrity.every((i) => i === 'ok') ? 'ok' : storeIntegrity.filter((i) => i !== 'ok').join(' | ').slice(0, 120)}; killed at ${notes.join(', ')} s; ${restarts}`,
  };
}

async function deleteByCli(): Promise<Row> {
  const db = await caseDb();
  const server = await serve(db);
  const person = 'sheldon';
  const photo = await readFile(path.join(datasets, 'bbt', 'people', person, `${person}1.png`));
  try {
    await warmUp(server);
    const started = performance.now();
    const watcher = watch(server);
    const answers: { answer: Answer; names: boolean }[] = [];
    let stopAt = Infinity;
    let committedAt = Infinity;
    const loop = async () => {
      while (performance.now() < stopAt) {
        const answer = await recognise(server, photo, recogniseKey, undefined, 'image/png');
        const labels = ((json(answer)?.faces ?? []) as { label?: string }[]).map((f) => f.label);
        answers.push({ answer, names: labels.includes(person) });
      }
    };
    const clients = [loop(), loop()];
    await sleep(2000);
    const cli = await visage(['subjects', 'delete', person, '--yes', '--db', db]);
    committedAt = cli.exitedAt;
    stopAt = committedAt + watchSeconds * 1000;
    await Promise.all(clients);
    const watched = await watcher.stop();
    const before = answers.filter((a) => a.answer.sentAt + a.answer.ms < committedAt);
    const after = answers.filter((a) => a.answer.sentAt >= committedAt);
    const firstWithout = after.find((a) => a.answer.status === 200 && !a.names);
    const r = row('delete by CLI while recognising', started, answers.map((a) => a.answer), watched);
    return {
      ...r,
      notes: `CLI exit ${cli.code}; named before ${before.filter((a) => a.names).length}/${before.length}; ` +
        `named after commit ${after.filter((a) => a.names).length}/${after.length}; ` +
        (firstWithout ? `first answer without ${person} ${Math.round(firstWithout.answer.sentAt + firstWithout.answer.ms - committedAt)} ms after commit` : `never within ${watchSeconds} s`),
    };
  } finally {
    await stopServe(server.child);
  }
}

async function metadataFlood(): Promise<Row> {
  const server = await serve(await caseDb());
  try {
    await warmUp(server);
    const started = performance.now();
    const watcher = watch(server);
    const metadata = { blob: 'x'.repeat(30 * 1024 * 1024) };
    const created = await send(`${server.url}/v1/subjects`, { method: 'POST', headers: { ...bearer(adminKey), 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ name: 'flood', metadata })), timeoutMs: 120_000 });
    const lists = await Promise.all(Array.from({ length: 6 }, () => send(`${server.url}/v1/subjects`, { headers: bearer(recogniseKey), timeoutMs: 120_000 })));
    const watched = await watcher.stop();
    const r = row('30 MB metadata + 6 lists', started, [created, ...lists], watched);
    return { ...r, notes: `create ${created.status || created.error} in ${(created.ms / 1000).toFixed(1)} s; lists ${statusText(tally(lists).statuses)}, max ${(Math.max(...lists.map((l) => l.ms)) / 1000).toFixed(1)} s` };
  } finally {
    await stopServe(server.child);
  }
}

async function originNull(): Promise<Row> {
  const server = await serve(await caseDb(false));
  try {
    await warmUp(server, null);
    const started = performance.now();
    const watcher = watch(server);
    const form = multipart([{ name: 'image', filename: 'face.jpg', type: 'image/jpeg', data: faces[2]! }]);
    const answer = await send(`${server.url}/v1/subjects/origin-null/faces?create=true`, { method: 'POST', headers: { origin: 'null', 'content-type': form.contentType }, body: form.body });
    const watched = await watcher.stop();
    const r = row('Origin: null enrol, open mode', started, [answer], watched);
    return { ...r, notes: `status ${answer.status || answer.error} (target 403)` };
  } finally {
    await stopServe(server.child);
  }
}

// --- run

const plan: [CaseId, string, () => Promise<Row>][] = [
  ...sizes.map((n) => ['burst', `${n} concurrent recognise`, () => burst(n)] as [CaseId, string, () => Promise<Row>]),
  ['nokey', `${Math.max(...sizes)} recognise, unknown key`, () => burst(Math.max(...sizes), true)],
  ['big', `${bigRequests} x ${BIG_PARTS} parts x 14 MB`, bigUploads],
  ['lock', 'lock on gallery, 6 s', () => lock('gallery')],
  ['lock', 'lock on server file, 6 s', () => lock('keys')],
  ['kill', `kill -9 mid-enrolment x${rounds}`, killRounds],
  ['delete', 'delete by CLI while recognising', deleteByCli],
  ['flood', '30 MB metadata + 6 lists', metadataFlood],
  ['origin', 'Origin: null enrol, open mode', originNull],
];
const rows: Row[] = [];
for (const [id, name, run] of plan) {
  if (!chosen.has(id)) continue;
  log(`${name} ...`);
  const started = performance.now();
  try {
    rows.push(await run());
  } catch (error) {
    for (const worker of watchers) await worker.terminate();
    log(`  failed: ${(error as Error).stack}`);
    rows.push({
      case: name, requests: 0, served: 0, refused: 0, errors: 0, p50Ms: null, p99Ms: null, healthMaxMs: null, healthP99Ms: null, healthFailures: 0,
      peakRssMb: null, hwmMb: null, integrity: '-', facesLost: null, statuses: {}, seconds: round1((performance.now() - started) / 1000),
      notes: `case failed: ${(error as Error).message.split('\n')[0]}`,
    });
  }
}
const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: loadavg().map(round1) };
const totalSeconds = round1((performance.now() - t0) / 1000);

if (values.json) {
  process.stdout.write(`${JSON.stringify({ machine, quick, totalSeconds, rows }, null, 2)}\n`);
} else {
  const show = (v: number | null) => (v === null ? '-' : String(v));
  printTable(
    ['case', 'requests', 'served', 'refused', 'errors', 'p50 ms', 'p99 ms', '/health max ms', 'peak RSS MB', 'integrity', 'faces lost', 'notes'],
    rows.map((r) => [r.case, String(r.requests), String(r.served), String(r.refused), String(r.errors), show(r.p50Ms), show(r.p99Ms),
      show(r.healthMaxMs) + (r.healthFailures ? ` (${r.healthFailures} failed)` : ''), show(r.peakRssMb), r.integrity, show(r.facesLost), r.notes]),
  );
  process.stdout.write(`\n${machine.cores} cores (${machine.cpu}), node ${machine.node}, load average ${machine.loadAverage.join(' ')} at the end; ${quick ? 'quick run, ' : ''}total ${totalSeconds} s\n`);
}
