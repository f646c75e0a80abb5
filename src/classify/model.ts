// A trained face classifier: a head (one classifier on one embedder's vectors, or a stacked
// meta-learner over two embedders' classifiers), its classes, the embedders it reads, and the
// threshold below which a face is UNKNOWN. Saved as a `.visage` JSON file (format below).
import { readFile, writeFile, rename } from 'node:fs/promises';
import { VisageError } from '../errors.ts';
import {
  fit, fromJSON, fitStacked, stackedFromJSON, chooseThresholdFromScores, stratifiedKFold, createRng, UNKNOWN,
  type Classifier, type ClassifierKind, type StackedClassifier, type Vector, type ThresholdRule, type UnknownThreshold, type ScoredSample,
} from '../learn/index.ts';
import { CLASSIFIER_KINDS } from '../learn/index.ts';
import { KnnClassifier } from '../learn/knn.ts';

export const MODEL_FORMAT = 'visage-model';
export const MODEL_VERSION = 1;

export type HeadKind = ClassifierKind | 'stack';
export const HEAD_KINDS: readonly HeadKind[] = [...CLASSIFIER_KINDS, 'stack'];

/** What the unknown threshold is compared with. */
export type ConfidenceScore = 'probability' | 'similarity';

/** The stacked head's bases: logistic regression on each embedder's vectors. */
const STACK_BASE: ClassifierKind = 'logistic';

export interface Prediction {
  /** The top class, or UNKNOWN when confidence < threshold. */
  label: string;
  /** The top class (also when the label is UNKNOWN). */
  top: string;
  /** The top class's probability. */
  probability: number;
  /** What the threshold applies to: the probability, or for k-NN the cosine similarity to the top class's nearest training face. */
  confidence: number;
  /** One per class, in classes' order. */
  probabilities: Float64Array;
}

/** One classifier on view 0, or a stacked model over views; always called with one vector per view. */
export class Head {
  private constructor(readonly kind: HeadKind, private readonly single: Classifier | undefined, private readonly stacked: StackedClassifier | undefined) {}

  static single(classifier: Classifier): Head { return new Head(classifier.kind, classifier, undefined); }
  static stack(stacked: StackedClassifier): Head { return new Head('stack', undefined, stacked); }

  get classes(): readonly string[] { return (this.single ?? this.stacked)!.classes; }
  get views(): number { return this.single ? 1 : this.stacked!.viewDimensions.length; }
  get dimensions(): number[] { return this.single ? [this.single.dimension] : [...this.stacked!.viewDimensions]; }
  get score(): ConfidenceScore { return this.kind === 'knn' ? 'similarity' : 'probability'; }

  predictProba(views: readonly Vector[]): Float64Array {
    if (views.length !== this.views) throw new VisageError('VISAGE_ERR_BAD_INPUT', `the model reads ${this.views} embedding(s) per face, got ${views.length}`);
    return this.single ? this.single.predictProba(views[0]!) : this.stacked!.predictProba(views);
  }

  /** Probabilities, top class and confidence (see Prediction). */
  scoreFace(views: readonly Vector[]): { probabilities: Float64Array; top: number; confidence: number } {
    const probabilities = this.predictProba(views);
    let top = 0;
    for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[top]!) top = c;
    let confidence = probabilities[top]!;
    if (this.single instanceof KnnClassifier) confidence = nearestSimilarity(this.single, views[0]!, top);
    return { probabilities, top, confidence };
  }

  toJSON(): object { return (this.single ?? this.stacked)!.toJSON(); }

  static fromJSON(kind: HeadKind, json: unknown): Head {
    if (kind === 'stack') return Head.stack(stackedFromJSON(json));
    const classifier = fromJSON(json);
    if (classifier.kind !== kind) throw new VisageError('VISAGE_ERR_BAD_CLASSIFIER', `classifier kind ${classifier.kind} does not match the model's ${kind}`);
    return Head.single(classifier);
  }
}

/** k-NN's stranger signal: the cosine of the query and the nearest training vector of class `c`. */
function nearestSimilarity(knn: KnnClassifier, x: Vector, c: number): number {
  const d = knn.dimension;
  let norm = 0;
  for (let j = 0; j < d; j++) norm += Number(x[j]) ** 2;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  let best = -1;
  for (let i = 0; i < knn.labels.length; i++) {
    if (knn.labels[i] !== c) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += Number(x[j]) * scale * knn.points[i * d + j]!;
    if (s > best) best = s;
  }
  return best;
}

/** Options of the classifier(s); classWeight 'balanced' (learn's default) handles class imbalance. */
export function headOptions(kind: HeadKind, seed = 1): Record<string, unknown> {
  return kind === 'stack' ? { bases: STACK_BASE, folds: 5, seed } : { seed };
}

/** Fits a head: views[v][i] is sample i's vector from embedder v. */
export function fitHead(kind: HeadKind, views: readonly (readonly Vector[])[], y: readonly string[], seed = 1): Head {
  if (!HEAD_KINDS.includes(kind)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown classifier "${kind}"; known: ${HEAD_KINDS.join(', ')}`);
  if (kind === 'stack') {
    if (views.length < 2) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'stack needs two embedders (e.g. faceapi-recognition,human-faceres)');
    const folds = Math.max(2, Math.min(5, ...countsOf(y)));
    return Head.stack(fitStacked(views.map((_, v) => ({ kind: STACK_BASE, view: v })), views, y, { folds, seed }));
  }
  if (views.length !== 1) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${kind} reads one embedder's vectors, got ${views.length}`);
  return Head.single(fit(kind, views[0]!, y, { seed }));
}

function countsOf(y: readonly string[]): number[] {
  const counts = new Map<string, number>();
  for (const label of y) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts.values()];
}

export interface LabelledViews {
  /** views[v][i]: sample i's vector from embedder v. */
  views: Vector[][];
  y: string[];
}

export function subsetViews(data: LabelledViews, rows: readonly number[]): LabelledViews {
  return { views: data.views.map((view) => rows.map((r) => view[r]!)), y: rows.map((r) => data.y[r]!) };
}

/**
 * Simulated strangers (as learn's strangerConfidences, for any head): classes dealt into groups;
 * a head fitted without a group scores the group's samples; their confidences are negatives.
 * Needs 3 classes or more (two must remain to train on); returns [] otherwise.
 */
export function strangerScores(kind: HeadKind, data: LabelledViews, groups = 5, seed = 1): number[] {
  const classes = [...new Set(data.y)].sort();
  const groupCount = Math.min(groups, classes.length);
  if (classes.length - Math.ceil(classes.length / groupCount) < 2) return [];
  const rng = createRng(seed);
  const order = classes.map((c) => ({ c, r: rng.next() })).sort((a, b) => a.r - b.r).map((e) => e.c);
  const groupOf = new Map(order.map((c, i) => [c, i % groupCount]));
  const scores: number[] = [];
  for (let g = 0; g < groupCount; g++) {
    const known: number[] = [], held: number[] = [];
    data.y.forEach((label, i) => (groupOf.get(label) === g ? held : known).push(i));
    const train = subsetViews(data, known);
    const head = fitHead(kind, train.views, train.y, seed);
    for (const i of held) scores.push(head.scoreFace(data.views.map((view) => view[i]!)).confidence);
  }
  return scores;
}

export interface ThresholdChoice extends UnknownThreshold {
  score: ConfidenceScore;
  targetFalseAccept: number;
  /** Validation samples scored (positives or wrongly named). */
  validationSamples: number;
  /** Simulated stranger samples (negatives). */
  strangers: number;
  /** How it was chosen, in words. */
  method: string;
}

/**
 * The unknown threshold, by learn's 'false-accept' rule (at most targetFalseAccept of negatives
 * accepted): positives and misnamed faces from the validation samples under `head`, plus simulated
 * strangers from the training samples.
 */
export function chooseUnknownThreshold(kind: HeadKind, head: Head, train: LabelledViews, validation: LabelledViews | undefined, targetFalseAccept = 0.05, rule: ThresholdRule = 'false-accept'): ThresholdChoice {
  const samples: ScoredSample[] = [];
  if (validation) {
    validation.y.forEach((label, i) => {
      const scored = head.scoreFace(validation.views.map((view) => view[i]!));
      samples.push({ confidence: scored.confidence, positive: head.classes[scored.top] === label });
    });
  }
  const strangers = strangerScores(kind, train);
  for (const confidence of strangers) samples.push({ confidence, positive: false });
  if (samples.length === 0) {
    return { rule, threshold: 0, positives: 0, negatives: 0, falseAcceptRate: 0, trueAcceptRate: 0, accuracyWithReject: 0, score: head.score, targetFalseAccept, validationSamples: 0, strangers: 0, method: 'no validation samples and too few classes to simulate strangers: threshold 0 (every face is named)' };
  }
  const chosen = chooseThresholdFromScores(samples, { rule, targetFalseAccept });
  const what = head.score === 'similarity' ? 'cosine similarity to the top class\'s nearest training face' : 'top class probability';
  const method = `learn's '${rule}' rule${rule === 'false-accept' ? ` (at most ${(targetFalseAccept * 100).toFixed(0)}% of negatives accepted)` : ''} on the ${what}: ` +
    `${validation?.y.length ?? 0} validation faces (wrongly named ones are negatives) + ${strangers.length} simulated strangers (classes held out in 5 groups, scored by a ${kind} trained on the rest)`;
  return { ...chosen, score: head.score, targetFalseAccept, validationSamples: validation?.y.length ?? 0, strangers: strangers.length, method };
}

/** The `.visage` file. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  created: string;
  /** Class names (sorted), the columns of the probabilities. */
  classes: string[];
  /** Embedder ids, one per view the head reads, in order. */
  embedders: string[];
  /** Pipeline settings the embeddings were made with (detector, flip ...); classify uses the same. */
  pipeline: Record<string, unknown>;
  classifier: { kind: HeadKind; params: Record<string, unknown>; model: object };
  unknown: { threshold: number; score: ConfidenceScore; rule: ThresholdRule; targetFalseAccept: number; method: string; falseAcceptRate: number; trueAcceptRate: number };
  training: Record<string, unknown>;
}

export class ClassifierModel {
  constructor(readonly file: ModelFile, readonly head: Head) {}

  get classes(): readonly string[] { return this.file.classes; }
  get embedders(): readonly string[] { return this.file.embedders; }
  get kind(): HeadKind { return this.file.classifier.kind; }
  get threshold(): number { return this.file.unknown.threshold; }

  /** A face's decision from its embeddings by embedder id. */
  predict(embeddings: Readonly<Record<string, Vector>>, threshold = this.threshold): Prediction {
    const views = this.embedders.map((id) => {
      const v = embeddings[id];
      if (!v) throw new VisageError('VISAGE_ERR_BAD_INPUT', `the face has no ${id} embedding (the model reads ${this.embedders.join(', ')})`);
      return v;
    });
    const { probabilities, top, confidence } = this.head.scoreFace(views);
    const name = this.classes[top]!;
    return { label: confidence >= threshold ? name : UNKNOWN, top: name, probability: probabilities[top]!, confidence, probabilities };
  }

  toJSON(): ModelFile { return this.file; }
}

export async function saveModel(model: ClassifierModel, file: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(model.toJSON())}\n`);
  await rename(temporary, file);
}

function badModel(source: string, why: string): never {
  throw new VisageError('VISAGE_ERR_BAD_CLASSIFIER', `${source} is not a usable Visage model: ${why}`);
}

/** Checks and restores a model from its parsed JSON. */
export function parseModel(json: unknown, source = 'model'): ClassifierModel {
  if (!json || typeof json !== 'object' || Array.isArray(json)) badModel(source, 'not a JSON object');
  const m = json as Partial<ModelFile>;
  if (m.format !== MODEL_FORMAT) badModel(source, `format is ${JSON.stringify(m.format)}, expected "${MODEL_FORMAT}"`);
  if (m.version !== MODEL_VERSION) badModel(source, `version ${JSON.stringify(m.version)} (this Visage reads version ${MODEL_VERSION})`);
  if (!Array.isArray(m.classes) || m.classes.length < 2 || !m.classes.every((c) => typeof c === 'string')) badModel(source, 'classes: expected two or more names');
  if (!Array.isArray(m.embedders) || m.embedders.length === 0 || !m.embedders.every((e) => typeof e === 'string')) badModel(source, 'embedders: expected embedder ids');
  if (!m.classifier || !HEAD_KINDS.includes(m.classifier.kind)) badModel(source, `classifier.kind: expected one of ${HEAD_KINDS.join(', ')}`);
  if (!m.unknown || typeof m.unknown.threshold !== 'number' || !Number.isFinite(m.unknown.threshold)) badModel(source, 'unknown.threshold: expected a number');
  let head: Head;
  try {
    head = Head.fromJSON(m.classifier.kind, m.classifier.model);
  } catch (error) {
    badModel(source, `classifier.model: ${(error as Error).message}`);
  }
  if (head.classes.join('\n') !== m.classes.join('\n')) badModel(source, 'classes differ from the classifier\'s');
  if (head.views !== m.embedders.length) badModel(source, `the classifier reads ${head.views} embedding(s), the model lists ${m.embedders.length} embedder(s)`);
  return new ClassifierModel({ pipeline: {}, training: {}, ...m } as ModelFile, head);
}

/** Reads a `.visage` file; a missing, unreadable or malformed file is a one-line VisageError. */
export async function loadModel(file: string): Promise<ClassifierModel> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new VisageError(code === 'ENOENT' ? 'VISAGE_ERR_IMAGE_NOT_FOUND' : 'VISAGE_ERR_BAD_CLASSIFIER', code === 'ENOENT' ? `no such model file: ${file}` : `cannot read model file ${file}: ${code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    badModel(file, 'not JSON (corrupt or not a model file)');
  }
  return parseModel(json, file);
}

/** Stratified k-fold cross-validation of a head kind on labelled vectors: accuracy per fold. */
export function crossValidateHead(kind: HeadKind, data: LabelledViews, folds: number, seed = 1): { accuracies: number[]; mean: number; std: number; predictions: string[] } {
  const split = stratifiedKFold(data.y, folds, seed);
  const predictions: string[] = new Array(data.y.length);
  const accuracies = split.map((fold) => {
    const train = subsetViews(data, fold.train);
    const head = fitHead(kind, train.views, train.y, seed);
    let right = 0;
    for (const i of fold.test) {
      const scored = head.scoreFace(data.views.map((view) => view[i]!));
      predictions[i] = head.classes[scored.top]!;
      if (predictions[i] === data.y[i]) right++;
    }
    return right / fold.test.length;
  });
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const std = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length);
  return { accuracies, mean, std, predictions };
}
