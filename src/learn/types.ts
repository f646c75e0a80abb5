// The one contract every fitted classifier keeps, and the options of each kind.
import type { ClassWeight, Vector } from './data.ts';

export type ClassifierKind = 'svm' | 'logistic' | 'knn' | 'mlp';
export const CLASSIFIER_KINDS: readonly ClassifierKind[] = ['svm', 'logistic', 'knn', 'mlp'];

export interface Classifier {
  readonly kind: ClassifierKind;
  /** Class names in the order of predictProba's entries (sorted). */
  readonly classes: readonly string[];
  /** The vector length the classifier was trained on. */
  readonly dimension: number;
  /** One probability per class, summing to 1. */
  predictProba(x: Vector): Float64Array;
  /** The most probable class. */
  predict(x: Vector): string;
  /** Plain JSON (JSON.stringify-able); fromJSON() restores an identical classifier. */
  toJSON(): ClassifierJson;
}

export interface ClassifierJson {
  readonly format: 'visage-classifier';
  readonly version: number;
  readonly kind: ClassifierKind;
  readonly classes: readonly string[];
  readonly dimension: number;
  /** The hyperparameters the model was fitted with (for the record; not needed to predict). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

export interface CommonOptions {
  /** Seed of every random choice (shuffles, splits, initial weights). Default 1. */
  readonly seed?: number;
}

export interface SvmOptions extends CommonOptions {
  /** Hinge-loss weight against the L2 penalty: min ½‖w‖² + C Σ weight_i · hinge_i. Default 1. */
  readonly c?: number;
  readonly classWeight?: ClassWeight;
  /** Passes of dual coordinate descent at most. Default 1000. */
  readonly maxEpochs?: number;
  /** Stop when the projected-gradient spread falls below this. Default 1e-3. */
  readonly tolerance?: number;
  /**
   * Folds of the internal cross-validation whose out-of-fold margins fit the probability scale
   * (temperature of the softmax over margins). 0: fit it on the training margins (overconfident,
   * but one fit instead of folds + 1). Default 3.
   */
  readonly calibrationFolds?: number;
}

export interface LogisticOptions extends CommonOptions {
  /** Cross-entropy weight against the L2 penalty: min ½‖W‖² + C Σ weight_i · CE_i (bias not penalised). Default 10. */
  readonly c?: number;
  readonly classWeight?: ClassWeight;
  /** L-BFGS iterations at most. Default 500. */
  readonly maxIterations?: number;
  /** Stop when the gradient's largest entry is below tolerance · max(1, |objective|). Default 1e-6. */
  readonly tolerance?: number;
}

export interface KnnOptions extends CommonOptions {
  /** Neighbours that vote. Default 5 (capped at the number of training samples). */
  readonly k?: number;
}

export interface MlpOptions extends CommonOptions {
  /** Hidden units (one ReLU layer). Default 128. */
  readonly hidden?: number;
  /** Dropout rate of the hidden layer while training. Default 0.2. */
  readonly dropout?: number;
  /** L2 weight decay on both weight matrices (added to the loss as l2/2 · ‖W‖²). Default 1e-4. */
  readonly l2?: number;
  /**
   * Adam step size. Default 0.005: on 40-class 1152-d clusters with 5 per class, 0.003 took 190
   * epochs for lower accuracy and 0.01 stopped early (validation loss turning up) 10+ points lower.
   */
  readonly learningRate?: number;
  readonly batchSize?: number;
  readonly maxEpochs?: number;
  /** Epochs without a better validation loss before stopping (best weights are kept). Default 15. */
  readonly patience?: number;
  /**
   * Fraction of each class held out (stratified, seeded) for early stopping when no validation
   * set is given. Default 0.2; 0 trains all maxEpochs and keeps the last weights.
   */
  readonly validationSplit?: number;
  /** An explicit validation set for early stopping (labels must be training classes). */
  readonly validation?: { readonly X: readonly Vector[]; readonly y: readonly string[] };
  readonly classWeight?: ClassWeight;
}

export interface OptionsByKind {
  svm: SvmOptions;
  logistic: LogisticOptions;
  knn: KnnOptions;
  mlp: MlpOptions;
}
