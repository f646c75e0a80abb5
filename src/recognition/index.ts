// The recognition layer's public surface: enrol, identify, verify, nearest people, reindex.
export { createRecognizer, Recognizer, verifyFaces } from './recognizer.ts';
export type {
  RecognizerOptions, EnrollOptions, EnrollOutcome, VerifyCallOptions, Candidate, IdentifiedFace, Identification, IdentifyCallOptions,
  Verification, Coverage, ReindexOptions, ReindexSummary,
} from './types.ts';
export { reindexGallery } from './reindex.ts';
export { ENROLMENT_QUALITY, chooseEnrolmentFace, largestFaceIndex } from './enrolment.ts';
export type { EnrolmentQuality, SkipReason, FaceChoice } from './enrolment.ts';
export { nameFromFileName, nameForImage } from './naming.ts';
