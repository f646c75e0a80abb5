// The quality gate: which faces are good enough for a job (enrolment, clustering, a video's
// vote), and why the others are not. Pure: a face's measures (quality.ts, its detector score, the
// eye model's reading in eyes.ts) against limits, with a reason per limit broken. Each job keeps
// its own defaults (ENROLMENT_GATE, CLUSTERING_GATE) because what is "too poor" depends on what
// the face is for: one enrolment photo stands for a person from then on; a clustered face is
// one of many.
import { VisageError } from '../../errors.ts';

export interface QualityGate {
  /** Shorter side of the face box, pixels of the original image. */
  minSize: number;
  /** Variance of the Laplacian of the aligned face (quality.ts): below ~50 looks blurred. */
  minSharpness: number;
  /** 1 frontal, 0 at 90 degrees of yaw or pitch (0.5: about 60 degrees). */
  minFrontalness: number;
  /** Detector score, 0-1. */
  minScore: number;
  /**
   * Largest allowed probability that both eyes are closed (the eye model's reading of the more
   * open eye, eyes.ts); 1 turns the check off. Faces without that reading are not checked.
   */
  maxEyesClosed: number;
}

export type QualityReason = 'small' | 'blurred' | 'turned-away' | 'low-score' | 'eyes-closed';
export const QUALITY_REASONS: readonly QualityReason[] = Object.freeze(['small', 'blurred', 'turned-away', 'low-score', 'eyes-closed']);

/** What the gate reads of a face. */
export interface GatedFace {
  score: number;
  quality: { size: number; sharpness: number; frontalness: number; eyesClosed?: number };
}

/** One limit a face broke: which, its value and the limit, for reports and error messages. */
export interface QualityRefusal {
  reason: QualityReason;
  value: number;
  limit: number;
}

/**
 * Enrolment: loose on purpose, refusing only faces that cannot stand for a person. Measured on
 * the largest face of every image by npm run bench:quality (README, "Enrolment quality gate"): refused
 * 23 of LFW View 1's 4,992 images (6 blurred, 6 turned away, 12 eyes closed), 0 of the 40 bbt
 * crops, 10 of celeb5's 93 training photos (faces of 19-32 px in wide shots, profiles). The eye
 * limit was set by looking at what it refuses on LFW: at 0.999 it refused 48 images, about half
 * of them smiling or squinting with open eyes; above 0.9999, 12, most of them closed or downcast.
 */
export const ENROLMENT_GATE: Readonly<QualityGate> = Object.freeze({ minSize: 32, minSharpness: 5, minFrontalness: 0.2, minScore: 0, maxEyesClosed: 0.9999 });

/** Clustering a photo collection (bench:cluster): faces set aside are counted, not lost. */
export const CLUSTERING_GATE: Readonly<QualityGate> = Object.freeze({ minSize: 24, minSharpness: 10, minFrontalness: 0.5, minScore: 0.6, maxEyesClosed: 1 });

/**
 * A video's vote (video.ts): a face refused here is still tracked but does not vote. Enrolment's
 * limits on size, sharpness and pose (set on LFW to refuse only faces that cannot stand for a
 * person), without the eye check: a blink passes, and the eye model would cost per face.
 */
export const VIDEO_GATE: Readonly<QualityGate> = Object.freeze({ minSize: 32, minSharpness: 5, minFrontalness: 0.2, minScore: 0, maxEyesClosed: 1 });

/** A gate that lets every face through. */
export const OPEN_GATE: Readonly<QualityGate> = Object.freeze({ minSize: 0, minSharpness: 0, minFrontalness: 0, minScore: 0, maxEyesClosed: 1 });

const RANGES: Readonly<Record<keyof QualityGate, [number, number]>> = Object.freeze({
  minSize: [0, 100_000], minSharpness: [0, 1e9], minFrontalness: [0, 1], minScore: [0, 1], maxEyesClosed: [0, 1],
});
export const QUALITY_GATE_KEYS = Object.freeze(Object.keys(RANGES) as (keyof QualityGate)[]);

/** `base` with `changes` applied: unknown keys and values out of range are refused, naming the key. */
export function resolveGate(base: Readonly<QualityGate>, changes: Partial<QualityGate> | undefined | null, what = 'quality gate'): Readonly<QualityGate> {
  if (changes === undefined || changes === null) return base;
  if (typeof changes !== 'object') throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what} must be an object such as { "minSize": 48 }`);
  const gate = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const range = RANGES[key as keyof QualityGate];
    if (!range) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what}: unknown limit "${key}"; known: ${QUALITY_GATE_KEYS.join(', ')}`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < range[0] || value > range[1]) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what}: ${key} must be a number from ${range[0]} to ${range[1]}, got ${JSON.stringify(value)}`);
    }
    gate[key as keyof QualityGate] = value;
  }
  return Object.freeze(gate);
}

/** Every limit the face breaks, in QUALITY_REASONS order; empty when it passes. */
export function checkQuality(face: GatedFace, gate: Readonly<QualityGate>): QualityRefusal[] {
  const q = face.quality;
  const refusals: QualityRefusal[] = [];
  if (q.size < gate.minSize) refusals.push({ reason: 'small', value: q.size, limit: gate.minSize });
  if (q.sharpness < gate.minSharpness) refusals.push({ reason: 'blurred', value: q.sharpness, limit: gate.minSharpness });
  if (q.frontalness < gate.minFrontalness) refusals.push({ reason: 'turned-away', value: q.frontalness, limit: gate.minFrontalness });
  if (face.score < gate.minScore) refusals.push({ reason: 'low-score', value: face.score, limit: gate.minScore });
  if (q.eyesClosed !== undefined && gate.maxEyesClosed < 1 && q.eyesClosed > gate.maxEyesClosed) refusals.push({ reason: 'eyes-closed', value: q.eyesClosed, limit: gate.maxEyesClosed });
  return refusals;
}

/** The reasons alone (what the clustering report counts). */
export function gateReasons(face: GatedFace, gate: Readonly<QualityGate>): QualityReason[] {
  return checkQuality(face, gate).map((r) => r.reason);
}

/** Whether a gate asks for the eye model's reading. */
export function gateNeedsEyes(gate: Readonly<QualityGate>): boolean {
  return gate.maxEyesClosed < 1;
}

/** One line for people: "face too small (24 px < 32), eyes closed (0.9997 > 0.999)". */
export function describeRefusals(refusals: readonly QualityRefusal[]): string {
  return refusals.map(({ reason, value, limit }) => {
    switch (reason) {
      case 'small': return `face too small (${Math.round(value)} px < ${limit})`;
      case 'blurred': return `face too blurred (sharpness ${value.toFixed(0)} < ${limit})`;
      case 'turned-away': return `face turned too far (frontalness ${value.toFixed(2)} < ${limit})`;
      case 'low-score': return `doubtful detection (score ${value.toFixed(2)} < ${limit})`;
      case 'eyes-closed': return `eyes closed (${value.toFixed(4)} > ${limit})`;
    }
  }).join(', ');
}

/** Throws VISAGE_ERR_LOW_QUALITY naming every limit broken, when the face breaks any. */
export function requireQuality(face: GatedFace, gate: Readonly<QualityGate>, what = 'the face'): void {
  const refusals = checkQuality(face, gate);
  if (refusals.length) throw new VisageError('VISAGE_ERR_LOW_QUALITY', `${what} did not pass the quality gate: ${describeRefusals(refusals)}`);
}
