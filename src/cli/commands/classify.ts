// visage classify <folder or images...> --model M --out DIR: every face of every image named by a
// trained model (or UNKNOWN below its threshold); annotated copies, classifications.csv and .json.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { FaceSource } from '../../classify/faces.ts';
import { loadModel } from '../../classify/model.ts';
import { annotateImage } from '../../report/annotate.ts';
import type { VisageConfig } from '../../config.ts';
import type { Box } from '../../types.ts';
import { expandInputs, imageErrorLine, imagesUnder, outputName, reportSkippedVideos } from '../inputs.ts';
import { numberFlag } from '../options.ts';
import { progress } from '../progress.ts';
import { CACHE_HELP, CACHE_OPTIONS, cacheDirFrom } from './train.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';

export const classifyHelp = `Usage: visage classify <folder or image...> --model M.visage --out DIR [options]

Names every face in each image (folders are searched recursively) with a model made by
"visage train": the most probable class and its probability, or UNKNOWN when the model's
confidence is below its threshold. Faces are found with the model's pipeline settings.

Options:
  --model FILE         the trained model (.visage)                       (required)
  --out DIR            annotated copies (every face boxed: green named, red UNKNOWN) and
                       classifications.csv / classifications.json          (required)
  --threshold T        override the model's unknown threshold (0 names every face)
  --json               print the classifications as JSON on stdout
${CACHE_HELP}
  --model-dir DIR      converted models folder
  -h, --help           this help

CSV columns: file, face, class, probability, confidence, x, y, width, height, error.
Exit status: 0 when every image was read (with or without faces), 1 when some could not be.
`;

interface FaceRow { face: number; class: string; top: string; probability: number; confidence: number; box: Box }
interface ImageRow { file: string; annotated?: string; faces: FaceRow[]; error?: string }

const csvCell = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * Output names keep the folder structure under a folder argument (person/1.jpg -> person_1.jpg),
 * so test folders of one subfolder per person do not give 1.jpg, 1_2.jpg ...
 */
async function displayNames(args: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    for (const file of await imagesUnder(arg)) {
      const key = path.resolve(file);
      if (!names.has(key)) names.set(key, path.relative(arg, file).split(path.sep).join('_'));
    }
  }
  return names;
}

export async function classifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      out: { type: 'string' },
      threshold: { type: 'string' },
      json: { type: 'boolean', default: false },
      'model-dir': { type: 'string' },
      ...CACHE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(classifyHelp);
    return 0;
  }
  if (positionals.length === 0) throw new VisageError('VISAGE_ERR_USAGE', 'no image or folder given (try: visage classify --help)');
  if (!values.model) throw new VisageError('VISAGE_ERR_USAGE', '--model FILE is required');
  if (!values.out) throw new VisageError('VISAGE_ERR_USAGE', '--out DIR is required');
  const threshold = numberFlag('threshold', values.threshold);
  const model = await loadModel(values.model);
  const inputs = await expandInputs(positionals);
  const files = inputs.images.map((i) => i.file);
  const names = await displayNames(positionals);
  await mkdir(values.out, { recursive: true });

  const pipeline = { ...(model.file.pipeline as Partial<VisageConfig>), modelDir: values['model-dir'] };
  const source = await FaceSource.create({ embedders: [...model.embedders], pipeline, cacheDir: cacheDirFrom(values) });
  const rows: ImageRow[] = [];
  const used = new Set<string>();
  const bar = progress(files.length, 'classifying');
  let failed = 0;
  try {
    for (const file of files) {
      try {
        const { faces } = await source.facesOf(file);
        const row: ImageRow = { file, faces: [] };
        faces.forEach((face, i) => {
          const p = model.predict(face.embeddings, threshold);
          row.faces.push({ face: i + 1, class: p.label, top: p.top, probability: p.probability, confidence: p.confidence, box: face.box });
        });
        const annotated = await annotateImage(file, row.faces.map((f) => ({
          box: f.box, label: f.class, detail: f.probability.toFixed(2), kind: f.class === 'UNKNOWN' ? 'unknown' as const : 'known' as const,
        })));
        row.annotated = path.join(values.out, outputName(names.get(path.resolve(file)) ?? file, used, '', '.jpg'));
        await writeFile(row.annotated, annotated);
        rows.push(row);
      } catch (error) {
        failed++;
        process.stderr.write(imageErrorLine(file, error));
        rows.push({ file, faces: [], error: (error as Error).message });
      }
      bar.tick(file);
    }
  } finally {
    bar.done();
    await source.close();
  }

  const result = { model: values.model, classes: model.classes, threshold: threshold ?? model.threshold, images: rows };
  await writeFile(path.join(values.out, 'classifications.json'), formatJson(result));
  const lines = [['file', 'face', 'class', 'probability', 'confidence', 'x', 'y', 'width', 'height', 'error'].join(',')];
  for (const r of rows) {
    if (r.error || r.faces.length === 0) lines.push([r.file, 0, '', '', '', '', '', '', '', r.error ?? 'no face'].map(csvCell).join(','));
    for (const f of r.faces) {
      lines.push([r.file, f.face, f.class, Number(f.probability.toFixed(4)), Number(f.confidence.toFixed(4)), Math.round(f.box.x), Math.round(f.box.y), Math.round(f.box.width), Math.round(f.box.height), ''].map(csvCell).join(','));
    }
  }
  await writeFile(path.join(values.out, 'classifications.csv'), `${lines.join('\n')}\n`);
  if (values.json) {
    process.stdout.write(formatJson(result));
  } else {
    const table: string[][] = [];
    for (const r of rows) {
      if (r.error) table.push([r.file, '-', `error: ${r.error}`, '']);
      else if (r.faces.length === 0) table.push([r.file, '-', 'no face', '']);
      for (const f of r.faces) table.push([r.file, String(f.face), f.class, f.probability.toFixed(2)]);
    }
    printTable(['file', 'face', 'class', 'probability'], table);
    const faces = rows.reduce((n, r) => n + r.faces.length, 0);
    const unknown = rows.reduce((n, r) => n + r.faces.filter((f) => f.class === 'UNKNOWN').length, 0);
    process.stderr.write(`${faces} face(s) in ${rows.length - failed} image(s), ${unknown} UNKNOWN${failed ? `, ${failed} unreadable` : ''}; written to ${values.out}\n`);
  }
  reportSkippedVideos(inputs.skippedVideos);
  return failed ? 1 : 0;
}
