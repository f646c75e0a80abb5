// visage gallery create|stats|reset|export|import|copy|reindex: the gallery as a whole.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { VisageError } from '../../errors.ts';
import { createRecognizer } from '../../recognition/recognizer.ts';
import { EMBEDDER_HELP, EYES_OPTION, PIPELINE_HELP, PIPELINE_OPTIONS, pipelineConfig, QUALITY_OPTIONS } from '../options.ts';
import { progress } from '../progress.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';
import { DB_HELP, dbLabel, dbPath, openGallery } from '../gallery-file.ts';
import { copyGallery, type CopySummary } from '../../gallery/copy.ts';
import { isPostgresUrl } from '../../gallery/open.ts';


export const galleryHelp = `Usage: visage gallery <create|stats|reset|export|import|copy|reindex> [options]

  create <name> <folder>
                       a new gallery <name>.db (or --db FILE) from a folder of per-person folders,
                       e.g. a look-alike gallery of celebrities: each image's largest face is
                       enrolled; serve it with visage serve --lookalike <name>=<name>.db; the
                       enrolment quality gate applies (its flags as visage enroll has them:
                       --min-size, --min-sharpness, --min-frontalness, --max-eyes-closed,
                       --no-quality-gate)
  stats                what the gallery holds: subjects, faces, embeddings per model, file size
  reset --yes          delete every subject and face (the file stays)
  export <file>        write a portable JSON file: names, metadata, faces, embeddings, model ids
  import <file>        add a portable file's subjects and faces (never replaces; images already
                       enrolled for a subject are skipped)
  copy <from> <to>     copy a gallery (subjects, metadata, faces, every embedding) into another,
                       SQLite file or PostgreSQL URL, either way; one transaction into <to>, which
                       must be empty unless --merge
  reindex [--from DIR...]
                       embed, with the configured embedders, the faces enrolled before an embedder
                       was added: each face's image is read again from the path recorded at
                       enrolment, or found by content hash among the images under --from DIR

Options:
${DB_HELP}
  --json               print the result as JSON
  --yes                confirm reset
  --merge              (copy) add to a target gallery that already holds people
  --from DIR           (reindex) where moved images may be; repeatable
${EMBEDDER_HELP}
${PIPELINE_HELP}
  -h, --help           this help

Exit status: 0 ok, 1 failure, 2 bad command line.
`;

export async function galleryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      merge: { type: 'boolean', default: false },
      from: { type: 'string', multiple: true },
      ...PIPELINE_OPTIONS,
      ...QUALITY_OPTIONS, ...EYES_OPTION,
      'no-quality-gate': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(galleryHelp);
    return 0;
  }
  const [action, ...args] = positionals;
  const file = dbPath(values.db);
  const print = (data: unknown, text: string) => process.stdout.write(values.json ? formatJson(data) : text);
  const expectArgs = (n: number, usage: string) => {
    if (args.length !== n) throw new VisageError('VISAGE_ERR_USAGE', `usage: visage gallery ${usage}`);
  };
  switch (action) {
    case 'create': {
      expectArgs(2, 'create <name> <folder> [--db FILE]');
      const [name, folder] = args as [string, string];
      if (!/^[\p{L}\p{N}_-]{1,64}$/u.test(name)) throw new VisageError('VISAGE_ERR_USAGE', `gallery name must be letters, digits, _ or - (at most 64), got "${name}"`);
      const target = values.db ?? `${name}.db`;
      if (isPostgresUrl(target)) {
        const existing = await openGallery(target, { create: true });
        const { subjects } = await existing.stats().finally(() => existing.close());
        if (subjects > 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${dbLabel(target)} already holds ${subjects} subject(s) (add people to it with: visage enroll <folder> --db <url>)`);
      } else if (existsSync(target)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${target} already exists (add people to it with: visage enroll <folder> --db ${target})`);
      const { enrollCommand } = await import('./enroll.ts');
      const passOn = Object.entries(values).flatMap(([key, value]) =>
        (key in PIPELINE_OPTIONS || key in QUALITY_OPTIONS || key in EYES_OPTION || key === 'no-quality-gate') && value !== undefined && value !== false ? (value === true ? [`--${key}`] : [`--${key}`, String(value)]) : []);
      const status = await enrollCommand([folder, '--db', target, '--largest', ...(values.json ? ['--json'] : []), ...passOn]);
      if (!values.json && (isPostgresUrl(target) || existsSync(target))) process.stderr.write(`gallery "${name}" is ${target}; serve it with: visage serve --lookalike ${name}=${target}\n`);
      return status;
    }
    case 'stats': {
      expectArgs(0, 'stats [--db FILE] [--json]');
      const gallery = await openGallery(file);
      try {
        const stats = await gallery.stats();
        const lines = [
          `gallery     ${stats.location}${stats.readOnly ? ' (read-only)' : ''}`,
          `subjects    ${stats.subjects}`,
          `faces       ${stats.faces}`,
          ...stats.models.map((m) => `embeddings  ${m.modelId}: ${m.count} of ${m.dim} values${m.count < stats.faces ? ` (${stats.faces - m.count} faces without: visage gallery reindex)` : ''}`),
          `schema      ${stats.schemaVersion}`,
          `size        ${(stats.sizeBytes / 1024).toFixed(0)} KiB`,
        ];
        print(stats, `${lines.join('\n')}\n`);
      } finally {
        await gallery.close();
      }
      return 0;
    }
    case 'reset': {
      expectArgs(0, 'reset --yes [--db FILE]');
      const gallery = await openGallery(file, { write: true });
      try {
        const stats = await gallery.stats();
        if (!values.yes) {
          throw new VisageError('VISAGE_ERR_USAGE', `reset deletes ${stats.subjects} subject(s) and ${stats.faces} face(s) from ${dbLabel(file)}; add --yes to do it`);
        }
        await gallery.reset();
        print({ deletedSubjects: stats.subjects, deletedFaces: stats.faces }, `deleted ${stats.subjects} subject(s) and ${stats.faces} face(s) from ${dbLabel(file)}\n`);
      } finally {
        await gallery.close();
      }
      return 0;
    }
    case 'export': {
      expectArgs(1, 'export <file> [--db FILE]');
      const gallery = await openGallery(file);
      try {
        const summary = await gallery.exportTo(args[0]!);
        print(summary, `exported ${summary.subjects} subject(s), ${summary.faces} face(s) (${summary.models.map((m) => `${m.modelId} ${m.count}`).join(', ') || 'no embeddings'}), ${summary.negatives} negative example(s) to ${args[0]}\n`);
      } finally {
        await gallery.close();
      }
      return 0;
    }
    case 'import': {
      expectArgs(1, 'import <file> [--db FILE]');
      const gallery = await openGallery(file, { create: true, write: true });
      try {
        const summary = await gallery.importFrom(args[0]!);
        print(summary, `imported ${summary.facesAdded} face(s): ${summary.subjectsAdded} new subject(s), ${summary.subjectsMatched} existing; ${summary.facesSkipped} face(s) already enrolled; `
          + `${summary.negativesAdded} negative example(s)${summary.negativesSkipped ? ` (${summary.negativesSkipped} already kept)` : ''}\n`);
      } finally {
        await gallery.close();
      }
      return 0;
    }
    case 'copy': {
      expectArgs(2, 'copy <from> <to> [--merge]');
      const [from, to] = args as [string, string];
      const source = await openGallery(from);
      let summary: CopySummary;
      try {
        const target = await openGallery(to, { create: true, write: true });
        try {
          const bars = new Map<string, ReturnType<typeof progress>>();
          summary = await copyGallery(source, target, {
            merge: values.merge,
            onProgress: (phase, done, total) => {
              let bar = bars.get(phase);
              if (!bar) bars.set(phase, bar = progress(total, phase === 'export' ? `reading ${dbLabel(from)}` : `writing ${dbLabel(to)}`));
              bar.tick(`subject ${done}`);
              if (done === total) bar.done();
            },
          });
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
      const { imported } = summary;
      print(summary, `copied ${dbLabel(from)} to ${dbLabel(to)}: ${imported.facesAdded} face(s) (${summary.exported.models.map((m) => `${m.modelId} ${m.count}`).join(', ') || 'no embeddings'}), `
        + `${imported.subjectsAdded} new subject(s), ${imported.subjectsMatched} existing; ${imported.facesSkipped} face(s) already enrolled; `
        + `${imported.negativesAdded} negative example(s)${imported.negativesSkipped ? ` (${imported.negativesSkipped} already kept)` : ''}\n`);
      return 0;
    }
    case 'reindex': {
      expectArgs(0, 'reindex [--from DIR...] [--embedders A,B] [--db FILE]');
      const gallery = await openGallery(file, { write: true });
      const recognizer = await createRecognizer({ gallery, visageOptions: pipelineConfig(values), embedders: 'default' }).catch(async (error) => { await gallery.close(); throw error; });
      let bar: ReturnType<typeof progress> | undefined;
      try {
        const summary = await recognizer.reindex({
          search: values.from?.map((dir) => path.resolve(dir)),
          onProgress: (done, total, face) => { bar ??= total > 1 ? progress(total, 'reindexing') : undefined; bar?.tick(face.sourceFile ?? `face ${face.id}`); },
        });
        bar?.done();
        if (values.json) {
          print(summary, '');
        } else {
          process.stdout.write(`${summary.reindexed} face(s) re-embedded with ${summary.models.join(', ')}; ${summary.examined - summary.reindexed - summary.skipped.length} already had every embedding\n`);
          if (summary.skipped.length) printTable(['face', 'subject', 'not re-embedded because'], summary.skipped.map((s) => [String(s.faceId), s.subject, s.reason]));
        }
        return summary.skipped.length ? 1 : 0;
      } finally {
        await recognizer.close();
        await gallery.close();
      }
    }
    case undefined:
      throw new VisageError('VISAGE_ERR_USAGE', 'visage gallery needs an action: create, stats, reset, export, import, copy or reindex (try: visage gallery --help)');
    default:
      throw new VisageError('VISAGE_ERR_USAGE', `unknown gallery action "${action}": create, stats, reset, export, import, copy or reindex`);
  }
}
