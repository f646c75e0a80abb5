// visage jobs list|show|cancel|enroll|reindex: the batch jobs of a PostgreSQL gallery. Submitting
// only queues a job; `visage worker` processes do it (--wait follows it to the end).
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { openJobQueue, type JobQueue } from '../../jobs/queue.ts';
import { enrolmentImages } from '../../jobs/kinds/enrol.ts';
import type { ItemState, JobDetail, JobSummary } from '../../jobs/types.ts';
import { DB_HELP, dbPath } from '../gallery-file.ts';
import { formatJson } from '../json.ts';
import { printTable } from './models.ts';
import { wholeFlag } from './worker.ts';

export const jobsHelp = `Usage: visage jobs <action> [options]

  list                      the latest jobs with their state and progress
  show <id>                 one job: progress, outcome counts, the items that failed or were skipped
                            (--items all for every item; --watch to follow it until it ends)
  cancel <id>               cancel a job: items not started are cancelled, the one under way finishes
  enroll <folder|image...>  queue the enrolment of images (people/<name>/*.jpg as visage enroll takes
                            them; --name NAME for all); paths must be readable by the workers
  reindex                   queue the reindexing of every face lacking a vector of --embedders

Jobs need a PostgreSQL gallery; workers (visage worker) do them.

Options:
${DB_HELP}
  --json               print the result as JSON
  --wait               (enroll, reindex) follow the job until it ends, as show --watch
  --watch              (show) redraw the progress until the job ends
  --items WHICH        (show) errors (default: failed and skipped), all, or none
  --limit N            (list) at most N jobs (default 20); (show) at most N items (default 1000)
  --name NAME          (enroll) every image is this person's
  --largest            (enroll) take the largest face of images that show several
  --chunk-size N       (enroll, reindex) items per chunk, the unit a worker takes (default 8)
  --chunk-expire S     (enroll, reindex) seconds a worker may hold a chunk before it is handed to another
                       (a worker killed loses its chunk this long; default 300)
  --retry-limit N      (enroll, reindex) times a chunk is tried again before its items fail (default 3)
  --embedders A,B      (reindex) the embedders every face must have (default: the default embedders)
  --search DIR         (reindex) a folder (on the workers' machines) searched for moved images, repeatable
  -h, --help           this help

Exit status: 0 ok (show --watch, --wait: the job ended with no failed item), 1 failure, 2 bad command line.
`;

const ITEM_FILTERS: Record<string, ItemState[] | null | 'none'> = { errors: ['failed', 'skipped'], all: null, none: 'none' };

function bar(percent: number, width = 24): string {
  const filled = Math.round((percent / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** The progress of a job in two lines. */
export function progressLines(job: JobSummary): string {
  const p = job.progress;
  const final = p.added + p.skipped + p.failed + p.cancelled;
  const rate = p.itemsPerSecond === null ? '' : `  ${p.itemsPerSecond} items/s`;
  const eta = p.etaSeconds === null ? '' : `  eta ${p.etaSeconds} s`;
  return `job ${job.id}  ${job.kind}  ${job.state}\n`
    + `  ${bar(p.percent)} ${p.percent.toFixed(1)}%  ${final}/${p.total}  added ${p.added}  skipped ${p.skipped}  failed ${p.failed}`
    + `${p.cancelled ? `  cancelled ${p.cancelled}` : ''}${p.working ? `  working ${p.working}` : ''}${rate}${eta}\n`;
}

function showText(job: JobDetail): string {
  let text = progressLines(job);
  text += `  created ${job.created}${job.started ? `  started ${job.started}` : ''}${job.finished ? `  finished ${job.finished}` : ''}\n`;
  const reasons = Object.entries(job.result.reasons);
  if (reasons.length) text += `  reasons: ${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')}\n`;
  return text;
}

async function watch(queue: JobQueue, id: string, json: boolean, filter: ItemState[] | null | 'none', limit: number): Promise<JobDetail> {
  const tty = process.stderr.isTTY && !json;
  let last = '';
  const job = await queue.waitFor(id, {
    timeoutMs: 365 * 24 * 3600 * 1000,
    intervalMs: 1000,
    onProgress: (summary) => {
      const lines = progressLines(summary);
      if (lines === last) return;
      last = lines;
      if (tty) process.stderr.write(`\x1b[2K\r${lines.split('\n')[1]}`);
      else if (!json) process.stderr.write(lines.split('\n')[1]!.trim() + '\n');
    },
  });
  if (tty) process.stderr.write('\n');
  return filter === 'none' ? queue.get(id, { limit: 0 }) : queue.get(id, { states: filter ?? undefined, limit });
}

export async function jobsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      items: { type: 'string' },
      limit: { type: 'string' },
      name: { type: 'string' },
      largest: { type: 'boolean', default: false },
      'chunk-size': { type: 'string' },
      'chunk-expire': { type: 'string' },
      'retry-limit': { type: 'string' },
      embedders: { type: 'string' },
      search: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(jobsHelp);
    return 0;
  }
  const [action, ...args] = positionals;
  const actions = ['list', 'show', 'cancel', 'enroll', 'enrol', 'reindex'];
  if (action === undefined) throw new VisageError('VISAGE_ERR_USAGE', 'visage jobs needs an action: list, show, cancel, enroll or reindex (try: visage jobs --help)');
  if (!actions.includes(action)) throw new VisageError('VISAGE_ERR_USAGE', `unknown jobs action "${action}": list, show, cancel, enroll or reindex`);
  if ((action === 'show' || action === 'cancel') && args.length !== 1) throw new VisageError('VISAGE_ERR_USAGE', `usage: visage jobs ${action} <id>`);
  if ((action === 'list' || action === 'reindex') && args.length) throw new VisageError('VISAGE_ERR_USAGE', `visage jobs ${action} takes no argument`);
  if ((action === 'enroll' || action === 'enrol') && args.length === 0) throw new VisageError('VISAGE_ERR_USAGE', 'usage: visage jobs enroll <folder|image...>');
  const filterName = values.items ?? 'errors';
  if (!(filterName in ITEM_FILTERS)) throw new VisageError('VISAGE_ERR_USAGE', `--items takes errors, all or none, got "${filterName}"`);
  const filter = ITEM_FILTERS[filterName]!;
  const limit = wholeFlag('--limit', values.limit, 1, 100_000);
  const chunkSize = wholeFlag('--chunk-size', values['chunk-size'], 1, 10_000);
  const print = (data: unknown, text: string) => process.stdout.write(values.json ? formatJson(data) : text);

  const chunkExpireSeconds = wholeFlag('--chunk-expire', values['chunk-expire'], 10, 86_400);
  const retryLimit = wholeFlag('--retry-limit', values['retry-limit'], 0, 100);
  const queue = await openJobQueue(dbPath(values.db), {
    ...(chunkExpireSeconds === undefined ? {} : { chunkExpireSeconds }), ...(retryLimit === undefined ? {} : { retryLimit }),
  });
  try {
    const follow = async (job: JobSummary): Promise<number> => {
      if (!values.wait) {
        print(job, `${progressLines(job)}  follow it: visage jobs show ${job.id} --watch\n`);
        return 0;
      }
      const done = await watch(queue, job.id, values.json, filter, limit ?? 1000);
      print(done, showText(done) + itemsText(done));
      return done.progress.failed > 0 ? 1 : 0;
    };
    switch (action) {
      case 'list': {
        const jobs = await queue.list({ limit: limit ?? 20 });
        if (values.json) print({ jobs }, '');
        else if (jobs.length === 0) process.stdout.write('no jobs\n');
        else {
          printTable(['id', 'kind', 'state', 'progress', 'added', 'skipped', 'failed', 'created'], jobs.map((job) => [
            job.id, job.kind, job.state, `${job.progress.percent.toFixed(1)}% of ${job.progress.total}`, job.progress.added, job.progress.skipped, job.progress.failed, job.created,
          ]));
        }
        return 0;
      }
      case 'show': {
        if (values.watch) {
          const done = await watch(queue, args[0]!, values.json, filter, limit ?? 1000);
          print(done, showText(done) + itemsText(done));
          return done.progress.failed > 0 ? 1 : 0;
        }
        const job = filter === 'none' ? await queue.get(args[0]!, { limit: 0 }) : await queue.get(args[0]!, { states: filter ?? undefined, limit: limit ?? 1000 });
        print(job, showText(job) + itemsText(job));
        return 0;
      }
      case 'cancel': {
        const job = await queue.cancel(args[0]!);
        print(job, showText(job));
        return 0;
      }
      case 'enroll':
      case 'enrol': {
        if (values.name !== undefined && !values.name.trim()) throw new VisageError('VISAGE_ERR_USAGE', '--name needs a name');
        const { images, unnamed } = await enrolmentImages(args, values.name?.trim());
        for (const file of unnamed) process.stderr.write(`visage jobs: ${file}: the file name does not name a person (use --name); left out\n`);
        if (images.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'no image to enrol');
        return await follow(await queue.submitEnrolment(images, { largest: values.largest, chunkSize }));
      }
      case 'reindex': {
        const embedders = values.embedders?.split(',').map((s) => s.trim()).filter(Boolean);
        const job = await queue.submitReindex({ embedders, search: values.search, chunkSize });
        if (job.progress.total === 0 && !values.json) {
          process.stdout.write(`every face already has a vector of ${(job.params.embedders as string[]).join(', ')}: nothing to do (job ${job.id} is complete)\n`);
          return 0;
        }
        return await follow(job);
      }
    }
    return 2;
  } finally {
    await queue.close({ timeoutMs: 1000 });
  }
}

function itemsText(job: JobDetail): string {
  if (job.items.length === 0) return '';
  let text = '';
  const rows = job.items.map((item) => [item.seq, item.item, item.subject ?? '', item.state, item.reason ?? '', item.faceIds.join(','), item.message ?? '']);
  const widths = ['seq', 'item', 'subject', 'state', 'reason', 'faces', 'message'].map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => `  ${cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  text += line(['seq', 'item', 'subject', 'state', 'reason', 'faces', 'message']);
  for (const row of rows) text += line(row);
  if (job.moreItems) text += `  ... and ${job.moreItems} more (--limit, --items)\n`;
  return text;
}
