// Verification metrics and the LFW protocols: pure functions on scored pairs, plus the pairs-file parser.
export { parsePairs, readPairsFile, imageKey, imagePath, distinctImages } from './pairs.ts';
export type { Pair, PairImage, PairsFile } from './pairs.ts';
export { rocCurve, auc, accuracyAt, bestThreshold, tarAtFar, negateScores } from './roc.ts';
export type { ScoredPair, RocPoint, ThresholdFit, TarAtFar } from './roc.ts';
export { tenFold, trainTest, evaluateVerification } from './protocol.ts';
export type { FoldedScoredPair, FoldResult, TenFoldResult, TrainTestResult, VerificationReport, EvaluateOptions, Protocol } from './protocol.ts';
