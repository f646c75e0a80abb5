// Default open-set thresholds: the one place they are written. A face is UNKNOWN when its best
// similarity (cosine) is under its embedder's threshold; verify() says "same person" at or above it.
//
// How obtained: `VISAGE_MODEL_DIR=/tmp/prep npm run bench:lfw -- --systems
// visage-faceapi-recognition-flip,visage-ensemble-flip`, the line "Open-set thresholds (FAR 0.1%
// on the training pairs)": the loosest threshold that accepts at most 0.1% of the 1,100
// different-person pairs of LFW View 1 DevTrain (BlazeFace detection, flip on: the defaults).
// Run of 2026-11-22 (4,992 images, load ~9 on 2 cores): faceapi-recognition 0.927556 (TAR 94.64% on
// the training pairs; DevTest accuracy 98.90%), ensemble 0.915208 (TAR 95.45%; DevTest 98.90%).
// Rerun and update the table when alignment, detection or an embedder changes.
//
// This is a pair threshold (one image against one image). In a gallery every stranger is compared
// with every enrolled person, so more strangers pass it than 0.1%: with 135 LFW people enrolled
// (3 images each) and 214 probes of 45 other people, 22% of the strangers scored >= 0.927556
// with their nearest person (best-face); holding strangers to 1% took 0.952. bench:openset gives
// the final figures; raise the threshold (or calibrate on your own photos) for large galleries.
import type { EmbedderId } from '../config.ts';
import { VisageError } from '../errors.ts';
import type { DecisionStrategy } from '../gallery/search.ts';

export const DEFAULT_THRESHOLDS: Readonly<Partial<Record<EmbedderId, number>>> = Object.freeze({
  'faceapi-recognition': 0.927556,
  ensemble: 0.915208,
});

/**
 * Per-subject decision used by default: 'best-face' (a person scores their closest enrolled face).
 * Measured with faceapi-recognition: enrol the first 3 images per person, probe with the rest,
 * every 4th person held out as a stranger (largest face of each image):
 *
 * | set | rank-1 best / mean | identified at 1% strangers accepted, best / mean | strangers >= 0.927556, best / mean |
 * |---|---|---|---|
 * | LFW View 1 people with >= 4 images (135 known, 249 + 214 probes) | 98.8% / 98.4% | 86.7% / 93.2% | 22.0% / 34.6% |
 * | ORL (30 known, 210 + 100 probes) | 98.1% / 98.1% | 86.2% / 91.0% | 42.0% / 48.0% |
 * | celeb5 train+val (4 known, 82 + 24 probes) | 97.6% / 100% | 96.3% / 98.8% | 0% / 0% |
 * | bbt/people (6 known, 12 + 10 probes) | 100% / 100% | 100% / 100% | 0% / 0% |
 *
 * The mean template separates people better at a matched stranger rate, but its scores are
 * higher for everyone (a mean sits closer to every face), so at the default threshold, which is
 * calibrated on image pairs (the scale of a best-face score), it lets more strangers in. Best-face
 * is therefore the default while the threshold is a pair threshold; mean-template with a
 * threshold of its own is the better pair once bench:openset calibrates one.
 */
export const DEFAULT_STRATEGY: DecisionStrategy = 'best-face';

/** The calibrated threshold of an embedder, or an error naming the way out when there is none. */
export function defaultThreshold(modelId: string): number {
  const threshold = DEFAULT_THRESHOLDS[modelId as EmbedderId];
  if (threshold === undefined) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `no calibrated default threshold for embedder ${modelId}; give one (threshold option, --threshold), e.g. from visage calibrate`);
  }
  return threshold;
}
