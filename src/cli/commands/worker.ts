// visage worker --db postgres://...: takes batch jobs (enrol, reindex, video) from the gallery's queue
// until stopped. Any number of workers, on any machine that reaches the database.
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { startWorker } from '../../jobs/worker.ts';
import { EMBEDDER_HELP, PIPELINE_HELP, PIPELINE_OPTIONS, asUsage, pipelineConfig } from '../options.ts';
import { DB_HELP, dbLabel, dbPath } from '../gallery-file.ts';

export const workerHelp = `Usage: visage worker --db postgres://... [options]

Takes batch jobs (visage jobs enroll|reindex, POST /v1/jobs/..., POST /v1/videos: needs ffmpeg)
from the gallery's job queue and does them, one chunk of items at a time, until stopped. Start as many as you like, on any machine
that reaches the database (paths in jobs must be readable there). SIGINT or SIGTERM stops it
cleanly: the chunks under way finish first (a second signal stops at once; their chunks are then
handed to another worker once they expire, as for a worker killed: visage jobs enroll --chunk-expire).

Options:
${DB_HELP}
  --concurrency N      chunks worked on at once (default 1; inference already uses the cores)
  --maintenance S      how often this process checks for expired chunks (default 30)
  --json               one JSON line per item done on stdout
  --quiet              no line per item
${EMBEDDER_HELP}
${PIPELINE_HELP}
  -h, --help           this help

Prints "visage worker: ready" on stderr once it takes jobs. Exit status: 0 stopped by a signal,
1 failure (the database cannot be reached...), 2 bad command line.
`;

/** A whole-number flag's value in [min, max], else a usage error; undefined when absent. */
export function wholeFlag(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new VisageError('VISAGE_ERR_USAGE', `${flag} takes a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      concurrency: { type: 'string' },
      maintenance: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(workerHelp);
    return 0;
  }
  if (positionals.length) throw new VisageError('VISAGE_ERR_USAGE', `unexpected argument "${positionals[0]}"`);
  const url = dbPath(values.db);
  const whole = (flag: string, text: string | undefined, min: number, max: number) => wholeFlag(flag, text, min, max);
  const options = asUsage(() => ({
    concurrency: whole('--concurrency', values.concurrency, 1, 64),
    maintenanceIntervalSeconds: whole('--maintenance', values.maintenance, 1, 3600),
    visageOptions: pipelineConfig(values),
  }));
  const worker = await startWorker(url, {
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    onItem: values.quiet ? undefined : (event) => {
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ job: event.jobId, kind: event.kind, seq: event.seq, item: event.item, ...event.outcome, ms: event.ms })}\n`);
      } else {
        const why = event.outcome.reason ? ` (${event.outcome.reason}${event.outcome.message ? `: ${event.outcome.message}` : ''})` : '';
        process.stderr.write(`${event.jobId.slice(0, 8)} ${event.kind} #${event.seq} ${event.item}: ${event.outcome.state}${why} ${event.ms} ms\n`);
      }
    },
  });
  process.stderr.write(`visage worker: ready (pid ${process.pid}, ${dbLabel(url)}, concurrency ${options.concurrency ?? 1})\n`);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`visage worker: ${signal} again, stopping at once\n`);
        process.exit(130);
      }
      process.stderr.write(`visage worker: ${signal}, finishing the chunks under way (again to stop at once)\n`);
      void worker.stop().then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stderr.write(`visage worker: stopped after ${worker.done} items\n`);
  return 0;
}
