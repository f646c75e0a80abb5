// visage enroll <path...> [--name NAME] [--largest]: adds people's faces to the gallery.
// Who each image belongs to follows src/recognition/naming.ts; which face is kept follows
// src/recognition/enrolment.ts. Adds, never replaces; an image already enrolled for that person
// is skipped.
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import type { EnrollOutcome } from '../../recognition/types.ts';
import { nameForImage, nameFromFileName } from '../../recognition/naming.ts';
import { expandInputs, imageErrorLine, reportSkippedVideos } from '../inputs.ts';
import { EMBEDDER_HELP, EYES_OPTION, PIPELINE_HELP, PIPELINE_OPTIONS, pipelineConfig, QUALITY_OPTIONS, qualityFlags, qualityHelp } from '../options.ts';
import { ENROLMENT_QUALITY } from '../../recognition/enrolment.ts';
import { progress } from '../progress.ts';
import { DB_HELP, dbLabel, dbPath, openGallery, recognizerFor } from '../gallery-file.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';

export const enrollHelp = `Usage: visage enroll <folder or image...> [options]

Adds people's faces to the gallery. Who an image shows, without --name:
  people/<name>/**/*.jpg    a folder of per-person folders: the subfolder's name
  people/Ada_Lovelace.jpg   an image directly in a folder given, or a file given by itself: its
                            file name without a trailing number, underscores read as spaces
                            (Ada.jpg, Ada2.jpg, Ada_2.jpg, "Ada (3).jpg" -> Ada; George_W_Bush_0001.jpg ->
                            George W Bush); names like IMG_1234.jpg need --name
With --name NAME every image given is NAME's.

An image is enrolled when it shows exactly one face (the largest one with --largest) that passes
the quality gate: large and sharp enough, not turned away, eyes not closed; a face that fails is
skipped as low-quality with each limit it broke. Enrolling adds faces and never replaces any; an
image already enrolled for that person (same file content) is skipped.

Options:
  --name NAME          every image is this person's
  --largest            take the largest face of images that show several
  --require-live       skip images whose face the liveness model calls a spoof (a printed photo,
                       a screen); reason not-live
${qualityHelp(ENROLMENT_QUALITY, true)}
  --no-quality-gate    enrol every single face, whatever its quality
${DB_HELP}
  --json               print what was added and skipped as JSON
${EMBEDDER_HELP}
${PIPELINE_HELP}
  -h, --help           this help

Exit status: 0 when every image was enrolled or was already, 1 when some image was skipped for
another reason or could not be read, 2 bad command line.
`;

interface Planned {
  file: string;
  name: string | null;
}

/** Codes after which going on would fail every remaining image in the same way. */
const FATAL = new Set(['VISAGE_ERR_DB_LOCKED', 'VISAGE_ERR_DB_UNAVAILABLE', 'VISAGE_ERR_DB_NOT_FOUND', 'VISAGE_ERR_DB_READ_ONLY', 'VISAGE_ERR_DB_FAILED', 'VISAGE_ERR_NOT_A_GALLERY', 'VISAGE_ERR_DB_TOO_NEW', 'VISAGE_ERR_MODEL_LOAD_FAILED', 'VISAGE_ERR_MODEL_SOURCE_MISSING', 'VISAGE_ERR_CONVERSION_FAILED']);

async function plan(args: readonly string[], name: string | undefined): Promise<{ items: Planned[]; skippedVideos: string[] }> {
  const { images, skippedVideos } = await expandInputs(args);
  const items = images.map(({ file, arg, fromFolder }) => ({
    file,
    name: name ?? (fromFolder ? nameForImage(arg, file) : nameFromFileName(file)),
  }));
  return { items, skippedVideos };
}

interface Row {
  file: string;
  subject: string | null;
  status: 'added' | 'skipped' | 'error';
  reason?: string;
  message?: string;
  faceId?: number;
  refusals?: EnrollOutcome['refusals'];
}

export async function enrollCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      largest: { type: 'boolean', default: false },
      'require-live': { type: 'boolean', default: false },
      ...QUALITY_OPTIONS, ...EYES_OPTION,
      'no-quality-gate': { type: 'boolean', default: false },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(enrollHelp);
    return 0;
  }
  if (positionals.length === 0) throw new VisageError('VISAGE_ERR_USAGE', 'no image or folder given (try: visage enroll --help)');
  if (values.name !== undefined && !values.name.trim()) throw new VisageError('VISAGE_ERR_USAGE', '--name needs a name');
  const changes = qualityFlags(values, ENROLMENT_QUALITY);
  if (values['no-quality-gate'] && Object.keys(changes).length) throw new VisageError('VISAGE_ERR_USAGE', '--no-quality-gate cannot be given with quality limits');
  const quality = values['no-quality-gate'] ? false as const : changes;
  const { items, skippedVideos } = await plan(positionals, values.name?.trim());
  const file = dbPath(values.db);
  const gallery = await openGallery(file, { create: true, write: true });
  const recognizer = await recognizerFor(gallery, { visageOptions: pipelineConfig(values) });

  const rows: Row[] = [];
  const bar = items.length > 1 ? progress(items.length, 'enrolling') : undefined;
  let fatal: unknown = null;
  try {
    for (const item of items) {
      if (item.name === null) {
        rows.push({ file: item.file, subject: null, status: 'skipped', reason: 'no-name', message: 'the file name does not name a person (use --name)' });
      } else {
        try {
          const outcome: EnrollOutcome = await recognizer.enroll(item.file, item.name, { largest: values.largest, requireLive: values['require-live'], quality });
          const message = outcome.reason === 'several-faces' ? `${outcome.message} (or use --largest)` : outcome.message;
          rows.push({ file: item.file, subject: outcome.subject, status: outcome.status, reason: outcome.reason, message, faceId: outcome.faceId, ...(outcome.refusals ? { refusals: outcome.refusals } : {}) });
        } catch (error) {
          const code = (error as VisageError).code ?? 'VISAGE_ERR_UNKNOWN';
          if (FATAL.has(code)) { fatal = error; break; }
          rows.push({ file: item.file, subject: item.name, status: 'error', reason: code, message: (error as Error).message });
          if (!values.json) process.stderr.write(imageErrorLine(item.file, error));
        }
      }
      bar?.tick(item.file);
    }
  } finally {
    bar?.done();
    await recognizer.close();
    await gallery.close();
  }

  const added = rows.filter((r) => r.status === 'added');
  const skipped = rows.filter((r) => r.status === 'skipped');
  const errors = rows.filter((r) => r.status === 'error');
  const people = new Set(added.map((r) => r.subject!.toLowerCase())).size;
  const reasons = new Map<string, number>();
  for (const r of [...skipped, ...errors]) reasons.set(r.reason!, (reasons.get(r.reason!) ?? 0) + 1);
  const summary = {
    db: file, images: items.length, processed: rows.length, added: added.length, people, skipped: skipped.length, errors: errors.length,
    reasons: Object.fromEntries(reasons),
  };
  if (values.json) {
    process.stdout.write(formatJson({ summary, images: rows }));
  } else {
    // Images enrolled before are only counted: listing them all would bury the ones that need a look.
    const notAdded = rows.filter((r) => r.status !== 'added' && r.reason !== 'already-enrolled');
    if (notAdded.length) printTable(['file', 'person', 'not added because'], notAdded.map((r) => [r.file, r.subject ?? '-', r.message ?? r.reason ?? '']));
    const why = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ');
    process.stdout.write(`added ${added.length} face(s) of ${people} person(s) to ${dbLabel(file)}; skipped ${skipped.length + errors.length}${why ? ` (${why})` : ''}\n`);
  }
  reportSkippedVideos(skippedVideos);
  if (fatal) {
    const rest = items.length - rows.length;
    throw new VisageError((fatal as VisageError).code, `${(fatal as Error).message} (stopped: ${rest} image(s) not processed; those added are kept)`, { cause: fatal });
  }
  return rows.every((r) => r.status === 'added' || r.reason === 'already-enrolled') ? 0 : 1;
}
