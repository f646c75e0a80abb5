// npm run bench:search [-- --json] [--sizes 10000,100000,1000000] [--dims 128,1024] [--queries N] [--k K]
// Milliseconds per top-k search of the in-memory gallery index (src/gallery/search.ts) over
// synthetic unit embeddings (Gaussian, normalised; 10 faces per subject): the k nearest faces,
// and the k best subjects by best face and by mean template. Each size is also checked once
// against a plain brute-force scan (same top-k faces). 1024-d (FaceRes) is optional: --dims 128,1024.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { SearchIndex } from '../src/gallery/search.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '10000,100000,1000000' },
    dims: { type: 'string', default: '128' },
    queries: { type: 'string', default: '50' },
    k: { type: 'string', default: '5' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const dims = args.dims.split(',').map(Number);
const queryCount = Math.max(5, Number(args.queries));
const k = Number(args.k);
const FACES_PER_SUBJECT = 10;
const CHUNK = 65536;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** xorshift32 + Box-Muller: reproducible Gaussian numbers, fast enough for 10^8 values. */
function gaussian(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  let spare: number | null = null;
  return () => {
    if (spare !== null) { const value = spare; spare = null; return value; }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}

function fillUnit(target: Float32Array, dim: number, next: () => number): void {
  for (let at = 0; at < target.length; at += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) { const v = next(); target[at + j] = v; sum += v * v; }
    const scale = 1 / Math.sqrt(sum);
    for (let j = 0; j < dim; j++) target[at + j]! *= scale;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeEach(queries: Float32Array[], run: (query: Float32Array) => unknown): number {
  for (let i = 0; i < 3; i++) run(queries[i]!); // warm-up
  const times = queries.map((query) => {
    const start = performance.now();
    run(query);
    return performance.now() - start;
  });
  return median(times);
}

interface Row {
  faces: number;
  dim: number;
  subjects: number;
  buildMs: number;
  topFacesMs: number;
  queriesPerSecond: number;
  bestFaceMs: number;
  meanTemplateMs: number;
  matchesBruteForce: boolean;
  loadAverage: number;
}

const rows: Row[] = [];
for (const dim of dims) {
  for (const size of sizes) {
    const next = gaussian(size ^ (dim << 20));
    const index = SearchIndex.create(`synthetic-${dim}`, dim);
    const chunk = new Float32Array(Math.min(CHUNK, size) * dim);
    const names = new Map<number, string>();
    const buildStart = performance.now();
    const kept: Float32Array[] = []; // a few rows to derive near-duplicate queries from
    for (let start = 0; start < size; start += CHUNK) {
      const count = Math.min(CHUNK, size - start);
      const vectors = chunk.subarray(0, count * dim);
      fillUnit(vectors, dim, next);
      const faceIds = new Float64Array(count);
      const subjectIds = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        faceIds[i] = start + i + 1;
        subjectIds[i] = Math.floor((start + i) / FACES_PER_SUBJECT) + 1;
        if (!names.has(subjectIds[i]!)) names.set(subjectIds[i]!, `subject-${subjectIds[i]}`);
      }
      index.addMany(faceIds, subjectIds, vectors, names);
      names.clear();
      if (kept.length < queryCount) kept.push(vectors.slice(0, dim));
    }
    const buildMs = performance.now() - buildStart;
    // Queries: half near an enrolled face (noise added), half random directions.
    const queries = Array.from({ length: queryCount }, (_, q) => {
      const query = new Float32Array(dim);
      fillUnit(query, dim, next);
      if (q % 2 === 0) { const base = kept[q % kept.length]!; for (let j = 0; j < dim; j++) query[j] = base[j]! + 0.05 * query[j]!; }
      return query;
    });
    const topFacesMs = timeEach(queries, (query) => index.searchFaces(query, k));
    const bestFaceMs = timeEach(queries.slice(0, 15), (query) => index.searchSubjects(query, { k, strategy: 'best-face' }));
    index.searchSubjects(queries[0]!, { k, strategy: 'mean-template' }); // builds the templates once
    const meanTemplateMs = timeEach(queries.slice(0, 15), (query) => index.searchSubjects(query, { k, strategy: 'mean-template' }));
    const matchesBruteForce = checkAgainstBruteForce(index, queries[0]!, size, dim);
    const row: Row = {
      faces: size, dim, subjects: index.subjects, buildMs, topFacesMs, queriesPerSecond: 1000 / topFacesMs,
      bestFaceMs, meanTemplateMs, matchesBruteForce, loadAverage: os.loadavg()[0]!,
    };
    rows.push(row);
    log(`${size} x ${dim}: top-${k} faces ${topFacesMs.toFixed(2)} ms (built in ${(buildMs / 1000).toFixed(1)} s)`);
    index.close();
  }
}

/** Regenerates the same vectors and scans them in plain JavaScript: the index must agree. */
function checkAgainstBruteForce(index: SearchIndex, query: Float32Array, size: number, dim: number): boolean {
  const next = gaussian(size ^ (dim << 20));
  const chunk = new Float32Array(Math.min(CHUNK, size) * dim);
  const scores = new Float32Array(size);
  for (let start = 0; start < size; start += CHUNK) {
    const count = Math.min(CHUNK, size - start);
    fillUnit(chunk.subarray(0, count * dim), dim, next);
    for (let r = 0; r < count; r++) {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += chunk[r * dim + j]! * query[j]!;
      scores[start + r] = sum;
    }
  }
  const expected = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!).slice(0, k).map((i) => i + 1);
  const got = index.searchFaces(query, k).map((match) => match.faceId);
  return got.every((id, i) => id === expected[i] || Math.abs(scores[id - 1]! - scores[expected[i]! - 1]!) < 1e-6);
}

if (args.json) {
  process.stdout.write(`${JSON.stringify({ k, queries: queryCount, cpus: os.availableParallelism(), rows }, null, 2)}\n`);
} else {
  const header = ['faces', 'dim', `top-${k} faces, median ms`, 'queries/s', `top-${k} subjects best-face ms`, 'mean-template ms', 'build s', 'exact', 'load avg'];
  const table = rows.map((r) => [
    r.faces.toLocaleString('en-US'), String(r.dim), r.topFacesMs.toFixed(2), Math.round(r.queriesPerSecond).toLocaleString('en-US'),
    r.bestFaceMs.toFixed(2), r.meanTemplateMs.toFixed(2), (r.buildMs / 1000).toFixed(1), r.matchesBruteForce ? 'yes' : 'NO', r.loadAverage.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const cells of table) console.log(line(cells));
  console.log(`\n${queryCount} queries per size, ${os.availableParallelism()} CPUs, one thread (WASM SIMD); load average at the end of each size.`);
}
