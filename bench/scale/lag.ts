// Index sync lag between two API nodes on one PostgreSQL gallery: a face enrolled through node A's
// API (a real image) -> node B's /health sequence reaches the change log's sequence after that write
// (B's search index holds the face). Timed from A's answer (the write has committed) to the first
// /health of B that shows it, polled back to back (when B holds it at the first look, the sample is
// that look's time: B had it before or as A answered).
//
// measureSyncLag() is the reusable part (bench:scale calls it with its own nodes). Run alone:
//   node --import tsx bench/scale/lag.ts [--writes N] [--db postgres://...] [--samples]
// starts two `visage serve` processes on loopback over a schema of their own (dropped at the end),
// and prints p50/p99 over N writes (--samples: every write's figure too). The database: --db, else VISAGE_DATABASE_URL, else VISAGE_TEST_PG_URL.
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { datasets, printTable, startServe, stopServe, type ServeProcess } from '../serve-process.ts';

export interface SyncLagOptions {
  /** Node A's and node B's base URLs (http://127.0.0.1:port). */
  nodeA: string;
  nodeB: string;
  /** The gallery's database URL with its ?schema= (read for the change log's sequence). */
  database: string;
  /** Face images to enrol, one per write (cycled). */
  images: readonly string[];
  /** How many writes (default 40). */
  writes?: number;
  /** Headers for both nodes (an admin key: { authorization: 'Bearer vsk_...' }). */
  headers?: Record<string, string>;
  /** Subject names are PREFIX-<i> (default "lag"). */
  prefix?: string;
  /** Give up on one write after this long (default 30 s). */
  timeoutMs?: number;
}

export interface SyncLag {
  /** Milliseconds per write, in write order. */
  samples: number[];
  p50: number;
  p99: number;
  max: number;
  /** Writes B already held at the first look after A answered (their sample is that look's time). */
  heldAtFirstLook: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export async function measureSyncLag(options: SyncLagOptions): Promise<SyncLag> {
  const writes = options.writes ?? 40;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const url = new URL(options.database);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  const db = new pg.Client({ connectionString: url.href });
  await db.connect();
  const headers = { 'content-type': 'application/json', ...options.headers };
  const sequenceOfB = async (): Promise<number> => {
    const response = await fetch(`${options.nodeB}/health`);
    const sync = (await response.json() as { sync?: { sequence: number } }).sync;
    if (!sync) throw new Error(`${options.nodeB}/health has no sync section: is its gallery on PostgreSQL?`);
    return sync.sequence;
  };
  const samples: number[] = [];
  let heldAtFirstLook = 0;
  try {
    for (let i = 0; i < writes; i++) {
      const image = await readFile(options.images[i % options.images.length]!);
      const response = await fetch(`${options.nodeA}/v1/subjects/${options.prefix ?? 'lag'}-${i}/faces?create=true`, {
        method: 'POST', headers, body: JSON.stringify({ image: image.toString('base64') }),
      });
      const answered = performance.now();
      const body = await response.json() as { added?: number };
      if (response.status !== 201 || body.added !== 1) throw new Error(`enrol through A: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
      // The write has committed: its sequence number is at most the log's latest now.
      const { rows } = await db.query(`SELECT coalesce(max(seq), 0)::int AS seq FROM ${schema}.change_log`);
      const target = rows[0].seq as number;
      let seen = await sequenceOfB();
      if (seen >= target) heldAtFirstLook++;
      while (seen < target) {
        if (performance.now() - answered > timeoutMs) throw new Error(`node B still at ${seen} after ${timeoutMs} ms (write ${i} at ${target})`);
        seen = await sequenceOfB();
      }
      samples.push(Math.max(0, performance.now() - answered));
    }
  } finally {
    await db.end();
  }
  const sorted = [...samples].sort((x, y) => x - y);
  return { samples, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, heldAtFirstLook };
}

/** bbt's face crops (8 people x 5): real faces that enrol in ~0.1 s each. */
export async function lagImages(): Promise<string[]> {
  const root = path.join(datasets, 'bbt', 'people');
  const files: string[] = [];
  for (const person of (await readdir(root)).sort()) {
    for (const file of (await readdir(path.join(root, person))).sort()) files.push(path.join(root, person, file));
  }
  return files;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { writes: { type: 'string', default: '40' }, db: { type: 'string' }, samples: { type: 'boolean', default: false } } });
  const base = values.db ?? process.env.VISAGE_DATABASE_URL ?? process.env.VISAGE_TEST_PG_URL;
  if (!base) throw new Error('name the database: --db postgres://..., VISAGE_DATABASE_URL or VISAGE_TEST_PG_URL');
  const writes = Number(values.writes);
  const schema = `visage_lag_${process.pid}`;
  const database = new URL(base);
  database.searchParams.set('schema', schema);
  const nodes: ServeProcess[] = [];
  try {
    // A first (it creates the tables), then B; one inference thread each: the machine is shared.
    for (let n = 0; n < 2; n++) nodes.push(await startServe(database.href, ['--threads', '1'], { entry: 'sources' }));
    const [a, b] = nodes as [ServeProcess, ServeProcess];
    const lag = await measureSyncLag({ nodeA: a.url, nodeB: b.url, database: database.href, images: await lagImages(), writes });
    // The last face, matched through B: visible to a search, not only in B's sequence number.
    const last = (await lagImages())[(writes - 1) % 40]!;
    const found = await fetch(`${b.url}/v1/recognise`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image: (await readFile(last)).toString('base64') }) });
    const match = (await found.json() as { faces: { name: string | null }[] }).faces[0]?.name;
    const f = (ms: number) => ms.toFixed(1);
    printTable(['writes', 'p50 ms', 'p99 ms', 'max ms', 'held by B at first look', 'last face through B'],
      [[String(lag.samples.length), f(lag.p50), f(lag.p99), f(lag.max), String(lag.heldAtFirstLook), String(match)]]);
    if (values.samples) process.stdout.write(`${lag.samples.map((s) => s.toFixed(1)).join(" ")}\n`);
    process.stdout.write(`load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  } finally {
    for (const node of nodes) await stopServe(node.child);
    const url = new URL(base);
    url.searchParams.delete('schema');
    const db = new pg.Client({ connectionString: url.href });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => { process.stderr.write(`${(error as Error).stack ?? error}\n`); process.exitCode = 1; });
}
