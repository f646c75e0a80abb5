// Verification metrics on scored pairs. A score is a similarity: higher means "more likely the
// same person", and a pair is accepted as same when score >= threshold. For a distance, negate it
// (negateScores) and read thresholds as negative distances. A pair that could not be scored (no
// face found) can be given -Infinity: it then sorts below every real score, counts as "different"
// at every finite threshold, and needs no special case here.
import { VisageError } from '../errors.ts';

export interface ScoredPair {
  readonly score: number;
  /** True for a same-person (genuine) pair. */
  readonly same: boolean;
}

export interface RocPoint {
  /** Pairs scoring >= threshold are accepted. */
  readonly threshold: number;
  /** True accept rate: accepted same-person pairs / same-person pairs. */
  readonly tar: number;
  /** False accept rate: accepted different-person pairs / different-person pairs. */
  readonly far: number;
}

export interface ThresholdFit {
  readonly threshold: number;
  /** Fraction of pairs classified correctly at that threshold, 0..1. */
  readonly accuracy: number;
}

export interface TarAtFar {
  /** The FAR asked for. */
  readonly targetFar: number;
  /** The lowest threshold whose FAR is at most targetFar. */
  readonly threshold: number;
  readonly tar: number;
  /** The FAR actually reached at that threshold (<= targetFar). */
  readonly far: number;
}

/** Pairs with every score negated: turns distances (lower = same) into similarities. */
export function negateScores<T extends ScoredPair>(pairs: readonly T[]): T[] {
  return pairs.map((pair) => ({ ...pair, score: -pair.score }));
}

/**
 * The pairs grouped by distinct score, highest first, with running counts: "cut" j accepts the
 * first j groups. Cuts are the only thresholds that matter; every metric below scans them.
 */
interface Cuts {
  /** Distinct scores, descending. */
  readonly scores: number[];
  /** sameAccepted[j], diffAccepted[j]: pairs of each kind in the first j groups (j = 0..m). */
  readonly sameAccepted: number[];
  readonly diffAccepted: number[];
  readonly sameTotal: number;
  readonly diffTotal: number;
}

function cutsOf(pairs: readonly ScoredPair[], what: string): Cuts {
  let sameTotal = 0;
  for (const pair of pairs) {
    if (typeof pair.score !== 'number' || Number.isNaN(pair.score)) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what}: a score is not a number (${pair.score})`);
    }
    if (pair.same) sameTotal++;
  }
  const diffTotal = pairs.length - sameTotal;
  if (sameTotal === 0 || diffTotal === 0) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what}: needs both same-person and different-person pairs (got ${sameTotal} and ${diffTotal})`);
  }
  const sorted = [...pairs].sort((a, b) => b.score - a.score || 0);
  const scores: number[] = [];
  const sameAccepted = [0];
  const diffAccepted = [0];
  for (const pair of sorted) {
    // -Infinity - -Infinity is NaN, so compare with !== rather than by difference.
    if (scores.length === 0 || scores[scores.length - 1] !== pair.score) {
      scores.push(pair.score);
      sameAccepted.push(sameAccepted[sameAccepted.length - 1]!);
      diffAccepted.push(diffAccepted[diffAccepted.length - 1]!);
    }
    if (pair.same) sameAccepted[sameAccepted.length - 1]!++;
    else diffAccepted[diffAccepted.length - 1]!++;
  }
  return { scores, sameAccepted, diffAccepted, sameTotal, diffTotal };
}

/** The smallest double above x (x finite). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/**
 * A threshold for cut j (accept the j highest score groups): halfway between the lowest accepted
 * and the highest rejected score, so that it sits in the gap rather than on a seen score. Cut 0
 * (accept nothing) is just above the highest score, cut m (accept everything) -Infinity.
 */
function cutThreshold(cuts: Cuts, j: number): number {
  const { scores } = cuts;
  if (j === scores.length) return -Infinity;
  const below = scores[j]!;
  if (j === 0) return below === Infinity ? Infinity : nextUp(below);
  const above = scores[j - 1]!;
  if (below === -Infinity || above === Infinity) return above;
  const middle = below / 2 + above / 2;
  return middle > below && middle <= above ? middle : above;
}

/** The ROC curve from the strictest threshold (nothing accepted: tar = far = 0) to the loosest (1, 1). */
export function rocCurve(pairs: readonly ScoredPair[]): RocPoint[] {
  const cuts = cutsOf(pairs, 'rocCurve');
  const points: RocPoint[] = [{ threshold: Infinity, tar: 0, far: 0 }];
  cuts.scores.forEach((score, i) => {
    points.push({ threshold: score, tar: cuts.sameAccepted[i + 1]! / cuts.sameTotal, far: cuts.diffAccepted[i + 1]! / cuts.diffTotal });
  });
  return points;
}

/**
 * Area under the ROC curve (trapezoids, so tied scores count one half): the probability that a
 * random same-person pair scores above a random different-person pair.
 */
export function auc(pairs: readonly ScoredPair[]): number {
  const points = rocCurve(pairs);
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    area += (b.far - a.far) * (a.tar + b.tar) / 2;
  }
  return area;
}

/** Fraction of pairs classified correctly when score >= threshold means "same person". */
export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  if (pairs.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'accuracyAt: no pairs');
  if (Number.isNaN(threshold)) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'accuracyAt: threshold is NaN');
  let correct = 0;
  for (const pair of pairs) if ((pair.score >= threshold) === pair.same) correct++;
  return correct / pairs.length;
}

/**
 * The threshold of best accuracy on these pairs. Among equally accurate cuts the strictest (highest
 * threshold) wins; the threshold returned lies halfway between the lowest accepted and the highest
 * rejected score.
 */
export function bestThreshold(pairs: readonly ScoredPair[]): ThresholdFit {
  const cuts = cutsOf(pairs, 'bestThreshold');
  let best = 0, bestCorrect = -1;
  for (let j = 0; j <= cuts.scores.length; j++) {
    const correct = cuts.sameAccepted[j]! + (cuts.diffTotal - cuts.diffAccepted[j]!);
    if (correct > bestCorrect) { bestCorrect = correct; best = j; }
  }
  return { threshold: cutThreshold(cuts, best), accuracy: bestCorrect / pairs.length };
}

/**
 * True accept rate at a false accept rate: the loosest threshold that lets through at most
 * floor(targetFar x different-person pairs) of them, and the fraction of same-person pairs it
 * accepts. With 500 different-person pairs, FAR 0.1% allows none; with 3,000 it allows 3.
 */
export function tarAtFar(pairs: readonly ScoredPair[], targetFar: number): TarAtFar {
  if (!(targetFar >= 0 && targetFar <= 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `tarAtFar: targetFar must be in [0, 1], got ${targetFar}`);
  const cuts = cutsOf(pairs, 'tarAtFar');
  // The epsilon keeps 0.001 x 3000 from rounding down to 2.
  const allowed = Math.floor(targetFar * cuts.diffTotal + 1e-9);
  let j = 0;
  while (j < cuts.scores.length && cuts.diffAccepted[j + 1]! <= allowed) j++;
  return {
    targetFar,
    threshold: cutThreshold(cuts, j),
    tar: cuts.sameAccepted[j]! / cuts.sameTotal,
    far: cuts.diffAccepted[j]! / cuts.diffTotal,
  };
}
