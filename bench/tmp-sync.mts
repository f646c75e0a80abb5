import pg from 'pg';
import { openPostgresGallery } from '../src/gallery/postgres/open.ts';
import { SearchIndex } from '../src/gallery/search.ts';
import { IndexSync } from '../src/gallery/sync.ts';
const base = 'postgres://visage_test:visage_test@127.0.0.1:5432/visage_test';
const schema = `visage_tmpsync_${process.pid}`;
const url = `${base}?schema=${schema}`;
const g = await openPostgresGallery(url);
const dim = 512, N = 10000, per = 10;
const rnd = () => { const v = new Float32Array(dim); for (let i = 0; i < dim; i++) v[i] = Math.random() - 0.5; return v; };
const hex = (n: number) => n.toString(16).padStart(64, '0');
let h = 0;
for (let s = 0; s < N / per; s++) {
  await g.importFrom; // noop
  const faces = Array.from({ length: per }, () => ({ contentHash: hex(++h), embeddings: { m: rnd() } }));
  // one face per transaction would be slow: several faces per call
  await g.addFaces(`s${s}`, faces, { createSubject: true });
}
const index = await SearchIndex.load(g, 'm');
const q = rnd();
const time = async (label: string, n: number, fn: () => Promise<void> | void) => {
  const t: number[] = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); await fn(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(label.padEnd(44), 'p50', t[n >> 1]!.toFixed(3), 'p99', t[Math.floor(n * 0.99)]!.toFixed(3), 'ms');
};
const conc = async (label: string, n: number, c: number, fn: () => Promise<void>) => {
  const s = performance.now(); let done = 0;
  await Promise.all(Array.from({ length: c }, async () => { while (done < n) { done++; await fn(); } }));
  const ms = performance.now() - s;
  console.log(label.padEnd(44), (n / ms * 1000).toFixed(0), 'searches/s');
};
for (let r = 0; r < 2; r++) {
  await time('search only (10k faces, 512-d)', 1000, () => { index.searchSubjects(q, { k: 5 }); });
  await time('catchUp() alone, nothing changed', 1000, () => index.catchUp());
  await time('per-request: catchUp + search', 1000, async () => { await index.catchUp(); index.searchSubjects(q, { k: 5 }); });
}
const sync = await IndexSync.start(index, g as never);
await new Promise((r) => setTimeout(r, 300));
await time('listen: beforeRead + search', 1000, async () => { await sync.beforeRead(); index.searchSubjects(q, { k: 5 }); });
await conc('per-request, 8 concurrent', 4000, 8, async () => { await index.catchUp(); index.searchSubjects(q, { k: 5 }); });
await conc('listen, 8 concurrent', 4000, 8, async () => { await sync.beforeRead(); index.searchSubjects(q, { k: 5 }); });
console.log(sync.status());
await sync.close(); index.close(); await g.close();
const c = new pg.Client({ connectionString: base }); await c.connect(); await c.query(`DROP SCHEMA ${schema} CASCADE`); await c.end();
