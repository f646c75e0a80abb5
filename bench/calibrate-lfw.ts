// npm run calibrate:lfw [-- --far 0.001] [--embedder ID] [--grey] [--shrink F] [--cache FILE] [--json]
//
// Calibrates the default open-set threshold (src/face/match/thresholds.ts) on LFW View 1
// DevTrain, whose people are disjoint from DevTest's:
//   - known people: DevTrain people with at least 4 images; the first 3 (sorted, with a face) are
//     enrolled, the rest are known probes;
//   - strangers: every other DevTrain person (1 to 3 images each); each of their images is a
//     stranger probe, searched against the whole gallery;
//   - the threshold is the lowest at which at most --far of the stranger probes is accepted as
//     anyone (a stranger accepted as an enrolled person), per decision strategy.
// This is the false-accept rate a user of a gallery meets: one stranger's face compared with every
// enrolled face. The pair-based figure (FAR 0.1% of DevTrain's 1,100 different-person pairs, one
// comparison each) is printed beside it for reference; it is far looser, since a stranger searched
// against a gallery of ~380 faces has ~380 chances to look like someone.
// Faces: Visage's defaults (createVisage(); --embedder picks another embedder); LFW centres its subject, so the face nearest the
// image centre is the person's.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SearchIndex } from '../src/gallery/index.ts';
import { DECISION_STRATEGIES } from '../src/face/match/index.ts';
import { parsePairs, tarAtFar, type ScoredPair } from '../src/eval/index.ts';
import { cosine } from '../src/face/match/index.ts';
import { dataset } from '../test/helpers/datasets.ts';
import type { EmbedderId } from '../src/config.ts';
import { chooseFace, createDefaultAnalyzer, embeddingForm, FaceEmbeddings, type EmbeddedFace } from './openset/embed.ts';
import { openSetFigures, type ScoredProbe } from './openset/protocol.ts';

const USAGE = `usage: npm run calibrate:lfw -- [--far 0.001] [--embedder ID] [--grey] [--shrink F] [--cache FILE] [--json]
  --far F      false-accept rate of stranger probes to hold (default 0.001)
  --embedder   the embedder to calibrate (default: Visage's default, faceapi-recognition)
  --cache F    keep the embeddings in this file between runs (same pipeline only)
  --grey       turn every image grey first (the thresholds for grey probes: night-vision cameras, grey scans)
  --shrink F   resize every image by F first (0 < F <= 1; 0.5: half the width and height): smaller faces
  --json       {"results":[...]} on stdout`;

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { far: { type: 'string', default: '0.001' }, embedder: { type: 'string' }, cache: { type: 'string' }, grey: { type: 'boolean' }, shrink: { type: 'string', default: '1' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) { console.log(USAGE); return; }
  const far = Number(values.far);
  if (!(far > 0 && far < 1)) { log(`calibrate:lfw: --far must be between 0 and 1, got ${values.far}`); process.exit(2); }
  const root = dataset('lfw-view1');
  const pairsText = await readFile(path.join(root, 'pairsDevTrain.txt'), 'utf8').catch(() => {
    log(`calibrate:lfw: ${path.join(root, 'pairsDevTrain.txt')} not found (set VISAGE_DATASETS)`);
    process.exit(2);
  });
  const { pairs } = parsePairs(pairsText, 'pairsDevTrain.txt');
  const file = (name: string, n: number) => path.join(root, 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`);
  const byPerson = new Map<string, Set<number>>();
  for (const p of pairs) for (const i of [p.first, p.second]) (byPerson.get(i.name) ?? byPerson.set(i.name, new Set()).get(i.name)!).add(i.number);
  const people = [...byPerson.entries()].map(([name, numbers]) => ({ name, files: [...numbers].sort((a, b) => a - b).map((n) => file(name, n)) }));
  const files = people.flatMap((p) => p.files);

  const options = values.embedder ? { embedders: [values.embedder as EmbedderId] } : {};
  const grey = values.grey ?? false;
  const shrink = Number(values.shrink);
  if (!(shrink > 0 && shrink <= 1)) { log(`calibrate:lfw: --shrink must be above 0 and at most 1, got ${values.shrink}`); process.exit(2); }
  const makeAnalyzer = () => createDefaultAnalyzer(options, grey, shrink);
  // The cache holds the embedder's vectors (an ensemble's members, unweighted: see embeddingForm).
  const analyzer = await embeddingForm(options);
  const pipeline = `createVisage() defaults, embedder ${analyzer.embedder}, stored ${analyzer.stored}${grey ? ', images turned grey' : ''}${shrink !== 1 ? `, images shrunk by ${shrink}` : ''}`;
  const store = await FaceEmbeddings.open(dataset(), pipeline, values.cache, log, analyzer.fuse);
  log(`embedding ${files.length} DevTrain images of ${people.length} people...`);
  await store.embedAll(files, makeAnalyzer, (p) => log(`  ${p.done}/${p.total} (${p.fromCache} from cache, ${p.noFace} without a face) ${p.seconds.toFixed(0)} s`));
  const face = (f: string): EmbeddedFace | null => chooseFace(store.get(f), 'centre');

  // Pair-based reference: FAR over DevTrain's different-person pairs.
  const scored: ScoredPair[] = pairs.map((p) => {
    const a = face(file(p.first.name, p.first.number)), b = face(file(p.second.name, p.second.number));
    return { score: a && b ? cosine(a.embedding, b.embedding) : -Infinity, same: p.same };
  });
  const pairFar = tarAtFar(scored, far);

  const known = people.filter((p) => p.files.length >= 4);
  const strangers = people.filter((p) => p.files.length < 4);
  const index = SearchIndex.create(analyzer.embedder);
  const probes: { truth: string | null; embedding: Float32Array }[] = [];
  let faceId = 0, noFace = 0;
  known.forEach((person, subjectId) => {
    const withFace = person.files.map(face).filter((f): f is EmbeddedFace => f !== null);
    noFace += person.files.length - withFace.length;
    withFace.slice(0, 3).forEach((f) => index.add(++faceId, subjectId + 1, person.name, f.embedding));
    for (const f of withFace.slice(3)) probes.push({ truth: person.name, embedding: f.embedding });
  });
  for (const person of strangers) {
    for (const f of person.files.map(face)) {
      if (f) probes.push({ truth: null, embedding: f.embedding });
      else noFace++;
    }
  }
  const results = DECISION_STRATEGIES.map((strategy) => {
    const answers: ScoredProbe[] = probes.map((p) => {
      const best = index.searchSubjects(p.embedding, { k: 1, strategy })[0]!;
      return { truth: p.truth, best: best.name, similarity: best.similarity };
    });
    const figures = openSetFigures(answers, Number.NaN, far);
    return {
      strategy,
      threshold: figures.farThreshold,
      far_reached: figures.farReached,
      dir: figures.dirAtFar,
      rank1: figures.rank1,
      known_people: known.length,
      enrolled_faces: faceId,
      known_probes: figures.knownProbes,
      stranger_probes: figures.strangerProbes,
      images_without_face: noFace,
      pair_far_threshold: pairFar.threshold,
      pair_far_tar: pairFar.tar,
    };
  });
  index.close();
  if (values.json) {
    console.log(JSON.stringify({ far, embedder: analyzer.embedder, results }, null, 2));
    return;
  }
  const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);
  console.log(`Open-set calibration on LFW View 1 DevTrain${grey ? ' turned grey' : ''}${shrink !== 1 ? ` shrunk by ${shrink}` : ''} (${analyzer.embedder}, Visage defaults): ${known.length} known people (${faceId} faces enrolled), ${results[0]!.known_probes} known probes, ${results[0]!.stranger_probes} stranger probes; ${noFace} images without a face.\n`);
  console.log(`| strategy | threshold at stranger FAR ${pct(far)} | FAR reached | DIR there | rank-1 |`);
  console.log('|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.strategy} | ${r.threshold?.toFixed(4) ?? '-'} | ${pct(r.far_reached)} | ${pct(r.dir)} | ${pct(r.rank1)} |`);
  console.log(`\nFor reference, pair-based: FAR ${pct(far)} of DevTrain's different-person pairs is reached at ${pairFar.threshold.toFixed(4)} (TAR ${pct(pairFar.tar)}).`);
}

await main();
