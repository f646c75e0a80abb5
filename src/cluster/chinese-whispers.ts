// Chinese whispers (Biemann 2006), the graph clustering dlib offers and face_recognition's
// examples use: faces are nodes, an edge joins two faces at or above `threshold` similarity, every
// node starts with a label of its own and, over `iterations` passes in a shuffled order, takes the
// label most common among its neighbours. Seeded, so deterministic. A baseline: no photo rule.
import type { SimilarityMatrix } from './similarity.ts';
import { fromLabels, type Clustering } from './types.ts';

export interface ChineseWhispersOptions {
  threshold: number;
  iterations?: number;
  seed?: number;
}

/** mulberry32: a small seeded generator, enough for a shuffle. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function chineseWhispers(similarity: SimilarityMatrix, options: ChineseWhispersOptions): Clustering {
  const n = similarity.size, values = similarity.values;
  const edges: number[][] = [];
  for (let i = 0; i < n; i++) {
    const list: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i && values[i * n + j]! >= options.threshold) list.push(j);
    edges.push(list);
  }
  const labels = new Int32Array(n).map((_, i) => i);
  const next = random(options.seed ?? 1);
  const order = Array.from({ length: n }, (_, i) => i);
  const counts = new Map<number, number>();
  for (let pass = 0; pass < (options.iterations ?? 100); pass++) {
    for (let k = n - 1; k > 0; k--) { const r = Math.floor(next() * (k + 1)); [order[k], order[r]] = [order[r]!, order[k]!]; }
    let changed = 0;
    for (const i of order) {
      if (edges[i]!.length === 0) continue;
      counts.clear();
      for (const j of edges[i]!) counts.set(labels[j]!, (counts.get(labels[j]!) ?? 0) + 1);
      let chosen = labels[i]!, most = 0;
      for (const [label, count] of counts) if (count > most || (count === most && label < chosen)) { most = count; chosen = label; }
      if (chosen !== labels[i]) { labels[i] = chosen; changed++; }
    }
    if (changed === 0) break;
  }
  return fromLabels(labels, 2);
}
