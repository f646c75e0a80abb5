// Stratified k-fold cross-validation of one classifier kind: each fold is predicted by a
// classifier fitted on the other folds.
import { argmax, subset, toDataset, type Dataset, type Vector } from './data.ts';
import { fitDataset } from './classifier.ts';
import { stratifiedKFold } from './folds.ts';
import { meanStd } from './metrics.ts';
import type { ClassifierKind, OptionsByKind } from './types.ts';

export interface CrossValidationOptions<K extends ClassifierKind> {
  /** Default 5. */
  readonly folds?: number;
  /** Seed of the fold assignment. Default 1. */
  readonly seed?: number;
  /** Options of the classifier fitted on each fold. */
  readonly options?: OptionsByKind[K];
}

export interface CrossValidationResult {
  /** Classes (sorted), the columns of probabilities. */
  readonly classes: readonly string[];
  /** Accuracy of each fold, 0..1. */
  readonly accuracies: number[];
  readonly mean: number;
  /** Population standard deviation of the fold accuracies (divide by the number of folds). */
  readonly std: number;
  /** Fold of each sample. */
  readonly foldOf: Int32Array;
  /** Out-of-fold prediction of each sample. */
  readonly predictions: string[];
  /** Out-of-fold probabilities of each sample, one per class. */
  readonly probabilities: Float64Array[];
}

/** Out-of-fold probabilities on a checked dataset (also the first stage of stacking). */
export function outOfFold<K extends ClassifierKind>(kind: K, data: Dataset, folds: number, seed: number, options?: OptionsByKind[K]) {
  const probabilities: Float64Array[] = new Array(data.n);
  const foldOf = new Int32Array(data.n);
  const split = stratifiedKFold(data.y, folds, seed);
  split.forEach((fold, f) => {
    const model = fitDataset(kind, subset(data, fold.train), options);
    for (const row of fold.test) {
      probabilities[row] = model.predictProba(data.x.subarray(row * data.d, (row + 1) * data.d));
      foldOf[row] = f;
    }
  });
  return { probabilities, foldOf, split };
}

export function crossValidate<K extends ClassifierKind>(kind: K, X: readonly Vector[], y: readonly string[], options: CrossValidationOptions<K> = {}): CrossValidationResult {
  const data = toDataset(X, y);
  const { probabilities, foldOf, split } = outOfFold(kind, data, options.folds ?? 5, options.seed ?? 1, options.options);
  const predicted = probabilities.map((p) => argmax(p));
  const accuracies = split.map((fold) => fold.test.filter((row) => predicted[row] === data.y[row]).length / fold.test.length);
  const { mean, std } = meanStd(accuracies);
  return { classes: data.classes, accuracies, mean, std, foldOf, predictions: predicted.map((c) => data.classes[c]), probabilities };
}
