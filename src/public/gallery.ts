// 'visage/gallery': the people Visage knows. The SQLite gallery, the in-memory search index and the
// recognizer (enrol, identify with UNKNOWN for strangers, verify, nearest) built on them.
export { openSqliteGallery, SCHEMA_VERSION, SearchIndex, DECISION_STRATEGIES, contentHash } from '../gallery/index.ts';
export type {
  Gallery, GalleryChange, GalleryListener, GalleryStats, Subject, SubjectRef, Metadata, NewFace, StoredFace, FaceQuality,
  AddFacesOptions, MergeResult, ModelEmbeddings, ModelStats, ExportSummary, ImportSummary, SqliteGallery, SqliteGalleryOptions,
  DecisionStrategy, FaceMatch, SubjectMatch, IdentifyOptions, SubjectSearchOptions,
  Identification as IndexIdentification, PortableGallery,
} from '../gallery/index.ts';
export {
  createRecognizer, Recognizer, verifyFaces, DEFAULT_THRESHOLDS, DEFAULT_STRATEGY, defaultThreshold, NEAR_MISS_FLOORS, nearMissFloor, nearMisses,
  ENROLMENT_QUALITY, chooseEnrolmentFace, nameFromFileName, nameForImage,
} from '../recognition/index.ts';
export type {
  RecognizerOptions, EnrollOptions, EnrollOutcome, Candidate, IdentifiedFace, Identification, IdentifyCallOptions,
  Verification, Coverage, ReindexOptions, ReindexSummary, EnrolmentQuality, SkipReason, NearMisses,
} from '../recognition/index.ts';
