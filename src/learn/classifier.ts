// fit(kind, X, y, options) and fromJSON(json): the two entry points to every classifier kind.
import { VisageError } from '../errors.ts';
import { toDataset, type Dataset, type Vector } from './data.ts';
import { bad, checkEnvelope, integer, object, stringArray } from './json.ts';
import { fitKnn, KnnClassifier } from './knn.ts';
import { fitLogistic, LogisticClassifier } from './logistic.ts';
import { fitMlp, MlpClassifier } from './mlp.ts';
import { fitSvm, SvmClassifier } from './svm.ts';
import { CLASSIFIER_KINDS, type Classifier, type ClassifierKind, type OptionsByKind } from './types.ts';

function checkKind(kind: unknown): asserts kind is ClassifierKind {
  if (!CLASSIFIER_KINDS.includes(kind as ClassifierKind)) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `classifier: unknown kind ${JSON.stringify(kind)} (known: ${CLASSIFIER_KINDS.join(', ')})`);
  }
}

/** Fits on an already checked dataset (used by cross-validation and stacking on subsets). */
export function fitDataset<K extends ClassifierKind>(kind: K, data: Dataset, options?: OptionsByKind[K]): Classifier {
  checkKind(kind);
  switch (kind) {
    case 'svm':
      return fitSvm(data, options as OptionsByKind['svm']);
    case 'logistic':
      return fitLogistic(data, options as OptionsByKind['logistic']);
    case 'knn':
      return fitKnn(data, options as OptionsByKind['knn']);
    case 'mlp':
      return fitMlp(data, options as OptionsByKind['mlp']);
  }
  throw new Error('unreachable');
}

/**
 * Fits a classifier of the given kind. X: one vector per sample, all of one dimension; y: a
 * label per sample, at least two distinct labels. Classes are the distinct labels, sorted.
 */
export function fit<K extends ClassifierKind>(kind: K, X: readonly Vector[], y: readonly string[], options?: OptionsByKind[K]): Classifier {
  checkKind(kind);
  return fitDataset(kind, toDataset(X, y), options);
}

/**
 * Restores a classifier from toJSON()'s output (the object, or its JSON text). Anything else —
 * another format, another version, a wrong shape, a non-finite weight — throws
 * VISAGE_ERR_BAD_CLASSIFIER naming the field.
 */
export function fromJSON(json: unknown): Classifier {
  const model = checkEnvelope(json, 'visage-classifier');
  const kind = model.kind;
  if (!CLASSIFIER_KINDS.includes(kind as ClassifierKind)) bad(`kind: ${JSON.stringify(kind)} is not one of ${CLASSIFIER_KINDS.join(', ')}`);
  const classes = stringArray(model.classes, 'classes', 2);
  const dimension = integer(model.dimension, 'dimension', 1);
  const options = model.options === undefined ? {} : object(model.options, 'options');
  switch (kind as ClassifierKind) {
    case 'svm':
      return SvmClassifier.fromFields(classes, dimension, options, model);
    case 'logistic':
      return LogisticClassifier.fromFields(classes, dimension, options, model);
    case 'knn':
      return KnnClassifier.fromFields(classes, dimension, options, model);
    case 'mlp':
      return MlpClassifier.fromFields(classes, dimension, options, model);
  }
  return bad('unreachable');
}
