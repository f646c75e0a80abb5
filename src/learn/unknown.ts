// The "unknown" decision: a sample whose highest class probability is below a threshold is
// labelled UNKNOWN instead of being forced into a class. The threshold is chosen on validation
// data, by one of two rules stated below.
//
// For each validation sample: confidence = its highest class probability, top = that class.
//   positive: its true label is a class and top is that class (accepting it names it rightly);
//   negative: its true label is not a class (a stranger, e.g. a held-out person), or top is
//             wrong (accepting it would name it wrongly).
// A sample is accepted when confidence >= threshold.
//   'false-accept' (default): the lowest threshold at which at most targetFalseAccept of the
//       negatives are accepted (false-accept rate = accepted negatives / negatives). It sits
//       halfway between the highest rejected negative's confidence and the next higher confidence
//       of any sample. With no negatives at all (every validation sample rightly named, no
//       strangers) nothing constrains it and it is 0: validate with strangers to get a real one.
//   'accuracy': the threshold maximising accuracy with reject = (accepted positives + rejected
//       negatives) / samples; among equally good thresholds the lowest.
import { VisageError } from '../errors.ts';
import { fit } from './classifier.ts';
import { argmax, toDataset, toMatrix, UNKNOWN, type Vector } from './data.ts';
import { createRng, permutation } from './rng.ts';
import type { Classifier, ClassifierKind, OptionsByKind } from './types.ts';

export { UNKNOWN };

export type ThresholdRule = 'false-accept' | 'accuracy';

export interface ThresholdOptions {
  /** Default 'false-accept'. */
  readonly rule?: ThresholdRule;
  /** For 'false-accept': the largest fraction of negatives allowed through. Default 0.05. */
  readonly targetFalseAccept?: number;
}

export interface UnknownThreshold {
  readonly rule: ThresholdRule;
  /** Accept (name the top class) when its probability is >= threshold; else UNKNOWN. */
  readonly threshold: number;
  readonly positives: number;
  readonly negatives: number;
  /** Of the validation samples' negatives, the fraction accepted at threshold (0 when none). */
  readonly falseAcceptRate: number;
  /** Of the positives, the fraction accepted at threshold (0 when none). */
  readonly trueAcceptRate: number;
  /** (accepted positives + rejected negatives) / samples at threshold. */
  readonly accuracyWithReject: number;
}

export interface Decision {
  /** The top class, or UNKNOWN when its probability is below the threshold. */
  readonly label: string;
  /** The top class's probability (also when the decision is UNKNOWN). */
  readonly probability: number;
}

/** Names the top class when its probability reaches threshold, else UNKNOWN. */
export function decide(probabilities: ArrayLike<number>, classes: readonly string[], threshold: number): Decision {
  if (probabilities.length !== classes.length || classes.length === 0) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `decide: ${probabilities.length} probabilities for ${classes.length} classes`);
  }
  const top = argmax(probabilities);
  const probability = probabilities[top];
  return { label: probability >= threshold ? classes[top] : UNKNOWN, probability };
}

/**
 * The threshold from validation probabilities (one row per sample, columns in classes' order) and
 * the samples' true labels; a label that is not among classes marks a stranger.
 */
export function chooseThreshold(
  probabilities: readonly ArrayLike<number>[],
  labels: readonly string[],
  classes: readonly string[],
  options: ThresholdOptions = {},
): UnknownThreshold {
  if (probabilities.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'chooseThreshold: no validation samples');
  if (labels.length !== probabilities.length) throw new VisageError('VISAGE_ERR_BAD_INPUT', `chooseThreshold: ${labels.length} labels for ${probabilities.length} samples`);
  const samples = probabilities.map((row, i) => {
    if (row.length !== classes.length) throw new VisageError('VISAGE_ERR_BAD_INPUT', `chooseThreshold: row ${i} has ${row.length} probabilities for ${classes.length} classes`);
    const top = argmax(row);
    return { confidence: row[top], positive: classes[top] === labels[i] };
  });
  return chooseThresholdFromScores(samples, options);
}

/** A validation sample reduced to what the threshold rules look at. */
export interface ScoredSample {
  /** Its highest class probability. */
  readonly confidence: number;
  /** True when naming its top class is right (see the rules above). */
  readonly positive: boolean;
}

/**
 * The same rules on samples already scored: e.g. a validation split's samples under the final
 * classifier together with strangerConfidences() as negatives.
 */
export function chooseThresholdFromScores(samples: readonly ScoredSample[], options: ThresholdOptions = {}): UnknownThreshold {
  const rule = options.rule ?? 'false-accept';
  const target = options.targetFalseAccept ?? 0.05;
  if (rule !== 'false-accept' && rule !== 'accuracy') throw new VisageError('VISAGE_ERR_BAD_OPTION', `rule: expected 'false-accept' or 'accuracy', got ${JSON.stringify(rule)}`);
  if (!(target >= 0 && target <= 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `targetFalseAccept: expected a number in [0, 1], got ${target}`);
  if (samples.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'chooseThreshold: no validation samples');
  const positives = samples.filter((s) => s.positive).length;
  const negatives = samples.length - positives;
  // Candidate thresholds: 0 (accept all) and halfway above each distinct confidence.
  const distinct = [...new Set(samples.map((s) => s.confidence))].sort((a, b) => a - b);
  const above = (value: number): number => {
    const next = distinct.find((c) => c > value);
    return next === undefined ? value + 1e-9 : (value + next) / 2;
  };
  const measure = (threshold: number): UnknownThreshold => {
    let acceptedPositives = 0;
    let acceptedNegatives = 0;
    for (const s of samples) {
      if (s.confidence < threshold) continue;
      if (s.positive) acceptedPositives++;
      else acceptedNegatives++;
    }
    return {
      rule,
      threshold,
      positives,
      negatives,
      falseAcceptRate: negatives > 0 ? acceptedNegatives / negatives : 0,
      trueAcceptRate: positives > 0 ? acceptedPositives / positives : 0,
      accuracyWithReject: (acceptedPositives + negatives - acceptedNegatives) / samples.length,
    };
  };
  if (rule === 'false-accept') {
    const allowed = Math.floor(target * negatives + 1e-9);
    if (allowed >= negatives) return measure(0);
    // Reject the negative ranked allowed + 1 by confidence and every one below it.
    const negativeScores = samples.filter((s) => !s.positive).map((s) => s.confidence).sort((a, b) => b - a);
    return measure(above(negativeScores[allowed]));
  }
  let best = measure(0);
  for (const confidence of distinct) {
    const candidate = measure(above(confidence));
    if (candidate.accuracyWithReject > best.accuracyWithReject) best = candidate;
  }
  return best;
}

/** chooseThreshold on a fitted classifier's probabilities for validation vectors X. */
export function fitUnknownThreshold(classifier: Classifier, X: readonly Vector[], y: readonly string[], options?: ThresholdOptions): UnknownThreshold {
  const { n, d, x } = toMatrix(X, 'X', classifier.dimension);
  const probabilities = Array.from({ length: n }, (_, i) => classifier.predictProba(x.subarray(i * d, (i + 1) * d)));
  return chooseThreshold(probabilities, y, classifier.classes, options);
}

export interface StrangerOptions<K extends ClassifierKind> {
  /** Groups the classes are split into; each group is held out once. Default 5. */
  readonly groups?: number;
  readonly seed?: number;
  /** Options of the classifiers fitted without each group. */
  readonly options?: OptionsByKind[K];
}

/**
 * Simulated strangers for the threshold when the validation data has none: the classes are dealt
 * (seeded) into groups; for each group, a classifier of the same kind fitted on the other
 * classes' samples scores the group's samples, whose top probability is then a stranger's
 * confidence. Use them as negatives in chooseThresholdFromScores. An approximation: those
 * classifiers know (groups - 1) / groups of the classes, so their probabilities spread over fewer
 * classes than the final one's (slightly higher confidences: a slightly stricter threshold).
 * Needs at least 2 classes left after holding out a group (so at least 3 classes in all).
 */
export function strangerConfidences<K extends ClassifierKind>(kind: K, X: readonly Vector[], y: readonly string[], options: StrangerOptions<K> = {}): number[] {
  const data = toDataset(X, y);
  const classCount = data.classes.length;
  const groups = Math.min(options.groups ?? 5, classCount);
  if (!Number.isInteger(groups) || groups < 2) throw new VisageError('VISAGE_ERR_BAD_OPTION', `groups: expected a whole number >= 2, got ${options.groups}`);
  if (classCount - Math.ceil(classCount / groups) < 2) throw new VisageError('VISAGE_ERR_BAD_INPUT', `strangerConfidences: ${classCount} classes are too few to hold some out and still train on two`);
  const groupOf = new Int32Array(classCount);
  permutation(classCount, createRng(options.seed ?? 1)).forEach((c, i) => (groupOf[c] = i % groups));
  const confidences: number[] = [];
  for (let g = 0; g < groups; g++) {
    const known: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < data.n; i++) (groupOf[data.y[i]] === g ? held : known).push(i);
    const rows = (list: number[]) => list.map((i) => data.x.subarray(i * data.d, (i + 1) * data.d));
    const model = fit(kind, rows(known), known.map((i) => data.classes[data.y[i]]), options.options);
    for (const x of rows(held)) confidences.push(Math.max(...model.predictProba(x)));
  }
  return confidences;
}
