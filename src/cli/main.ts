// The visage command: parses the first word and hands the rest to a command module.
// Errors print one line on stderr; the exit status is 1 for failures, 2 for usage errors.
import { isVisageError } from '../errors.ts';

const help = `Usage: visage <command> [options]

Commands:
  analyze <image|dir...>  every face in each image: box, landmarks, pose, quality (--json, --attributes)
  detect <image|dir...>  faces found; --out DIR for annotated copies, --crops to cut them out
  enroll <dir|image...>  add people to the gallery (people/<name>/*.jpg, Name.jpg, --name NAME)
  identify <image|dir...>  who is in each photo (UNKNOWN for strangers); --out DIR for annotated copies
  verify <a> <b>     whether two photos show the same person
  video <file|url>   the faces of a video as tracks, one identity each; --out DIR for a timeline
  cluster <dir...>   group unknown faces by person (contact sheet, --json); cluster name|merge|split|not
  subjects list|show|rename|merge|delete   the enrolled people
  gallery create|stats|reset|export|import|copy|reindex  the gallery file
  calibrate <dir>    propose a threshold from your own folder-per-person photos
  train <dir> --model M.visage   train a classifier on folder-per-person photos (<dir>/<name>/*.jpg)
  classify <image|dir...> --model M --out DIR   name every face with a trained model (UNKNOWN below its threshold)
  evaluate <dir> --model M   accuracy, classification report, confusion matrix, --folds K, --report DIR
  serve              the REST API on http://127.0.0.1:3000 (docs at /docs)
  worker             do batch jobs from a PostgreSQL gallery's job queue (any number, any machine)
  jobs list|show|cancel|enroll|reindex   the batch jobs of a PostgreSQL gallery
  keys create|list|revoke   API keys of the REST server
  models list        list the models and whether they are converted
  models prepare     convert every model to ONNX ahead of time

Run "visage <command> --help" for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(help);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    const { createRequire } = await import('node:module');
    process.stdout.write(`${createRequire(import.meta.url)('../../package.json').version}\n`);
    return 0;
  }
  try {
    return await dispatch(command, rest);
  } catch (error) {
    const line = parseArgsProblem(error);
    if (line === null) throw error;
    process.stderr.write(`visage ${command}: ${line} (try: visage ${command} --help)\n`);
    return 2;
  }
}

/**
 * node:util parseArgs's errors, said in one line without its advice about '--' (which names
 * nothing a user of this command needs); null for any other error.
 */
function parseArgsProblem(error: unknown): string | null {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return null;
  const message = (error as Error).message;
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option ${quoted}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted) return `unexpected argument "${quoted}"`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) {
    const flag = quoted.split(' ')[0]!;
    return /argument missing/.test(message) ? `${flag} needs a value` : /does not take an argument/.test(message) ? `${flag} takes no value` : `bad value for ${flag}`;
  }
  return message.split('. ')[0]!.replace(/\s+/g, ' ');
}

async function dispatch(command: string, rest: string[]): Promise<number> {
  switch (command) {
    case 'analyze': return (await import('./commands/analyze.ts')).analyzeCommand(rest);
    case 'detect': return (await import('./commands/detect.ts')).detectCommand(rest);
    case 'enroll': case 'enrol': return (await import('./commands/enroll.ts')).enrollCommand(rest);
    case 'identify': return (await import('./commands/identify.ts')).identifyCommand(rest);
    case 'cluster': return (await import('./commands/cluster.ts')).clusterCommand(rest);
    case 'verify': return (await import('./commands/verify.ts')).verifyCommand(rest);
    case 'video': return (await import('./commands/video.ts')).videoCommand(rest);
    case 'subjects': return (await import('./commands/subjects.ts')).subjectsCommand(rest);
    case 'gallery': return (await import('./commands/gallery.ts')).galleryCommand(rest);
    case 'calibrate': return (await import('./commands/calibrate.ts')).calibrateCommand(rest);
    case 'train': return (await import('./commands/train.ts')).trainCommand(rest);
    case 'classify': return (await import('./commands/classify.ts')).classifyCommand(rest);
    case 'evaluate': return (await import('./commands/evaluate.ts')).evaluateCommand(rest);
    case 'serve': return (await import('./commands/serve.ts')).serveCommand(rest);
    case 'worker': return (await import('./commands/worker.ts')).workerCommand(rest);
    case 'jobs': return (await import('./commands/jobs.ts')).jobsCommand(rest);
    case 'keys': return (await import('./commands/keys.ts')).keysCommand(rest);
    case 'models': return (await import('./commands/models.ts')).modelsCommand(rest);
    default:
      process.stderr.write(`visage: unknown command "${command}" (try: visage --help)\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`visage: ${message}\n`);
  process.exitCode = isVisageError(error) && error.code === 'VISAGE_ERR_USAGE' ? 2 : 1;
}
