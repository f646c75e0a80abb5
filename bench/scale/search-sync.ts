// What a search costs on a PostgreSQL gallery with each way of following other writers
// (RecognizerOptions.sync): 'per-request' (a catch-up from the change log before every search) and
// 'listen' (IndexSync: catch-ups on notifications; a search reads memory). FACES random unit vectors
// of DIM values in a schema of its own (dropped at the end); the search alone for reference.
//   node --import tsx bench/scale/search-sync.ts [--faces 10000] [--dim 512] [--db postgres://...]
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openPostgresGallery } from '../../src/gallery/postgres/open.ts';
import { SearchIndex } from '../../src/gallery/search.ts';
import { IndexSync } from '../../src/gallery/sync.ts';
import { printTable } from '../serve-process.ts';
import { percentile } from './lag.ts';

const { values } = parseArgs({ options: { faces: { type: 'string', default: '10000' }, dim: { type: 'string', default: '512' }, db: { type: 'string' } } });
const base = values.db ?? process.env.VISAGE_DATABASE_URL ?? process.env.VISAGE_TEST_PG_URL;
if (!base) throw new Error('name the database: --db postgres://..., VISAGE_DATABASE_URL or VISAGE_TEST_PG_URL');
const faces = Number(values.faces);
const dim = Number(values.dim);
const schema = `visage_searchsync_${process.pid}`;
const url = new URL(base);
url.searchParams.set('schema', schema);
const gallery = await openPostgresGallery(url.href);
const random = () => { const v = new Float32Array(dim); for (let i = 0; i < dim; i++) v[i] = Math.random() - 0.5; return v; };
const rows: string[][] = [];
const f = (ms: number) => ms.toFixed(3);
try {
  const perSubject = 10;
  let hash = 0;
  for (let s = 0; s < faces / perSubject; s++) {
    const batch = Array.from({ length: perSubject }, () => ({ contentHash: (++hash).toString(16).padStart(64, '0'), embeddings: { m: random() } }));
    await gallery.addFaces(`s${s}`, batch, { createSubject: true });
  }
  const index = await SearchIndex.load(gallery, 'm');
  const query = random();
  const search = () => { index.searchSubjects(query, { k: 5 }); };
  const timed = async (label: string, n: number, run: () => Promise<void> | void) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
      // Let timers run between calls, as a server does between requests.
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    times.sort((a, b) => a - b);
    rows.push([label, f(percentile(times, 0.5)), f(percentile(times, 0.99))]);
  };
  await timed('search alone', 1000, search);
  await timed('catch-up alone (nothing new)', 1000, () => index.catchUp());
  await timed('per-request: catch-up + search', 1000, async () => { await index.catchUp(); search(); });
  const sync = await IndexSync.start(index, gallery);
  await timed('listen: beforeRead + search', 1000, async () => { await sync.beforeRead(); search(); });
  await sync.close();
  index.close();
  printTable([`${faces} faces, ${dim}-d`, 'p50 ms', 'p99 ms'], rows);
  process.stdout.write(`load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
} finally {
  await gallery.close();
  const plain = new URL(base);
  plain.searchParams.delete('schema');
  const db = new pg.Client({ connectionString: plain.href });
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.end();
}
