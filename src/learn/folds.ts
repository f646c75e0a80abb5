// Stratified splitting: every fold (or the held-out part) keeps each class's share of the samples,
// within one sample per class. Seeded, so a split can be repeated.
import { VisageError } from '../errors.ts';
import { createRng, shuffle } from './rng.ts';

export interface Fold {
  /** Row indices to train on, ascending. */
  readonly train: number[];
  /** Row indices to test on, ascending. */
  readonly test: number[];
}

function groups(labels: ArrayLike<string | number>): (string | number)[][] | number[][] {
  const byLabel = new Map<string | number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const rows = byLabel.get(labels[i]);
    if (rows) rows.push(i);
    else byLabel.set(labels[i], [i]);
  }
  // Classes in sorted order, so the split does not depend on which class comes first.
  return [...byLabel.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, rows]) => rows);
}

/**
 * k folds. Each class's rows are shuffled and dealt round-robin over the folds, the dealing
 * continuing from class to class, so fold sizes differ by at most one and each fold holds
 * floor or ceil of (class count / k) of every class. A class smaller than k is absent from some
 * test folds (as in scikit-learn's StratifiedKFold, which warns about it).
 */
export function stratifiedKFold(labels: ArrayLike<string | number>, k: number, seed = 1): Fold[] {
  const n = labels.length;
  if (!Number.isInteger(k) || k < 2) throw new VisageError('VISAGE_ERR_BAD_OPTION', `folds: expected a whole number >= 2, got ${k}`);
  if (k > n) throw new VisageError('VISAGE_ERR_BAD_INPUT', `folds: ${k} folds need at least ${k} samples, got ${n}`);
  const rng = createRng(seed);
  const fold = new Int32Array(n);
  let next = 0;
  for (const rows of groups(labels) as number[][]) {
    for (const row of shuffle(rows, rng)) fold[row] = next++ % k;
  }
  return Array.from({ length: k }, (_, f) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    return { train, test };
  });
}

/**
 * One stratified hold-out split: round(fraction * count) rows of each class are held out, but
 * never a class's last row (every class stays in the training part).
 */
export function stratifiedSplit(labels: ArrayLike<string | number>, fraction: number, seed = 1): Fold {
  if (!(fraction >= 0 && fraction < 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `split fraction: expected a number in [0, 1), got ${fraction}`);
  const rng = createRng(seed);
  const held = new Uint8Array(labels.length);
  for (const rows of groups(labels) as number[][]) {
    const take = Math.min(Math.round(fraction * rows.length), rows.length - 1);
    for (const row of shuffle(rows, rng).slice(0, take)) held[row] = 1;
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < labels.length; i++) (held[i] ? test : train).push(i);
  return { train, test };
}
