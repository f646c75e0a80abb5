// Classification metrics on label lists, as scikit-learn computes them: accuracy, the confusion
// matrix, per-class precision / recall / F1 / support with macro and support-weighted averages,
// and the plain-text report in scikit-learn's classification_report layout.
import { VisageError } from '../errors.ts';

function checkPair(yTrue: readonly string[], yPred: readonly string[]): void {
  if (!Array.isArray(yTrue) || !Array.isArray(yPred)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'metrics: expected two arrays of labels');
  if (yTrue.length !== yPred.length) throw new VisageError('VISAGE_ERR_BAD_INPUT', `metrics: ${yTrue.length} true labels but ${yPred.length} predictions`);
  if (yTrue.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'metrics: no samples');
}

/** Fraction of predictions equal to the true label, 0..1. */
export function accuracy(yTrue: readonly string[], yPred: readonly string[]): number {
  checkPair(yTrue, yPred);
  let right = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) right++;
  return right / yTrue.length;
}

export interface ConfusionMatrix {
  /** Row and column names. */
  readonly labels: string[];
  /** matrix[t][p]: samples of true label labels[t] predicted as labels[p]. */
  readonly matrix: number[][];
}

/** labels default to every label seen in either list, sorted; given labels must cover them all. */
export function confusionMatrix(yTrue: readonly string[], yPred: readonly string[], labels?: readonly string[]): ConfusionMatrix {
  checkPair(yTrue, yPred);
  const names = labels ? [...labels] : [...new Set([...yTrue, ...yPred])].sort();
  const position = new Map(names.map((name, i) => [name, i]));
  if (position.size !== names.length) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'confusionMatrix: labels repeat');
  const matrix = names.map(() => new Array<number>(names.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = position.get(yTrue[i]);
    const p = position.get(yPred[i]);
    if (t === undefined || p === undefined) throw new VisageError('VISAGE_ERR_BAD_INPUT', `confusionMatrix: "${t === undefined ? yTrue[i] : yPred[i]}" is not among the labels`);
    matrix[t][p]++;
  }
  return { labels: names, matrix };
}

export interface ClassMetrics {
  readonly label: string;
  /** Of the samples predicted as this label, the fraction that are (0 when none is predicted). */
  readonly precision: number;
  /** Of the samples of this label, the fraction predicted as it (0 when it has none). */
  readonly recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  readonly f1: number;
  /** Samples whose true label this is. */
  readonly support: number;
}

export interface Averages {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

export interface ClassificationReport {
  readonly classes: ClassMetrics[];
  readonly accuracy: number;
  /** Unweighted mean over the labels (a label that is only predicted, never true, counts too). */
  readonly macro: Averages;
  /** Mean over the labels weighted by support. */
  readonly weighted: Averages;
}

export function classificationReport(yTrue: readonly string[], yPred: readonly string[], labels?: readonly string[]): ClassificationReport {
  const { labels: names, matrix } = confusionMatrix(yTrue, yPred, labels);
  const classes = names.map((label, c) => {
    const tp = matrix[c][c];
    const support = matrix[c].reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((sum, row) => sum + row[c], 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const total = yTrue.length;
  const mean = (pick: (m: ClassMetrics) => number, weighted: boolean) =>
    weighted ? classes.reduce((sum, m) => sum + pick(m) * m.support, 0) / total : classes.reduce((sum, m) => sum + pick(m), 0) / classes.length;
  const averages = (weighted: boolean): Averages => ({
    precision: mean((m) => m.precision, weighted),
    recall: mean((m) => m.recall, weighted),
    f1: mean((m) => m.f1, weighted),
    support: total,
  });
  return { classes, accuracy: accuracy(yTrue, yPred), macro: averages(false), weighted: averages(true) };
}

/**
 * The report as text, in scikit-learn's classification_report layout: a header, one row per
 * label, then accuracy, macro avg and weighted avg; numbers right-aligned in 9-wide columns.
 */
export function formatReport(report: ClassificationReport, digits = 2): string {
  const width = Math.max('weighted avg'.length, digits, ...report.classes.map((m) => m.label.length));
  const cell = (text: string) => ' ' + text.padStart(9);
  const number = (value: number) => cell(value.toFixed(digits));
  const row = (name: string, precision: number, recall: number, f1: number, support: number) =>
    name.padStart(width) + ' ' + number(precision) + number(recall) + number(f1) + cell(String(support)) + '\n';
  let text = ''.padStart(width) + ' ' + ['precision', 'recall', 'f1-score', 'support'].map(cell).join('') + '\n\n';
  for (const m of report.classes) text += row(m.label, m.precision, m.recall, m.f1, m.support);
  text += '\n';
  text += 'accuracy'.padStart(width) + ' ' + cell('') + cell('') + number(report.accuracy) + cell(String(report.macro.support)) + '\n';
  text += row('macro avg', report.macro.precision, report.macro.recall, report.macro.f1, report.macro.support);
  text += row('weighted avg', report.weighted.precision, report.weighted.recall, report.weighted.f1, report.weighted.support);
  return text;
}

/** Mean and population standard deviation (divide by n, as numpy's std() reports CV scores). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'meanStd: no values');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
