// visage identify <images or folders...> [--out DIR] [--threshold T] [--top K]: who is in each
// photo. Every face gets its best match and similarity, or UNKNOWN when nobody enrolled is similar
// enough; with --out, annotated copies (known green with name and similarity, UNKNOWN red) and
// report.json / report.csv.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { annotateImage } from '../../report/annotate.ts';
import type { IdentifiedFace } from '../../recognition/types.ts';
import { DECISION_STRATEGIES, nearMissFloor, nearMisses, type DecisionStrategy, type NearMisses } from '../../face/match/index.ts';
import { expandInputs, imageErrorLine, outputName, reportSkippedVideos } from '../inputs.ts';
import { ATTRIBUTE_HELP, ATTRIBUTE_OPTIONS, EMBEDDER_HELP, PIPELINE_HELP, PIPELINE_OPTIONS, attributeCell, attributeList, attributeModelsFlag, numberFlag, pipelineConfig } from '../options.ts';
import { progress } from '../progress.ts';
import { DB_HELP, dbLabel, dbPath, openGallery, recognizerFor } from '../gallery-file.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';

export const identifyHelp = `Usage: visage identify <image or folder...> [options]

Finds every face in each image (folders are searched recursively) and names the enrolled person
it matches, or UNKNOWN when nobody is similar enough.

Options:
  --out DIR            write annotated copies (known people green with name and similarity,
                       UNKNOWN red) and report.json / report.csv into DIR
  --threshold T        similarity a match needs (default: the embedder's for the strategy, calibrated
                       so that 0.1% of strangers searched against an LFW gallery are named; see
                       visage calibrate for your own photos)
  --top K              list the K nearest people per face (default 1)
  --strategy S         mean-template (default: a person scores the mean of their enrolled faces) or
                       best-face (their closest enrolled face)
${DB_HELP}
  --json               print the results as JSON
${ATTRIBUTE_HELP}
  --require-live       faces the liveness model calls a spoof (a photo, a screen) are not matched:
                       shown as NOT LIVE (JSON: "refused": "not-live")
${EMBEDDER_HELP}
${PIPELINE_HELP}
  -h, --help           this help

The summary on stderr counts the UNKNOWN faces that were near misses: their best similarity lies
between the threshold and the looser one at which 1% of LFW strangers are named (the default
holds 0.1%), with that threshold to try. With --json it is the document's "nearMisses" member.

Exit status: 0 when every image was read (with or without faces), 1 when some could not be,
2 bad command line.
`;

interface ImageReport {
  file: string;
  width?: number;
  height?: number;
  faces?: (Omit<IdentifiedFace, 'candidates'> & { candidates?: IdentifiedFace['candidates'] })[];
  annotated?: string;
  error?: { code: string; message: string };
}

const csvCell = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const fixed = (v: number | null) => (v === null ? '' : v.toFixed(3));

export async function identifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      threshold: { type: 'string' },
      top: { type: 'string' },
      strategy: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
      ...ATTRIBUTE_OPTIONS,
      'require-live': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(identifyHelp);
    return 0;
  }
  if (positionals.length === 0) throw new VisageError('VISAGE_ERR_USAGE', 'no image given (try: visage identify --help)');
  const threshold = numberFlag('threshold', values.threshold);
  if (threshold !== undefined && !(threshold >= -1 && threshold <= 1)) throw new VisageError('VISAGE_ERR_USAGE', `--threshold takes a similarity from -1 to 1, got ${values.threshold}`);
  const top = numberFlag('top', values.top) ?? 1;
  if (!Number.isInteger(top) || top < 1 || top > 100) throw new VisageError('VISAGE_ERR_USAGE', `--top takes a whole number from 1 to 100, got ${values.top}`);
  if (values.strategy !== undefined && !DECISION_STRATEGIES.includes(values.strategy as DecisionStrategy)) {
    throw new VisageError('VISAGE_ERR_USAGE', `--strategy takes ${DECISION_STRATEGIES.join(' or ')}, got "${values.strategy}"`);
  }
  const inputs = await expandInputs(positionals);
  const files = inputs.images.map((i) => i.file);
  const file = dbPath(values.db);
  const gallery = await openGallery(file);
  const attributes = attributeList(values.attributes);
  const recognizer = await recognizerFor(gallery, { visageOptions: { ...pipelineConfig(values), attributeModels: attributeModelsFlag(values['attribute-model']) }, threshold, strategy: values.strategy as DecisionStrategy | undefined });
  const out = values.out;
  const reports: ImageReport[] = [];
  let failed = 0;
  try {
    // Settle the threshold (an embedder without a calibrated one needs --threshold) before any work.
    const used = recognizer.threshold;
    const coverage = await recognizer.coverage();
    if (coverage.indexed === 0) {
      process.stderr.write(`visage: warning: ${dbLabel(file)} holds no ${coverage.modelId} face${coverage.faces ? `s (its ${coverage.faces} faces were enrolled with other embedders: run visage gallery reindex)` : 's (enrol people first: visage enroll)'}; every face is UNKNOWN\n`);
    } else if (coverage.missing > 0) {
      process.stderr.write(`visage: warning: ${coverage.missing} of ${coverage.faces} enrolled faces have no ${coverage.modelId} embedding and cannot be matched (run visage gallery reindex)\n`);
    }
    if (out) await mkdir(out, { recursive: true });
    const names = new Set<string>();
    const bar = files.length > 1 ? progress(files.length, 'identifying') : undefined;
    try {
      for (const image of files) {
        try {
          const result = await recognizer.identify(image, { k: top, ...(attributes ? { attributes } : {}), requireLive: values['require-live'] });
          const report: ImageReport = {
            file: image, width: result.width, height: result.height,
            faces: result.faces.map((f) => (values.json || top > 1 ? f : { ...f, candidates: undefined })),
          };
          if (out) {
            const annotated = await annotateImage(image, result.faces.map((f) => ({
              box: f.box,
              label: f.name ?? 'UNKNOWN',
              detail: f.similarity === null ? undefined : f.similarity.toFixed(2),
              kind: f.name ? 'known' as const : 'unknown' as const,
            })));
            report.annotated = path.join(out, outputName(image, names, '', '.jpg'));
            await writeFile(report.annotated, annotated);
          }
          reports.push(report);
        } catch (error) {
          if (isGalleryFailure(error)) throw error;
          failed++;
          process.stderr.write(imageErrorLine(image, error));
          reports.push({ file: image, error: { code: (error as VisageError).code ?? 'VISAGE_ERR_UNKNOWN', message: (error as Error).message } });
        }
        bar?.tick(image);
      }
    } finally {
      bar?.done();
    }

    const faces = reports.flatMap((r) => r.faces ?? []);
    const floor = nearMissFloor(recognizer.modelId, recognizer.strategy, used);
    const near = floor === undefined ? null : nearMisses(faces, used, floor);
    const document = { gallery: dbLabel(file), modelId: recognizer.modelId, threshold: used, strategy: recognizer.strategy, nearMisses: near, images: reports };
    if (out) {
      await writeFile(path.join(out, 'report.json'), formatJson(document));
      const lines = [['file', 'face', 'x', 'y', 'width', 'height', 'name', 'similarity', 'known', 'error'].join(',')];
      for (const r of reports) {
        if (r.error) lines.push([r.file, '', '', '', '', '', '', '', '', r.error.message].map(csvCell).join(','));
        for (const [i, f] of (r.faces ?? []).entries()) {
          lines.push([r.file, i + 1, Math.round(f.box.x), Math.round(f.box.y), Math.round(f.box.width), Math.round(f.box.height),
            f.name ?? 'UNKNOWN', fixed(f.similarity), f.name ? 'yes' : 'no', ''].map(csvCell).join(','));
        }
      }
      await writeFile(path.join(out, 'report.csv'), `${lines.join('\n')}\n`);
    }
    if (values.json) {
      process.stdout.write(formatJson(document));
    } else {
      const rows: string[][] = [];
      for (const r of reports) {
        if (r.error) rows.push([r.file, '-', '', `error: ${r.error.message}`, '']);
        else if (r.faces!.length === 0) rows.push([r.file, '-', '', 'no face', '']);
        for (const [i, f] of (r.faces ?? []).entries()) {
          const row = [r.file, String(i + 1), `${Math.round(f.box.x)},${Math.round(f.box.y)} ${Math.round(f.box.width)}x${Math.round(f.box.height)}`, f.refused ? 'NOT LIVE' : f.name ?? (f.thresholdReason === 'small-face' ? `UNKNOWN (small face: needs ${f.threshold!.toFixed(4)})` : 'UNKNOWN'), fixed(f.similarity)];
          if (top > 1) row.push((f.candidates ?? []).map((c) => `${c.name} ${c.similarity.toFixed(3)}`).join(', '));
          if (attributes) row.push(attributeCell(f.attributes));
          rows.push(row);
        }
      }
      printTable(['file', 'face', 'box (x,y wxh)', 'name', 'similarity', ...(top > 1 ? [`nearest ${top}`] : []), ...(attributes ? ['attributes'] : [])], rows);
      const known = faces.filter((f) => f.name).length;
      process.stderr.write(`${faces.length} face(s) in ${reports.length - failed} image(s): ${known} recognised, ${faces.length - known} UNKNOWN (threshold ${used.toFixed(4)}, ${recognizer.strategy})${failed ? `; ${failed} image(s) unreadable` : ''}${out ? `; written to ${out}` : ''}\n`);
      if (near?.count) process.stderr.write(nearMissLine(near, faces.length - known, values.threshold !== undefined));
    }
  } finally {
    await recognizer.close();
    await gallery.close();
  }
  reportSkippedVideos(inputs.skippedVideos);
  return failed ? 1 : 0;
}

/**
 * Why many faces can come back UNKNOWN, and what to try: said when some were turned away by less
 * than the gap between the threshold and the looser one calibrated at 1% of strangers (thresholds.ts).
 */
function nearMissLine(near: NearMisses, unknown: number, given: boolean): string {
  const range = near.lowest === near.highest ? near.lowest!.toFixed(4) : `${near.lowest!.toFixed(4)}-${near.highest!.toFixed(4)}`;
  const which = near.count === unknown ? (near.count === 1 ? 'the UNKNOWN face was' : `all ${unknown} UNKNOWN faces were`) : `${near.count} of the ${unknown} UNKNOWN faces were`;
  const strict = given ? '' : ': the default is strict on purpose (0.1% of strangers named, on LFW)';
  return `${which} just under the threshold ${near.threshold.toFixed(4)} (best similarity ${range})${strict}; `
    + `--threshold ${near.floor.toFixed(4)} would accept ${near.count === 1 ? 'it' : 'them'} (${+(near.floorFar * 100).toFixed(2)}% of strangers named, on LFW), `
    + 'or run visage calibrate on your own photos\n';
}

function isGalleryFailure(error: unknown): boolean {
  const code = (error as VisageError).code ?? '';
  return code.startsWith('VISAGE_ERR_DB_') || code === 'VISAGE_ERR_NOT_A_GALLERY' || code.startsWith('VISAGE_ERR_MODEL') || code === 'VISAGE_ERR_BAD_OPTION';
}
