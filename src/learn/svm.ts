// Linear SVM, one-vs-rest, by dual coordinate descent on the L2-regularised hinge loss (Hsieh et
// al. 2008, LIBLINEAR's L1-loss dual solver, without shrinking). For each class k:
//   min over w   ½‖w‖² + C Σ_i weight_i · max(0, 1 − t_i (w·x_i + b)),   t_i = +1 if y_i = k else −1
// The bias is learnt as the weight of a constant feature 1 (so it is lightly penalised, as in
// LIBLINEAR). Class weights scale C per sample (weight of the sample's own class).
//
// Probabilities: a softmax over the K margins with one fitted scale s, p = softmax(s · margins)
// (temperature scaling). s minimises the cross-entropy of out-of-fold margins from an internal
// stratified cross-validation (calibrationFolds), with Platt's smoothed targets: the true class
// gets (n_c + 1) / (n_c + 2) instead of 1, so perfectly separated data still gives a finite s.
// A single scale instead of per-class Platt sigmoids: with five faces per person, fitting two
// parameters per class on a handful of margins is noise; one scale over all margins is stable.
import { BaseClassifier } from './base.ts';
import { checkKeys, checkNumber, classCounts, sampleWeights, softmaxInPlace, subset, type Dataset } from './data.ts';
import { stratifiedKFold } from './folds.ts';
import { decodeMatrix, encodeMatrix, finite, bad } from './json.ts';
import { linearScores, recordable } from './logistic.ts';
import { createRng, permutation, type Rng } from './rng.ts';
import type { SvmOptions } from './types.ts';

export const SVM_DEFAULTS = { c: 1, classWeight: 'balanced', maxEpochs: 1000, tolerance: 1e-3, calibrationFolds: 3, seed: 1 } as const;

const MAX_SCALE = 1e4;

export class SvmClassifier extends BaseClassifier {
  readonly kind = 'svm' as const;

  constructor(
    classes: readonly string[],
    dimension: number,
    options: Record<string, unknown>,
    /** K x (d + 1), one-vs-rest hyperplanes, the last column the bias. */
    readonly weights: Float64Array,
    /** Softmax scale applied to the margins. */
    readonly scale: number,
  ) {
    super(classes, dimension, options);
  }

  /** The K one-vs-rest margins w_k·x + b_k. */
  margins(x: Float64Array): Float64Array {
    const out = new Float64Array(this.classes.length);
    linearScores(this.weights, this.classes.length, x, 0, this.dimension, out);
    return out;
  }

  probabilities(x: Float64Array): Float64Array {
    const scores = this.margins(x);
    for (let k = 0; k < scores.length; k++) scores[k] *= this.scale;
    return softmaxInPlace(scores);
  }

  protected fields(): Record<string, unknown> {
    return { weights: encodeMatrix(this.weights, this.classes.length, this.dimension + 1), scale: this.scale };
  }

  static fromFields(classes: string[], dimension: number, options: Record<string, unknown>, json: Record<string, unknown>): SvmClassifier {
    const { values } = decodeMatrix(json.weights, 'weights', classes.length, dimension + 1);
    const scale = finite(json.scale, 'scale');
    if (scale < 0) bad('scale: must be >= 0');
    return new SvmClassifier(classes, dimension, options, values, scale);
  }
}

export function resolveSvmOptions(options: SvmOptions = {}) {
  checkKeys('svm', options, Object.keys(SVM_DEFAULTS));
  const resolved = { ...SVM_DEFAULTS, ...options };
  checkNumber('c', resolved.c, Number.MIN_VALUE);
  checkNumber('maxEpochs', resolved.maxEpochs, 1, Infinity, true);
  checkNumber('tolerance', resolved.tolerance, 0);
  if (resolved.calibrationFolds !== 0) checkNumber('calibrationFolds', resolved.calibrationFolds, 2, Infinity, true);
  checkNumber('seed', resolved.seed, -Infinity);
  return resolved;
}

/** One-vs-rest hyperplanes, K x (d + 1). */
function svmWeights(data: Dataset, weightOfSample: Float64Array, c: number, maxEpochs: number, tolerance: number, rng: Rng): Float64Array {
  const { n, d, x, y } = data;
  const K = data.classes.length;
  const stride = d + 1;
  const weights = new Float64Array(K * stride);
  const diagonal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 1; // the constant bias feature
    for (let j = 0; j < d; j++) sum += x[i * d + j] ** 2;
    diagonal[i] = sum;
  }
  const alpha = new Float64Array(n);
  for (let k = 0; k < K; k++) {
    const w = weights.subarray(k * stride, (k + 1) * stride);
    alpha.fill(0);
    for (let epoch = 0; epoch < maxEpochs; epoch++) {
      let maxPg = -Infinity;
      let minPg = Infinity;
      for (const i of permutation(n, rng)) {
        const upper = c * weightOfSample[i];
        if (upper === 0) continue;
        const t = y[i] === k ? 1 : -1;
        const offset = i * d;
        let margin = w[d];
        for (let j = 0; j < d; j++) margin += w[j] * x[offset + j];
        const g = t * margin - 1;
        const a = alpha[i];
        const pg = a === 0 ? Math.min(g, 0) : a === upper ? Math.max(g, 0) : g;
        if (pg > maxPg) maxPg = pg;
        if (pg < minPg) minPg = pg;
        if (Math.abs(pg) <= 1e-12) continue;
        const next = Math.min(Math.max(a - g / diagonal[i], 0), upper);
        const delta = (next - a) * t;
        alpha[i] = next;
        for (let j = 0; j < d; j++) w[j] += delta * x[offset + j];
        w[d] += delta;
      }
      if (maxPg - minPg < tolerance) break;
    }
  }
  return weights;
}

/**
 * The softmax scale s minimising the mean cross-entropy of softmax(s · margins) against smoothed
 * targets. The objective is convex in s, so its derivative is increasing: bisection on it.
 */
export function fitScale(margins: Float64Array[], labels: ArrayLike<number>, classCount: number): number {
  const n = margins.length;
  const counts = classCounts(Int32Array.from(labels), classCount);
  const p = new Float64Array(classCount);
  const derivative = (s: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const m = margins[i];
      for (let k = 0; k < classCount; k++) p[k] = s * m[k];
      softmaxInPlace(p);
      const onTrue = (counts[labels[i]] + 1) / (counts[labels[i]] + 2);
      const offTrue = (1 - onTrue) / (classCount - 1);
      for (let k = 0; k < classCount; k++) sum += (p[k] - (k === labels[i] ? onTrue : offTrue)) * m[k];
    }
    return sum / n;
  };
  if (derivative(0) >= 0) return 0;
  let hi = 1;
  while (derivative(hi) < 0 && hi < MAX_SCALE) hi *= 2;
  if (hi >= MAX_SCALE) return MAX_SCALE;
  let lo = 0;
  for (let iteration = 0; iteration < 60; iteration++) {
    const mid = (lo + hi) / 2;
    if (derivative(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function fitSvm(data: Dataset, options?: SvmOptions): SvmClassifier {
  const resolved = resolveSvmOptions(options);
  const { c, maxEpochs, tolerance, calibrationFolds, classWeight, seed } = resolved;
  const rng = createRng(seed);
  const K = data.classes.length;
  const train = (part: Dataset) => svmWeights(part, sampleWeights(part, classWeight), c, maxEpochs, tolerance, rng);
  const weights = train(data);
  const margins: Float64Array[] = new Array(data.n);
  const scoreRows = (w: Float64Array, rows: readonly number[]) => {
    for (const row of rows) {
      const out = new Float64Array(K);
      linearScores(w, K, data.x, row * data.d, data.d, out);
      margins[row] = out;
    }
  };
  if (calibrationFolds === 0 || calibrationFolds > data.n) {
    scoreRows(weights, Array.from({ length: data.n }, (_, i) => i));
  } else {
    for (const fold of stratifiedKFold(data.y, calibrationFolds, seed)) scoreRows(train(subset(data, fold.train)), fold.test);
  }
  const scale = fitScale(margins, data.y, K);
  return new SvmClassifier(data.classes, data.d, recordable(resolved), weights, scale);
}
