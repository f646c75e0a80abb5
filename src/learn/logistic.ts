// Multinomial (softmax) logistic regression with an L2 penalty, fitted by L-BFGS on the full batch:
//   min over W, b   ½ Σ_k ‖w_k‖²  +  C Σ_i weight_i · (−log softmax(W x_i + b)[y_i])
// The bias b is not penalised. Deterministic (no random start: W = 0).
import { BaseClassifier } from './base.ts';
import { checkKeys, checkNumber, sampleWeights, softmaxInPlace, type Dataset } from './data.ts';
import { decodeMatrix, encodeMatrix } from './json.ts';
import { lbfgs } from './lbfgs.ts';
import type { LogisticOptions } from './types.ts';

export const LOGISTIC_DEFAULTS = { c: 10, classWeight: 'balanced', maxIterations: 500, tolerance: 1e-6, seed: 1 } as const;

/** Logits of one row: W is K x (d + 1), the last column the bias. */
export function linearScores(weights: Float64Array, classCount: number, x: Float64Array, xOffset: number, d: number, out: Float64Array): void {
  const stride = d + 1;
  for (let k = 0; k < classCount; k++) {
    const base = k * stride;
    let sum = weights[base + d];
    for (let j = 0; j < d; j++) sum += weights[base + j] * x[xOffset + j];
    out[k] = sum;
  }
}

export class LogisticClassifier extends BaseClassifier {
  readonly kind = 'logistic' as const;

  constructor(classes: readonly string[], dimension: number, options: Record<string, unknown>, readonly weights: Float64Array) {
    super(classes, dimension, options);
  }

  probabilities(x: Float64Array): Float64Array {
    const out = new Float64Array(this.classes.length);
    linearScores(this.weights, this.classes.length, x, 0, this.dimension, out);
    return softmaxInPlace(out);
  }

  protected fields(): Record<string, unknown> {
    return { weights: encodeMatrix(this.weights, this.classes.length, this.dimension + 1) };
  }

  static fromFields(classes: string[], dimension: number, options: Record<string, unknown>, json: Record<string, unknown>): LogisticClassifier {
    const { values } = decodeMatrix(json.weights, 'weights', classes.length, dimension + 1);
    return new LogisticClassifier(classes, dimension, options, values);
  }
}

export function resolveLogisticOptions(options: LogisticOptions = {}) {
  checkKeys('logistic', options, Object.keys(LOGISTIC_DEFAULTS));
  const resolved = { ...LOGISTIC_DEFAULTS, ...options };
  checkNumber('c', resolved.c, Number.MIN_VALUE);
  checkNumber('maxIterations', resolved.maxIterations, 1, Infinity, true);
  checkNumber('tolerance', resolved.tolerance, 0);
  return resolved;
}

/** The fitted K x (d + 1) weights (exported for the stacking meta-learner). */
export function logisticWeights(data: Dataset, weightOfSample: Float64Array, c: number, maxIterations: number, tolerance: number): Float64Array {
  const { n, d, x, y } = data;
  const K = data.classes.length;
  const stride = d + 1;
  const logits = new Float64Array(K);
  const objective = (w: Float64Array, gradient: Float64Array): number => {
    let value = 0;
    gradient.fill(0);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < d; j++) {
        const v = w[k * stride + j];
        value += 0.5 * v * v;
        gradient[k * stride + j] = v;
      }
    }
    for (let i = 0; i < n; i++) {
      const sw = weightOfSample[i];
      if (sw === 0) continue;
      const offset = i * d;
      linearScores(w, K, x, offset, d, logits);
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (logits[k] > max) max = logits[k];
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(logits[k] - max);
      const logSum = max + Math.log(sum);
      value += c * sw * (logSum - logits[y[i]]);
      for (let k = 0; k < K; k++) {
        const coefficient = c * sw * (Math.exp(logits[k] - logSum) - (k === y[i] ? 1 : 0));
        if (coefficient === 0) continue;
        const base = k * stride;
        for (let j = 0; j < d; j++) gradient[base + j] += coefficient * x[offset + j];
        gradient[base + d] += coefficient;
      }
    }
    return value;
  };
  return lbfgs(objective, new Float64Array(K * stride), { maxIterations, tolerance }).x;
}

export function fitLogistic(data: Dataset, options?: LogisticOptions): LogisticClassifier {
  const resolved = resolveLogisticOptions(options);
  const weights = logisticWeights(data, sampleWeights(data, resolved.classWeight), resolved.c, resolved.maxIterations, resolved.tolerance);
  return new LogisticClassifier(data.classes, data.d, recordable(resolved), weights);
}

/** Options as recorded in the model JSON: plain values only. */
export function recordable(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'validation') continue;
    out[key] = typeof value === 'object' && value !== null ? { ...value } : value;
  }
  return out;
}
