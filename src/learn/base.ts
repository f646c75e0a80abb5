// What every classifier kind shares: checking the input vector, predict() from predictProba(),
// and the JSON envelope. A kind supplies probabilities for a checked vector and its own fields.
import { argmax, toVector, type Vector } from './data.ts';
import { MODEL_VERSION } from './json.ts';
import type { Classifier, ClassifierJson, ClassifierKind } from './types.ts';

export abstract class BaseClassifier implements Classifier {
  abstract readonly kind: ClassifierKind;

  constructor(
    readonly classes: readonly string[],
    readonly dimension: number,
    /** The resolved hyperparameters, recorded in the JSON. */
    protected readonly options: Readonly<Record<string, unknown>>,
  ) {}

  /** Probabilities for a vector already checked and copied to float64. */
  abstract probabilities(x: Float64Array): Float64Array;

  /** The kind's own JSON fields (weights). */
  protected abstract fields(): Record<string, unknown>;

  predictProba(x: Vector): Float64Array {
    return this.probabilities(toVector(x, this.dimension));
  }

  predict(x: Vector): string {
    return this.classes[argmax(this.predictProba(x))];
  }

  toJSON(): ClassifierJson {
    return {
      format: 'visage-classifier',
      version: MODEL_VERSION,
      kind: this.kind,
      classes: [...this.classes],
      dimension: this.dimension,
      options: this.options,
      ...this.fields(),
    };
  }
}
