// Learning on embeddings: classifiers, stacking, the unknown decision and evaluation. Pure
// TypeScript on vectors and labels; no images, no models.
export { fit, fromJSON } from './classifier.ts';
export { CLASSIFIER_KINDS } from './types.ts';
export type { Classifier, ClassifierJson, ClassifierKind, CommonOptions, SvmOptions, LogisticOptions, KnnOptions, MlpOptions, OptionsByKind } from './types.ts';
export { UNKNOWN } from './data.ts';
export type { Vector, ClassWeight } from './data.ts';
export { fitStacked, stackedFromJSON, StackedClassifier } from './stacking.ts';
export type { BaseSpec, StackingOptions, StackedJson } from './stacking.ts';
export { decide, chooseThreshold, chooseThresholdFromScores, fitUnknownThreshold, strangerConfidences } from './unknown.ts';
export type { Decision, ScoredSample, StrangerOptions, ThresholdOptions, ThresholdRule, UnknownThreshold } from './unknown.ts';
export { stratifiedKFold, stratifiedSplit } from './folds.ts';
export type { Fold } from './folds.ts';
export { accuracy, confusionMatrix, classificationReport, formatReport, meanStd } from './metrics.ts';
export type { ConfusionMatrix, ClassMetrics, Averages, ClassificationReport } from './metrics.ts';
export { crossValidate } from './cross-validate.ts';
export type { CrossValidationOptions, CrossValidationResult } from './cross-validate.ts';
export { createRng } from './rng.ts';
export type { Rng } from './rng.ts';
