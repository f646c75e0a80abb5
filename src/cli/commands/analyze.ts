// visage analyze <images or folders...>: every face of each image, as a table or JSON.
import { parseArgs } from 'node:util';
import { createVisage } from '../../visage.ts';
import { VisageError } from '../../errors.ts';
import { expandInputs, imageErrorLine, reportSkippedVideos } from '../inputs.ts';
import { progress } from '../progress.ts';
import { ATTRIBUTE_HELP, ATTRIBUTE_OPTIONS, EMBEDDER_HELP, PIPELINE_HELP, PIPELINE_OPTIONS, attributeCell, attributeList, attributeModelsFlag, pipelineConfig } from '../options.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';

export const analyzeHelp = `Usage: visage analyze <image or folder...> [options]

Finds every face in each image (folders are searched recursively): box, score, five landmarks,
head pose, quality, (with --attributes) age, gender, emotion and liveness, and (with
--embeddings) the identity embeddings.

Options:
  --json               print one JSON document: {"images":[{"file","width","height","faces":[...]}]}
  --embeddings         include the embeddings in the JSON output
${ATTRIBUTE_HELP}
${PIPELINE_HELP}
${EMBEDDER_HELP}
  -h, --help           this help
`;

export async function analyzeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      embeddings: { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
      ...ATTRIBUTE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(analyzeHelp);
    return 0;
  }
  if (positionals.length === 0) throw new VisageError('VISAGE_ERR_USAGE', 'no image given (try: visage analyze --help)');
  const inputs = await expandInputs(positionals, { missing: 'keep' });
  const files = inputs.images.map((i) => i.file);
  const attributes = attributeList(values.attributes);
  const visage = await createVisage({ ...pipelineConfig(values), attributeModels: attributeModelsFlag(values['attribute-model']) });
  const results: unknown[] = [];
  const rows: string[][] = [];
  let failed = 0;
  const bar = files.length > 1 ? progress(files.length, 'analysing') : undefined;
  try {
    for (const file of files) {
      try {
        const analysis = await visage.analyze(file, { embed: values.json && values.embeddings, ...(attributes ? { attributes } : {}) });
        if (values.json) {
          results.push({ file, ...analysis, faces: analysis.faces.map((f) => (values.embeddings ? f : { ...f, embeddings: undefined })) });
        }
        analysis.faces.forEach((f, i) => rows.push([
          file, String(i + 1), `${Math.round(f.box.x)},${Math.round(f.box.y)} ${Math.round(f.box.width)}x${Math.round(f.box.height)}`,
          f.score.toFixed(2), `${f.pose.yaw.toFixed(0)}/${f.pose.pitch.toFixed(0)}/${f.pose.roll.toFixed(0)}`,
          String(Math.round(f.quality.size)), f.quality.sharpness.toFixed(0), ...(attributes ? [attributeCell(f.attributes)] : []),
        ]));
        if (analysis.faces.length === 0) rows.push([file, '-', 'no face', '', '', '', '', ...(attributes ? [''] : [])]);
      } catch (error) {
        failed++;
        process.stderr.write(imageErrorLine(file, error));
        if (values.json) results.push({ file, error: { code: (error as VisageError).code ?? 'VISAGE_ERR_UNKNOWN', message: (error as Error).message } });
      }
      bar?.tick(file);
    }
  } finally {
    bar?.done();
    await visage.close();
  }
  if (values.json) process.stdout.write(formatJson({ images: results }));
  else printTable(['file', 'face', 'box (x,y wxh)', 'score', 'yaw/pitch/roll', 'size', 'sharpness', ...(attributes ? ['attributes'] : [])], rows);
  reportSkippedVideos(inputs.skippedVideos);
  return failed ? 1 : 0;
}
