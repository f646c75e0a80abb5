// Evaluation of a model on a labelled folder: each image's largest face classified; accuracy,
// the classification report and the confusion matrix over the faces whose person the model
// knows (by its top class: closed-set, as the seeds measure it), the UNKNOWN decisions at the
// model's threshold, faces of people the model does not know (strangers), and optionally a
// stratified k-fold cross-validation of the model's classifier kind on the folder's faces.
import { classificationReport, confusionMatrix, UNKNOWN, type ClassificationReport, type ConfusionMatrix } from '../learn/index.ts';
import { readLabelledFolder } from './dataset.ts';
import { FaceSource } from './faces.ts';
import { crossValidateHead, type ClassifierModel } from './model.ts';
import { embedLabelled, toLabelledViews, type EmbeddedImage } from './train.ts';
import type { Box } from '../types.ts';

export interface EvaluatedFace {
  file: string;
  /** True class (the folder name). */
  label: string;
  box: Box;
  /** Faces found in the image (the largest is classified). */
  faceCount: number;
  /** Top class. */
  predicted: string;
  probability: number;
  confidence: number;
  /** The top class, or UNKNOWN below the model's threshold. */
  decision: string;
}

export interface Evaluation {
  folder: string;
  images: number;
  faces: EvaluatedFace[];
  noFace: string[];
  unreadable: { file: string; error: string }[];
  /** Video files found in the class folders, not read. */
  skippedVideos: string[];
  /** Faces whose true class the model knows. */
  known: number;
  accuracy: number;
  report: ClassificationReport;
  confusion: ConfusionMatrix;
  /** Known faces set to UNKNOWN at the threshold; of those named, the fraction named rightly. */
  unknownAtThreshold: { threshold: number; rejected: number; namedAccuracy: number };
  /** Faces of classes the model does not know, and how many of them were named anyway. */
  strangers: { faces: number; named: number };
  crossValidation?: { folds: number; kind: string; accuracies: number[]; mean: number; std: number };
}

export interface EvaluateOptions {
  folds?: number;
  seed?: number;
  tick?: (file: string) => void;
}

export async function evaluateFolder(model: ClassifierModel, folder: string, source: FaceSource, options: EvaluateOptions = {}): Promise<Evaluation> {
  const data = await readLabelledFolder(folder);
  const embedded: EmbeddedImage[] = await embedLabelled(source, data.images, options.tick);
  const faces: EvaluatedFace[] = [];
  for (const image of embedded) {
    if (!image.views) continue;
    const byId = Object.fromEntries(source.embedders.map((id, v) => [id, image.views![v]!]));
    const p = model.predict(byId);
    faces.push({ file: image.file, label: image.label, box: image.box!, faceCount: image.faceCount, predicted: p.top, probability: p.probability, confidence: p.confidence, decision: p.label });
  }
  const classes = new Set(model.classes);
  const known = faces.filter((f) => classes.has(f.label));
  const strangers = faces.filter((f) => !classes.has(f.label));
  const yTrue = known.map((f) => f.label), yPred = known.map((f) => f.predicted);
  const labels = [...model.classes];
  const report = known.length > 0 ? classificationReport(yTrue, yPred, labels) : emptyReport(labels);
  const confusion = known.length > 0 ? confusionMatrix(yTrue, yPred, labels) : { labels, matrix: labels.map(() => labels.map(() => 0)) };
  const named = known.filter((f) => f.decision !== UNKNOWN);
  const evaluation: Evaluation = {
    folder,
    images: data.images.length,
    faces,
    noFace: embedded.filter((i) => !i.views && !i.error).map((i) => i.file),
    unreadable: embedded.filter((i) => i.error).map((i) => ({ file: i.file, error: i.error! })),
    skippedVideos: data.videos,
    known: known.length,
    accuracy: report.accuracy,
    report,
    confusion,
    unknownAtThreshold: { threshold: model.threshold, rejected: known.length - named.length, namedAccuracy: named.length ? named.filter((f) => f.decision === f.label).length / named.length : 0 },
    strangers: { faces: strangers.length, named: strangers.filter((f) => f.decision !== UNKNOWN).length },
  };
  if (options.folds) {
    const cv = crossValidateHead(model.kind, toLabelledViews(embedded, source.embedders.length), options.folds, options.seed ?? 1);
    evaluation.crossValidation = { folds: options.folds, kind: model.kind, accuracies: cv.accuracies, mean: cv.mean, std: cv.std };
  }
  return evaluation;
}

function emptyReport(labels: string[]): ClassificationReport {
  const zero = { precision: 0, recall: 0, f1: 0, support: 0 };
  return { classes: labels.map((label) => ({ label, ...zero })), accuracy: 0, macro: zero, weighted: zero };
}
