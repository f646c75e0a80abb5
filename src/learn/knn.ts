// k nearest neighbours by cosine similarity. Each of the k most similar training vectors votes
// for its class with weight 1 / (cosine distance + 1e-6), cosine distance = 1 − cosine, so
// closer neighbours count more and an exact duplicate all but decides alone. The probability of a
// class is its share of the weighted vote (classes without a neighbour among the k get 0).
import { BaseClassifier } from './base.ts';
import { checkKeys, checkNumber, type Dataset } from './data.ts';
import { bad, decodeMatrix, encodeMatrix, integer } from './json.ts';
import { recordable } from './logistic.ts';
import type { KnnOptions } from './types.ts';

export const KNN_DEFAULTS = { k: 5, seed: 1 } as const;

const DISTANCE_FLOOR = 1e-6;

function normaliseRows(x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += x[i * d + j] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] * scale;
  }
  return out;
}

export class KnnClassifier extends BaseClassifier {
  readonly kind = 'knn' as const;

  constructor(
    classes: readonly string[],
    dimension: number,
    options: Record<string, unknown>,
    readonly k: number,
    /** Training vectors scaled to unit length, n x d. */
    readonly points: Float64Array,
    /** Class index of each point. */
    readonly labels: Int32Array,
  ) {
    super(classes, dimension, options);
  }

  probabilities(x: Float64Array): Float64Array {
    const d = this.dimension;
    const query = normaliseRows(x, 1, d);
    const n = this.labels.length;
    const k = Math.min(this.k, n);
    // The k best so far, kept sorted by similarity, descending (k is small: insertion is cheapest).
    const bestSimilarity = new Float64Array(k).fill(-Infinity);
    const bestRow = new Int32Array(k).fill(-1);
    for (let i = 0; i < n; i++) {
      let similarity = 0;
      for (let j = 0; j < d; j++) similarity += query[j] * this.points[i * d + j];
      if (similarity <= bestSimilarity[k - 1]) continue;
      let slot = k - 1;
      while (slot > 0 && bestSimilarity[slot - 1] < similarity) {
        bestSimilarity[slot] = bestSimilarity[slot - 1];
        bestRow[slot] = bestRow[slot - 1];
        slot--;
      }
      bestSimilarity[slot] = similarity;
      bestRow[slot] = i;
    }
    const votes = new Float64Array(this.classes.length);
    let total = 0;
    for (let slot = 0; slot < k; slot++) {
      const weight = 1 / (Math.max(0, 1 - bestSimilarity[slot]) + DISTANCE_FLOOR);
      votes[this.labels[bestRow[slot]]] += weight;
      total += weight;
    }
    for (let c = 0; c < votes.length; c++) votes[c] /= total;
    return votes;
  }

  protected fields(): Record<string, unknown> {
    return { k: this.k, points: encodeMatrix(this.points, this.labels.length, this.dimension), labels: Array.from(this.labels) };
  }

  static fromFields(classes: string[], dimension: number, options: Record<string, unknown>, json: Record<string, unknown>): KnnClassifier {
    const k = integer(json.k, 'k', 1);
    const { values, rows } = decodeMatrix(json.points, 'points', undefined, dimension);
    if (rows < 1) bad('points: no training vectors');
    if (!Array.isArray(json.labels) || json.labels.length !== rows) bad(`labels: expected ${rows} class indices`);
    const labels = Int32Array.from(json.labels as unknown[], (label, i) => {
      if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= classes.length) bad(`labels[${i}]: not a class index`);
      return label as number;
    });
    return new KnnClassifier(classes, dimension, options, k, values, labels);
  }
}

export function fitKnn(data: Dataset, options: KnnOptions = {}): KnnClassifier {
  checkKeys('knn', options, Object.keys(KNN_DEFAULTS));
  const resolved = { ...KNN_DEFAULTS, ...options };
  checkNumber('k', resolved.k, 1, Infinity, true);
  const k = Math.min(resolved.k, data.n);
  return new KnnClassifier(data.classes, data.d, recordable(resolved), k, normaliseRows(data.x, data.n, data.d), Int32Array.from(data.y));
}
