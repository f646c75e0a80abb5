// Matching, pure: similarity, the k best, the open-set decision and its strategies, the default
// thresholds per embedder, and one name per person per photo. The search index (src/gallery)
// computes the scores; the recognizer (src/recognition) decides with these.
export { cosine } from './similarity.ts';
export { topK } from './top-k.ts';
export { DECISION_STRATEGIES, checkStrategy, checkThreshold, openSetDecision } from './decision.ts';
export type { DecisionStrategy } from './decision.ts';
export { DEFAULT_THRESHOLDS, DEFAULT_STRATEGY, defaultThreshold, NEAR_MISS_FAR, NEAR_MISS_FLOORS, nearMissFloor, nearMisses, SMALL_FACE_RISES, smallFaceRise } from './thresholds.ts';
export type { NearMisses, SmallFacePoint } from './thresholds.ts';
export { assignOncePerImage } from './assign.ts';
export type { AssignableFace, MatchCandidate } from './assign.ts';
export { isNegative, negativeSubjects, negativeMatch, NEGATIVE_MATCH, NEGATIVE_MATCHES } from './negatives.ts';
