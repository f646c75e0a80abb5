// Visage's public API: the root entry ('visage'). Only what is exported here and from the subpath
// entries in src/public/ ('visage/gallery', 'visage/training', 'visage/server', 'visage/models') is
// public. The root stays small: importing it loads neither SQLite, the server nor the trainers.
export { createVisage, Visage } from './visage.ts';
export type { AnalyzeOptions, DetectCallOptions, DetectionResult, KnownFace, FaceToCheck } from './visage.ts';
export { DEFAULTS, resolveConfig } from './config.ts';
export type { VisageConfig, DetectorId, LandmarksId, EmbedderId } from './config.ts';
export type { Analysis, Face, Box, Point, FivePoints, HeadPoseAngles, RgbImage } from './types.ts';
export type { ImageInput, RawPixels } from './face/image/decode.ts';
export { cosine } from './face/match/index.ts';
export { ENSEMBLE_MEMBERS } from './face/embed/ensemble.ts';
export type { EnsembleMember } from './face/embed/ensemble.ts';
export { VisageError, ErrorCodes, isVisageError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export { annotateImage } from './report/annotate.ts';
export { videoSummary } from './video/video.ts';
export type { VideoEvent, VideoOptions, VideoSummary, VideoTrack, VideoTimings } from './video/video.ts';
export type { VideoInfo, SourceStats } from './video/source.ts';
export { writeAnnotatedVideo } from './video/annotate.ts';
export type { AnnotateVideoOptions } from './video/annotate.ts';
export { timelineCsv, timelineHtml } from './report/video-timeline.ts';
export type { TimelineTrack, TimelineInput } from './report/video-timeline.ts';
export type { Annotation, AnnotationKind, AnnotateOptions } from './report/annotate.ts';
export { ATTRIBUTE_NAMES, EMOTIONS } from './attributes/heads.ts';
export type { AttributeName, Emotion } from './attributes/heads.ts';
export { ATTRIBUTE_PREFERENCE, defaultAttributeModels, attributeModelIds } from './attributes/attributes.ts';
export type { FaceAttributes, AgeAttribute, GenderAttribute, EmotionAttribute, LivenessAttribute, AttributeModels } from './attributes/attributes.ts';
export { checkQuality, describeRefusals, requireQuality, resolveGate, ENROLMENT_GATE, CLUSTERING_GATE, VIDEO_GATE, QUALITY_REASONS } from './face/quality/gate.ts';
export type { QualityGate, QualityReason, QualityRefusal, GatedFace } from './face/quality/gate.ts';
export { activeLiveness, eyeAspectRatio, ACTIVE_CHECK_DEFAULTS, ACTIVE_CHALLENGES } from './face/liveness/active.ts';
export type { ActiveChallenge, ActiveCheckOptions, ActiveCheckResult, LandmarkFrame } from './face/liveness/active.ts';
export { checkLiveness } from './recognition/liveness.ts';
export type { LivenessCheck, LivenessCheckOptions } from './recognition/liveness.ts';
