// IvfLists: the approximate part of SearchIndex, an inverted file (IVF). A spherical k-means
// "coarse quantiser" cuts the sphere into `lists` cells; every stored row belongs to the list of
// its nearest centroid. A query scores the centroids (lists x dim, cheap), takes the `probes` best
// lists and scores only their rows, from the index's own matrix (float32 or float16) with the
// gather kernel (DotMatrix.dotRows): the scores of the faces found are the stored vectors' own,
// only faces in lists not probed can be missed. Why IVF rather than a graph (HNSW): see
// docs/search.md (built in seconds where a graph takes minutes, 12 bytes a face beside the
// vectors, adds and removes in O(1), pure TypeScript so no native addon to build at install).
//
// Assigning millions of rows to thousands of centroids is the build's cost, so rows are assigned
// through a second, small level: the centroids are themselves grouped by k-means (about
// sqrt(lists) groups); a row scores the group centres, then the centroids of its best few groups.
// The lists hold no copy of the vectors, only row numbers; after training the index moves its
// rows so that each list's rows lie together (contiguousOrder).
import { DotMatrix } from './dot-kernel.ts';
import { topK } from '../face/match/index.ts';

/** Points per centroid sampled for training (faiss warns under 39; 32 keeps 10M's training short). */
const SAMPLE_PER_LIST = 32;
const TRAIN_ITERATIONS = 6;
/** Groups of centroids a row's assignment looks into. */
const GROUP_PROBES = 4;

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

function normaliseRows(sums: Float64Array, dim: number, into: Float32Array): void {
  for (let at = 0; at < sums.length; at += dim) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += sums[at + j]! ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < dim; j++) into[at + j] = sums[at + j]! * scale;
  }
}

/**
 * Spherical k-means of `count` unit vectors (read by `vector(i)`) into `k` unit centres:
 * returns the centres (k x dim). Empty cells are re-seeded with a random point.
 */
function sphericalKMeans(vector: (i: number) => Float32Array, count: number, dim: number, k: number, iterations: number, random: () => number): Float32Array {
  const centres = new Float32Array(k * dim);
  // Distinct random points to start (a partial Fisher-Yates shuffle).
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let c = 0; c < k; c++) {
    const pick = c + Math.floor(random() * (count - c));
    [order[c], order[pick]] = [order[pick]!, order[c]!];
    centres.set(vector(order[c]!), c * dim);
  }
  const matrix = new DotMatrix(dim, k);
  const sums = new Float64Array(k * dim);
  const sizes = new Int32Array(k);
  for (let iteration = 0; iteration < iterations; iteration++) {
    matrix.clear();
    matrix.append(centres, k);
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < count; i++) {
      const point = vector(i);
      const scores = matrix.dotAll(point);
      let best = 0;
      for (let c = 1; c < k; c++) if (scores[c]! > scores[best]!) best = c;
      sizes[best]!++;
      const at = best * dim;
      for (let j = 0; j < dim; j++) sums[at + j]! += point[j]!;
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) {
        const point = vector(Math.floor(random() * count));
        for (let j = 0; j < dim; j++) sums[c * dim + j] = point[j]!;
      }
    }
    normaliseRows(sums, dim, centres);
  }
  return centres;
}

export class IvfLists {
  readonly lists: number;
  /** Rows in the index when it was trained (the rebuild policy compares the size with it). */
  readonly trainedRows: number;
  private readonly dim: number;
  private readonly centroids: DotMatrix;
  private readonly groups: DotMatrix;
  /** Centroid numbers by group, and where each group starts in it (groups + 1 entries). */
  private readonly groupMembers: Int32Array;
  private readonly groupStart: Int32Array;
  private members: Int32Array[];
  private readonly sizes: Int32Array;
  private rowList = new Int32Array(0);
  private rowPos = new Int32Array(0);

  private constructor(dim: number, centres: Float32Array, lists: number, groupCentres: Float32Array, groupMembers: Int32Array, groupStart: Int32Array, trainedRows: number) {
    this.dim = dim;
    this.lists = lists;
    this.trainedRows = trainedRows;
    this.centroids = new DotMatrix(dim, lists);
    this.centroids.append(centres, lists);
    const groupCount = groupStart.length - 1;
    this.groups = new DotMatrix(dim, groupCount);
    this.groups.append(groupCentres, groupCount);
    this.groupMembers = groupMembers;
    this.groupStart = groupStart;
    this.members = Array.from({ length: lists }, () => new Int32Array(16));
    this.sizes = new Int32Array(lists);
  }

  /**
   * Trains `lists` centroids on a sample of the rows of `storage` and files every row. Cost:
   * about SAMPLE_PER_LIST x lists^2 x dim x iterations multiply-adds for training, and
   * rows x (sqrt(lists) + GROUP_PROBES x lists / sqrt(lists)) x dim for filing.
   */
  static train(storage: DotMatrix, lists: number, seed = 1): IvfLists {
    const rows = storage.rows;
    const dim = storage.dim;
    lists = Math.max(1, Math.min(lists, rows));
    const random = uniform(seed);
    const sampleSize = Math.min(rows, lists * SAMPLE_PER_LIST);
    // A sample of distinct rows, copied once (float16 rows widened).
    const sample = new Float32Array(sampleSize * dim);
    const picked = new Set<number>();
    for (let i = 0; i < sampleSize; i++) {
      let row: number;
      if (sampleSize === rows) row = i;
      else do row = Math.floor(random() * rows); while (picked.has(row));
      picked.add(row);
      sample.set(storage.row(row), i * dim);
    }
    const centres = sphericalKMeans((i) => sample.subarray(i * dim, (i + 1) * dim), sampleSize, dim, lists, TRAIN_ITERATIONS, random);
    // The second level: groups of centroids.
    const groupCount = Math.max(1, Math.round(Math.sqrt(lists)));
    const groupCentres = sphericalKMeans((c) => centres.subarray(c * dim, (c + 1) * dim), lists, dim, groupCount, TRAIN_ITERATIONS, random);
    const groupMatrix = new DotMatrix(dim, groupCount);
    groupMatrix.append(groupCentres, groupCount);
    const groupOf = new Int32Array(lists);
    const groupSize = new Int32Array(groupCount);
    for (let c = 0; c < lists; c++) {
      const scores = groupMatrix.dotAll(centres.subarray(c * dim, (c + 1) * dim));
      let best = 0;
      for (let g = 1; g < groupCount; g++) if (scores[g]! > scores[best]!) best = g;
      groupOf[c] = best;
      groupSize[best]!++;
    }
    const groupStart = new Int32Array(groupCount + 1);
    for (let g = 0; g < groupCount; g++) groupStart[g + 1] = groupStart[g]! + groupSize[g]!;
    const fillAt = groupStart.slice(0, groupCount);
    const groupMembers = new Int32Array(lists);
    for (let c = 0; c < lists; c++) groupMembers[fillAt[groupOf[c]!]!++] = c;
    const ivf = new IvfLists(dim, centres, lists, groupCentres, groupMembers, groupStart, rows);
    ivf.addRows(storage, 0, rows);
    return ivf;
  }

  /**
   * The row order that puts each list's rows next to each other (list by list): scoring a list
   * then reads memory in sequence, where rows scattered over gigabytes cost a cache and TLB miss
   * each (measured: 10x slower per row). The caller moves its rows so (new row i = old row
   * order[i]), then calls renumbered(). Rows added later go to the end of the matrix until the
   * next training.
   */
  contiguousOrder(): Int32Array {
    let total = 0;
    for (let list = 0; list < this.lists; list++) total += this.sizes[list]!;
    const order = new Int32Array(total);
    let at = 0;
    for (let list = 0; list < this.lists; list++) {
      order.set(this.members[list]!.subarray(0, this.sizes[list]!), at);
      at += this.sizes[list]!;
    }
    return order;
  }

  /** The rows were moved into contiguousOrder(): each list now holds a run of row numbers. */
  renumbered(): void {
    let row = 0;
    for (let list = 0; list < this.lists; list++) {
      const members = this.members[list]!;
      for (let pos = 0; pos < this.sizes[list]!; pos++, row++) {
        members[pos] = row;
        this.rowList[row] = list;
        this.rowPos[row] = pos;
      }
    }
  }

  /** The list whose centroid is nearest `vector` (through the best GROUP_PROBES groups). */
  nearestList(vector: Float32Array): number {
    const groupCount = this.groupStart.length - 1;
    const groupScores = this.groups.dotAll(vector);
    const probed = groupCount <= GROUP_PROBES ? null : topK(groupScores, groupCount, GROUP_PROBES);
    let count = 0;
    const candidates = probed ? probed.map(({ index }) => index) : Array.from({ length: groupCount }, (_, g) => g);
    for (const g of candidates) count += this.groupStart[g + 1]! - this.groupStart[g]!;
    const centroidRows = new Int32Array(count);
    let at = 0;
    for (const g of candidates) {
      centroidRows.set(this.groupMembers.subarray(this.groupStart[g]!, this.groupStart[g + 1]!), at);
      at += this.groupStart[g + 1]! - this.groupStart[g]!;
    }
    const scores = this.centroids.dotRows(vector, centroidRows);
    let best = 0;
    for (let i = 1; i < count; i++) if (scores[i]! > scores[best]!) best = i;
    return centroidRows[best]!;
  }

  /** Files rows [from, from + count) of `storage` (rows appended to the index). */
  addRows(storage: DotMatrix, from: number, count: number): void {
    this.growRows(from + count);
    for (let row = from; row < from + count; row++) this.file(row, this.nearestList(storage.row(row)));
  }

  /** Forgets `row`, then renumbers `last` (the row the matrix moved into it) as `row`. */
  removeRow(row: number, last: number): void {
    const list = this.rowList[row]!;
    const pos = this.rowPos[row]!;
    const end = --this.sizes[list]!;
    const members = this.members[list]!;
    if (pos !== end) {
      const moved = members[end]!;
      members[pos] = moved;
      this.rowPos[moved] = pos;
    }
    if (row !== last) {
      const lastList = this.rowList[last]!;
      const lastPos = this.rowPos[last]!;
      this.members[lastList]![lastPos] = row;
      this.rowList[row] = lastList;
      this.rowPos[row] = lastPos;
    }
  }

  /** Row numbers of the faces in the `probes` lists nearest `query`. */
  candidates(query: Float32Array, probes: number): Int32Array {
    const scores = this.centroids.dotAll(query);
    const best = topK(scores, this.lists, Math.min(probes, this.lists));
    let total = 0;
    for (const { index } of best) total += this.sizes[index]!;
    const rows = new Int32Array(total);
    let at = 0;
    for (const { index } of best) {
      rows.set(this.members[index]!.subarray(0, this.sizes[index]!), at);
      at += this.sizes[index]!;
    }
    return rows;
  }

  /** Bytes held: centroids, the lists and the row -> list map. */
  get bytes(): number {
    let lists = 0;
    for (const members of this.members) lists += members.byteLength;
    return this.centroids.bytes + this.groups.bytes + lists + this.rowList.byteLength + this.rowPos.byteLength;
  }

  /** Faces per list: the largest and the mean (a lopsided quantiser scans more per probe). */
  balance(): { largest: number; mean: number } {
    let largest = 0, total = 0;
    for (const size of this.sizes) { largest = Math.max(largest, size); total += size; }
    return { largest, mean: total / this.lists };
  }

  private file(row: number, list: number): void {
    let members = this.members[list]!;
    const size = this.sizes[list]!;
    if (size === members.length) {
      const grown = new Int32Array(members.length * 2);
      grown.set(members);
      this.members[list] = members = grown;
    }
    members[size] = row;
    this.sizes[list] = size + 1;
    this.rowList[row] = list;
    this.rowPos[row] = size;
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
