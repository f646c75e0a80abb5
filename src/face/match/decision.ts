// The open-set decision: who this is, or UNKNOWN. Per-subject strategies (`strategy`):
// - 'best-face': a subject scores the similarity of its closest enrolled face;
// - 'mean-template': a subject scores the similarity to the normalised mean of its faces.
// The best subject is named when its score reaches the threshold; under it the answer is UNKNOWN.
import { VisageError } from '../../errors.ts';

export type DecisionStrategy = 'best-face' | 'mean-template';
export const DECISION_STRATEGIES: readonly DecisionStrategy[] = ['best-face', 'mean-template'];

export function checkStrategy(value: unknown): DecisionStrategy {
  if (!DECISION_STRATEGIES.includes(value as DecisionStrategy)) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `strategy must be one of ${DECISION_STRATEGIES.join(', ')}, got ${String(value)}`);
  }
  return value as DecisionStrategy;
}

/** A similarity threshold, checked: a number from -1 to 1. `what` names it in the error. */
export function checkThreshold(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < -1 || value > 1) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what} must be a similarity from -1 to 1, got ${String(value)}`);
  }
  return value;
}

/** The best candidate (candidates come best first) when it reaches the threshold, else null: UNKNOWN. */
export function openSetDecision<C extends { similarity: number }>(candidates: readonly C[], threshold: number): C | null {
  const best = candidates[0];
  return best && best.similarity >= threshold ? best : null;
}
