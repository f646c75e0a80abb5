// npm run bench:search [-- --json] [--sizes 100000] [--data faces,gaussian] [--probes 32,64,128]
//                      [--rerank 128] [--approximate float32,float16] [--lists N] [--queries N] [--k K] [--dim D]
// The in-memory gallery index (src/gallery/search.ts), size x method: exact float32, approximate
// (IVF) over float32, exact float16, approximate over float16. Per row: build seconds (adding the
// faces; for IVF rows the training and filing), ms per top-k face search p50/p99, recall@k against
// exact float32 for returning people and for strangers, bytes per face held by the index and the
// process's RSS. The default (100k faces) takes about 1 min on the 2-core machine; --sizes 1000000
// about 12 min for both data sets with other work running; 10M faces: --sizes 10000000 --data faces
// --queries 50 --approximate float16 --probes 256,512 (38 min on the shared 2-core machine, peak RSS
// 5.2 GB; float32 needs two matrices there, see exactFloat32). --rerank: candidates re-scored;
// --approximate: which precisions get approximate rows. Per query: wall and process CPU time.
//
// Data (--data):
//  faces     face-like: identities of 10 faces, built to match the faceapi-recognition ResNet's
//            128-d vectors on LFW (see FACE_MODEL): a common direction all faces share, an
//            identity part (anisotropic: a few directions vary most, as in real embeddings) and a
//            per-face noise of varying strength. Queries: new faces of enrolled people (the real
//            use), and strangers (people not enrolled).
//  gaussian  plain random unit vectors, the hardest case for IVF (no structure to cut along).
//            Queries: a stored face plus noise, and random directions.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { SearchIndex, defaultLists } from '../src/gallery/search.ts';
import { DotMatrix, type Precision } from '../src/gallery/dot-kernel.ts';
import { topK } from '../src/face/match/index.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '100000' },
    data: { type: 'string', default: 'faces,gaussian' },
    probes: { type: 'string', default: '32,64,128' },
    rerank: { type: 'string', default: '128' },
    approximate: { type: 'string', default: 'float32,float16' },
    lists: { type: 'string' },
    dim: { type: 'string', default: '128' },
    queries: { type: 'string', default: '100' },
    k: { type: 'string', default: '5' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const datasets = args.data.split(',') as ('faces' | 'gaussian')[];
const probeSettings = args.probes.split(',').map(Number);
const rerankSettings = args.rerank.split(',').map(Number);
const dim = Number(args.dim);
const queriesPerKind = Math.max(5, Number(args.queries));
const k = Number(args.k);
const FACES_PER_SUBJECT = 10;
const CHUNK = 65536;
const log = (line: string) => process.stderr.write(`${line}\n`);
const collect = () => (globalThis as { gc?: () => void }).gc?.();

/**
 * Cosine similarities of faceapi-recognition vectors measured on LFW (290 faces of 60 people of
 * the View 1 images, 4-6 each, largest face, Visage's default pipeline): same person mean 0.954
 * (sd 0.025), different people mean 0.844 (sd 0.033); the mean vector's norm is 0.92, the shared
 * direction. With x = a*shared + b*identity + c*noise (unit-sized parts, near-orthogonal in 128-d)
 * same-person cosine = (a^2 + b^2) / 1, different-person = a^2 / 1: so a^2 = 0.844, b^2 = 0.110,
 * c^2 = 0.046 on average (each face draws its own between 0.5x and 1.5x).
 */
const FACE_MODEL = { shared: Math.sqrt(0.844), identity: Math.sqrt(0.110), noise: 0.046, real: { same: [0.954, 0.025], different: [0.844, 0.033] } };

/** 2^20 standard normal numbers (Box-Muller, once): generators below pick from it at random. */
const NORMALS = (() => {
  const table = new Float32Array(1 << 20);
  let state = 12345;
  const uniform = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  for (let i = 0; i < table.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    table[i] = r * Math.cos(angle);
    table[i + 1] = r * Math.sin(angle);
  }
  return table;
})();

/**
 * Reproducible standard normal numbers: xorshift32 picks table entries (Box-Muller for every
 * value made 10M x 128 faces take minutes; a table of 2^20 is as good for these sets).
 */
function gaussian(seed: number): () => number {
  let state = (seed >>> 0) || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return NORMALS[state >>> 12]!;
  };
}

const hash = (a: number, b: number) => Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35);

function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let j = 0; j < vector.length; j++) sum += vector[j]! * vector[j]!;
  const scale = 1 / Math.sqrt(sum);
  for (let j = 0; j < vector.length; j++) vector[j]! *= scale;
  return vector;
}

/** Makes the vectors of one data set: face i of the gallery, returning and stranger queries. */
interface DataSet {
  name: string;
  /** Writes faces [start, start + count) into target. */
  fill(target: Float32Array, start: number, count: number): void;
  returning(q: number, size: number): Float32Array;
  stranger(q: number, size: number): Float32Array;
}

function faceData(): DataSet {
  const shared = normalise(Float32Array.from({ length: dim }, gaussian(7)));
  // Identity directions: variance 1/(j+1) along axis j, scaled to a unit-sized part on average.
  const spread = Float64Array.from({ length: dim }, (_, j) => 1 / (j + 1));
  const total = spread.reduce((a, b) => a + b, 0);
  const axis = spread.map((v) => Math.sqrt(v / total));
  const centre = new Float32Array(dim);
  let centreOf = -1;
  const identity = (person: number) => {
    if (person === centreOf) return centre;
    centreOf = person;
    const next = gaussian(hash(person, 1));
    for (let j = 0; j < dim; j++) centre[j] = FACE_MODEL.shared * shared[j]! + FACE_MODEL.identity * axis[j]! * next();
    return centre;
  };
  const face = (person: number, draw: number, target: Float32Array, at: number) => {
    const base = identity(person);
    const next = gaussian(hash(person, draw + 2));
    const noise = Math.sqrt(FACE_MODEL.noise * Math.min(1.5, Math.max(0.5, 1 + 0.29 * next())) / dim); // 0.5x-1.5x
    let sum = 0;
    for (let j = 0; j < dim; j++) { const v = base[j]! + noise * next(); target[at + j] = v; sum += v * v; }
    const scale = 1 / Math.sqrt(sum);
    for (let j = 0; j < dim; j++) target[at + j]! *= scale;
  };
  return {
    name: 'faces',
    fill(target, start, count) {
      for (let i = 0; i < count; i++) face(Math.floor((start + i) / FACES_PER_SUBJECT), (start + i) % FACES_PER_SUBJECT, target, i * dim);
    },
    returning(q, size) {
      const people = Math.ceil(size / FACES_PER_SUBJECT);
      const query = new Float32Array(dim);
      face(Math.abs(hash(q, 99)) % people, 1000 + q, query, 0);
      return query;
    },
    stranger(q, size) {
      const query = new Float32Array(dim);
      face(Math.ceil(size / FACES_PER_SUBJECT) + 1 + q, 0, query, 0);
      return query;
    },
  };
}

function gaussianData(): DataSet {
  const unit = (seed: number, target: Float32Array, at: number) => {
    const next = gaussian(seed);
    for (let j = 0; j < dim; j++) target[at + j] = next();
    normalise(target.subarray(at, at + dim));
  };
  return {
    name: 'gaussian',
    fill(target, start, count) {
      for (let i = 0; i < count; i++) unit(hash(start + i, 5), target, i * dim);
    },
    returning(q, size) {
      const face = new Float32Array(dim);
      unit(hash(Math.abs(hash(q, 98)) % size, 5), face, 0);
      const noise = new Float32Array(dim);
      unit(hash(q, 97), noise, 0);
      for (let j = 0; j < dim; j++) face[j] = face[j]! + 0.3 * noise[j]!;
      return normalise(face);
    },
    stranger(q) {
      const query = new Float32Array(dim);
      unit(hash(q, 96), query, 0);
      return query;
    },
  };
}

/** Same-person and different-people cosine similarity of a data set (2,000 faces of 200 people). */
function similarityStats(data: DataSet): { same: [number, number]; different: [number, number] } {
  const faces = new Float32Array(2000 * dim);
  data.fill(faces, 0, 2000);
  const same: number[] = [], different: number[] = [];
  for (let a = 0; a < 2000; a += 3) {
    for (let b = a + 1; b < 2000; b += 7) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += faces[a * dim + j]! * faces[b * dim + j]!;
      (Math.floor(a / FACES_PER_SUBJECT) === Math.floor(b / FACES_PER_SUBJECT) ? same : different).push(dot);
    }
  }
  const stats = (v: number[]): [number, number] => {
    const mean = v.reduce((x, y) => x + y, 0) / v.length;
    return [mean, Math.sqrt(v.reduce((x, y) => x + (y - mean) ** 2, 0) / v.length)];
  };
  return { same: stats(same), different: stats(different) };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

interface Row {
  data: string;
  faces: number;
  method: string;
  buildSeconds: number;
  p50: number;
  p99: number;
  /** Process CPU time per query (all threads), p50: with other work on the machine, the better estimate. */
  cpuP50: number;
  recallReturning: number;
  recallStrangers: number;
  /** Approximate float16 rows: recall against exact float16, the same stored vectors (the IVF's own loss). */
  recallReturningSame?: number;
  recallStrangersSame?: number;
  bytesPerFace: number;
  rssGiB: number;
  lists?: number;
  probes?: number;
  scannedPerQuery?: number;
  loadAverage: number;
}

const rows: Row[] = [];

/** Times every query (after 3 warm-ups), wall and process CPU, and keeps its top-k face ids. */
function runQueries(queries: Float32Array[], search: (query: Float32Array) => number[]): { times: number[]; cpu: number[]; results: number[][] } {
  for (let i = 0; i < 3; i++) search(queries[i]!);
  const times: number[] = [], cpu: number[] = [], results: number[][] = [];
  for (const query of queries) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    results.push(search(query));
    const used = process.cpuUsage(cpuStart);
    times.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { times, cpu, results };
}

function recall(results: number[][], truth: number[][], from: number, to: number): number {
  let found = 0, total = 0;
  for (let q = from; q < to; q++) {
    const expected = new Set(truth[q]!);
    found += results[q]!.filter((id) => expected.has(id)).length;
    total += expected.size;
  }
  return found / total;
}

function record(data: DataSet, size: number, method: string, buildMs: number, run: { times: number[]; cpu: number[]; results: number[][] }, truth: number[][], bytes: number, extra: Partial<Row> = {}, sameTruth?: number[][]): void {
  const row: Row = {
    data: data.name, faces: size, method, buildSeconds: buildMs / 1000,
    p50: percentile(run.times, 0.5), p99: percentile(run.times, 0.99), cpuP50: percentile(run.cpu, 0.5),
    recallReturning: recall(run.results, truth, 0, queriesPerKind),
    recallStrangers: recall(run.results, truth, queriesPerKind, 2 * queriesPerKind),
    bytesPerFace: bytes / size, rssGiB: process.memoryUsage().rss / 2 ** 30, loadAverage: os.loadavg()[0]!, ...extra,
  };
  if (sameTruth) {
    row.recallReturningSame = recall(run.results, sameTruth, 0, queriesPerKind);
    row.recallStrangersSame = recall(run.results, sameTruth, queriesPerKind, 2 * queriesPerKind);
  }
  rows.push(row);
  log(`  ${method}: build ${row.buildSeconds.toFixed(1)} s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, CPU p50 ${row.cpuP50.toFixed(2)} ms, load ${row.loadAverage.toFixed(1)}, recall@${k} ${row.recallReturning.toFixed(4)} / ${row.recallStrangers.toFixed(4)}${row.recallStrangersSame === undefined ? '' : ` (vs exact float16 ${row.recallReturningSame!.toFixed(4)} / ${row.recallStrangersSame.toFixed(4)})`}, ${row.bytesPerFace.toFixed(0)} B/face, RSS ${row.rssGiB.toFixed(2)} GiB`);
}

/** Fills a SearchIndex with the data set, chunk by chunk; returns the milliseconds taken. */
function fillIndex(index: SearchIndex, data: DataSet, size: number): number {
  const start = performance.now();
  index.reserve(size, dim);
  const chunk = new Float32Array(Math.min(CHUNK, size) * dim);
  const names = new Map<number, string>();
  for (let from = 0; from < size; from += CHUNK) {
    const count = Math.min(CHUNK, size - from);
    const vectors = chunk.subarray(0, count * dim);
    data.fill(vectors, from, count);
    const faceIds = new Float64Array(count), subjectIds = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      faceIds[i] = from + i + 1;
      subjectIds[i] = Math.floor((from + i) / FACES_PER_SUBJECT) + 1;
      names.set(subjectIds[i]!, `subject-${subjectIds[i]}`);
    }
    index.addMany(faceIds, subjectIds, vectors, names);
    names.clear();
  }
  return performance.now() - start;
}

/**
 * Exact float32 top-k over the whole set. One SearchIndex when it fits one matrix (4 GiB: ~8.3M
 * faces of 128 values); above, the same kernel over two matrices (the bench's own, as the
 * SearchIndex holds one: past 8.3M faces it needs precision 'float16').
 */
function exactFloat32(data: DataSet, size: number, queries: Float32Array[]): number[][] {
  const probe = new DotMatrix(dim, 16);
  if (size <= probe.maxRows) {
    const index = SearchIndex.create('synthetic', dim, { mode: 'exact' });
    const buildMs = fillIndex(index, data, size);
    const run = runQueries(queries, (query) => index.searchFaces(query, k).map((m) => m.faceId));
    record(data, size, 'exact float32', buildMs, run, run.results, index.bytes);
    index.close();
    return run.results;
  }
  const shardRows = Math.ceil(size / Math.ceil(size / probe.maxRows));
  const shards: DotMatrix[] = [];
  const start = performance.now();
  const chunk = new Float32Array(CHUNK * dim);
  for (let from = 0; from < size; from += CHUNK) {
    const count = Math.min(CHUNK, size - from);
    data.fill(chunk, from, count);
    for (let i = 0; i < count;) {
      const shard = Math.floor((from + i) / shardRows);
      shards[shard] ??= new DotMatrix(dim, shardRows);
      const take = Math.min(count - i, (shard + 1) * shardRows - (from + i));
      shards[shard]!.append(chunk, take, i * dim);
      i += take;
    }
  }
  const buildMs = performance.now() - start;
  const run = runQueries(queries, (query) => {
    const best: { id: number; score: number }[] = [];
    shards.forEach((shard, s) => {
      for (const { index, score } of topK(shard.dotAll(query), shard.rows, k)) best.push({ id: s * shardRows + index + 1, score });
    });
    return best.sort((a, b) => b.score - a.score).slice(0, k).map((b) => b.id);
  });
  const bytes = shards.reduce((sum, shard) => sum + shard.bytes, 0);
  record(data, size, `exact float32 (${shards.length} matrices)`, buildMs, run, run.results, bytes);
  return run.results;
}

function approximateRows(index: SearchIndex, data: DataSet, size: number, queries: Float32Array[], truth: number[][], precision: Precision, sameTruth?: number[][]): void {
  const lists = args.lists ? Number(args.lists) : defaultLists(size);
  index.configure({ mode: 'approximate', lists, probes: probeSettings[0] });
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  index.prepareApproximate();
  const buildMs = performance.now() - start;
  const buildCpu = process.cpuUsage(cpuStart);
  log(`  IVF build (${lists} lists): ${(buildMs / 1000).toFixed(1)} s wall, ${((buildCpu.user + buildCpu.system) / 1e6).toFixed(1)} s CPU (training ${index.lastBuildCpu!.training.toFixed(1)} s, filing ${index.lastBuildCpu!.filing.toFixed(1)} s), load ${os.loadavg()[0]!.toFixed(1)}; lists largest ${index.approximateIndex!.largestList}, mean ${index.approximateIndex!.meanList.toFixed(0)}`);
  for (const probes of probeSettings) {
    for (const rerank of rerankSettings) {
      index.configure({ probes, rerank });
      const info = index.approximateIndex!;
      const run = runQueries(queries, (query) => index.searchFaces(query, k).map((m) => m.faceId));
      record(data, size, `approximate ${precision}, ${info.probes}/${info.lists} lists, rerank ${info.rerank}`, buildMs, run, truth, index.bytes,
        { lists: info.lists, probes: info.probes, scannedPerQuery: Math.round(size * info.probes / info.lists) }, sameTruth);
    }
  }
}

const started = performance.now();
for (const name of datasets) {
  const data = name === 'faces' ? faceData() : gaussianData();
  if (name === 'faces') {
    const stats = similarityStats(data);
    log(`faces: same person ${stats.same[0].toFixed(3)} (sd ${stats.same[1].toFixed(3)}), different ${stats.different[0].toFixed(3)} (sd ${stats.different[1].toFixed(3)}); ResNet on LFW ${FACE_MODEL.real.same[0]} (${FACE_MODEL.real.same[1]}), ${FACE_MODEL.real.different[0]} (${FACE_MODEL.real.different[1]})`);
  }
  for (const size of sizes) {
    log(`${name}, ${size.toLocaleString('en-US')} faces x ${dim}:`);
    const queries = [
      ...Array.from({ length: queriesPerKind }, (_, q) => data.returning(q, size)),
      ...Array.from({ length: queriesPerKind }, (_, q) => data.stranger(q, size)),
    ];
    const truth = exactFloat32(data, size, queries);
    if (size <= new DotMatrix(dim, 16).maxRows && args.approximate.includes('float32')) {
      const index = SearchIndex.create('synthetic', dim, { mode: 'exact' });
      fillIndex(index, data, size);
      approximateRows(index, data, size, queries, truth, 'float32');
      index.close();
    }
    collect();
    const half = SearchIndex.create('synthetic', dim, { mode: 'exact', precision: 'float16' });
    const buildMs = fillIndex(half, data, size);
    const run = runQueries(queries, (query) => half.searchFaces(query, k).map((m) => m.faceId));
    record(data, size, 'exact float16', buildMs, run, truth, half.bytes);
    if (args.approximate.includes('float16')) approximateRows(half, data, size, queries, truth, 'float16', run.results);
    half.close();
    collect();
  }
}

if (args.json) {
  process.stdout.write(`${JSON.stringify({ k, queriesPerKind, dim, cpus: os.availableParallelism(), rows }, null, 2)}\n`);
} else {
  const header = ['data', 'faces', 'method', 'build s', 'p50 ms', 'p99 ms', 'CPU p50 ms', `recall@${k} returning`, `recall@${k} strangers`, 'vs exact f16: returning', 'strangers', 'bytes/face', 'RSS GiB', 'load'];
  const table = rows.map((r) => [
    r.data, r.faces.toLocaleString('en-US'), r.method, r.buildSeconds.toFixed(1), r.p50.toFixed(2), r.p99.toFixed(2), r.cpuP50.toFixed(2),
    r.recallReturning.toFixed(4), r.recallStrangers.toFixed(4), r.recallReturningSame?.toFixed(4) ?? '', r.recallStrangersSame?.toFixed(4) ?? '', r.bytesPerFace.toFixed(0), r.rssGiB.toFixed(2), r.loadAverage.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => cells[i]!.length)));
  const left = (i: number) => i <= 2;
  const line = (cells: string[]) => `| ${cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (left(i) ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const cells of table) console.log(line(cells));
  console.log(`\n${queriesPerKind} returning + ${queriesPerKind} stranger queries per size, top-${k} faces, ${os.availableParallelism()} CPUs, one thread (WASM SIMD).`
    + ` Build: adding the faces (exact rows), training + filing (approximate rows, shared by the rows of one precision).`
    + ` bytes/face: the index's arrays (vectors, row maps, subject sums, IVF) / faces. Total ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}
