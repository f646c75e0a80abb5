// npm run fit:ensemble -- [--partners id,id] [--train-pairs FILE] [--pairs FILE] [--images DIR]
//                         [--limit N] [--cache FILE] [--json]
// Fits the weights of the 'ensemble' embedder (src/face/embed/ensemble.ts): the ResNet
// (faceapi-recognition) and one partner, fused similarity = w x cos_resnet + (1 - w) x cos_partner.
// Every image of LFW View 1 (DevTrain and DevTest) is embedded once by Visage's own pipeline, the
// same as bench:lfw's visage-* systems (bench/lfw/visage.ts: the face nearest the centre, with and
// without flip); then, for each partner, w runs over a grid of 0..1 in steps of 0.01 and keeps the
// w of best DevTrain accuracy at DevTrain's best threshold (ties: higher DevTrain AUC, then the
// larger w, i.e. more of the ResNet). DevTest is only looked at to report the chosen w's figures.
// The weights are fitted with flip (Visage's default); the no-flip figures at the same w are
// printed beside them.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import {
  accuracyAt, auc, bestThreshold, distinctImages, imageKey, imagePath, readPairsFile, tarAtFar,
  type Pair, type ScoredPair,
} from '../src/eval/index.ts';
import { dataset } from '../test/helpers/datasets.ts';
import { loadVisagePass } from './lfw/visage.ts';

const USAGE = `usage: npm run fit:ensemble -- [--partners id,id] [--train-pairs FILE] [--pairs FILE] [--images DIR]
                            [--limit N] [--cache FILE] [--json]
  --partners     embedders tried beside faceapi-recognition (default: human-faceres,human-mobileface)
  --train-pairs  pairs the weight and threshold are fitted on (default: lfw-view1/pairsDevTrain.txt)
  --pairs        pairs reported with the fitted weight (default: lfw-view1/pairsDevTest.txt)
  --images       LFW image root (default: lfw-view1/images)
  --limit N      only the first N same-person and N different-person pairs of each file
  --cache FILE   embeddings: read from FILE if it exists (same images and embedders), else written to it
  --json         the fit as JSON on stdout instead of the summary`;

const BASE = 'faceapi-recognition';
const STEP = 0.01;
const TARGET_FAR = 0.001;

const log = (line: string) => process.stderr.write(`${line}\n`);

function fail(message: string): never {
  log(`fit:ensemble: ${message}`);
  process.exit(2);
}

/** Member id (with '-flip' for flip) -> one embedding per image (null: no face). */
type Embeddings = Record<string, (Float32Array | null)[]>;

function limitPairs(pairs: readonly Pair[], limit: number | undefined): Pair[] {
  if (limit === undefined) return [...pairs];
  const taken = new Map<boolean, number>();
  return pairs.filter((pair) => {
    const count = taken.get(pair.same) ?? 0;
    taken.set(pair.same, count + 1);
    return count < limit;
  });
}

async function embedAll(paths: string[], members: string[]): Promise<Embeddings> {
  const ids = members.flatMap((m) => [`visage-${m}`, `visage-${m}-flip`]);
  const keys = members.flatMap((m) => [m, `${m}-flip`]);
  const pass = await loadVisagePass(ids);
  const out: Embeddings = Object.fromEntries(keys.map((k) => [k, new Array(paths.length).fill(null)]));
  const started = performance.now();
  let lastReport = started, noFace = 0;
  try {
    for (let i = 0; i < paths.length; i++) {
      const outcomes = await pass.embed(paths[i]!);
      outcomes.forEach((outcome, k) => { out[keys[k]!]![i] = outcome.embedding; });
      if (outcomes[0]!.noFace) noFace++;
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        const elapsed = (lastReport - started) / 1000;
        log(`  ${i + 1}/${paths.length} images, no face in ${noFace}, ${elapsed.toFixed(0)} s so far, ~${((elapsed / (i + 1)) * (paths.length - i - 1)).toFixed(0)} s left`);
      }
    }
  } finally {
    await pass.close();
  }
  log(`embedded ${paths.length} images in ${((performance.now() - started) / 1000).toFixed(0)} s; no face in ${noFace}`);
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Per pair: the cosines of the two members (embeddings are unit length), or null when a face is missing. */
interface MemberCosines { base: number | null; partner: number | null; same: boolean }

function cosinesOf(pairs: Pair[], indexOf: Map<string, number>, base: (Float32Array | null)[], partner: (Float32Array | null)[]): MemberCosines[] {
  const cos = (list: (Float32Array | null)[], pair: Pair) => {
    const a = list[indexOf.get(imageKey(pair.first))!], b = list[indexOf.get(imageKey(pair.second))!];
    return a && b ? dot(a, b) : null;
  };
  return pairs.map((pair) => ({ base: cos(base, pair), partner: cos(partner, pair), same: pair.same }));
}

/** The fused score, as the cosine of two ensemble embeddings gives it; no face: -Infinity, as in bench:lfw. */
function fused(pairs: MemberCosines[], w: number): ScoredPair[] {
  return pairs.map((p) => ({ score: p.base === null || p.partner === null ? -Infinity : w * p.base + (1 - w) * p.partner, same: p.same }));
}

interface Figures { accuracy: number; auc: number; tar_at_far_0_1: number; threshold: number }

/** Threshold fitted on train; accuracy, AUC and TAR@FAR0.1% on test (and train's own best accuracy). */
function evaluate(train: MemberCosines[], test: MemberCosines[], w: number): { train: Figures; test: Figures } {
  const trainScores = fused(train, w), testScores = fused(test, w);
  const fit = bestThreshold(trainScores);
  const figures = (scores: ScoredPair[], accuracy: number): Figures => ({
    accuracy: round(accuracy * 100, 2), auc: round(auc(scores), 5), tar_at_far_0_1: round(tarAtFar(scores, TARGET_FAR).tar * 100, 2), threshold: round(fit.threshold, 6),
  });
  return { train: figures(trainScores, fit.accuracy), test: figures(testScores, accuracyAt(testScores, fit.threshold)) };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

interface PartnerFit {
  partner: string;
  /** Weight of the ResNet; the partner's is 1 - weight. */
  weight: number;
  /** Grid points of the same best DevTrain accuracy (before the AUC tie-break). */
  best_accuracy_range: [number, number];
  /** DevTrain accuracy (at its best threshold) and AUC along the grid, every 0.1. */
  curve: { w: number; train_accuracy: number; train_auc: number }[];
  /** The same, every 0.01 within 0.05 of the fitted w. */
  curve_near: { w: number; train_accuracy: number; train_auc: number }[];
  flip: { train: Figures; test: Figures };
  no_flip: { train: Figures; test: Figures };
  /** The ResNet alone (w = 1) and the partner alone (w = 0), with flip. */
  base_alone: { train: Figures; test: Figures };
  partner_alone: { train: Figures; test: Figures };
}

function fitPartner(partner: string, train: MemberCosines[], test: MemberCosines[], trainNoFlip: MemberCosines[], testNoFlip: MemberCosines[]): PartnerFit {
  const steps = Math.round(1 / STEP);
  const grid = Array.from({ length: steps + 1 }, (_, i) => {
    const w = round(i * STEP, 2);
    const scores = fused(train, w);
    return { w, accuracy: bestThreshold(scores).accuracy, auc: auc(scores) };
  });
  const bestAccuracy = Math.max(...grid.map((g) => g.accuracy));
  const tied = grid.filter((g) => g.accuracy === bestAccuracy);
  // Ties: higher AUC; then the larger w (the later one in the grid).
  const chosen = tied.reduce((best, g) => (g.auc >= best.auc ? g : best));
  const point = (g: (typeof grid)[number]) => ({ w: g.w, train_accuracy: round(g.accuracy * 100, 2), train_auc: round(g.auc, 5) });
  return {
    partner,
    weight: chosen.w,
    best_accuracy_range: [tied[0]!.w, tied[tied.length - 1]!.w],
    curve: grid.filter((_, i) => i % 10 === 0).map(point),
    curve_near: grid.filter((g) => Math.abs(g.w - chosen.w) <= 0.05 + 1e-9).map(point),
    flip: evaluate(train, test, chosen.w),
    no_flip: evaluate(trainNoFlip, testNoFlip, chosen.w),
    base_alone: evaluate(train, test, 1),
    partner_alone: evaluate(train, test, 0),
  };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        partners: { type: 'string', default: 'human-faceres,human-mobileface' },
        'train-pairs': { type: 'string' },
        pairs: { type: 'string' },
        images: { type: 'string' },
        limit: { type: 'string' },
        cache: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) { console.log(USAGE); return; }
  if (values.limit !== undefined && !/^[1-9]\d*$/.test(values.limit)) fail(`--limit must be a positive whole number, got "${values.limit}"`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const partners = values.partners.split(',').map((p) => p.trim()).filter(Boolean);
  const { MODEL_EMBEDDERS } = await import('../src/face/embed/embedder.ts');
  for (const p of partners) if (!(p in MODEL_EMBEDDERS) || p === BASE) fail(`--partners: "${p}" is not an embedder to pair with ${BASE}; known: ${Object.keys(MODEL_EMBEDDERS).filter((id) => id !== BASE).join(', ')}`);
  const trainFile = await readPairsFile(values['train-pairs'] ?? dataset('lfw-view1', 'pairsDevTrain.txt')).catch((error) => fail(error.message));
  const testFile = await readPairsFile(values.pairs ?? dataset('lfw-view1', 'pairsDevTest.txt')).catch((error) => fail(error.message));
  const trainPairs = limitPairs(trainFile.pairs, limit), testPairs = limitPairs(testFile.pairs, limit);
  const images = distinctImages([...trainPairs, ...testPairs]);
  const root = values.images ?? dataset('lfw-view1', 'images');
  const paths = images.map((image) => imagePath(root, image));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length) fail(`${missing.length} of ${paths.length} images not found under ${root}, e.g. ${missing.slice(0, 3).join(', ')}`);
  const indexOf = new Map(images.map((image, i) => [imageKey(image), i]));
  const members = [BASE, ...partners];

  let embeddings: Embeddings | undefined;
  if (values.cache && existsSync(values.cache)) {
    const cached = v8.deserialize(await readFile(values.cache)) as { paths: string[]; embeddings: Embeddings };
    const sameImages = cached.paths.length === paths.length && cached.paths.every((p, i) => p === paths[i]);
    if (sameImages && members.every((m) => cached.embeddings[m] && cached.embeddings[`${m}-flip`])) {
      embeddings = cached.embeddings;
      log(`fit:ensemble: embeddings read from ${values.cache}`);
    } else {
      log(`fit:ensemble: ${values.cache} holds other images or embedders; embedding again`);
    }
  }
  if (!embeddings) {
    log(`fit:ensemble: embedding ${paths.length} images (${trainPairs.length} training and ${testPairs.length} test pairs) with ${members.join(', ')}, with and without flip...`);
    embeddings = await embedAll(paths, members);
    if (values.cache) await writeFile(values.cache, v8.serialize({ paths, embeddings }));
  }

  const all = embeddings;
  const cosines = (pairs: Pair[], partner: string, flip: boolean) =>
    cosinesOf(pairs, indexOf, all[flip ? `${BASE}-flip` : BASE]!, all[flip ? `${partner}-flip` : partner]!);
  const fits = partners.map((partner) => fitPartner(partner,
    cosines(trainPairs, partner, true), cosines(testPairs, partner, true), cosines(trainPairs, partner, false), cosines(testPairs, partner, false)));
  // The partner that helps most: best fitted DevTrain accuracy, then AUC (DevTest plays no part).
  const chosen = fits.reduce((best, f) => (f.flip.train.accuracy > best.flip.train.accuracy
    || (f.flip.train.accuracy === best.flip.train.accuracy && f.flip.train.auc > best.flip.train.auc) ? f : best));

  if (values.json) {
    console.log(JSON.stringify({ train_pairs: trainPairs.length, test_pairs: testPairs.length, images: paths.length, grid_step: STEP, chosen: { partner: chosen.partner, weight: chosen.weight }, fits }, null, 2));
    return;
  }
  const line = (name: string, f: { train: Figures; test: Figures }) =>
    `| ${name} | ${f.train.accuracy.toFixed(2)}% | ${f.train.auc.toFixed(5)} | ${f.train.tar_at_far_0_1.toFixed(2)}% | ${f.test.accuracy.toFixed(2)}% | ${f.test.auc.toFixed(5)} | ${f.test.tar_at_far_0_1.toFixed(2)}% | ${f.test.threshold} |`;
  console.log(`Ensemble fit: w x cos(${BASE}) + (1 - w) x cos(partner), w on a grid of step ${STEP}, fitted on ${trainPairs.length} training pairs; ${testPairs.length} test pairs; ${paths.length} images.\n`);
  console.log('| system | train accuracy | train AUC | train TAR@FAR0.1% | test accuracy | test AUC | test TAR@FAR0.1% | threshold (from train) |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(line(`${BASE} alone, flip`, fits[0]!.base_alone));
  for (const f of fits) {
    console.log(line(`${f.partner} alone, flip`, f.partner_alone));
    console.log(line(`ensemble with ${f.partner}, w = ${f.weight}, flip`, f.flip));
    console.log(line(`ensemble with ${f.partner}, w = ${f.weight}, no flip`, f.no_flip));
  }
  for (const f of fits) {
    console.log(`\n${f.partner}: fitted w = ${f.weight} (${BASE}), ${round(1 - f.weight, 2)} (${f.partner}); the best training accuracy is reached from w = ${f.best_accuracy_range.join(' to ')}`);
    console.log(`  training accuracy along w: ${f.curve.map((c) => `${c.w.toFixed(1)}: ${c.train_accuracy.toFixed(2)}%`).join(', ')}`);
    console.log(`  training AUC along w:      ${f.curve.map((c) => `${c.w.toFixed(1)}: ${c.train_auc.toFixed(4)}`).join(', ')}`);
    console.log(`  near the fit:              ${f.curve_near.map((c) => `${c.w.toFixed(2)}: ${c.train_accuracy.toFixed(2)}% (AUC ${c.train_auc.toFixed(5)})`).join(', ')}`);
  }
  console.log(`\nChosen (best training accuracy, then AUC): ${chosen.partner}, weights ${BASE} ${chosen.weight}, ${chosen.partner} ${round(1 - chosen.weight, 2)}.`);
}

main().catch((error) => fail((error as Error).stack ?? String(error)));
