// Default thresholds: the one place they are written. A face is UNKNOWN when its best similarity
// (cosine) is under the threshold of its decision; verify() says "same person" at or above the
// pair threshold. All are calibrated on LFW View 1 DevTrain (people disjoint from DevTest) at a
// false-accept rate of 0.1%, with Visage's defaults (BlazeFace tiled, 68 landmarks, dlib chip,
// flip):
//
// - identify (one face searched against a gallery): `npm run calibrate:lfw [-- --embedder ID]`.
//   The 127 DevTrain people with >= 4 images are enrolled (their first 3 images, 381 faces) and
//   every image of the 2,005 other DevTrain people is a stranger probe (2,833); the threshold is
//   the lowest at which at most 0.1% of the strangers are accepted as anyone. This is the rate a
//   gallery's user meets: a stranger is compared with every enrolled face, so it needs a far
//   stricter threshold than one pair does (with the pair threshold below, 22% of LFW strangers
//   were named as someone).
// - verify (one image against one image): `npm run bench:lfw`, "Open-set thresholds (FAR 0.1% on
//   the training pairs)": the loosest threshold that accepts at most 0.1% of DevTrain's 1,100
//   different-person pairs.
//
// The identify thresholds trade recognitions for safety: they hold strangers to 0.1% in a gallery
// of about 130 people; a smaller gallery is safer at them, a much larger one is not (recalibrate on
// your own photos: `visage calibrate`). The runs behind the figures, and how many known people each
// threshold names, are in docs/measurements.md ("Thresholds"); rerun both scripts when detection,
// alignment or an embedder changes.
import type { EmbedderId } from '../../config.ts';
import { VisageError } from '../../errors.ts';
import type { DecisionStrategy } from './decision.ts';

/** A decision: identify with a per-subject strategy, or verify one pair. */
export type ThresholdKind = DecisionStrategy | 'pair';

export const DEFAULT_THRESHOLDS: Readonly<Partial<Record<EmbedderId, Readonly<Record<ThresholdKind, number>>>>> = Object.freeze({
  'faceapi-recognition': Object.freeze({ 'mean-template': 0.9677, 'best-face': 0.9625, pair: 0.9260 }),
  ensemble: Object.freeze({ 'mean-template': 0.9659, 'best-face': 0.9595, pair: 0.9220 }),
  // The fusion (ResNet 0.848, faceplugin-feature 0.152), run of 2026-12-07: known DevTrain probes
  // named at these thresholds 94.8% (mean-template) and 87.8% (best-face), against the ResNet's 69.4%
  // and 65.5%.
  fusion: Object.freeze({ 'mean-template': 0.9038, 'best-face': 0.8994, pair: 0.8206 }),
  // The three-network fusion (ResNet 0.82, faceplugin-feature 0.088, expo-mobilefacenet 0.092), run
  // of 2026-12-07: known DevTrain probes named 96.9% (mean-template) and 95.2% (best-face); pair:
  // TAR 99.45% of DevTrain's same-person pairs.
  fusion3: Object.freeze({ 'mean-template': 0.8943, 'best-face': 0.8867, pair: 0.8097 }),
});

/**
 * Per-subject decision used by default: 'mean-template' (a person scores the cosine with the mean
 * of their enrolled faces). At the thresholds above, calibrated for each strategy at the same
 * stranger rate, it identified more known probes on DevTrain (69.4% against 65.5%), and in
 * bench:openset (10 splits) its overall DIR at 1% FAR was 92.4% against 91.3% (LFW 94.5% / 92.0%;
 * best-face is ahead on ORL, 96.8% / 92.2%).
 */
export const DEFAULT_STRATEGY: DecisionStrategy = 'mean-template';

/**
 * "Near miss" floors: for each embedder and identify strategy, the threshold at which 1% of the
 * same LFW DevTrain strangers are named (ten times the defaults' 0.1%): `npm run calibrate:lfw --
 * --far 0.01 [--embedder ensemble]`, run of 2026-12-07 (the same pipeline reproduced the table
 * above at --far 0.001). Known probes identified there: faceapi-recognition mean-template 96.1%,
 * best-face 93.0% (69.4% and 65.5% at the defaults); ensemble 95.6% and 92.6%.
 * An UNKNOWN face whose best similarity lies between its floor and the threshold is a near miss:
 * most likely a known person the strict default turned away, whom a looser threshold, at a
 * stated stranger rate, would name. identify's summary counts them, so that a user seeing many
 * UNKNOWN faces learns why and what to try. The band comes from the calibration set at a round
 * rate, not from any photos it is shown on.
 */
export const NEAR_MISS_FAR = 0.01;
export const NEAR_MISS_FLOORS: Readonly<Partial<Record<EmbedderId, Readonly<Record<DecisionStrategy, number>>>>> = Object.freeze({
  'faceapi-recognition': Object.freeze({ 'mean-template': 0.9509, 'best-face': 0.9494 }),
  ensemble: Object.freeze({ 'mean-template': 0.9486, 'best-face': 0.9464 }),
  // fusion: known probes identified there 99.6% with either strategy.
  fusion: Object.freeze({ 'mean-template': 0.8706, 'best-face': 0.8610 }),
  // fusion3: 99.6% with either strategy.
  fusion3: Object.freeze({ 'mean-template': 0.8605, 'best-face': 0.8537 }),
});

/**
 * The near-miss floor of an embedder and strategy under `threshold`: undefined when none was
 * calibrated, or when the threshold in use is already at or below it (nothing to suggest).
 */
export function nearMissFloor(modelId: string, strategy: DecisionStrategy, threshold: number): number | undefined {
  const floor = NEAR_MISS_FLOORS[modelId as EmbedderId]?.[strategy];
  return floor !== undefined && floor < threshold ? floor : undefined;
}

export interface NearMisses {
  /** UNKNOWN faces whose best similarity is in [floor, threshold). */
  count: number;
  floor: number;
  threshold: number;
  /** Stranger rate on LFW DevTrain at the floor (the default thresholds hold 0.1%). */
  floorFar: number;
  /** The lowest and highest best similarity among them (null when there are none). */
  lowest: number | null;
  highest: number | null;
}

/** The near misses among identified faces (name null: UNKNOWN; similarity: to the nearest person). */
export function nearMisses(faces: Iterable<{ name: string | null; similarity: number | null }>, threshold: number, floor: number): NearMisses {
  let count = 0, lowest: number | null = null, highest: number | null = null;
  for (const face of faces) {
    if (face.name !== null || face.similarity === null || face.similarity < floor || face.similarity >= threshold) continue;
    count++;
    lowest = lowest === null ? face.similarity : Math.min(lowest, face.similarity);
    highest = highest === null ? face.similarity : Math.max(highest, face.similarity);
  }
  return { count, floor, threshold, floorFar: NEAR_MISS_FAR, lowest, highest };
}

/**
 * Thresholds for grey images (Analysis.grey: grey files, night-vision cameras, grey scans),
 * calibrated as above on LFW View 1 DevTrain with every image turned grey first
 * (`npm run calibrate:lfw -- --grey`). Grey faces lose what colour tells people apart: strangers
 * score higher with each other, so the same stranger rate needs a stricter threshold. An embedder
 * without grey thresholds uses its colour ones.
 */
export const GREY_THRESHOLDS: Readonly<Partial<Record<EmbedderId, Readonly<Record<ThresholdKind, number>>>>> = Object.freeze({
  // Run of 2026-12-07: known DevTrain probes named there 95.2% (mean-template), 90.0% (best-face);
  // pair: TAR 98.55% of DevTrain's same-person pairs.
  fusion: Object.freeze({ 'mean-template': 0.9088, 'best-face': 0.8996, pair: 0.8270 }),
  // Same run: 94.8% (mean-template), 90.0% (best-face); pair: TAR 98.73%.
  fusion3: Object.freeze({ 'mean-template': 0.9028, 'best-face': 0.8943, pair: 0.8186 }),
});

/** A point of a small-face rise: faces of `size` px (FaceQuality.size) are held `rise` above the threshold. */
export interface SmallFacePoint { size: number; rise: number }

/**
 * Small faces. A face whose box is small in its image is upsampled to its embedder's chip (150 px
 * for the ResNet): the network sees a blurred face, and strangers' blurred faces look a little
 * more alike. The default thresholds therefore rise for faces under the largest size listed, by
 * the rise at their size (linear between the points, the smallest point's rise below it). Fitted
 * on LFW View 1 DevTrain (`npm run calibrate:small-faces`, run of 2026-12-07): the rise at a size
 * is how far the tail of the different-person similarities moved when DevTrain's images were
 * shrunk so that the median face had that size (0.35: 34 px, 0.5: 48 px), at the stranger rate
 * each threshold holds (identify: p99.99 of the pairs; pair: p99.9), the stricter of colour and
 * grey (they moved alike: identify +0.0023 / +0.0024 at 34 px). None at or above 88 px, the p10
 * of the full-size faces the thresholds were calibrated on. The rises are small: shrinking moves
 * the tail far less than turning grey does. An explicit threshold is never raised.
 */
export const SMALL_FACE_RISES: Readonly<Partial<Record<EmbedderId, Readonly<{ identify: readonly SmallFacePoint[]; pair: readonly SmallFacePoint[] }>>>> = Object.freeze({
  fusion: Object.freeze({
    identify: Object.freeze([{ size: 34, rise: 0.0024 }, { size: 48, rise: 0.0008 }, { size: 88, rise: 0 }]),
    pair: Object.freeze([{ size: 34, rise: 0.0032 }, { size: 48, rise: 0.0008 }, { size: 88, rise: 0 }]),
  }),
});

/** How much a default threshold of `kind` rises for a face of `size` px (0 at full size, or without fitted points). */
export function smallFaceRise(modelId: string, kind: ThresholdKind, size: number | undefined): number {
  const points = SMALL_FACE_RISES[modelId as EmbedderId]?.[kind === 'pair' ? 'pair' : 'identify'];
  if (!points?.length || size === undefined || !Number.isFinite(size)) return 0;
  if (size <= points[0]!.size) return points[0]!.rise;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    if (size <= b.size) return a.rise + ((size - a.size) / (b.size - a.size)) * (b.rise - a.rise);
  }
  return 0;
}

/**
 * Template against template (two tracks of a video, each the mean of its faces): the similarity
 * at which they are one person (video/reid.ts). Means of different people's faces are more alike
 * than single faces are, so the pair threshold is too loose here. On LFW DevTrain (2,200 of the
 * images of its pairs, fusion, 2026-12-07), the mean of the first k faces of one person against
 * the mean of k of another's, every pair of people: 0.1% of different people accepted above 0.8306
 * (1 vs 1 face), 0.8599 (2 vs 2), 0.8742 (3 vs 3), 0.01% above 0.8508 / 0.8796 / 0.8874. The
 * threshold is the strictest, 0.01% at 3 vs 3: it keeps all 35 and 56 same-person pairs at 3 vs 3
 * and 2 vs 3, 98.6% at 1 vs 2, 97.2% at 1 vs 1. A video's templates hold many faces, but of one
 * shot: close to one photo's worth.
 */
export const TEMPLATE_THRESHOLDS: Readonly<Partial<Record<EmbedderId, number>>> = Object.freeze({ fusion: 0.8874 });

/** See TEMPLATE_THRESHOLDS; an embedder without one uses its identify threshold (mean-template), stricter than a pair's. */
export function templateThreshold(modelId: string): number {
  return TEMPLATE_THRESHOLDS[modelId as EmbedderId] ?? defaultThreshold(modelId, 'mean-template');
}

/**
 * The calibrated threshold of an embedder for a decision (for a grey image: the grey one where
 * calibrated; for a face of `faceSize` px: raised by its small-face rise), or an error naming the
 * way out when there is none.
 */
export function defaultThreshold(modelId: string, kind: ThresholdKind = DEFAULT_STRATEGY, grey = false, faceSize?: number): number {
  const greyThreshold = grey ? GREY_THRESHOLDS[modelId as EmbedderId]?.[kind] : undefined;
  const threshold = greyThreshold ?? DEFAULT_THRESHOLDS[modelId as EmbedderId]?.[kind];
  if (threshold === undefined) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `no calibrated default threshold for embedder ${modelId}; give one (threshold option, --threshold), e.g. from visage calibrate`);
  }
  const rise = smallFaceRise(modelId, kind, faceSize);
  // Rounded as the tables are, so that a threshold printed is the one applied.
  return rise === 0 ? threshold : Math.round((threshold + rise) * 1e4) / 1e4;
}
