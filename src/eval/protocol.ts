// The LFW verification protocols on scored pairs.
//   View 2: ten folds; for each fold the threshold is fitted on the other nine and accuracy is
//           measured on it; reported as the mean and standard deviation over the ten folds.
//   View 1: the threshold is fitted on DevTrain and accuracy measured on DevTest.
// AUC and TAR at FAR are threshold-free measures of the test pairs (all ten folds pooled in View 2).
import { VisageError } from '../errors.ts';
import { accuracyAt, auc, bestThreshold, tarAtFar, type ScoredPair, type TarAtFar } from './roc.ts';

export interface FoldedScoredPair extends ScoredPair {
  /** 0-based fold. */
  readonly fold: number;
}

export interface FoldResult {
  readonly fold: number;
  /** Fitted on the other folds. */
  readonly threshold: number;
  /** On this fold, 0..1. */
  readonly accuracy: number;
}

export interface TenFoldResult {
  /** Mean of the fold accuracies, 0..1. */
  readonly accuracy: number;
  /** Sample standard deviation of the fold accuracies (n - 1), as LFW's protocol defines it. */
  readonly accuracyStd: number;
  /** accuracyStd / sqrt(folds): LFW's "standard error of the mean". */
  readonly standardError: number;
  /** Mean of the fitted thresholds. */
  readonly threshold: number;
  readonly folds: FoldResult[];
}

export interface TrainTestResult {
  /** Fitted on the training pairs. */
  readonly threshold: number;
  /** Accuracy at that threshold on the test pairs, 0..1. */
  readonly accuracy: number;
  /** The best accuracy on the training pairs themselves. */
  readonly trainAccuracy: number;
}

export type Protocol = 'ten-fold' | 'train-test' | 'best-threshold-on-test';

export interface VerificationReport {
  /**
   * ten-fold: View 2; train-test: View 1 style; best-threshold-on-test: a single set with no
   * training pairs, threshold fitted on the test pairs themselves (optimistic, for quick looks).
   */
  readonly protocol: Protocol;
  readonly accuracy: number;
  /** Over folds (ten-fold only). */
  readonly accuracyStd: number | null;
  readonly threshold: number;
  readonly auc: number;
  readonly tarAtFar: TarAtFar;
  readonly folds?: FoldResult[];
  readonly pairs: number;
}

/** The standard ten-fold protocol; works for any number of folds >= 2 (folds are numbered 0..k-1). */
export function tenFold(pairs: readonly FoldedScoredPair[]): TenFoldResult {
  const foldIds = [...new Set(pairs.map((pair) => pair.fold))].sort((a, b) => a - b);
  if (foldIds.length < 2) throw new VisageError('VISAGE_ERR_BAD_INPUT', `tenFold: needs at least 2 folds, got ${foldIds.length}`);
  const folds = foldIds.map((fold): FoldResult => {
    const { threshold } = bestThreshold(pairs.filter((pair) => pair.fold !== fold));
    return { fold, threshold, accuracy: accuracyAt(pairs.filter((pair) => pair.fold === fold), threshold) };
  });
  const n = folds.length;
  const accuracy = folds.reduce((sum, f) => sum + f.accuracy, 0) / n;
  const accuracyStd = Math.sqrt(folds.reduce((sum, f) => sum + (f.accuracy - accuracy) ** 2, 0) / (n - 1));
  return {
    accuracy,
    accuracyStd,
    standardError: accuracyStd / Math.sqrt(n),
    threshold: folds.reduce((sum, f) => sum + f.threshold, 0) / n,
    folds,
  };
}

/** The View 1 protocol: threshold fitted on `train`, accuracy measured on `test`. */
export function trainTest(train: readonly ScoredPair[], test: readonly ScoredPair[]): TrainTestResult {
  const fit = bestThreshold(train);
  return { threshold: fit.threshold, accuracy: accuracyAt(test, fit.threshold), trainAccuracy: fit.accuracy };
}

export interface EvaluateOptions {
  /** The pairs to report on. Several folds: the ten-fold protocol. */
  readonly test: readonly FoldedScoredPair[];
  /** Training pairs (View 1's DevTrain): the threshold is fitted on them. */
  readonly train?: readonly ScoredPair[];
  /** FAR for the TAR figure; default 0.001 (0.1%). */
  readonly far?: number;
}

/**
 * Picks the protocol from the data: training pairs given -> train-test; several folds -> ten-fold;
 * otherwise the best threshold on the test pairs themselves.
 */
export function evaluateVerification(options: EvaluateOptions): VerificationReport {
  const { test, train, far = 0.001 } = options;
  const common = { auc: auc(test), tarAtFar: tarAtFar(test, far), pairs: test.length };
  if (train) {
    const result = trainTest(train, test);
    return { protocol: 'train-test', accuracy: result.accuracy, accuracyStd: null, threshold: result.threshold, ...common };
  }
  if (new Set(test.map((pair) => pair.fold)).size > 1) {
    const result = tenFold(test);
    return { protocol: 'ten-fold', accuracy: result.accuracy, accuracyStd: result.accuracyStd, threshold: result.threshold, folds: result.folds, ...common };
  }
  const fit = bestThreshold(test);
  return { protocol: 'best-threshold-on-test', accuracy: fit.accuracy, accuracyStd: null, threshold: fit.threshold, ...common };
}
