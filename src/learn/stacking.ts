// Stacking: base classifiers, each on its own feature view (e.g. one embedder's vectors), and a
// multinomial logistic regression meta-learner over their class probabilities. The meta-learner
// is trained on out-of-fold probabilities (each sample scored by base models that did not see it,
// from a stratified k-fold split), so it learns how far to trust each base on unseen data; the
// bases are then refitted on all the data.
import { VisageError } from '../errors.ts';
import { argmax, checkLabels, toMatrix, toVector, type Dataset, type Vector } from './data.ts';
import { fitDataset, fromJSON } from './classifier.ts';
import { outOfFold } from './cross-validate.ts';
import { bad, checkEnvelope, integer, MODEL_VERSION, object } from './json.ts';
import { fitLogistic, LogisticClassifier } from './logistic.ts';
import type { Classifier, ClassifierJson, ClassifierKind, LogisticOptions, OptionsByKind } from './types.ts';

export interface BaseSpec<K extends ClassifierKind = ClassifierKind> {
  readonly kind: K;
  /** Index into views of the vectors this base is trained on. */
  readonly view: number;
  readonly options?: OptionsByKind[K];
}

export interface StackingOptions {
  /** Folds of the out-of-fold split. Default 5. */
  readonly folds?: number;
  /** Seed of the split. Default 1. */
  readonly seed?: number;
  /** Options of the logistic meta-learner. */
  readonly meta?: LogisticOptions;
}

export interface StackedJson {
  readonly format: 'visage-stacked';
  readonly version: number;
  readonly classes: readonly string[];
  /** Dimension of each view. */
  readonly views: readonly number[];
  readonly bases: readonly { readonly view: number; readonly model: ClassifierJson }[];
  readonly meta: ClassifierJson;
}

export class StackedClassifier {
  readonly kind = 'stacked' as const;

  constructor(
    readonly classes: readonly string[],
    /** Dimension of each view. */
    readonly viewDimensions: readonly number[],
    readonly bases: readonly { readonly view: number; readonly model: Classifier }[],
    readonly meta: LogisticClassifier,
  ) {}

  /** The meta-learner's input: every base's probabilities, concatenated in base order. */
  features(views: readonly Vector[]): Float64Array {
    if (!Array.isArray(views) || views.length !== this.viewDimensions.length) {
      const got = Array.isArray(views) ? `${views.length}` : 'not an array of vectors';
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `stacked: expected ${this.viewDimensions.length} views of the sample (one vector per view), got ${got}`);
    }
    const K = this.classes.length;
    const out = new Float64Array(this.bases.length * K);
    this.bases.forEach((base, b) => out.set(base.model.predictProba(toVector(views[base.view], this.viewDimensions[base.view], `views[${base.view}]`)), b * K));
    return out;
  }

  /** views[v]: the sample's vector in view v. */
  predictProba(views: readonly Vector[]): Float64Array {
    return this.meta.predictProba(this.features(views));
  }

  predict(views: readonly Vector[]): string {
    return this.classes[argmax(this.predictProba(views))];
  }

  toJSON(): StackedJson {
    return {
      format: 'visage-stacked',
      version: MODEL_VERSION,
      classes: [...this.classes],
      views: [...this.viewDimensions],
      bases: this.bases.map((base) => ({ view: base.view, model: base.model.toJSON() })),
      meta: this.meta.toJSON(),
    };
  }
}

/**
 * bases: one entry per base classifier (kind, view, options); views: for each view, one vector
 * per sample (every view lists the samples in the same order); y: a label per sample.
 */
export function fitStacked(bases: readonly BaseSpec[], views: readonly (readonly Vector[])[], y: readonly string[], options: StackingOptions = {}): StackedClassifier {
  if (!Array.isArray(bases) || bases.length === 0) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'fitStacked: no base classifiers');
  if (!Array.isArray(views) || views.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'fitStacked: no views');
  const matrices = views.map((X, v) => toMatrix(X, `views[${v}]`));
  const n = matrices[0].n;
  matrices.forEach((m, v) => {
    if (m.n !== n) throw new VisageError('VISAGE_ERR_BAD_INPUT', `fitStacked: views[${v}] has ${m.n} samples, views[0] has ${n}`);
  });
  const { classes, index } = checkLabels(y, n);
  const data: Dataset[] = matrices.map((m) => ({ n, d: m.d, x: m.x, y: index, classes }));
  bases.forEach((base, b) => {
    if (!Number.isInteger(base.view) || base.view < 0 || base.view >= views.length) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `fitStacked: bases[${b}].view ${base.view} is not a view index (0..${views.length - 1})`);
    }
  });
  const folds = options.folds ?? 5;
  const seed = options.seed ?? 1;
  const K = classes.length;
  const metaX = new Float64Array(n * bases.length * K);
  bases.forEach((base, b) => {
    const { probabilities } = outOfFold(base.kind, data[base.view], folds, seed, base.options);
    probabilities.forEach((p, i) => metaX.set(p, i * bases.length * K + b * K));
  });
  const meta = fitLogistic({ n, d: bases.length * K, x: metaX, y: index, classes }, options.meta);
  const fitted = bases.map((base) => ({ view: base.view, model: fitDataset(base.kind, data[base.view], base.options) }));
  return new StackedClassifier(classes, matrices.map((m) => m.d), fitted, meta);
}

/** Restores a StackedClassifier from toJSON()'s output; a malformed one throws VISAGE_ERR_BAD_CLASSIFIER. */
export function stackedFromJSON(json: unknown): StackedClassifier {
  const model = checkEnvelope(json, 'visage-stacked');
  const meta = fromJSON(model.meta);
  if (meta.kind !== 'logistic') bad('meta: expected a logistic classifier');
  const classes = meta.classes;
  if (!Array.isArray(model.views) || model.views.length === 0) bad('views: expected the dimension of each view');
  const viewDimensions = (model.views as unknown[]).map((d, v) => integer(d, `views[${v}]`, 1));
  if (!Array.isArray(model.bases) || model.bases.length === 0) bad('bases: expected at least one base classifier');
  const bases = (model.bases as unknown[]).map((entry, b) => {
    const base = object(entry, `bases[${b}]`);
    const view = integer(base.view, `bases[${b}].view`, 0);
    if (view >= viewDimensions.length) bad(`bases[${b}].view: ${view} is not a view index`);
    const classifier = fromJSON(base.model);
    if (classifier.dimension !== viewDimensions[view]) bad(`bases[${b}]: dimension ${classifier.dimension}, view ${view} has ${viewDimensions[view]}`);
    if (classifier.classes.join('\n') !== classes.join('\n')) bad(`bases[${b}]: classes differ from the meta-learner's`);
    return { view, model: classifier };
  });
  if (meta.dimension !== bases.length * classes.length) bad(`meta: dimension ${meta.dimension}, expected ${bases.length} bases x ${classes.length} classes`);
  return new StackedClassifier(classes, viewDimensions, bases, meta as LogisticClassifier);
}
