// Agglomerative clustering over a similarity matrix, with cannot-links (two faces of one photo,
// or a pair the user said are different people) that no merge may break.
//
// The linkage of clusters A and B is their average pairwise similarity avg(A, B) (average
// linkage, UPGMA), divided by (coh(A) coh(B))^cohesion, where coh(X) is the mean similarity over
// all ordered pairs of X, itself included (1 for one face). avg(A, B) is the dot product of the
// clusters' mean vectors and coh(X) the squared length of X's mean, so cohesion 0 is plain average
// linkage and cohesion 0.5 the cosine of the clusters' normalised mean templates: a large, tight
// cluster's template is far steadier than any one face, and its mean similarity to another
// cluster of the same person is pulled down by every profile or blurred face in either. Between
// 0 and 0.5 the rule leans that way by degree; which value is best is measured (bench/cluster.ts).
// Merges are made best first while the best linkage is at or above the threshold. Deterministic:
// ties go to the lowest indices.
import type { SimilarityMatrix } from './similarity.ts';
import { fromLabels, itemsByPhoto, type Clustering } from './types.ts';

export interface AgglomerativeOptions {
  /** Merge while the best linkage is at or above this. */
  threshold: number;
  /** 0: average linkage; 0.5: cosine of mean templates (see the header). Default 0. */
  cohesion?: number;
  /** The photo of each item: items of one photo never share a cluster. */
  photoOf?: ArrayLike<number>;
  /** Further pairs of items that never share a cluster. */
  cannotLink?: ReadonlyArray<readonly [number, number]>;
  /** Clusters smaller than this are reported as unclustered (default 2). */
  minSize?: number;
  /**
   * Groups of items put together before any merge, whatever their linkage (clusters kept from an
   * earlier run, or merged by the user); a member that a cannot-link keeps out stays apart.
   */
  initial?: ReadonlyArray<readonly number[]>;
}

const NEVER = -Infinity;

export function agglomerative(similarity: SimilarityMatrix, options: AgglomerativeOptions): Clustering {
  return cutMerges(similarity.size, mergeSequence(similarity, options), options.threshold, options.minSize ?? 2);
}

/** One merge: cluster `from` joined cluster `into` (each named by its lowest item) at `score`; initial groups score Infinity. */
export interface Merge { into: number; from: number; score: number }

/**
 * The merges made best first down to `options.threshold`, in order. The order does not depend on
 * the threshold (only where it stops), so one sequence at a low threshold gives the clustering at
 * every higher one (cutMerges): how bench:cluster fits a threshold cheaply.
 */
export function mergeSequence(similarity: SimilarityMatrix, options: AgglomerativeOptions): Merge[] {
  const merges: Merge[] = [];
  const n = similarity.size;
  const cohesionPower = options.cohesion ?? 0;
  // avg[i*n+j]: mean similarity between clusters i and j (valid for active i, j); -Infinity: never.
  const avg = Float32Array.from(similarity.values);
  if (options.photoOf) {
    for (const list of itemsByPhoto(options.photoOf, n)) for (const a of list) for (const b of list) if (a !== b) avg[a * n + b] = NEVER;
  }
  for (const [a, b] of options.cannotLink ?? []) if (a !== b) { avg[a * n + b] = NEVER; avg[b * n + a] = NEVER; }

  const size = new Float64Array(n).fill(1);
  // Sum of similarities over the cluster's unordered pairs of distinct items.
  const inner = new Float64Array(n);
  const active = new Uint8Array(n).fill(1);
  const parent = new Int32Array(n).map((_, i) => i);
  // coh(i)^cohesion, kept per cluster (1 for one face).
  const factor = new Float64Array(n).fill(1);
  const linkage = (i: number, j: number) => avg[i * n + j]! / (factor[i]! * factor[j]!);
  const best = new Int32Array(n).fill(-1);
  const bestScore = new Float64Array(n).fill(NEVER);
  const rescan = (i: number) => {
    let b = -1, s = NEVER;
    const row = i * n, fi = factor[i]!;
    for (let j = 0; j < n; j++) {
      if (j === i || !active[j]) continue;
      const l = avg[row + j]! / (fi * factor[j]!);
      if (l > s) { s = l; b = j; }
    }
    best[i] = b; bestScore[i] = s;
  };
  const root = (i: number): number => { while (parent[i] !== i) i = parent[i]!; return i; };

  /** Merges clusters i and j (roots); `track`: keep the best-neighbour cache up to date. */
  const merge = (i: number, j: number, track: boolean, score: number) => {
    const a = Math.min(i, j), b = Math.max(i, j);
    merges.push({ into: a, from: b, score });
    // Merge b into a.
    const sa = size[a]!, sb = size[b]!;
    inner[a] = inner[a]! + inner[b]! + avg[a * n + b]! * sa * sb;
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === a || k === b) continue;
      const x = avg[a * n + k]!, y = avg[b * n + k]!;
      const merged = x === NEVER || y === NEVER ? NEVER : (sa * x + sb * y) / (sa + sb);
      avg[a * n + k] = merged; avg[k * n + a] = merged;
    }
    size[a] = sa + sb;
    if (cohesionPower !== 0) factor[a] = ((size[a]! + 2 * inner[a]!) / (size[a]! * size[a]!)) ** cohesionPower;
    active[b] = 0;
    parent[b] = a;
    if (!track) return;
    rescan(a);
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === a) continue;
      if (best[k] === a || best[k] === b) rescan(k);
      else {
        const l = linkage(k, a);
        if (l > bestScore[k]! || (l === bestScore[k]! && a < best[k]!)) { best[k] = a; bestScore[k] = l; }
      }
    }
  };

  for (const group of options.initial ?? []) {
    for (const item of group.slice(1)) {
      const a = root(group[0]!), b = root(item);
      if (a !== b && avg[a * n + b] !== NEVER) merge(a, b, false, Infinity);
    }
  }
  for (let i = 0; i < n; i++) if (active[i]) rescan(i);
  for (;;) {
    let i = -1, s = NEVER;
    for (let k = 0; k < n; k++) if (active[k] && bestScore[k] > s) { s = bestScore[k]!; i = k; }
    if (i < 0 || s < options.threshold) break;
    merge(i, best[i]!, true, s);
  }
  return merges;
}

/** The clustering made by the merges scoring at or above `threshold`, up to the first below it. */
export function cutMerges(size: number, merges: readonly Merge[], threshold: number, minSize = 2): Clustering {
  const parent = new Int32Array(size).map((_, i) => i);
  for (const m of merges) {
    if (m.score < threshold) break;
    parent[m.from] = m.into;
  }
  const root = (i: number): number => { while (parent[i] !== i) i = parent[i]!; return i; };
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) labels[i] = root(i);
  return fromLabels(labels, minSize);
}
