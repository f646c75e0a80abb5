// visage detect <images or folders...> [--out DIR] [--crops]: the faces in each image; with --out,
// annotated copies and a report; with --crops, each face cut out (as boxed) and aligned (as the
// recogniser sees it): the face-extraction step of a dataset workflow.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createVisage } from '../../visage.ts';
import { VisageError } from '../../errors.ts';
import { annotateImage } from '../../report/annotate.ts';
import { expandInputs, imageErrorLine, outputName, reportSkippedVideos } from '../inputs.ts';
import { PIPELINE_HELP, PIPELINE_OPTIONS, pipelineConfig } from '../options.ts';
import { progress } from '../progress.ts';
import { printTable } from './models.ts';
import type { Box, Face } from '../../types.ts';
import { formatJson } from '../json.ts';

export const detectHelp = `Usage: visage detect <image or folder...> [options]

Finds the faces in each image (folders are searched recursively) and prints them.

Options:
  --out DIR            write an annotated copy of each image (boxes and scores) and
                       detections.json / detections.csv into DIR
  --crops              with --out: also save every face as DIR/crops/<image>_face<N>.jpg (the box,
                       widened by --margin) and DIR/aligned/<image>_face<N>.png (150x150, aligned
                       as the recogniser sees it)
  --margin F           widen crops by F of the box on each side (default 0.2)
  --json               print {"images":[{"file","width","height","faces":[...]}]} on stdout
${PIPELINE_HELP}
  -h, --help           this help

Exit status: 0 when every image was read (with or without faces), 1 when some could not be.
`;

interface ImageReport {
  file: string;
  width?: number;
  height?: number;
  faces?: { box: Box; score: number; landmarks: Face['landmarks']; pose: Face['pose']; quality: Face['quality']; crop?: string; aligned?: string }[];
  annotated?: string;
  error?: { code: string; message: string };
}

function widen(box: Box, margin: number, width: number, height: number): { left: number; top: number; width: number; height: number } | null {
  const x0 = Math.max(0, Math.floor(box.x - box.width * margin)), y0 = Math.max(0, Math.floor(box.y - box.height * margin));
  const x1 = Math.min(width, Math.ceil(box.x + box.width * (1 + margin))), y1 = Math.min(height, Math.ceil(box.y + box.height * (1 + margin)));
  return x1 > x0 && y1 > y0 ? { left: x0, top: y0, width: x1 - x0, height: y1 - y0 } : null;
}

const csvCell = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export async function detectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      crops: { type: 'boolean', default: false },
      margin: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(detectHelp);
    return 0;
  }
  if (positionals.length === 0) throw new VisageError('VISAGE_ERR_USAGE', 'no image given (try: visage detect --help)');
  if (values.crops && !values.out) throw new VisageError('VISAGE_ERR_USAGE', '--crops needs --out DIR');
  const margin = values.margin === undefined ? 0.2 : Number(values.margin);
  if (!(margin >= 0 && margin <= 2)) throw new VisageError('VISAGE_ERR_USAGE', `--margin takes a number from 0 to 2, got "${values.margin}"`);
  const inputs = await expandInputs(positionals);
  const files = inputs.images.map((i) => i.file);
  const out = values.out;
  if (out) {
    await mkdir(out, { recursive: true });
    if (values.crops) await Promise.all([mkdir(path.join(out, 'crops'), { recursive: true }), mkdir(path.join(out, 'aligned'), { recursive: true })]);
  }

  const visage = await createVisage(pipelineConfig(values));
  const reports: ImageReport[] = [];
  const used = new Set<string>();
  const bar = files.length > 1 ? progress(files.length, 'detecting') : undefined;
  let failed = 0;
  try {
    for (const file of files) {
      try {
        const analysis = await visage.analyze(file, { embed: false, alignedCrops: values.crops });
        const report: ImageReport = { file, width: analysis.width, height: analysis.height, faces: [] };
        const name = outputName(file, used, '', '.jpg');
        if (out) {
          const annotated = await annotateImage(file, analysis.faces.map((f) => ({ box: f.box, label: f.score.toFixed(2), kind: 'neutral' as const })));
          report.annotated = path.join(out, name);
          await writeFile(report.annotated, annotated);
        }
        const stem = path.basename(name, '.jpg');
        for (const [i, face] of analysis.faces.entries()) {
          const entry: NonNullable<ImageReport['faces']>[number] = { box: face.box, score: face.score, landmarks: face.landmarks, pose: face.pose, quality: face.quality };
          if (out && values.crops) {
            const region = widen(face.box, margin, analysis.width, analysis.height);
            if (region) {
              entry.crop = path.join(out, 'crops', `${stem}_face${i + 1}.jpg`);
              await sharp(file, { autoOrient: true }).extract(region).jpeg({ quality: 92 }).toFile(entry.crop);
            }
            const aligned = Object.values(face.alignedCrops ?? {})[0];
            if (aligned) {
              entry.aligned = path.join(out, 'aligned', `${stem}_face${i + 1}.png`);
              await sharp(aligned.data, { raw: { width: aligned.width, height: aligned.height, channels: 3 } }).png().toFile(entry.aligned);
            }
          }
          report.faces!.push(entry);
        }
        reports.push(report);
      } catch (error) {
        failed++;
        process.stderr.write(imageErrorLine(file, error));
        reports.push({ file, error: { code: (error as VisageError).code ?? 'VISAGE_ERR_UNKNOWN', message: (error as Error).message } });
      }
      bar?.tick(file);
    }
  } finally {
    bar?.done();
    await visage.close();
  }

  if (out) {
    await writeFile(path.join(out, 'detections.json'), formatJson({ images: reports }));
    const lines = [['file', 'face', 'x', 'y', 'width', 'height', 'score', 'crop', 'aligned', 'error'].join(',')];
    for (const r of reports) {
      if (r.error) lines.push([r.file, '', '', '', '', '', '', '', '', r.error.message].map(csvCell).join(','));
      for (const [i, f] of (r.faces ?? []).entries()) {
        lines.push([r.file, i + 1, Math.round(f.box.x), Math.round(f.box.y), Math.round(f.box.width), Math.round(f.box.height), Number(f.score.toFixed(4)), f.crop ?? '', f.aligned ?? '', ''].map(csvCell).join(','));
      }
    }
    await writeFile(path.join(out, 'detections.csv'), `${lines.join('\n')}\n`);
  }
  if (values.json) {
    process.stdout.write(formatJson({ images: reports }));
  } else {
    const rows: string[][] = [];
    for (const r of reports) {
      if (r.error) rows.push([r.file, '-', `error: ${r.error.message}`, '']);
      else if (r.faces!.length === 0) rows.push([r.file, '-', 'no face', '']);
      for (const [i, f] of (r.faces ?? []).entries()) {
        rows.push([r.file, String(i + 1), `${Math.round(f.box.x)},${Math.round(f.box.y)} ${Math.round(f.box.width)}x${Math.round(f.box.height)}`, f.score.toFixed(2)]);
      }
    }
    printTable(['file', 'face', 'box (x,y wxh)', 'score'], rows);
    const faces = reports.reduce((n, r) => n + (r.faces?.length ?? 0), 0);
    process.stderr.write(`${faces} face(s) in ${reports.length - failed} image(s)${failed ? `, ${failed} unreadable` : ''}${out ? `; written to ${out}` : ''}\n`);
  }
  reportSkippedVideos(inputs.skippedVideos);
  return failed ? 1 : 0;
}
