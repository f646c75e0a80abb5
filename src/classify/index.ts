// Classifiers on faces: training from folder-per-person datasets, the .visage model file, the
// embedding cache, evaluation. The main parts are re-exported from src/index.ts.
export { readLabelledFolder } from './dataset.ts';
export type { LabelledFolder, LabelledImage, ReadFolderOptions } from './dataset.ts';
export { EmbeddingCache, defaultCacheDir } from '../recognition/embedding-cache.ts';
export { FaceSource, largestFace, LARGEST_FACE_SCORE_MARGIN } from './faces.ts';
export type { FaceSourceOptions, FoundFace, ImageFaces } from './faces.ts';
export { augmentation, augmentationCounts, renderAugmentation } from './augment.ts';
export type { Augmentation } from './augment.ts';
export {
  ClassifierModel, Head, HEAD_KINDS, MODEL_FORMAT, MODEL_VERSION, chooseUnknownThreshold, crossValidateHead, fitHead, loadModel, parseModel, saveModel, strangerScores,
} from './model.ts';
export type { HeadKind, LabelledViews, ModelFile, Prediction, ThresholdChoice } from './model.ts';
export { trainFromFolder, embedLabelled, DEFAULT_KIND, DEFAULT_EMBEDDER, STACK_EMBEDDERS } from './train.ts';
export type { TrainOptions, TrainResult } from './train.ts';
export { evaluateFolder } from './evaluate.ts';
export type { Evaluation, EvaluatedFace } from './evaluate.ts';
