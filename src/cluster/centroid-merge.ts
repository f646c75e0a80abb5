// A second pass after the linkage: groups whose mean templates (the mean of their unit vectors)
// point the same way are merged, best first, while that cosine is at or above a threshold. A
// cluster's template is steadier than any of its faces, so two halves of one person (split by a
// run of profile or blurred faces) or one hard face left beside its person's cluster join here,
// where the face-by-face linkage stopped. Which groups may merge is size-aware: the smaller of a
// pair needs `minSmall` faces, the larger `minLarge` (1 and 2: a single face may join a cluster,
// two single faces never merge here). The cosine of groups A and B is sum(A,B) / sqrt(sum(A,A)
// sum(B,B)), sums of the similarity matrix, so no vectors are needed. Cannot-links hold.
import type { SimilarityMatrix } from './similarity.ts';
import { fromLabels, itemsByPhoto, type Clustering } from './types.ts';

export interface CentroidMergeOptions {
  /** Merge while the best cosine of mean templates is at or above this. */
  threshold: number;
  /** Faces the smaller group of a pair needs (default 1). */
  minSmall?: number;
  /** Faces the larger group of a pair needs (default 2). */
  minLarge?: number;
  /** The photo of each item: items of one photo never share a cluster. */
  photoOf?: ArrayLike<number>;
  /** Further pairs of items that never share a cluster. */
  cannotLink?: ReadonlyArray<readonly [number, number]>;
}

/** One merge of the pass: group `from` joined group `into` (indices into `groups`) at `score`. */
export interface GroupMerge { into: number; from: number; score: number }

/**
 * The merges of the pass made best first down to `options.threshold`, over `groups`: the first
 * clustering's clusters, then its unclustered items one each. The order does not depend on the
 * threshold, so one sequence gives every higher one (cutGroupMerges).
 */
export function centroidMergeSequence(similarity: SimilarityMatrix, first: Clustering, options: CentroidMergeOptions): { groups: number[][]; merges: GroupMerge[] } {
  const n = similarity.size;
  const minSmall = options.minSmall ?? 1, minLarge = options.minLarge ?? 2;
  const all: number[][] = [...first.clusters, ...first.unclustered.map((i) => [i])];
  // Only groups that can take part get a row and a column.
  const groups = all.filter((g) => g.length >= minSmall);
  const C = groups.length;
  const groupOf = new Int32Array(n).fill(-1);
  groups.forEach((g, k) => { for (const i of g) groupOf[i] = k; });
  const sums = new Float32Array(C * C);
  const values = similarity.values;
  for (let i = 0; i < n; i++) {
    const gi = groupOf[i]!;
    if (gi < 0) continue;
    const row = i * n, out = gi * C;
    for (let j = 0; j < n; j++) { const gj = groupOf[j]!; if (gj >= 0) sums[out + gj] += values[row + j]!; }
  }
  const blocked = new Uint8Array(C * C);
  const block = (a: number, b: number) => {
    const ga = groupOf[a]!, gb = groupOf[b]!;
    if (ga >= 0 && gb >= 0 && ga !== gb) { blocked[ga * C + gb] = 1; blocked[gb * C + ga] = 1; }
  };
  if (options.photoOf) {
    for (const list of itemsByPhoto(options.photoOf, n)) for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) block(list[x]!, list[y]!);
  }
  for (const [a, b] of options.cannotLink ?? []) block(a, b);

  const size = Float64Array.from(groups, (g) => g.length);
  const active = new Uint8Array(C).fill(1);
  const cosine = (i: number, j: number) => sums[i * C + j]! / Math.sqrt(sums[i * C + i]! * sums[j * C + j]!);
  const allowed = (i: number, j: number) => i !== j && active[j] === 1 && blocked[i * C + j] === 0 && Math.max(size[i]!, size[j]!) >= minLarge;
  const best = new Int32Array(C).fill(-1);
  const bestScore = new Float64Array(C).fill(-Infinity);
  const rescan = (i: number) => {
    let b = -1, s = -Infinity;
    for (let j = 0; j < C; j++) if (allowed(i, j)) { const c = cosine(i, j); if (c > s) { s = c; b = j; } }
    best[i] = b; bestScore[i] = s;
  };
  for (let i = 0; i < C; i++) rescan(i);
  const merges: GroupMerge[] = [];
  for (;;) {
    let i = -1, s = -Infinity;
    for (let k = 0; k < C; k++) if (active[k] && bestScore[k]! > s) { s = bestScore[k]!; i = k; }
    if (i < 0 || s < options.threshold) break;
    const a = Math.min(i, best[i]!), b = Math.max(i, best[i]!);
    merges.push({ into: a, from: b, score: s });
    sums[a * C + a] = sums[a * C + a]! + sums[b * C + b]! + 2 * sums[a * C + b]!;
    for (let k = 0; k < C; k++) {
      if (k === a || k === b || !active[k]) continue;
      const v = sums[a * C + k]! + sums[b * C + k]!;
      sums[a * C + k] = v; sums[k * C + a] = v;
      const never = blocked[a * C + k]! | blocked[b * C + k]!;
      blocked[a * C + k] = never; blocked[k * C + a] = never;
    }
    size[a] = size[a]! + size[b]!;
    active[b] = 0;
    rescan(a);
    for (let k = 0; k < C; k++) {
      if (!active[k] || k === a) continue;
      if (best[k] === a || best[k] === b) {
        // The rest of k's row is unchanged: the new group is k's best if it scores at least the old best.
        const c = allowed(k, a) ? cosine(k, a) : -Infinity;
        if (c >= bestScore[k]!) { best[k] = a; bestScore[k] = c; } else rescan(k);
      } else if (allowed(k, a)) {
        const c = cosine(k, a);
        if (c > bestScore[k]! || (c === bestScore[k]! && a < best[k]!)) { best[k] = a; bestScore[k] = c; }
      }
    }
  }
  // Groups too small to take part come back as they were.
  return { groups: [...groups, ...all.filter((g) => g.length < minSmall)], merges };
}

/** The clustering after the merges scoring at or above `threshold`. */
export function cutGroupMerges(size: number, groups: readonly (readonly number[])[], merges: readonly GroupMerge[], threshold: number, minSize = 2): Clustering {
  const parent = Int32Array.from(groups, (_, k) => k);
  for (const m of merges) {
    if (m.score < threshold) break;
    parent[m.from] = m.into;
  }
  const root = (k: number): number => { while (parent[k] !== k) k = parent[k]!; return k; };
  const labels = new Int32Array(size).fill(-1);
  groups.forEach((g, k) => { const r = root(k); for (const i of g) labels[i] = r; });
  return fromLabels(labels, minSize);
}

export function centroidMerge(similarity: SimilarityMatrix, first: Clustering, options: CentroidMergeOptions): Clustering {
  const { groups, merges } = centroidMergeSequence(similarity, first, options);
  return cutGroupMerges(similarity.size, groups, merges, options.threshold);
}
