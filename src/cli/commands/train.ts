// visage train <folder> --model out.visage: a face classifier from a folder-per-person dataset.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { FaceSource } from '../../classify/faces.ts';
import { defaultCacheDir } from '../../recognition/embedding-cache.ts';
import { DEFAULT_EMBEDDER, DEFAULT_KIND, STACK_EMBEDDERS, resolveEmbedders, trainFromFolder } from '../../classify/train.ts';
import { HEAD_KINDS, saveModel, type HeadKind } from '../../classify/model.ts';
import { PIPELINE_HELP, PIPELINE_OPTIONS, asUsage, modelEmbedderChoices, numberFlag, pipelineConfig } from '../options.ts';
import { progress } from '../progress.ts';
import { formatJson } from '../json.ts';
import { reportSkippedVideos } from '../inputs.ts';

export const CACHE_OPTIONS = {
  cache: { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
} as const;

export const CACHE_HELP = `  --cache DIR          embedding cache folder (default: $VISAGE_CACHE_DIR/embeddings, else
                       ~/.cache/visage/embeddings); faces and vectors are kept by the image's
                       SHA-256, embedder and pipeline settings, so a second run reads them
  --no-cache           neither read nor write the cache`;

export function cacheDirFrom(values: { cache?: string; 'no-cache'?: boolean }): string | null {
  if (values['no-cache']) return null;
  return values.cache ?? defaultCacheDir();
}

export const trainHelp = `Usage: visage train <train folder> --model out.visage [options]

Trains a face classifier on <train folder>/<person>/*.jpg (one folder per person, at least two).
Each image's faces are found and embedded once (cached); an image with several faces gives its
largest; images without a face are listed and skipped.

Options:
  --model FILE         where to write the model (.visage, JSON)       (required)
  --val DIR            a validation folder (same person names; other names count as strangers)
  --split F            without --val: hold out F of each person's faces for validation (default
                       0.2; 0 for none); the model is then refitted on all faces
  --classifier K       ${HEAD_KINDS.join(', ')} (default ${DEFAULT_KIND}); stack: a logistic meta-learner over
                       logistic regressions on two embedders' vectors
  --embedder ID        ${modelEmbedderChoices(DEFAULT_EMBEDDER, { alwaysDefault: true })},
                       ensemble; for stack two ids, A,B (default ${STACK_EMBEDDERS.join(',')})
  --augment            add augmented copies of the training faces (shift, rotation, scale,
                       brightness; mirror with --no-flip), more for smaller classes
  --target-far F       the unknown threshold lets at most F of the validation negatives and
                       simulated strangers through (default 0.05)
  --seed N             seed of the split, augmentation and learners (default 1)
  --json               print the training summary as JSON
${CACHE_HELP}
  --no-flip            do not average each embedding with the mirrored face's
${PIPELINE_HELP}
  -h, --help           this help
`;

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      val: { type: 'string' },
      split: { type: 'string' },
      classifier: { type: 'string' },
      embedder: { type: 'string' },
      augment: { type: 'boolean', default: false },
      'target-far': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...CACHE_OPTIONS,
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(trainHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new VisageError('VISAGE_ERR_USAGE', positionals.length === 0 ? 'no training folder given (try: visage train --help)' : 'give one training folder');
  if (!values.model) throw new VisageError('VISAGE_ERR_USAGE', '--model FILE is required (where to write the model)');
  if (values.val && values.split !== undefined) throw new VisageError('VISAGE_ERR_USAGE', 'give --val or --split, not both');
  const kind = (values.classifier ?? DEFAULT_KIND) as HeadKind;
  if (!HEAD_KINDS.includes(kind)) throw new VisageError('VISAGE_ERR_USAGE', `--classifier must be one of ${HEAD_KINDS.join(', ')}, got "${values.classifier}"`);
  const list = (values.embedder ?? values.embedders)?.split(',').map((s) => s.trim()).filter(Boolean);
  const embedders = asUsage(() => resolveEmbedders(kind, list));
  const split = numberFlag('split', values.split);
  if (split !== undefined && !(split >= 0 && split < 1)) throw new VisageError('VISAGE_ERR_USAGE', `--split takes a fraction from 0 to below 1, got ${values.split}`);
  const target = numberFlag('target-far', values['target-far']);
  if (target !== undefined && !(target >= 0 && target <= 1)) throw new VisageError('VISAGE_ERR_USAGE', `--target-far takes a fraction from 0 to 1, got ${target}`);
  const seed = numberFlag('seed', values.seed);

  const pipeline = { ...pipelineConfig(values), embedders: undefined };
  const source = await FaceSource.create({ embedders, pipeline, cacheDir: cacheDirFrom(values) });
  const started = Date.now();
  let result;
  try {
    result = await trainFromFolder({
      trainDir: positionals[0]!, valDir: values.val, split, kind, augment: values.augment, seed, targetFalseAccept: target, source,
      onProgress: (phase, total) => progress(total, phase),
    });
  } finally {
    await source.close();
  }
  await mkdir(path.dirname(path.resolve(values.model)), { recursive: true });
  await saveModel(result.model, values.model);
  const seconds = (Date.now() - started) / 1000;
  const summary = { model: values.model, seconds, cacheDir: cacheDirFrom(values), ...result.summary };
  reportSkippedVideos(result.summary.skippedVideos as string[]);
  if (values.json) {
    process.stdout.write(formatJson(summary));
    return 0;
  }
  const s = result.summary as Record<string, any>;
  const out: string[] = [];
  out.push(`model: ${values.model} (${kind} on ${embedders.join(' + ')})`);
  out.push(`classes: ${s.classes.length} (${s.classes.map((c: string) => `${c} ${s.facesPerClass[c]}`).join(', ')} faces)`);
  out.push(`images: ${s.images}, faces used: ${s.facesUsed}${s.augmentedFaces ? `, augmented faces: ${s.augmentedFaces}` : ''}`);
  out.push(`several faces: ${s.multiFaceImages.length} image(s), the largest face used${s.multiFaceImages.length ? ` (${s.multiFaceImages.map((m: any) => `${path.basename(path.dirname(m.file))}/${path.basename(m.file)}: ${m.faces}`).join(', ')})` : ''}`);
  out.push(`no face: ${s.noFaceImages.length}${s.noFaceImages.length ? ` (${s.noFaceImages.join(', ')})` : ''}`);
  if (s.unreadableImages.length) out.push(`unreadable: ${s.unreadableImages.map((u: any) => `${u.file}: ${u.error}`).join('; ')}`);
  out.push(`class weights: ${s.classWeight}`);
  out.push(`validation: ${s.validation.source}${s.validation.faces !== undefined ? `, ${s.validation.faces} faces` : ''}${s.validation.accuracy !== undefined ? `, accuracy ${(s.validation.accuracy * 100).toFixed(2)}%` : ''}`);
  out.push(`unknown threshold: ${s.threshold.value.toFixed(4)} on the ${s.threshold.score}; ${s.threshold.method}; there ${(s.threshold.falseAcceptRate * 100).toFixed(1)}% of negatives and ${(s.threshold.trueAcceptRate * 100).toFixed(1)}% of rightly named faces are accepted`);
  out.push(`time: ${seconds.toFixed(1)} s (embedding ${s.seconds.embedding.toFixed(1)} s: ${s.cache.analysed} analysed, ${s.cache.fromCache} from the cache${summary.cacheDir ? ` in ${summary.cacheDir}` : ''}${s.augmentedFaces ? `; augmenting ${s.seconds.augmenting.toFixed(1)} s` : ''}; fitting ${s.seconds.fitting.toFixed(1)} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
