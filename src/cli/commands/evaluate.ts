// visage evaluate <labelled folder> --model M [--folds K] [--report DIR]: accuracy, the
// classification report, the confusion matrix (PNG), k-fold cross-validation and an HTML report.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { FaceSource } from '../../classify/faces.ts';
import { loadModel } from '../../classify/model.ts';
import { evaluateFolder } from '../../classify/evaluate.ts';
import { readLabelledFolder } from '../../classify/dataset.ts';
import { formatReport } from '../../learn/index.ts';
import { confusionPng } from '../../report/confusion.ts';
import { evaluationHtml } from '../../report/html.ts';
import type { VisageConfig } from '../../config.ts';
import { numberFlag } from '../options.ts';
import { progress } from '../progress.ts';
import { CACHE_HELP, CACHE_OPTIONS, cacheDirFrom } from './train.ts';
import { formatJson } from '../json.ts';
import { reportSkippedVideos } from '../inputs.ts';

export const evaluateHelp = `Usage: visage evaluate <labelled folder> --model M.visage [options]

Classifies the largest face of every image in <labelled folder>/<person>/*.jpg and compares with
the folder names: accuracy (by the top class), a classification report (precision, recall, F1 and
support per class; macro and weighted averages), the confusion matrix, how many faces the unknown
threshold rejects, and faces of people the model does not know (strangers).

Options:
  --model FILE         the trained model (.visage)                       (required)
  --folds K            also K-fold stratified cross-validation on this folder's faces, retraining
                       the model's classifier kind each fold (mean ± std)
  --report DIR         write confusion-matrix.png, report.html (self-contained: the table, the
                       matrix, the misclassified faces as thumbnails) and evaluation.json
  --json               print the evaluation as JSON
${CACHE_HELP}
  --model-dir DIR      converted models folder
  -h, --help           this help
`;

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export async function evaluateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      folds: { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean', default: false },
      seed: { type: 'string' },
      'model-dir': { type: 'string' },
      ...CACHE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(evaluateHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new VisageError('VISAGE_ERR_USAGE', positionals.length === 0 ? 'no labelled folder given (try: visage evaluate --help)' : 'give one labelled folder');
  if (!values.model) throw new VisageError('VISAGE_ERR_USAGE', '--model FILE is required');
  const folds = numberFlag('folds', values.folds);
  if (folds !== undefined && !(Number.isInteger(folds) && folds >= 2)) throw new VisageError('VISAGE_ERR_USAGE', `--folds takes a whole number >= 2, got ${values.folds}`);
  const model = await loadModel(values.model);
  const folder = positionals[0]!;

  const pipeline = { ...(model.file.pipeline as Partial<VisageConfig>), modelDir: values['model-dir'] };
  const source = await FaceSource.create({ embedders: [...model.embedders], pipeline, cacheDir: cacheDirFrom(values) });
  let evaluation;
  // Read first for the progress bar's total (and so a bad folder fails before any model loads).
  const bar = progress((await readLabelledFolder(folder)).images.length, 'embedding');
  try {
    evaluation = await evaluateFolder(model, folder, source, { folds, seed: numberFlag('seed', values.seed), tick: (file) => bar.tick(file) });
  } finally {
    bar.done();
    await source.close();
  }
  if (evaluation.known === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no face in ${folder} belongs to a class of the model (${model.classes.join(', ')})`);

  const title = `${model.kind} on ${model.embedders.join(' + ')}: accuracy ${pct(evaluation.accuracy)} (${evaluation.known} faces)`;
  const misclassified = evaluation.faces.filter((f) => model.classes.includes(f.label) && f.predicted !== f.label);
  const rejected = evaluation.faces.filter((f) => model.classes.includes(f.label) && f.predicted === f.label && f.decision === 'UNKNOWN');
  let written: string[] = [];
  if (values.report) {
    await mkdir(values.report, { recursive: true });
    const png = await confusionPng({ labels: evaluation.confusion.labels, matrix: evaluation.confusion.matrix, title: `Confusion matrix — accuracy ${pct(evaluation.accuracy)} (${evaluation.known} faces)` });
    const facts: [string, string][] = [
      ['model', `${values.model}: ${model.kind} on ${model.embedders.join(' + ')}, ${model.classes.length} classes`],
      ['data', `${folder}: ${evaluation.images} images, ${evaluation.faces.length} faces classified (the largest of each image)${evaluation.noFace.length ? `, ${evaluation.noFace.length} without a face` : ''}`],
      ['unknown threshold', `${model.threshold.toFixed(4)} on the ${model.file.unknown.score}: ${evaluation.unknownAtThreshold.rejected} of ${evaluation.known} known faces set to UNKNOWN; of those named, ${pct(evaluation.unknownAtThreshold.namedAccuracy)} rightly`],
    ];
    if (evaluation.strangers.faces) facts.push(['strangers', `${evaluation.strangers.faces} faces of people the model does not know, ${evaluation.strangers.named} of them named`]);
    const html = await evaluationHtml({ title, facts, report: evaluation.report, confusionPng: png, misclassified, rejected, crossValidation: evaluation.crossValidation });
    written = [path.join(values.report, 'confusion-matrix.png'), path.join(values.report, 'report.html'), path.join(values.report, 'evaluation.json')];
    await writeFile(written[0]!, png);
    await writeFile(written[1]!, html);
    await writeFile(written[2]!, formatJson(evaluation));
  }
  reportSkippedVideos(evaluation.skippedVideos);
  if (values.json) {
    process.stdout.write(formatJson(evaluation));
    return 0;
  }
  const out: string[] = [title, ''];
  out.push(formatReport(evaluation.report, 3));
  out.push(`unknown threshold ${model.threshold.toFixed(4)}: ${evaluation.unknownAtThreshold.rejected} of ${evaluation.known} faces set to UNKNOWN; of those named, ${pct(evaluation.unknownAtThreshold.namedAccuracy)} rightly`);
  if (evaluation.strangers.faces) out.push(`strangers (classes the model does not know): ${evaluation.strangers.faces} faces, ${evaluation.strangers.named} named`);
  if (evaluation.noFace.length) out.push(`no face: ${evaluation.noFace.join(', ')}`);
  if (evaluation.unreadable.length) out.push(`unreadable: ${evaluation.unreadable.map((u) => `${u.file}: ${u.error}`).join('; ')}`);
  if (evaluation.crossValidation) {
    const cv = evaluation.crossValidation;
    out.push(`${cv.folds}-fold cross-validation (${cv.kind}): ${pct(cv.mean)} ± ${pct(cv.std)} (folds: ${cv.accuracies.map((a) => (a * 100).toFixed(1)).join(', ')})`);
  }
  if (misclassified.length) out.push(`misclassified: ${misclassified.map((f) => `${f.file} (${f.label} → ${f.predicted} ${f.probability.toFixed(2)})`).join(', ')}`);
  if (written.length) out.push(`written: ${written.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
