// The recognition layer's public surface: enrol, identify, verify, nearest people, reindex.
export { createRecognizer, Recognizer, verifyFaces, assignOncePerImage } from './recognizer.ts';
export type {
  RecognizerOptions, EnrollOptions, EnrollOutcome, Candidate, IdentifiedFace, Identification, IdentifyCallOptions,
  Verification, Coverage, ReindexOptions, ReindexSummary,
} from './recognizer.ts';
export { DEFAULT_THRESHOLDS, DEFAULT_STRATEGY, defaultThreshold, NEAR_MISS_FAR, NEAR_MISS_FLOORS, nearMissFloor, nearMisses } from './thresholds.ts';
export type { NearMisses } from './thresholds.ts';
export { ENROLMENT_QUALITY, chooseEnrolmentFace, largestFaceIndex } from './enrolment.ts';
export type { EnrolmentQuality, SkipReason, FaceChoice } from './enrolment.ts';
export { nameFromFileName, nameForImage } from './naming.ts';
