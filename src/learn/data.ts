// Input checking and the internal form every learner trains on: one flat Float64Array of rows,
// labels as class indices, and a weight per sample (class weights).
import { VisageError } from '../errors.ts';

/** An embedding: d numbers (Float32Array from the embedders, or plain numbers). */
export type Vector = Float32Array | Float64Array | readonly number[];

/** The label a decision gives to a sample far from every class; refused as a training label. */
export const UNKNOWN = 'UNKNOWN';

/**
 * 'balanced' (default): weight n / (classes * n_c) for every sample of class c, so each class
 * counts as much in the loss as any other, as scikit-learn's class_weight='balanced'.
 * 'none': every sample weighs 1. A record: a weight per class name (missing classes weigh 1).
 */
export type ClassWeight = 'balanced' | 'none' | Readonly<Record<string, number>>;

export interface Dataset {
  readonly n: number;
  readonly d: number;
  /** Row-major n x d. */
  readonly x: Float64Array;
  /** Class index of each row. */
  readonly y: Int32Array;
  readonly classes: readonly string[];
}

function bad(message: string): never {
  throw new VisageError('VISAGE_ERR_BAD_INPUT', message);
}

function badOption(message: string): never {
  throw new VisageError('VISAGE_ERR_BAD_OPTION', message);
}

/** Rows checked (same dimension, finite numbers) and copied into one flat array. */
export function toMatrix(X: readonly Vector[], what = 'X', dimension?: number): { x: Float64Array; n: number; d: number } {
  if (!Array.isArray(X)) bad(`${what}: expected an array of vectors`);
  const n = X.length;
  if (n === 0) bad(`${what}: no samples`);
  const d = dimension ?? X[0]?.length;
  if (!Number.isInteger(d) || d < 1) bad(`${what}: vectors must have at least one number`);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = X[i];
    if (row == null || typeof row.length !== 'number') bad(`${what}[${i}]: not a vector`);
    if (row.length !== d) bad(`${what}[${i}]: dimension ${row.length}, expected ${d}`);
    for (let j = 0; j < d; j++) {
      const value = row[j];
      if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${what}[${i}][${j}]: not a finite number`);
      x[i * d + j] = value;
    }
  }
  return { x, n, d };
}

/** One vector checked against the dimension a model was trained on. */
export function toVector(vector: Vector, d: number, what = 'x'): Float64Array {
  if (vector == null || typeof vector.length !== 'number') bad(`${what}: not a vector`);
  if (vector.length !== d) bad(`${what}: dimension ${vector.length}, the model expects ${d}`);
  const out = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const value = vector[j];
    if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${what}[${j}]: not a finite number`);
    out[j] = value;
  }
  return out;
}

/** Labels checked; classes are the distinct labels in code-unit order (deterministic). */
export function checkLabels(y: readonly string[], n: number, what = 'y'): { classes: string[]; index: Int32Array } {
  if (!Array.isArray(y)) bad(`${what}: expected an array of labels`);
  if (y.length !== n) bad(`${what}: ${y.length} labels for ${n} samples`);
  for (let i = 0; i < n; i++) {
    if (typeof y[i] !== 'string' || y[i].length === 0) bad(`${what}[${i}]: a label must be a non-empty string`);
    if (y[i] === UNKNOWN) bad(`${what}[${i}]: "${UNKNOWN}" is reserved for the unknown decision`);
  }
  const classes = [...new Set(y)].sort();
  if (classes.length < 2) bad(`${what}: need at least two classes to train a classifier, got only "${classes[0]}"`);
  const position = new Map(classes.map((name, c) => [name, c]));
  const index = Int32Array.from(y, (label) => position.get(label)!);
  return { classes, index };
}

export function toDataset(X: readonly Vector[], y: readonly string[]): Dataset {
  const { x, n, d } = toMatrix(X);
  const { classes, index } = checkLabels(y, n);
  return { n, d, x, y: index, classes };
}

/** The rows of a dataset at the given indices (same classes, so class indices stay valid). */
export function subset(data: Dataset, rows: readonly number[]): Dataset {
  const { d } = data;
  const x = new Float64Array(rows.length * d);
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    x.set(data.x.subarray(row * d, row * d + d), i * d);
    y[i] = data.y[row];
  });
  return { n: rows.length, d, x, y, classes: data.classes };
}

export function classCounts(y: Int32Array, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const c of y) counts[c]++;
  return counts;
}

/** A weight per class; classes absent from the data get 0 under 'balanced' (they have no samples). */
export function classWeights(data: Dataset, weight: ClassWeight = 'balanced'): Float64Array {
  const k = data.classes.length;
  const weights = new Float64Array(k).fill(1);
  if (weight === 'none') return weights;
  if (weight === 'balanced') {
    const counts = classCounts(data.y, k);
    const present = counts.filter((count) => count > 0).length;
    counts.forEach((count, c) => (weights[c] = count > 0 ? data.n / (present * count) : 0));
    return weights;
  }
  if (typeof weight !== 'object' || weight === null) badOption(`classWeight: expected 'balanced', 'none' or a weight per class`);
  for (const [name, value] of Object.entries(weight)) {
    const c = data.classes.indexOf(name);
    if (c < 0) badOption(`classWeight: "${name}" is not a class`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) badOption(`classWeight["${name}"]: must be a number > 0`);
    weights[c] = value;
  }
  return weights;
}

export function sampleWeights(data: Dataset, weight: ClassWeight = 'balanced'): Float64Array {
  const perClass = classWeights(data, weight);
  return Float64Array.from(data.y, (c) => perClass[c]);
}

/** Options checks shared by the learners: the option name says what is wrong. */
export function checkNumber(name: string, value: unknown, min: number, max = Infinity, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    badOption(`${name}: expected ${integer ? 'a whole number' : 'a number'} in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export function checkKeys(what: string, options: object | undefined, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) badOption(`${what}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) badOption(`${what}: unknown option "${key}" (known: ${allowed.join(', ')})`);
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Softmax of scores in place (stable: the largest score is subtracted first). */
export function softmaxInPlace(scores: Float64Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    scores[i] = Math.exp(scores[i] - max);
    sum += scores[i];
  }
  for (let i = 0; i < scores.length; i++) scores[i] /= sum;
  return scores;
}
