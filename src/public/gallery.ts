// 'visage/gallery': the people Visage knows. The SQLite and PostgreSQL galleries (openGallery picks
// one by the location), the in-memory search index, the
// recognizer (enrol, identify with UNKNOWN for strangers, verify, nearest) built on them, and the
// matching rules they use (strategies, default thresholds).
export {
  openGallery, openSqliteGallery, openPostgresGallery, copyGallery, isPostgresUrl, SCHEMA_VERSION, POSTGRES_SCHEMA_VERSION, CHANGE_CHANNEL,
  SearchIndex, contentHash, negativeExamples,
} from '../gallery/index.ts';
export type {
  Gallery, GalleryChange, GalleryChanges, GalleryListener, GalleryStats, Subject, SubjectRef, Metadata, NewFace, StoredFace, FaceQuality,
  AddFacesOptions, MergeResult, ModelEmbeddings, ModelNegatives, ModelStats, ExportSummary, ImportSummary, SqliteGallery, SqliteGalleryOptions,
  PostgresGallery, PostgresGalleryOptions, GalleryOptions, OpenedGallery, TransferOptions, CopyOptions, CopySummary,
  FaceMatch, SubjectMatch, IdentifyOptions, SubjectSearchOptions, SearchOptions, SearchMode,
  Identification as IndexIdentification, PortableGallery,
} from '../gallery/index.ts';
export {
  createRecognizer, Recognizer, verifyFaces, ENROLMENT_QUALITY, chooseEnrolmentFace, nameFromFileName, nameForImage,
} from '../recognition/index.ts';
export {
  DECISION_STRATEGIES, DEFAULT_THRESHOLDS, DEFAULT_STRATEGY, defaultThreshold, NEAR_MISS_FLOORS, nearMissFloor, nearMisses,
} from '../face/match/index.ts';
export type { DecisionStrategy, NearMisses } from '../face/match/index.ts';
export type {
  RecognizerOptions, EnrollOptions, EnrollOutcome, Candidate, IdentifiedFace, Identification, IdentifyCallOptions,
  Verification, Coverage, ReindexOptions, ReindexSummary, EnrolmentQuality, SkipReason,
} from '../recognition/index.ts';
export type { NewNegative, Negative } from '../gallery/gallery.ts';
export type { NegativeExample } from '../gallery/index.ts';
// Clustering faces by identity: the pure methods over embeddings, and the photo-library workflow.
export {
  clusterFaces, clusterParameters, CLUSTER_PARAMETERS, agglomerative, dbscan, chineseWhispers, similarityMatrix, samePhotoViolations,
} from '../cluster/index.ts';
export type { Clustering, ClusterFacesOptions, ClusterParameters, FaceToCluster, AgglomerativeOptions } from '../cluster/index.ts';
export {
  clusterPhotos, nameCluster, notThisPerson, mergeClusters, splitCluster, readClusterState, writeClusterState, DEFAULT_QUALITY_GATE, gateReasons,
} from '../recognition/clustering.ts';
export type { ClusterReport, ClusterStateFile, ClusterPhotosOptions, QualityGate, GateReason, PhotoFace } from '../recognition/clustering.ts';
export { isNegative, negativeMatch, NEGATIVE_MATCH, NEGATIVE_MATCHES } from '../face/match/index.ts';
export { scoreClustering } from '../eval/clustering.ts';
export type { ClusteringScores } from '../eval/clustering.ts';
