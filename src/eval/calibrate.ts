// Threshold calibration from labelled embeddings (a folder-per-person set of the user's own
// photos): every same-person pair and every (or a seeded sample of) different-person pair is
// scored by cosine similarity, and the threshold is the loosest one whose false-accept rate on
// the different-person pairs is at most the target (see tarAtFar).
import { VisageError } from '../errors.ts';
import { tarAtFar, type ScoredPair } from './roc.ts';
import { createRng } from '../learn/rng.ts';

export interface LabelledEmbedding {
  label: string;
  embedding: ArrayLike<number>;
}

export interface CalibrateOptions {
  /** False-accept rate to hold (0-1), e.g. 0.001 for 0.1%. */
  far: number;
  /** Score at most this many different-person pairs, drawn with a seeded generator (default 500,000). */
  maxImpostorPairs?: number;
  seed?: number;
}

export interface Calibration {
  /** Accept as the same person when cosine similarity >= threshold. */
  threshold: number;
  targetFar: number;
  /** False-accept rate reached on the different-person pairs at that threshold. */
  far: number;
  /** Same-person pairs accepted at that threshold. */
  tar: number;
  people: number;
  embeddings: number;
  genuinePairs: number;
  impostorPairs: number;
  /**
   * Set when there are fewer different-person pairs than 1 / far: the threshold then only
   * guarantees that none of them was accepted, not the rate asked for.
   */
  warning?: string;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function norm(v: ArrayLike<number>): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return Float64Array.from(v, (x) => x * inv);
}

/** Same-person pairs (all) and different-person pairs (all, or a seeded sample) scored by cosine. */
export function labelledPairs(items: readonly LabelledEmbedding[], options: { maxImpostorPairs?: number; seed?: number } = {}): ScoredPair[] {
  const maxImpostor = options.maxImpostorPairs ?? 500_000;
  const vectors = items.map((i) => norm(i.embedding));
  const dim = vectors[0]?.length ?? 0;
  if (vectors.some((v) => v.length !== dim)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'calibrate: embeddings of different lengths');
  const pairs: ScoredPair[] = [];
  const n = items.length;
  let impostorTotal = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (items[i]!.label === items[j]!.label) pairs.push({ score: dot(vectors[i]!, vectors[j]!), same: true });
      else impostorTotal++;
    }
  }
  if (impostorTotal <= maxImpostor) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (items[i]!.label !== items[j]!.label) pairs.push({ score: dot(vectors[i]!, vectors[j]!), same: false });
      }
    }
  } else {
    const rng = createRng(options.seed ?? 1);
    let drawn = 0;
    while (drawn < maxImpostor) {
      const i = rng.int(n), j = rng.int(n);
      if (i === j || items[i]!.label === items[j]!.label) continue;
      pairs.push({ score: dot(vectors[i]!, vectors[j]!), same: false });
      drawn++;
    }
  }
  return pairs;
}

/** The threshold that holds the false-accept rate at most `far` on the pairs of these people. */
export function calibrateThreshold(items: readonly LabelledEmbedding[], options: CalibrateOptions): Calibration {
  if (!(options.far > 0 && options.far < 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `calibrate: far must be between 0 and 1 (e.g. 0.001), got ${options.far}`);
  const people = new Map<string, number>();
  for (const item of items) people.set(item.label, (people.get(item.label) ?? 0) + 1);
  if (people.size < 2) throw new VisageError('VISAGE_ERR_BAD_INPUT', `calibrate: needs at least 2 people, got ${people.size}`);
  if (![...people.values()].some((count) => count >= 2)) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', 'calibrate: needs at least one person with 2 or more faces (same-person pairs)');
  }
  const pairs = labelledPairs(items, options);
  const result = tarAtFar(pairs, options.far);
  const genuine = pairs.filter((p) => p.same).length;
  const impostor = pairs.length - genuine;
  const calibration: Calibration = {
    threshold: result.threshold,
    targetFar: options.far,
    far: result.far,
    tar: result.tar,
    people: people.size,
    embeddings: items.length,
    genuinePairs: genuine,
    impostorPairs: impostor,
  };
  if (impostor * options.far < 1) {
    calibration.warning = `only ${impostor} different-person pairs: a false-accept rate of ${options.far} needs at least ${Math.ceil(1 / options.far)}; the threshold accepts none of them`;
  }
  return calibration;
}
