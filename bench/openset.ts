// npm run bench:openset -- [--parts a,b] [--strangers 0.25] [--seed N] [--enrol 3] [--threshold T]
//                          [--splits N] [--sweep 0.92,0.93] [--cache FILE] [--json]
// Open-set identification: "who is this?" with strangers who must come out UNKNOWN.
// Per part of ../shared/datasets (or $VISAGE_DATASETS): a seeded split of the people into known
// (enrolled in a real SQLite gallery, searched with SearchIndex.identify) and strangers (never
// enrolled); each known person enrols their first `--enrol` images with a face (natural sorted
// order) and is probed with the rest; every image of a stranger is a stranger probe. Every image is
// embedded once with Visage's defaults (createVisage()), kept in memory, optionally in --cache.
// Figures per part and for all parts pooled (each probe searched in its own part's gallery), for
// both decision strategies (best face, mean template): rank-1 of known probes (closed set), the
// stranger false-accept rate and the detection-and-identification rate at the threshold, and the
// DIR at the threshold where 1% of the strangers are accepted. --splits N repeats the split with
// seeds N, N+1, ... and pools the probes of all splits (the embeddings are computed once), which
// steadies the 1% figures of small parts. Helpers in bench/openset/.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../src/config.ts';
import { loadImage } from '../src/face/image/decode.ts';
import { isGreyImage } from '../src/face/quality/quality.ts';
import { CONVERTER_VERSION } from '../src/models/store.ts';
import { PARTIAL_FACE } from '../src/face/quality/partial-face.ts';
import { contentHash, openSqliteGallery, SearchIndex } from '../src/gallery/index.ts';
import { DECISION_STRATEGIES, type DecisionStrategy } from '../src/face/match/index.ts';
import { DEFAULT_STRATEGY, defaultThreshold, SMALL_FACE_RISES } from '../src/face/match/index.ts';
import type { EmbedderId } from '../src/config.ts';
import type { Box } from '../src/types.ts';
import { datasetsRoot } from '../test/helpers/datasets.ts';
import { chooseFace, createDefaultAnalyzer, embeddingForm, FaceEmbeddings, type EmbeddedFace } from './openset/embed.ts';
import { loadPart, PART_IDS, type Part, type PartId } from './openset/parts.ts';
import { enrolAndProbes, farAt, dirAt, openSetFigures, splitPeople, type OpenSetFigures, type ScoredProbe } from './openset/protocol.ts';

const TARGET_FAR = 0.01;
/** The library's defaults on this installation (the default embedder depends on what is installed). */
const DEFAULTS = resolveConfig({});
const DEFAULT_SWEEP = [0.92, 0.93, 0.94, 0.95];

const USAGE = `usage: npm run bench:openset -- [--parts a,b] [--strangers F] [--seed N] [--enrol K] [--threshold T]
                              [--splits N] [--sweep T,T] [--cache FILE] [--json]
  --parts      comma-separated, default all: ${PART_IDS.join(', ')}
  --strangers  fraction of each part's people held out as strangers (default 0.25; at least 2
               strangers and at least 2 known people per part)
  --seed       seed of the split of people (default 1)
  --splits N   repeat the split with seeds seed..seed+N-1 and pool their probes (default 1)
  --enrol      images enrolled per known person (default 3): the first ones with a face in sorted order
  --threshold  similarity at or above which a probe is accepted (default: the library's default
               identify threshold for the embedder and its default strategy)
  --sweep      thresholds for the extra FAR/DIR table (default ${DEFAULT_SWEEP.join(',')}; "none" for none)
  --cache FILE keep the embeddings in FILE (JSON) across runs; ignored when written by another
               pipeline configuration. Delete it after changing the pipeline's code.
  --json       {"results":[...]} on stdout instead of the tables; progress always goes to stderr
Datasets: $VISAGE_DATASETS, else ../shared/datasets beside the project (now ${datasetsRoot}).`;

const log = (line: string) => process.stderr.write(`${line}\n`);

function fail(message: string): never {
  log(`bench:openset: ${message}`);
  process.exit(2);
}

interface Options {
  parts: PartId[];
  strangers: number;
  seed: number;
  splits: number;
  enrol: number;
  threshold: number | undefined;
  sweep: number[];
  cache: string | undefined;
  json: boolean;
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        parts: { type: 'string' }, strangers: { type: 'string' }, seed: { type: 'string' }, splits: { type: 'string' }, enrol: { type: 'string' },
        threshold: { type: 'string' }, sweep: { type: 'string' }, cache: { type: 'string' },
        json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) { console.log(USAGE); process.exit(0); }
  const number = (name: string, text: string | undefined, min: number, max: number, integer = false): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      fail(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${text}"`);
    }
    return value;
  };
  const parts = values.parts === undefined ? [...PART_IDS] : values.parts.split(',').map((p) => p.trim().toLowerCase());
  for (const part of parts) if (!PART_IDS.includes(part as PartId)) fail(`unknown part "${part}"; known: ${PART_IDS.join(', ')}`);
  const sweep = values.sweep === undefined ? DEFAULT_SWEEP : values.sweep === 'none' ? [] : values.sweep.split(',').map((t) => number('sweep', t, -1, 1)!);
  return {
    parts: [...new Set(parts)] as PartId[],
    strangers: number('strangers', values.strangers, 0, 0.9) ?? 0.25,
    seed: number('seed', values.seed, 0, 2 ** 31, true) ?? 1,
    splits: number('splits', values.splits, 1, 1000, true) ?? 1,
    enrol: number('enrol', values.enrol, 1, 1000, true) ?? 3,
    threshold: number('threshold', values.threshold, -1, 1),
    sweep,
    cache: values.cache,
    json: values.json,
  };
}

/** One known person's or stranger's image in a part, with its chosen face (null: no face found). */
interface Labelled { file: string; person: string; face: EmbeddedFace | null; faces: number }

interface PartRun {
  part: Part;
  seed: number;
  known: string[];
  strangers: string[];
  enrolled: number;
  /** Per strategy, every probe with a face, scored against this part's gallery. */
  probes: Map<DecisionStrategy, ScoredProbe[]>;
  images: number;
  noFace: { enrol: number; knownProbes: number; strangers: number };
  multiFace: number;
  /** Known people left with fewer than --enrol enrolment faces, or none. */
  shortEnrolment: number;
}

/** The threshold a probe is held to: its image's file, its face's box. */
type HeldTo = (file: string, box: Box) => Promise<number>;

const greyFiles = new Map<string, Promise<boolean>>();
/** Whether an image file is grey, as Analysis.grey says (decoded as the library decodes it). */
function isGreyFile(file: string): Promise<boolean> {
  let grey = greyFiles.get(file);
  if (!grey) greyFiles.set(file, grey = loadImage(file).then(isGreyImage));
  return grey;
}

async function runPart(part: Part, seed: number, store: FaceEmbeddings, options: Options, embedder: string, threshold: number, folder: string, held: HeldTo): Promise<PartRun> {
  const labelled = new Map<string, Labelled[]>();
  let multiFace = 0, images = 0;
  for (const person of part.people) {
    labelled.set(person.name, person.images.map((file) => {
      const faces = store.get(file);
      images++;
      if (faces.faces.length > 1) multiFace++;
      return { file, person: person.name, face: chooseFace(faces, part.faceChoice), faces: faces.faces.length };
    }));
  }
  const { known, strangers } = splitPeople(part.people.map((p) => p.name), options.strangers, seed);
  const gallery = await openSqliteGallery(path.join(folder, `${part.id}-${seed}.db`));
  const noFace = { enrol: 0, knownProbes: 0, strangers: 0 };
  const knownProbes: Labelled[] = [];
  let enrolled = 0, shortEnrolment = 0;
  try {
    for (const name of known) {
      const images = labelled.get(name)!;
      const split = enrolAndProbes(images, options.enrol, (image) => image.face !== null);
      // A no-face image counts where it sits in the sorted order: among the first --enrol, or a probe.
      const enrolSlots = split.enrol.length ? images.indexOf(split.enrol.at(-1)!) + 1 : images.length;
      for (const image of split.noFace) (images.indexOf(image) < enrolSlots ? noFace.enrol++ : noFace.knownProbes++);
      if (split.enrol.length < options.enrol) shortEnrolment++;
      knownProbes.push(...split.probes);
      if (split.enrol.length === 0) continue;
      const faces = await Promise.all(split.enrol.map(async (image) => ({
        contentHash: contentHash(await readFile(image.file)),
        sourceFile: path.relative(datasetsRoot, image.file),
        box: image.face!.box,
        embeddings: { [embedder]: image.face!.embedding },
      })));
      await gallery.addFaces(name, faces, { createSubject: true });
      enrolled += faces.length;
    }
    const strangerProbes: Labelled[] = [];
    for (const name of strangers) {
      for (const image of labelled.get(name)!) (image.face ? strangerProbes.push(image) : noFace.strangers++);
    }
    const index = await SearchIndex.load(gallery, embedder);
    const probes = new Map<DecisionStrategy, ScoredProbe[]>();
    try {
      for (const strategy of DECISION_STRATEGIES) {
        const scored: ScoredProbe[] = [];
        for (const [truth, list] of [[true, knownProbes], [false, strangerProbes]] as const) {
          for (const probe of list) {
            const answer = index.identify(probe.face!.embedding, { threshold, strategy, k: 1 });
            const shift = await held(probe.file, probe.face!.box) - threshold;
            // An empty gallery (nobody enrolled) answers nothing: below every threshold.
            scored.push({ truth: truth ? probe.person : null, best: answer.candidates[0]?.name ?? '', similarity: answer.similarity === null ? -Infinity : answer.similarity - shift });
          }
        }
        probes.set(strategy, scored);
      }
    } finally {
      index.close();
    }
    return { part, seed, known, strangers, enrolled, probes, images, noFace, multiFace, shortEnrolment };
  } finally {
    await gallery.close();
  }
}

const percent = (x: number | null) => (x === null ? null : Number((x * 100).toFixed(2)));

interface Row {
  system: string;
  part: string;
  strategy: DecisionStrategy;
  /** Splits pooled: probe counts are summed over them, people, faces and images are per split. */
  splits: number;
  people: number;
  known_people: number;
  strangers: number;
  enrolled_faces: number;
  known_probes: number;
  stranger_probes: number;
  /** Percentages 0-100 from here on. */
  rank1: number;
  threshold: number;
  far: number | null;
  dir: number;
  wrong_accept: number;
  far_target: number;
  threshold_at_far: number | null;
  far_reached: number | null;
  dir_at_far: number | null;
  images: number;
  no_face: number;
  no_face_enrol: number;
  no_face_known_probes: number;
  no_face_stranger_probes: number;
  no_face_policy: string;
  multi_face_images: number;
  face_choice: string;
  known_people_enrolled_short: number;
  sweep: { threshold: number; far: number | null; dir: number }[];
}

function rowOf(system: string, part: string, strategy: DecisionStrategy, runs: PartRun[], probes: ScoredProbe[], threshold: number, sweep: number[]): Row {
  const f: OpenSetFigures = openSetFigures(probes, threshold, TARGET_FAR);
  const splits = new Set(runs.map((r) => r.seed)).size;
  // Per split (the same in every split but for the split itself).
  const sum = (pick: (r: PartRun) => number) => Number((runs.reduce((total, r) => total + pick(r), 0) / splits).toFixed(1));
  const known = probes.filter((p) => p.truth !== null), strangers = probes.filter((p) => p.truth === null);
  return {
    system, part, strategy, splits,
    people: sum((r) => r.part.people.length),
    known_people: sum((r) => r.known.length),
    strangers: sum((r) => r.strangers.length),
    enrolled_faces: sum((r) => r.enrolled),
    known_probes: f.knownProbes,
    stranger_probes: f.strangerProbes,
    rank1: percent(f.rank1)!,
    threshold,
    far: percent(f.far),
    dir: percent(f.dir)!,
    wrong_accept: percent(f.wrongAccept)!,
    far_target: TARGET_FAR * 100,
    // Rounded up, so that the printed threshold accepts no more strangers than the exact one.
    threshold_at_far: f.farThreshold === null ? null : Math.ceil(f.farThreshold * 1e5) / 1e5,
    far_reached: percent(f.farReached),
    dir_at_far: percent(f.dirAtFar),
    images: sum((r) => r.images),
    no_face: sum((r) => r.noFace.enrol + r.noFace.knownProbes + r.noFace.strangers),
    no_face_enrol: sum((r) => r.noFace.enrol),
    no_face_known_probes: sum((r) => r.noFace.knownProbes),
    no_face_stranger_probes: sum((r) => r.noFace.strangers),
    no_face_policy: 'skipped and counted; an enrolment slot goes to the next image with a face',
    multi_face_images: sum((r) => r.multiFace),
    face_choice: [...new Set(runs.map((r) => r.part.faceChoice))].join('/'),
    known_people_enrolled_short: sum((r) => r.shortEnrolment),
    sweep: sweep.map((t) => ({ threshold: t, far: percent(farAt(strangers, t)), dir: percent(dirAt(known, t))! })),
  };
}

const pct = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}%`);

function printTables(rows: Row[], options: Options, thresholdNote: string, protocol: string, libraryStrategy: string | null): void {
  const first = rows[0]!;
  console.log(`Open-set identification, ${first.system} (Visage defaults: ${DEFAULTS.detector} detector, tiling ${DEFAULTS.tiling}, flip ${DEFAULTS.flip}).`);
  console.log(`${protocol}\nThreshold ${first.threshold} (${thresholdNote}); a probe is accepted as its best subject at or above it.\n`);
  for (const strategy of DECISION_STRATEGIES) {
    console.log(`Strategy ${strategy}${strategy === libraryStrategy ? " (the library's default strategy)" : ''}:\n`);
    console.log(`| part | people known + strangers | enrolled faces | known probes | stranger probes | rank-1 | FAR @ ${first.threshold} | DIR @ ${first.threshold} | threshold @ FAR 1% (FAR reached) | DIR @ FAR 1% | no face (enrol / known probe / stranger) | several faces |`);
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows.filter((row) => row.strategy === strategy)) {
      const atFar = r.threshold_at_far === null ? '-' : `${r.threshold_at_far.toFixed(5)} (${pct(r.far_reached)})`;
      console.log(`| ${r.part} | ${r.known_people} + ${r.strangers} | ${r.enrolled_faces} | ${r.known_probes} | ${r.stranger_probes} | ${pct(r.rank1)} | ${pct(r.far)} | ${pct(r.dir)} | ${atFar} | ${pct(r.dir_at_far)} | ${r.no_face} of ${r.images} (${r.no_face_enrol} / ${r.no_face_known_probes} / ${r.no_face_stranger_probes}) | ${r.multi_face_images} |`);
    }
    console.log('');
  }
  if (options.sweep.length) {
    console.log('Strangers accepted (FAR) / known probes accepted and right (DIR) at other thresholds:\n');
    console.log(`| strategy | part | ${options.sweep.map((t) => `FAR / DIR @ ${t}`).join(' | ')} |`);
    console.log(`|---|---|${options.sweep.map(() => '---|').join('')}`);
    for (const r of rows) console.log(`| ${r.strategy} | ${r.part} | ${r.sweep.map((s) => `${pct(s.far)} / ${pct(s.dir)}`).join(' | ')} |`);
    console.log('');
  }
  console.log('rank-1: known probes whose best subject is right, whatever the threshold (closed set).');
  console.log('FAR: stranger probes accepted as anyone. DIR: known probes accepted and right. threshold @ FAR 1%: the lowest at which at most 1% of the stranger probes are accepted (0 of them when there are fewer than 100).');
  console.log('overall: every part\'s probes pooled, each searched in its own part\'s gallery; its FAR 1% threshold is fitted on the pooled strangers.');
  const short = rows.filter((r) => r.part !== 'overall' && r.known_people_enrolled_short > 0 && r.strategy === DECISION_STRATEGIES[0]);
  for (const r of short) console.log(`${r.part}: ${r.known_people_enrolled_short} known people had fewer than ${options.enrol} images with a face to enrol.`);
}

async function main(): Promise<void> {
  const options = parseOptions();
  const embedder = DEFAULTS.embedders[0]!;
  const system = `visage-${embedder}${DEFAULTS.flip ? '-flip' : ''}`;
  const libraryStrategy = DEFAULT_STRATEGY;
  const threshold = options.threshold ?? defaultThreshold(embedder, DEFAULT_STRATEGY);
  // As the library does (Recognizer.identify), with no threshold given a grey probe image is held to
  // the grey threshold and a small face to a stricter one (thresholds.ts, SMALL_FACE_RISES): its
  // similarity is lowered by the gap between its own threshold and the colour one, so that one
  // threshold decides for every probe (the "threshold @ FAR 1%" columns are then on that shifted scale).
  const held: HeldTo = options.threshold !== undefined ? async () => threshold
    : async (file, box) => defaultThreshold(embedder, DEFAULT_STRATEGY, await isGreyFile(file), Math.min(box.width, box.height));
  const greyThreshold = defaultThreshold(embedder, DEFAULT_STRATEGY, true);
  const rises = SMALL_FACE_RISES[embedder as EmbedderId]?.identify;
  const thresholdNote = options.threshold !== undefined ? 'from --threshold'
    : `the library's default for ${embedder} with ${DEFAULT_STRATEGY}, src/face/match/thresholds.ts`
      + (greyThreshold !== threshold
        ? `; grey probe images are held to the grey threshold ${greyThreshold}, as the library holds them`
        : '')
      + (rises?.length
        ? `; faces under ${rises.at(-1)!.size} px to a stricter one (up to +${Math.max(...rises.map((r) => r.rise))} under ${rises[0]!.size} px, SMALL_FACE_RISES)`
        : '')
      + ' (their similarities are shown lowered by the gap)';
  log(`bench:openset: threshold ${threshold} (${thresholdNote})`);

  const parts: Part[] = [];
  for (const id of options.parts) parts.push(await loadPart(id, datasetsRoot).catch((error) => fail((error as Error).message)));
  const files = parts.flatMap((p) => p.people.flatMap((person) => person.images));
  log(`bench:openset: ${parts.map((p) => `${p.id} ${p.people.length} people / ${p.people.reduce((n, x) => n + x.images.length, 0)} images`).join(', ')}`);

  // The cache holds the default embedder's vectors (an ensemble's members, unweighted: see embeddingForm).
  const form = await embeddingForm();
  const pipeline = JSON.stringify({ config: { ...DEFAULTS, threads: null, modelDir: null }, stored: form.stored, converter: CONVERTER_VERSION, partialFace: PARTIAL_FACE.revision });
  const store = await FaceEmbeddings.open(datasetsRoot, pipeline, options.cache, log, form.fuse);
  let loaded = false;
  await store.embedAll(files, async () => {
    log(`bench:openset: loading the default pipeline (${system})...`);
    const analyzer = await createDefaultAnalyzer();
    loaded = true;
    return analyzer;
  }, (p) => {
    const left = p.embedded ? (p.seconds / p.embedded) * (p.total - p.done) : NaN;
    log(`  embedded ${p.done}/${p.total} images (${p.fromCache} from the cache), no face in ${p.noFace}, ${p.seconds.toFixed(0)} s so far, ~${left.toFixed(0)} s left`);
  });
  if (!loaded) log(`bench:openset: all ${files.length} images from the cache ${options.cache}`);

  const folder = await mkdtemp(path.join(os.tmpdir(), 'visage-openset-'));
  const runs: PartRun[] = [];
  try {
    for (let split = 0; split < options.splits; split++) {
      const seed = options.seed + split;
      for (const part of parts) {
        const run = await runPart(part, seed, store, options, embedder, threshold, folder, held);
        runs.push(run);
        log(`${part.id}, seed ${seed}: ${run.known.length} known (${run.enrolled} faces enrolled), ${run.strangers.length} strangers (${run.strangers.join(', ')})`);
      }
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }

  const rows: Row[] = [];
  for (const strategy of DECISION_STRATEGIES) {
    for (const part of parts) {
      const ofPart = runs.filter((r) => r.part === part);
      rows.push(rowOf(system, part.id, strategy, ofPart, ofPart.flatMap((r) => r.probes.get(strategy)!), threshold, options.sweep));
    }
    if (parts.length > 1) rows.push(rowOf(system, 'overall', strategy, runs, runs.flatMap((r) => r.probes.get(strategy)!), threshold, options.sweep));
  }
  const seeds = options.splits === 1 ? `seed ${options.seed}` : `seeds ${options.seed}..${options.seed + options.splits - 1} (${options.splits} splits, probes pooled)`;
  const protocol = `Per part, people split by ${seeds}: ${Math.round(options.strangers * 100)}% strangers (at least 2 unless 0), the rest known; `
    + `each known person enrols the first ${options.enrol} images with a face (natural sorted order) and is probed with the rest; every image of a stranger is a stranger probe. `
    + 'Images with no face are skipped and counted.';
  if (options.json) {
    console.log(JSON.stringify({
      protocol, seed: options.seed, splits: options.splits, stranger_fraction: options.strangers, enrol: options.enrol, threshold, threshold_source: thresholdNote, library_default_strategy: libraryStrategy,
      parts: runs.map((r) => ({ part: r.part.id, seed: r.seed, description: r.part.description, face_choice: r.part.faceChoice, strangers: r.strangers })),
      results: rows,
    }, null, 2));
    return;
  }
  printTables(rows, options, thresholdNote, protocol, libraryStrategy);
  console.log('\nParts:');
  for (const part of parts) {
    const strangers = options.splits === 1 ? `; strangers: ${runs.find((r) => r.part === part)!.strangers.join(', ')}` : ' (strangers of each split: --json)';
    console.log(`- ${part.id}: ${part.description}${strangers}`);
  }
}

main().catch((error) => fail((error as Error).stack ?? String(error)));
