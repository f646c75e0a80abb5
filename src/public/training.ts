// 'visage/training': classifiers trained on folder-per-person sets, the .visage model file,
// evaluation, the learners on embeddings and threshold calibration.
export { trainFromFolder, evaluateFolder, loadModel, saveModel, parseModel, ClassifierModel, HEAD_KINDS, readLabelledFolder, FaceSource } from '../classify/index.ts';
export type { TrainOptions, TrainResult, Evaluation, EvaluatedFace, HeadKind, ModelFile, Prediction, FaceSourceOptions } from '../classify/index.ts';
export { fit as fitClassifier, fromJSON as classifierFromJSON, classificationReport, confusionMatrix, stratifiedKFold } from '../learn/index.ts';
export { calibrateThreshold } from '../eval/calibrate.ts';
export type { Calibration, LabelledEmbedding } from '../eval/calibrate.ts';
