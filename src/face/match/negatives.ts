// Negative examples ("not this person"): a face the user said is not a subject is never matched
// to that subject again. Pure: the vectors come from the gallery.
//
// A negative example stands for one face: the same face seen again (the same photo, or a copy of
// it re-encoded or resized) must be caught, another photo of the same person must not. So the
// similarity at or above which a face "is" a negative example is set per embedder between the two
// distributions, measured on LFW View 1 DevTrain only (run of 2026-12-07, Visage's default
// pipeline, the face nearest the centre; docs/measurements.md, "Negative examples"):
//
// | embedder            | same person, 2,209 pairs: p99.9 (max) | same face re-encoded, 36: min | threshold |
// | faceapi-recognition | 0.9913 (0.9943)                        | 0.9950                        | 0.993     |
// | faceplugin-feature  | 0.9272 (0.9408)                        | 0.9630                        | 0.945     |
// | fusion              | 0.9812 (0.9847)                        | 0.9905                        | 0.986     |
//
// Same person: every pair of two images of one person among DevTrain's people (pairsDevTrain.txt's
// 1,100 same-person pairs alone give p99.9 0.9900 / 0.9257 / 0.9794). Same face: 12 DevTrain
// images each as JPEG quality 70, at half size, and as PNG, against the original (the identical
// image gives 1.0). The threshold is the midpoint of the p99.9 and that minimum, rounded down to
// 3 decimals. A copy much smaller than the photo is not caught (bbt's howard4, 150 px, halved to 75 px:
// ResNet 0.906), nor is any other photo. The one figure used before (0.97) lay under the fusion's same-person p99 (0.9708) and
// the ResNet's (0.9864): with the ResNet, howard4 and howard5 of bbt score 0.974, so a negative
// example of one refused the other.

import type { EmbedderId } from '../../config.ts';

/** Measured thresholds (see above); an ensemble almost all ResNet (`ensemble`, 0.99) takes the ResNet's. */
export const NEGATIVE_MATCHES: Readonly<Partial<Record<EmbedderId, number>>> = Object.freeze({
  'faceapi-recognition': 0.993,
  ensemble: 0.993,
  'faceplugin-feature': 0.945,
  fusion: 0.986,
});

/**
 * The threshold of an embedder not measured: the strictest measured one, so that a negative example
 * refuses near-copies of its face only, never (at the cost of missing a heavily re-encoded copy)
 * another photo of the person.
 */
export const NEGATIVE_MATCH = 0.993;

/** Similarity to a negative example at or above which a face is that very face (or a near copy), for this embedder. */
export function negativeMatch(modelId: string): number {
  return NEGATIVE_MATCHES[modelId as EmbedderId] ?? NEGATIVE_MATCH;
}

/** Whether `vector` is one of `subjectId`'s negative examples (same embedding space), at `threshold` (see negativeMatch()). */
export function isNegative(negatives: ReadonlyArray<{ subjectId: number; vector: ArrayLike<number> }>, subjectId: number, vector: ArrayLike<number>, threshold = NEGATIVE_MATCH): boolean {
  for (const n of negatives) {
    if (n.subjectId !== subjectId || n.vector.length !== vector.length) continue;
    let dot = 0;
    for (let i = 0; i < n.vector.length; i++) dot += n.vector[i]! * vector[i]!;
    if (dot >= threshold) return true;
  }
  return false;
}

/**
 * The subjects `unit` (a unit vector) is a negative example of: those with a negative example within
 * `threshold` of it (see negativeMatch()). One dot product per negative example (they are few: one per correction).
 */
export function negativeSubjects(negatives: Iterable<{ subjectId: number; vector: ArrayLike<number> }>, unit: ArrayLike<number>, threshold = NEGATIVE_MATCH): Set<number> {
  const subjects = new Set<number>();
  for (const n of negatives) {
    if (subjects.has(n.subjectId) || n.vector.length !== unit.length) continue;
    let dot = 0;
    for (let i = 0; i < unit.length; i++) dot += n.vector[i]! * unit[i]!;
    if (dot >= threshold) subjects.add(n.subjectId);
  }
  return subjects;
}
