// visage calibrate <folder-per-person> [--far 0.001]: proposes an open-set threshold from the
// user's own labelled photos (people/<name>/*.jpg; the largest face of each image), at a chosen
// false-accept rate, with the true-accept rate it keeps (src/eval/calibrate.ts).
import { parseArgs } from 'node:util';
import { createVisage } from '../../visage.ts';
import { VisageError } from '../../errors.ts';
import { calibrateThreshold, type LabelledEmbedding } from '../../eval/calibrate.ts';
import { largestFaceIndex } from '../../recognition/enrolment.ts';
import { DEFAULT_THRESHOLDS } from '../../face/match/index.ts';
import type { EmbedderId } from '../../config.ts';
import { listFolder, reportSkippedVideos, scanFolder } from '../inputs.ts';
import { EMBEDDER_HELP, PIPELINE_HELP, PIPELINE_OPTIONS, numberFlag, pipelineConfig } from '../options.ts';
import { progress } from '../progress.ts';
import { formatJson } from '../json.ts';

export const calibrateHelp = `Usage: visage calibrate <folder> [options]

Proposes a threshold for identify and verify from your own photos: <folder>/<person>/*.jpg, at
least two people, some with two or more photos. Every same-person pair and every pair of
different people is scored (the largest face of each image); the threshold is the loosest that
accepts at most --far of the different-person pairs.

Options:
  --far F              false-accept rate to hold, 0-1 (default 0.001: 1 in 1,000)
  --json               print the calibration as JSON
${EMBEDDER_HELP}
${PIPELINE_HELP}
  -h, --help           this help

Exit status: 0 ok (a warning when there are too few pairs for the rate asked), 1 failure,
2 bad command line.
`;

export async function calibrateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      far: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(calibrateHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new VisageError('VISAGE_ERR_USAGE', 'calibrate takes one folder of per-person folders (try: visage calibrate --help)');
  const far = numberFlag('far', values.far) ?? 0.001;
  if (!(far > 0 && far < 1)) throw new VisageError('VISAGE_ERR_USAGE', `--far takes a rate between 0 and 1 (e.g. 0.001), got ${values.far}`);
  const root = positionals[0]!;
  let entries;
  try {
    entries = await listFolder(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new VisageError(code === 'ENOENT' ? 'VISAGE_ERR_IMAGE_NOT_FOUND' : 'VISAGE_ERR_BAD_INPUT', code === 'ENOENT' ? `no such folder: ${root}` : `cannot read folder ${root}: ${code}`, { cause: error });
  }
  const items: { file: string; label: string }[] = [];
  const videos: string[] = [];
  for (const entry of entries.filter((e) => e.kind === 'folder').sort((a, b) => a.name.localeCompare(b.name))) {
    const found = await scanFolder(entry.path);
    for (const file of found.images) items.push({ file, label: entry.name });
    videos.push(...found.videos);
  }
  if (items.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no per-person folders with images in ${root} (expected ${root}/<person>/*.jpg)`);

  const visage = await createVisage(pipelineConfig(values));
  const modelId = visage.config.embedders[0]!;
  const labelled: LabelledEmbedding[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const bar = items.length > 1 ? progress(items.length, 'embedding') : undefined;
  try {
    for (const item of items) {
      try {
        const { faces } = await visage.analyze(item.file);
        const i = largestFaceIndex(faces);
        if (i < 0) skipped.push({ file: item.file, reason: 'no face found' });
        else labelled.push({ label: item.label, embedding: faces[i]!.embeddings[modelId]! });
      } catch (error) {
        skipped.push({ file: item.file, reason: (error as Error).message });
      }
      bar?.tick(item.file);
    }
  } finally {
    bar?.done();
    await visage.close();
  }
  const calibration = calibrateThreshold(labelled, { far });
  const current = DEFAULT_THRESHOLDS[modelId as EmbedderId]?.pair ?? null;
  if (values.json) {
    process.stdout.write(formatJson({ modelId, defaultThreshold: current, ...calibration, skipped }));
  } else {
    for (const s of skipped) process.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    process.stdout.write([
      `model        ${modelId}`,
      `faces        ${calibration.embeddings} of ${calibration.people} people (${skipped.length} image(s) skipped)`,
      `pairs        ${calibration.genuinePairs} same-person, ${calibration.impostorPairs} different-person`,
      `threshold    ${calibration.threshold.toFixed(4)}  (use: visage identify --threshold ${calibration.threshold.toFixed(4)})`,
      `TAR          ${pct(calibration.tar)} of same-person pairs accepted`,
      `FAR          ${pct(calibration.far)} of different-person pairs accepted (asked: at most ${pct(far)})`,
      `default      ${current === null ? 'none for this embedder' : `${current.toFixed(4)} (one pair, LFW View 1 DevTrain, FAR 0.1%; identify uses a stricter gallery threshold)`}`,
    ].join('\n') + '\n');
    if (calibration.warning) process.stderr.write(`warning: ${calibration.warning}\n`);
  }
  reportSkippedVideos(videos);
  return 0;
}
