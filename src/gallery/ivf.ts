// IvfLists: the approximate part of SearchIndex, an inverted file (IVF). k-means on a sample of the
// faces places `lists` centroids (the "coarse quantiser"); every face is filed under its nearest
// centroid, as a one-byte-a-value code in that list's run of memory (ivf-codes.ts). A query scores
// the centroids, scores the codes of the `probes` nearest lists, and hands back the `rerank` best
// rows: SearchIndex scores those again from its own float32 or float16 matrix, so a face found has
// its stored score and only faces in lists not probed (or ranked below `rerank` by their codes) can
// be missed. Why IVF rather than a graph (HNSW): docs/search.md.
//
// Centroids are plain means (Euclidean k-means): for unit vectors the nearest face by dot product
// is the nearest by distance, and a list's centroid is ranked by query . c - |c|^2 / 2. (Spherical
// k-means, normalised centroids ranked by query . c, was measured against it: docs/search.md.)
//
// Filing millions of rows against thousands of centroids is the build's cost, so rows are filed
// through a second, small level: the centroids are grouped by k-means (about sqrt(lists) groups);
// a row scores the group centres, then the centroids of its best few groups.
//
// The build is a generator (IvfBuild): it can run to the end at once, or a slice at a time on the
// event loop while the index goes on answering exactly. Rows added while it runs are filed by it
// before it ends; rows removed are taken out of what it has filed (removeRow).
import { DotMatrix } from './dot-kernel.ts';
import { CodeLists, SCRATCH_ROWS } from './ivf-codes.ts';
import { topK } from '../face/match/index.ts';

/** Sampled points per centroid for training (faiss trains on a sample too and warns under 39). */
export const SAMPLE_PER_LIST = 32;
export const TRAIN_ITERATIONS = 8;
/** Groups of centroids a row's filing looks into. */
const GROUP_PROBES = 4;
/** Work between two checks of the clock while building (points or rows). */
const STEP = 512;

/** mulberry32: reproducible uniform numbers in [0, 1). */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest scores[i] + bias[i]. */
function best(scores: Float32Array, bias: Float32Array, count: number): number {
  let at = 0, top = -Infinity;
  for (let i = 0; i < count; i++) {
    const score = scores[i]! + bias[i]!;
    if (score > top) { top = score; at = i; }
  }
  return at;
}

/** -|c|^2 / 2 per centre: with it, the largest query . c + bias is the nearest centre. */
function biasOf(centres: Float32Array, dim: number): Float32Array {
  const bias = new Float32Array(centres.length / dim);
  for (let c = 0; c < bias.length; c++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += centres[c * dim + j]! ** 2;
    bias[c] = -norm / 2;
  }
  return bias;
}

/**
 * k-means of `count` points (rows of `points`) into `k` centres (k x dim), a step at a time
 * (yields every STEP points). Empty cells are re-seeded with a random point.
 */
function* kMeans(points: Float32Array, count: number, dim: number, k: number, iterations: number, random: () => number, progress: (done: number) => void): Generator<void, Float32Array> {
  const centres = new Float32Array(k * dim);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let c = 0; c < k; c++) {
    const pick = c + Math.floor(random() * (count - c));
    [order[c], order[pick]] = [order[pick]!, order[c]!];
    centres.set(points.subarray(order[c]! * dim, (order[c]! + 1) * dim), c * dim);
  }
  const matrix = new DotMatrix(dim, k);
  const sums = new Float64Array(k * dim);
  const sizes = new Int32Array(k);
  for (let iteration = 0; iteration < iterations; iteration++) {
    matrix.clear();
    matrix.append(centres, k);
    const bias = biasOf(centres, dim);
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < count; i++) {
      const point = points.subarray(i * dim, (i + 1) * dim);
      const c = best(matrix.dotAll(point), bias, k);
      sizes[c]!++;
      const at = c * dim;
      for (let j = 0; j < dim; j++) sums[at + j]! += point[j]!;
      if (i % STEP === STEP - 1) { progress((iteration * count + i) / (iterations * count)); yield; }
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) {
        const pick = Math.floor(random() * count);
        centres.set(points.subarray(pick * dim, (pick + 1) * dim), c * dim);
      } else {
        for (let j = 0; j < dim; j++) centres[c * dim + j] = sums[c * dim + j]! / sizes[c]!;
      }
    }
  }
  return centres;
}

export interface IvfProgress {
  phase: 'training' | 'filing' | 'ready';
  /** 0..1 within the phase. */
  done: number;
}

/** A build under way: step() runs it for a while; `lists` exists once training is over. */
export class IvfBuild {
  readonly progress: IvfProgress = { phase: 'training', done: 0 };
  /** Process CPU seconds spent by each phase (meaningful when nothing else runs meanwhile: a build run at once). */
  readonly cpuSeconds = { training: 0, filing: 0 };
  /** The index being filed (null while training). Removals must reach it: removeRow(). */
  lists: IvfLists | null = null;
  private readonly steps: Generator<void, IvfLists>;
  private result: IvfLists | null = null;

  /** `samplePerList`: training points per list (the rest of the faces are only filed). */
  constructor(storage: DotMatrix, lists: number, seed = 1, samplePerList = SAMPLE_PER_LIST) {
    this.steps = this.run(storage, lists, seed, samplePerList);
  }

  /** Runs until done or `ms` milliseconds have passed; returns the index when done. */
  step(ms = Infinity): IvfLists | null {
    if (this.result) return this.result;
    const until = performance.now() + ms;
    for (;;) {
      const next = this.steps.next();
      if (next.done) {
        this.result = next.value;
        this.progress.phase = 'ready';
        this.progress.done = 1;
        return this.result;
      }
      if (performance.now() >= until) return null;
    }
  }

  private *run(storage: DotMatrix, listCount: number, seed: number, samplePerList: number): Generator<void, IvfLists> {
    let cpu = process.cpuUsage();
    const dim = storage.dim;
    const rows = storage.rows;
    const lists = Math.max(1, Math.min(listCount, rows));
    const random = uniform(seed);
    const sampleSize = Math.min(rows, lists * samplePerList);
    // A sample of distinct rows, copied once (float16 rows widened): training reads only it.
    const sample = new Float32Array(sampleSize * dim);
    const picked = new Set<number>();
    for (let i = 0; i < sampleSize; i++) {
      let row: number;
      if (sampleSize === rows) row = i;
      else do row = Math.floor(random() * rows); while (picked.has(row));
      picked.add(row);
      sample.set(storage.row(row), i * dim);
      if (i % (8 * STEP) === 0) yield;
    }
    const centres = yield* kMeans(sample, sampleSize, dim, lists, TRAIN_ITERATIONS, random, (done) => { this.progress.done = done; });
    const groupCount = Math.max(1, Math.round(Math.sqrt(lists)));
    const groupCentres = yield* kMeans(centres, lists, dim, groupCount, TRAIN_ITERATIONS, random, () => undefined);
    // The codes' mean and spread, and the lists' expected sizes, from the sample.
    const mean = new Float32Array(dim);
    for (let i = 0; i < sampleSize; i++) for (let j = 0; j < dim; j++) mean[j]! += sample[i * dim + j]! / sampleSize;
    const spread = new Float32Array(dim);
    for (let i = 0; i < sampleSize; i++) for (let j = 0; j < dim; j++) spread[j] = Math.max(spread[j]!, Math.abs(sample[i * dim + j]! - mean[j]!));
    const ivf = new IvfLists(dim, centres, lists, groupCentres, rows, mean, spread);
    const counts = new Float64Array(lists);
    for (let i = 0; i < sampleSize; i++) counts[ivf.nearestList(sample.subarray(i * dim, (i + 1) * dim))]! += rows / sampleSize;
    ivf.layOut(counts);
    this.lists = ivf;
    const trained = process.cpuUsage(cpu);
    this.cpuSeconds.training = (trained.user + trained.system) / 1e6;
    cpu = process.cpuUsage();
    this.progress.phase = 'filing';
    this.progress.done = 0;
    // Files every row, including those added meanwhile; removals meanwhile go through removeRow.
    while (ivf.filedRows < storage.rows) {
      ivf.fileNext(storage, STEP);
      this.progress.done = ivf.filedRows / storage.rows;
      yield;
    }
    const filed = process.cpuUsage(cpu);
    this.cpuSeconds.filing = (filed.user + filed.system) / 1e6;
    return ivf;
  }
}

export class IvfLists {
  readonly lists: number;
  /** Rows in the index when it was trained (the rebuild policy compares the size with it). */
  readonly trainedRows: number;
  private readonly dim: number;
  private readonly centroids: DotMatrix;
  private readonly bias: Float32Array;
  private readonly groups: DotMatrix;
  private readonly groupBias: Float32Array;
  /** Centroid numbers by group, and where each group starts in it (groups + 1 entries). */
  private readonly groupMembers: Int32Array;
  private readonly groupStart: Int32Array;
  private readonly mean: Float32Array;
  private readonly spread: Float32Array;
  private codes: CodeLists | null = null;
  private members: Int32Array[];
  private readonly sizes: Int32Array;
  private rowList = new Int32Array(0);
  private rowPos = new Int32Array(0);
  /** Rows [0, filed) are in the lists. */
  private filed = 0;
  /** Scratch of nearestList: centroid numbers to score, the chosen groups and their scores. */
  private readonly centroidRows: Int32Array;
  private readonly chosenGroups = new Int32Array(GROUP_PROBES);
  private readonly chosenScores = new Float64Array(GROUP_PROBES);

  constructor(dim: number, centres: Float32Array, lists: number, groupCentres: Float32Array, trainedRows: number, mean: Float32Array, spread: Float32Array) {
    this.dim = dim;
    this.lists = lists;
    this.trainedRows = trainedRows;
    this.centroids = new DotMatrix(dim, lists);
    this.centroids.append(centres, lists);
    this.bias = biasOf(centres, dim);
    const groupCount = groupCentres.length / dim;
    this.groups = new DotMatrix(dim, groupCount);
    this.groups.append(groupCentres, groupCount);
    this.groupBias = biasOf(groupCentres, dim);
    // Each centroid in the group of its nearest group centre.
    const groupOf = new Int32Array(lists);
    const groupSize = new Int32Array(groupCount);
    for (let c = 0; c < lists; c++) {
      groupOf[c] = best(this.groups.dotAll(centres.subarray(c * dim, (c + 1) * dim)), this.groupBias, groupCount);
      groupSize[groupOf[c]!]!++;
    }
    this.groupStart = new Int32Array(groupCount + 1);
    for (let g = 0; g < groupCount; g++) this.groupStart[g + 1] = this.groupStart[g]! + groupSize[g]!;
    const fillAt = this.groupStart.slice(0, groupCount);
    this.groupMembers = new Int32Array(lists);
    for (let c = 0; c < lists; c++) this.groupMembers[fillAt[groupOf[c]!]!++] = c;
    this.centroidRows = new Int32Array(lists);
    this.mean = mean;
    this.spread = spread;
    this.members = Array.from({ length: lists }, () => new Int32Array(16));
    this.sizes = new Int32Array(lists);
  }

  /** Trains and files every row of `storage` at once. */
  static train(storage: DotMatrix, lists: number, seed = 1): IvfLists {
    return new IvfBuild(storage, lists, seed).step()!;
  }

  /** Sizes the lists' memory for about `expected[list]` rows each (before filing). */
  layOut(expected: ArrayLike<number>): void {
    this.codes = new CodeLists(this.dim, this.mean, this.spread, expected);
    this.members = Array.from(expected, (count) => new Int32Array(Math.ceil(count * 1.2) + 16));
  }

  /** Rows filed so far (all of them once built). */
  get filedRows(): number {
    return this.filed;
  }

  /**
   * The list whose centroid is nearest `vector` (through the best GROUP_PROBES groups): the
   * centroids of those groups are scored in one gather call (one query copy), into buffers kept
   * from row to row, since filing calls this once a face.
   */
  nearestList(vector: Float32Array): number {
    const groupCount = this.groupStart.length - 1;
    const groupScores = this.groups.dotAll(vector);
    // The best GROUP_PROBES groups (a small insertion list).
    const chosen = this.chosenGroups;
    const chosenScore = this.chosenScores;
    const take = Math.min(GROUP_PROBES, groupCount);
    let filled = 0;
    for (let g = 0; g < groupCount; g++) {
      const score = groupScores[g]! + this.groupBias[g]!;
      if (filled === take && score <= chosenScore[take - 1]!) continue;
      let at = filled < take ? filled++ : take - 1;
      while (at > 0 && chosenScore[at - 1]! < score) {
        chosenScore[at] = chosenScore[at - 1]!;
        chosen[at] = chosen[at - 1]!;
        at--;
      }
      chosenScore[at] = score;
      chosen[at] = g;
    }
    let count = 0;
    for (let i = 0; i < filled; i++) {
      const g = chosen[i]!;
      const from = this.groupStart[g]!, to = this.groupStart[g + 1]!;
      this.centroidRows.set(this.groupMembers.subarray(from, to), count);
      count += to - from;
    }
    const rows = this.centroidRows.subarray(0, count);
    const scores = this.centroids.dotRows(vector, rows);
    let top = -Infinity, found = 0;
    for (let i = 0; i < count; i++) {
      const score = scores[i]! + this.bias[rows[i]!]!;
      if (score > top) { top = score; found = rows[i]!; }
    }
    return found;
  }

  /** Files up to `count` of the rows of `storage` not filed yet (rows appended since included). */
  fileNext(storage: DotMatrix, count: number): void {
    const end = Math.min(storage.rows, this.filed + count);
    this.growRows(end);
    for (let row = this.filed; row < end; row++) {
      const vector = storage.row(row);
      this.file(row, this.nearestList(vector), vector);
    }
    this.filed = end;
  }

  /**
   * `row` leaves the index and the matrix moves its last row (`last`) into it (call before the
   * matrix does: `storage` still holds `last`). Rows not filed yet are the build's to file.
   */
  removeRow(row: number, last: number, storage: DotMatrix): void {
    const lastFiled = last < this.filed;
    if (row < this.filed) this.unfile(row);
    if (row !== last) {
      if (lastFiled) this.renumber(last, row);
      else if (row < this.filed) {
        const vector = storage.row(last);
        this.file(row, this.nearestList(vector), vector);
      }
    }
    if (lastFiled) this.filed--;
  }

  /**
   * The `rerank` rows whose codes score best among the `probes` lists nearest `query` (fewer when
   * those lists hold fewer), in no particular order.
   */
  candidates(query: Float32Array, probes: number, rerank: number): Int32Array {
    const codes = this.codes!;
    const centroidScores = this.centroids.dotAll(query);
    const adjusted = new Float32Array(this.lists);
    for (let c = 0; c < this.lists; c++) adjusted[c] = centroidScores[c]! + this.bias[c]!;
    const probed = topK(adjusted, this.lists, Math.min(probes, this.lists));
    codes.setQuery(query);
    // The best `rerank` so far, as a min-heap on score (its root is the one to beat).
    const heapScore = new Float32Array(rerank);
    const heapRow = new Int32Array(rerank);
    let size = 0;
    for (const { index: list } of probed) {
      const members = this.members[list]!;
      const total = this.sizes[list]!;
      for (let from = 0; from < total; from += SCRATCH_ROWS) {
        const count = Math.min(SCRATCH_ROWS, total - from);
        const scores = codes.scan(list, from, count);
        for (let i = 0; i < count; i++) {
          const score = scores[i]!;
          if (size === rerank) {
            if (!(score > heapScore[0]!)) continue;
            // Replace the root and sift down.
            let at = 0;
            for (;;) {
              const left = 2 * at + 1;
              if (left >= size) break;
              const right = left + 1;
              const child = right < size && heapScore[right]! < heapScore[left]! ? right : left;
              if (heapScore[child]! >= score) break;
              heapScore[at] = heapScore[child]!;
              heapRow[at] = heapRow[child]!;
              at = child;
            }
            heapScore[at] = score;
            heapRow[at] = members[from + i]!;
          } else {
            // Sift up.
            let at = size++;
            while (at > 0) {
              const parent = (at - 1) >> 1;
              if (heapScore[parent]! <= score) break;
              heapScore[at] = heapScore[parent]!;
              heapRow[at] = heapRow[parent]!;
              at = parent;
            }
            heapScore[at] = score;
            heapRow[at] = members[from + i]!;
          }
        }
      }
    }
    return heapRow.slice(0, size);
  }

  /** Bytes held: centroids, codes, the lists and the row -> list maps. */
  get bytes(): number {
    let lists = 0;
    for (const members of this.members) lists += members.byteLength;
    return this.centroids.bytes + this.groups.bytes + (this.codes?.bytes ?? 0) + lists + this.rowList.byteLength + this.rowPos.byteLength;
  }

  /** Faces per list: the largest and the mean (a lopsided quantiser scans more per probe). */
  balance(): { largest: number; mean: number } {
    let largest = 0, total = 0;
    for (const size of this.sizes) { largest = Math.max(largest, size); total += size; }
    return { largest, mean: total / this.lists };
  }

  private file(row: number, list: number, vector: Float32Array): void {
    let members = this.members[list]!;
    const size = this.sizes[list]!;
    if (size === members.length) {
      const grown = new Int32Array(members.length * 2);
      grown.set(members);
      this.members[list] = members = grown;
    }
    this.codes!.put(list, size, vector, size);
    members[size] = row;
    this.sizes[list] = size + 1;
    this.rowList[row] = list;
    this.rowPos[row] = size;
  }

  /** Takes `row` out of its list (the list's last entry moves into its place). */
  private unfile(row: number): void {
    const list = this.rowList[row]!;
    const pos = this.rowPos[row]!;
    const end = --this.sizes[list]!;
    const members = this.members[list]!;
    if (pos !== end) {
      const moved = members[end]!;
      members[pos] = moved;
      this.rowPos[moved] = pos;
      this.codes!.move(list, end, pos);
    }
  }

  /** The entry of row `from` now stands for row `to`. */
  private renumber(from: number, to: number): void {
    const list = this.rowList[from]!;
    const pos = this.rowPos[from]!;
    this.members[list]![pos] = to;
    this.rowList[to] = list;
    this.rowPos[to] = pos;
  }

  private growRows(total: number): void {
    if (total <= this.rowList.length) return;
    const capacity = Math.max(total, Math.floor(this.rowList.length * 1.5), 1024);
    const rowList = new Int32Array(capacity);
    rowList.set(this.rowList);
    const rowPos = new Int32Array(capacity);
    rowPos.set(this.rowPos);
    this.rowList = rowList;
    this.rowPos = rowPos;
  }
}
