// DBSCAN on cosine distance (1 - similarity), the rule immich clusters faces with: a face with at
// least `minPoints` faces (itself included) within `maxDistance` is a core face; clusters are the
// core faces reachable from one another and the faces within reach of them; the rest is noise
// (unclustered). A baseline: it knows nothing of photos, and chains look-alikes together.
import type { SimilarityMatrix } from './similarity.ts';
import { fromLabels, type Clustering } from './types.ts';

export interface DbscanOptions {
  maxDistance: number;
  minPoints: number;
}

export function dbscan(similarity: SimilarityMatrix, options: DbscanOptions): Clustering {
  const n = similarity.size, values = similarity.values;
  const minSimilarity = 1 - options.maxDistance;
  const neighbours = (i: number) => {
    const out: number[] = [];
    for (let j = 0; j < n; j++) if (values[i * n + j]! >= minSimilarity) out.push(j);
    return out;
  };
  const labels = new Int32Array(n).fill(-2); // -2 unvisited, -1 noise
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== -2) continue;
    const around = neighbours(i);
    if (around.length < options.minPoints) { labels[i] = -1; continue; }
    const label = next++;
    labels[i] = label;
    const queue = around.filter((j) => j !== i);
    for (let q = 0; q < queue.length; q++) {
      const j = queue[q]!;
      if (labels[j] === -1) labels[j] = label;
      if (labels[j] !== -2) continue;
      labels[j] = label;
      const more = neighbours(j);
      if (more.length >= options.minPoints) for (const k of more) if (labels[k]! < 0) queue.push(k);
    }
  }
  return fromLabels(labels, Math.min(2, options.minPoints));
}
