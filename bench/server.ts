// npm run bench:server: recognise requests against a real `visage serve` process, from 8
// concurrent clients, for a 1-face 640-px image and a 4-face 1920-px image; requests/s and
// latency p50/p99 per image, and the latency of /health probed during the load (the queue keeps
// the event loop free between inferences).
//
// The server runs in its own process (as in use), over a temporary gallery with the bbt people
// enrolled through the API. The driver is a few lines of fetch() (Node's undici) rather than
// autocannon: it needs different bodies per scenario and nothing else.
//
//   npm run bench:server -- [--clients 8] [--seconds 20] [--json]
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { percentile } from '../src/server/metrics.ts';
import { datasets, printTable, root, startServe, stopServe, type ServeProcess } from './serve-process.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function enrol(url: string): Promise<void> {
  const people = path.join(datasets, 'bbt', 'people');
  for (const name of (await readdir(people)).sort()) {
    const form = new FormData();
    for (const file of (await readdir(path.join(people, name))).sort().slice(0, 3)) {
      form.append('image', new Blob([new Uint8Array(await readFile(path.join(people, name, file)))]), file);
    }
    await fetch(`${url}/v1/subjects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    const res = await fetch(`${url}/v1/subjects/${encodeURIComponent(name)}/faces`, { method: 'POST', body: form });
    if (!res.ok) throw new Error(`enrolment of ${name} failed: ${res.status} ${await res.text()}`);
  }
}

interface Result {
  scenario: string;
  image: string;
  faces: number;
  clients: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  healthP50Ms: number;
  healthP99Ms: number;
}

async function drive(url: string, scenario: string, image: Buffer, label: string): Promise<Result> {
  const body = new Uint8Array(image);
  const send = () => fetch(`${url}/v1/recognise`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body });
  // Warm-up: the first requests pay for lazy set-up.
  const warm = await send();
  const faces = ((await warm.json()) as { faces: unknown[] }).faces.length;
  for (let i = 0; i < 2; i++) await (await send()).arrayBuffer();
  const latencies: number[] = [];
  const health: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await send();
      await res.arrayBuffer();
      if (res.ok) latencies.push(performance.now() - t);
      else errors++;
    }
  };
  const prober = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await (await fetch(`${url}/health`)).arrayBuffer();
      health.push(performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await Promise.all([...Array.from({ length: clients }, client), prober()]);
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  health.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    scenario, image: label, faces, clients, requests: latencies.length, errors,
    requestsPerSecond: round(latencies.length / elapsed), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)),
    healthP50Ms: round(percentile(health, 50)), healthP99Ms: round(percentile(health, 99)),
  };
}

const dir = await mkdtemp(path.join(tmpdir(), 'visage-bench-server-'));
let server: ServeProcess | null = null;
try {
  log('starting visage serve ...');
  server = await startServe(path.join(dir, 'bench.db'), ['--queue', '256']);
  log(`enrolling the bbt people through ${server.url} ...`);
  await enrol(server.url);
  // 1 face, 640 px: the first LFW photo (250 px, scaled up) in which the server finds exactly one
  // face (LFW photos often show someone behind); 4 faces, 1920 px: face-api's demo/sample2.jpg.
  let small: Buffer | null = null;
  let lfwFile = '';
  const lfw = path.join(datasets, 'lfw-view1', 'images');
  for (const name of (await readdir(lfw)).sort().slice(0, 50)) {
    lfwFile = path.join(lfw, name, (await readdir(path.join(lfw, name))).sort()[0]!);
    const candidate = await sharp(lfwFile).resize(640, 640).jpeg({ quality: 90 }).toBuffer();
    const res = await fetch(`${server.url}/v1/detect`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(candidate) });
    if (((await res.json()) as { faces: unknown[] }).faces.length === 1) { small = candidate; break; }
  }
  if (!small) throw new Error('no LFW photo with exactly one face among the first 50 people');
  const large = await readFile(path.join(root, 'node_modules', '@vladmandic', 'face-api', 'demo', 'sample2.jpg'));
  const results: Result[] = [];
  for (const [scenario, image, label] of [
    ['1 face, 640 px', small, `lfw ${path.basename(lfwFile)} scaled to 640x640`],
    ['4 faces, 1920 px', large, 'face-api demo/sample2.jpg 1920x1367'],
  ] as const) {
    log(`${scenario}: ${clients} clients for ${seconds} s ...`);
    results.push(await drive(server.url, scenario, image, label));
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const header = ['scenario', 'faces', 'clients', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'health p50', 'health p99'];
    const rows = results.map((r) => [r.scenario, r.faces, r.clients, r.requests, r.errors, r.requestsPerSecond, r.p50Ms, r.p99Ms, r.healthP50Ms, r.healthP99Ms].map(String));
    printTable(header, rows);
  }
} finally {
  if (server) await stopServe(server.child);
  await rm(dir, { recursive: true, force: true });
}
