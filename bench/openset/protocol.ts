// The open-set identification protocol as pure functions: the seeded split of people into known
// (enrolled) and strangers, the enrolment and probe images, and the figures from scored probes.
import { createRng } from '../../src/learn/rng.ts';

/** How many of `people` are held out as strangers: round(fraction * n), at least 2 (none for fraction 0), leaving at least 2 known. */
export function strangerCount(people: number, fraction: number): number {
  if (fraction === 0) return 0;
  if (people < 4) return Math.max(0, people - 2);
  return Math.min(people - 2, Math.max(2, Math.round(fraction * people)));
}

/** Fisher-Yates with the project's seeded generator: the same seed gives the same order. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const rng = createRng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The seeded split; both lists keep the input order. */
export function splitPeople(names: readonly string[], fraction: number, seed: number): { known: string[]; strangers: string[] } {
  const held = new Set(seededShuffle(names, seed).slice(0, strangerCount(names.length, fraction)));
  return { known: names.filter((n) => !held.has(n)), strangers: names.filter((n) => held.has(n)) };
}

/**
 * A known person's images in sorted order, of which those with a face (`hasFace`): the first
 * `enrol` with a face are enrolled, the rest with a face are probes; images without a face are
 * skipped (an enrolment slot goes to the next image with a face).
 */
export function enrolAndProbes<T>(images: readonly T[], enrol: number, hasFace: (image: T) => boolean): { enrol: T[]; probes: T[]; noFace: T[] } {
  const withFace = images.filter(hasFace);
  return { enrol: withFace.slice(0, enrol), probes: withFace.slice(enrol), noFace: images.filter((i) => !hasFace(i)) };
}

/** One probe's answer from the gallery: its best subject (whatever the threshold) and that subject's similarity. */
export interface ScoredProbe {
  /** The person in the probe, or null for a stranger. */
  truth: string | null;
  /** The best-scoring enrolled subject. */
  best: string;
  similarity: number;
}

export interface OpenSetFigures {
  knownProbes: number;
  strangerProbes: number;
  /** Known probes whose best subject is right, whatever the threshold (closed-set rank-1), 0..1. */
  rank1: number;
  threshold: number;
  /** Stranger probes accepted as anyone (best similarity >= threshold), 0..1; null without strangers. */
  far: number | null;
  /** Detection-and-identification rate: known probes accepted and right, 0..1. */
  dir: number;
  /** Known probes accepted as the wrong person, 0..1. */
  wrongAccept: number;
  /** The threshold at which at most `targetFar` of the strangers are accepted (null without strangers). */
  farThreshold: number | null;
  /** The FAR reached there (at most targetFar; lower when too few strangers to reach it exactly). */
  farReached: number | null;
  /** DIR at farThreshold. */
  dirAtFar: number | null;
}

/** Accepted as someone: at or above the threshold, as SearchIndex.identify() decides. */
const accepted = (probe: ScoredProbe, threshold: number) => probe.similarity >= threshold;

export function dirAt(known: readonly ScoredProbe[], threshold: number): number {
  if (known.length === 0) return 0;
  return known.filter((p) => p.best === p.truth && accepted(p, threshold)).length / known.length;
}

export function farAt(strangers: readonly ScoredProbe[], threshold: number): number | null {
  if (strangers.length === 0) return null;
  return strangers.filter((p) => accepted(p, threshold)).length / strangers.length;
}

/**
 * The lowest threshold at which at most floor(targetFar * n) of the n stranger probes are accepted:
 * just above the (k+1)-th highest stranger similarity. Null without strangers.
 */
export function thresholdAtFar(strangers: readonly ScoredProbe[], targetFar: number): number | null {
  if (strangers.length === 0) return null;
  const scores = strangers.map((p) => p.similarity).sort((a, b) => b - a);
  const allowed = Math.floor(targetFar * scores.length + 1e-9);
  if (allowed >= scores.length) return -Infinity;
  // Similarities are cosines (|s| <= 1), where float64 steps are ~1e-16: 1e-9 above is strictly above
  // and below any other distinct float32 similarity.
  return scores[allowed]! + 1e-9;
}

export function openSetFigures(probes: readonly ScoredProbe[], threshold: number, targetFar: number): OpenSetFigures {
  const known = probes.filter((p) => p.truth !== null);
  const strangers = probes.filter((p) => p.truth === null);
  const farThreshold = thresholdAtFar(strangers, targetFar);
  return {
    knownProbes: known.length,
    strangerProbes: strangers.length,
    rank1: known.length ? known.filter((p) => p.best === p.truth).length / known.length : 0,
    threshold,
    far: farAt(strangers, threshold),
    dir: dirAt(known, threshold),
    wrongAccept: known.length ? known.filter((p) => p.best !== p.truth && accepted(p, threshold)).length / known.length : 0,
    farThreshold,
    farReached: farThreshold === null ? null : farAt(strangers, farThreshold),
    dirAtFar: farThreshold === null ? null : dirAt(known, farThreshold),
  };
}
