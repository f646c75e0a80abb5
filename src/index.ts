// Visage's public API. Only what is exported here is public.
export { createVisage, Visage } from './visage.ts';
export type { AnalyzeOptions, DetectCallOptions, DetectionResult } from './visage.ts';
export { DEFAULTS, resolveConfig } from './config.ts';
export type { VisageConfig, DetectorId, LandmarksId, EmbedderId } from './config.ts';
export type { Analysis, Face, Box, Point, FivePoints, HeadPoseAngles, RgbImage } from './types.ts';
export type { ImageInput, RawPixels } from './face/image/decode.ts';
export { cosine } from './face/embed/embedder.ts';
export { ENSEMBLE_MEMBERS } from './face/embed/ensemble.ts';
export type { EnsembleMember } from './face/embed/ensemble.ts';
export { Engine } from './runtime/engine.ts';
export type { EngineOptions, Outputs, OutputTensor } from './runtime/engine.ts';
export { MODELS, DEFAULT_MODEL_IDS, getModelSpec } from './models/registry.ts';
export type { ModelSpec, ModelRole, InputSpec, OutputSpec, ModelSource } from './models/types.ts';
export { pixelsToInput } from './models/input.ts';
export { ModelStore, resolveModelDir, MODEL_DIR_ENV, CONVERTER_VERSION } from './models/store.ts';
export type { ConvertedModelInfo } from './models/store.ts';
export { VisageError, ErrorCodes, isVisageError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export { openSqliteGallery, SqliteGallery, SCHEMA_VERSION, SearchIndex, DECISION_STRATEGIES, contentHash } from './gallery/index.ts';
export type {
  Gallery, GalleryChange, GalleryListener, GalleryStats, Subject, SubjectRef, Metadata, NewFace, StoredFace, FaceQuality,
  AddFacesOptions, MergeResult, ModelEmbeddings, ModelStats, ExportSummary, ImportSummary, SqliteGalleryOptions,
  DecisionStrategy, FaceMatch, SubjectMatch, IdentifyOptions, SubjectSearchOptions,
  Identification as IndexIdentification, PortableGallery,
} from './gallery/index.ts';
export {
  createRecognizer, Recognizer, verifyFaces, DEFAULT_THRESHOLDS, DEFAULT_STRATEGY, defaultThreshold, NEAR_MISS_FLOORS, nearMissFloor, nearMisses,
  ENROLMENT_QUALITY, chooseEnrolmentFace, nameFromFileName, nameForImage,
} from './recognition/index.ts';
export type {
  RecognizerOptions, EnrollOptions, EnrollOutcome, Candidate, IdentifiedFace, Identification, IdentifyCallOptions,
  Verification, Coverage, ReindexOptions, ReindexSummary, EnrolmentQuality, SkipReason, NearMisses,
} from './recognition/index.ts';
export { trainFromFolder, evaluateFolder, loadModel, saveModel, parseModel, ClassifierModel, HEAD_KINDS, readLabelledFolder } from './classify/index.ts';
export type { TrainOptions, TrainResult, Evaluation, EvaluatedFace, HeadKind, ModelFile, Prediction } from './classify/index.ts';
export { fit as fitClassifier, fromJSON as classifierFromJSON, classificationReport, confusionMatrix, stratifiedKFold } from './learn/index.ts';
export { annotateImage } from './report/annotate.ts';
export type { Annotation, AnnotationKind, AnnotateOptions } from './report/annotate.ts';
export { calibrateThreshold } from './eval/calibrate.ts';
export type { Calibration, LabelledEmbedding } from './eval/calibrate.ts';
