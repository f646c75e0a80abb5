// visage verify <a> <b> [--threshold T]: whether two photos show the same person (the largest
// face of each), with the similarity and the threshold used. No gallery involved.
import { parseArgs } from 'node:util';
import { createVisage } from '../../visage.ts';
import { VisageError } from '../../errors.ts';
import { verifyFaces } from '../../recognition/recognizer.ts';
import { defaultThreshold } from '../../face/match/index.ts';
import { EMBEDDER_HELP, PIPELINE_HELP, PIPELINE_OPTIONS, numberFlag, pipelineConfig } from '../options.ts';
import { formatJson } from '../json.ts';

export const verifyHelp = `Usage: visage verify <image-a> <image-b> [options]

Says whether the largest face in each image is the same person.

Options:
  --threshold T        similarity at or above which they are the same person (default: the
                       embedder's, calibrated on LFW at a false-accept rate of 0.1%)
  --json               print {"same","similarity","threshold","modelId","a","b"} as JSON
${EMBEDDER_HELP}
${PIPELINE_HELP}
  --require-live       refuse (exit 1, VISAGE_ERR_NOT_LIVE) when either face is called a spoof
                       by the liveness model (a printed photo, a screen)
  -h, --help           this help

Exit status: 0 whether or not they match, 1 when an image cannot be read or shows no face,
2 bad command line.
`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      threshold: { type: 'string' },
      json: { type: 'boolean', default: false },
      'require-live': { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(verifyHelp);
    return 0;
  }
  if (positionals.length !== 2) throw new VisageError('VISAGE_ERR_USAGE', `verify takes two images, got ${positionals.length} (try: visage verify --help)`);
  const threshold = numberFlag('threshold', values.threshold);
  if (threshold !== undefined && !(threshold >= -1 && threshold <= 1)) throw new VisageError('VISAGE_ERR_USAGE', `--threshold takes a similarity from -1 to 1, got ${values.threshold}`);
  const visage = await createVisage(pipelineConfig(values));
  try {
    if (threshold === undefined) defaultThreshold(visage.config.embedders[0]!, 'pair'); // no calibrated one: fail before any work
    const result = await verifyFaces(visage, positionals[0]!, positionals[1]!, { threshold, requireLive: values['require-live'] });
    if (values.json) {
      process.stdout.write(formatJson(result));
    } else {
      process.stdout.write(`${result.same ? 'same person' : 'different people'}: similarity ${result.similarity.toFixed(3)} ${result.same ? '>=' : '<'} threshold ${result.threshold.toFixed(3)} (${result.modelId})\n`);
      for (const [label, side] of [[positionals[0]!, result.a], [positionals[1]!, result.b]] as const) {
        if (side.faces > 1) process.stderr.write(`note: ${label} shows ${side.faces} faces; the largest was compared\n`);
      }
    }
  } finally {
    await visage.close();
  }
  return 0;
}
