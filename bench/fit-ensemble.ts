// npm run fit:ensemble -- [--members id,id,...] [--train-pairs FILE] [--pairs FILE] [--images DIR]
//                         [--limit N] [--cache FILE] [--json]
// Fits the ensembles of src/face/embed/ensemble.ts: for every set of two or more of --members that
// includes the ResNet (faceapi-recognition), the weights of the members' similarities, each member's
// similarity first normalised (z-score: its mean and standard deviation over the training pairs,
// same and different people together), so that a weight says how much a member is trusted, not how
// widely its cosines spread:
//   fused = sum_m v_m x (cos_m - mean_m) / sd_m,   v_m >= 0, sum v_m = 1.
// Every image of LFW View 1 (DevTrain and DevTest) is embedded once by Visage's own pipeline, the
// same as bench:lfw's visage-* systems (bench/lfw/visage.ts: the face nearest the centre, with and
// without flip); v runs over a grid (steps of 0.01 for two members, 0.05 for three or more) and the
// v of best DevTrain accuracy at DevTrain's best threshold is kept (ties: higher DevTrain AUC, then
// more weight on the ResNet). DevTest is only looked at to report the chosen weights' figures.
// The set chosen: best DevTrain accuracy (sets within one training pair of the best tie), then
// AUC, then fewer members (cheaper).
//
// The ensemble embedder concatenates sqrt(w_m) x e_m, so its cosine is sum_m w_m x cos_m: a z-score
// fusion is the same decision with w_m proportional to v_m / sd_m (the means only shift the
// threshold). The script prints those w_m, rounded to 3 decimals, and reports every figure with
// the rounded weights, exactly as the embedder will compute them.
// The weights are fitted with flip (Visage's default); the no-flip figures at the same weights are
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

const USAGE = `usage: npm run fit:ensemble -- [--members id,id,...] [--train-pairs FILE] [--pairs FILE] [--images DIR]
                            [--limit N] [--cache FILE] [--json]
  --members      model embedders that may join faceapi-recognition (default: faceplugin-feature,human-faceres)
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

/** Per pair: each member's cosine (embeddings are unit length), or null when a face is missing. */
interface PairCosines { cos: (number | null)[]; same: boolean }

function cosinesOf(pairs: Pair[], indexOf: Map<string, number>, lists: (Float32Array | null)[][]): PairCosines[] {
  return pairs.map((pair) => ({
    same: pair.same,
    cos: lists.map((list) => {
      const a = list[indexOf.get(imageKey(pair.first))!], b = list[indexOf.get(imageKey(pair.second))!];
      return a && b ? dot(a, b) : null;
    }),
  }));
}

/** Cosine weights: sum_m w_m x cos_m, as the ensemble embedding's cosine gives it; no face: -Infinity, as in bench:lfw. */
function fused(pairs: PairCosines[], w: readonly number[]): ScoredPair[] {
  return pairs.map((p) => {
    let score = 0;
    for (let m = 0; m < w.length; m++) {
      const c = p.cos[m];
      if (c === null || c === undefined) return { score: -Infinity, same: p.same };
      score += w[m]! * c;
    }
    return { score, same: p.same };
  });
}

/** Mean and standard deviation of each member's cosines over the training pairs that have both faces. */
function normalisation(train: PairCosines[], members: number): { mean: number[]; sd: number[] } {
  const mean: number[] = [], sd: number[] = [];
  for (let m = 0; m < members; m++) {
    const values = train.map((p) => p.cos[m]).filter((c): c is number => c !== null && c !== undefined);
    const mu = values.reduce((a, b) => a + b, 0) / values.length;
    mean.push(mu);
    sd.push(Math.sqrt(values.reduce((a, b) => a + (b - mu) ** 2, 0) / values.length));
  }
  return { mean, sd };
}

/** z-score weights v -> cosine weights w (w_m proportional to v_m / sd_m, summing to 1). */
function cosineWeights(v: readonly number[], sd: readonly number[]): number[] {
  const raw = v.map((x, m) => x / sd[m]!);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((x) => x / total);
}

/** Rounded to 3 decimals, the last absorbing the rounding so that they sum to exactly 1. */
function roundWeights(w: readonly number[]): number[] {
  const rounded = w.map((x) => round(x, 3));
  rounded[rounded.length - 1] = round(1 - rounded.slice(0, -1).reduce((a, b) => a + b, 0), 3);
  return rounded;
}

/** Every point of the simplex {v >= 0, sum v = 1} on a grid of `step`, the first member first. */
function simplex(members: number, step: number): number[][] {
  const units = Math.round(1 / step);
  const out: number[][] = [];
  const walk = (prefix: number[], left: number) => {
    if (prefix.length === members - 1) { out.push([...prefix, left].map((u) => round(u * step, 4))); return; }
    for (let u = left; u >= 0; u--) walk([...prefix, u], left - u);
  };
  walk([], units);
  return out;
}

interface Figures { accuracy: number; auc: number; tar_at_far_0_1: number; threshold: number }

/** Threshold fitted on train; accuracy, AUC and TAR@FAR0.1% on test (and train's own best accuracy). */
function evaluate(train: PairCosines[], test: PairCosines[], w: readonly number[]): { train: Figures; test: Figures } {
  const trainScores = fused(train, w), testScores = fused(test, w);
  const fit = bestThreshold(trainScores);
  const figures = (scores: ScoredPair[], accuracy: number): Figures => ({
    accuracy: round(accuracy * 100, 2), auc: round(auc(scores), 5), tar_at_far_0_1: round(tarAtFar(scores, TARGET_FAR).tar * 100, 2), threshold: round(fit.threshold, 6),
  });
  return { train: figures(trainScores, fit.accuracy), test: figures(testScores, accuracyAt(testScores, fit.threshold)) };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

interface SetFit {
  members: string[];
  /** z-score weights fitted (sum 1) and the members' training means and standard deviations. */
  z_weights: number[];
  mean: number[];
  sd: number[];
  /** The ensemble embedder's weights (cosine weights, 3 decimals, sum 1): what ensemble.ts holds. */
  weights: number[];
  /** Grid points of the same best DevTrain accuracy (before the AUC tie-break). */
  tied: number;
  flip: { train: Figures; test: Figures };
  no_flip: { train: Figures; test: Figures };
}

function fitSet(members: string[], train: PairCosines[], test: PairCosines[], trainNoFlip: PairCosines[], testNoFlip: PairCosines[]): SetFit {
  const { mean, sd } = normalisation(train, members.length);
  const grid = simplex(members.length, members.length === 2 ? 0.01 : 0.05).map((v) => {
    const scores = fused(train, cosineWeights(v, sd));
    return { v, accuracy: bestThreshold(scores).accuracy, auc: auc(scores) };
  });
  const bestAccuracy = Math.max(...grid.map((g) => g.accuracy));
  const tied = grid.filter((g) => g.accuracy === bestAccuracy);
  // Ties: higher AUC; then more weight on the ResNet (the first member).
  const chosen = tied.reduce((best, g) => (g.auc > best.auc || (g.auc === best.auc && g.v[0]! > best.v[0]!) ? g : best));
  const weights = roundWeights(cosineWeights(chosen.v, sd));
  return {
    members, z_weights: chosen.v, mean: mean.map((x) => round(x, 5)), sd: sd.map((x) => round(x, 5)), weights, tied: tied.length,
    flip: evaluate(train, test, weights),
    no_flip: evaluate(trainNoFlip, testNoFlip, weights),
  };
}

/** Every subset of `candidates` of one or more, each with BASE first. */
function memberSets(candidates: string[]): string[][] {
  const sets: string[][] = [];
  for (let mask = 1; mask < 1 << candidates.length; mask++) sets.push([BASE, ...candidates.filter((_, i) => mask & (1 << i))]);
  return sets;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        members: { type: 'string', default: 'faceplugin-feature,human-faceres' },
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
  const candidates = values.members.split(',').map((p) => p.trim()).filter((p) => p && p !== BASE);
  const { MODEL_EMBEDDERS } = await import('../src/face/embed/embedder.ts');
  for (const p of candidates) if (!(p in MODEL_EMBEDDERS)) fail(`--members: "${p}" is not a model embedder; known: ${Object.keys(MODEL_EMBEDDERS).join(', ')}`);
  if (candidates.length === 0 || candidates.length > 3) fail('--members takes one to three embedders besides faceapi-recognition');
  const trainFile = await readPairsFile(values['train-pairs'] ?? dataset('lfw-view1', 'pairsDevTrain.txt')).catch((error) => fail(error.message));
  const testFile = await readPairsFile(values.pairs ?? dataset('lfw-view1', 'pairsDevTest.txt')).catch((error) => fail(error.message));
  const trainPairs = limitPairs(trainFile.pairs, limit), testPairs = limitPairs(testFile.pairs, limit);
  const images = distinctImages([...trainPairs, ...testPairs]);
  const root = values.images ?? dataset('lfw-view1', 'images');
  const paths = images.map((image) => imagePath(root, image));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length) fail(`${missing.length} of ${paths.length} images not found under ${root}, e.g. ${missing.slice(0, 3).join(', ')}`);
  const indexOf = new Map(images.map((image, i) => [imageKey(image), i]));
  const members = [BASE, ...candidates];

  let embeddings: Embeddings | undefined;
  if (values.cache && existsSync(values.cache)) {
    const cached = v8.deserialize(await readFile(values.cache)) as { paths: string[]; embeddings: Embeddings };
    const sameImages = cached.paths.length === paths.length && cached.paths.every((p, i) => p === paths[i]);
    const missing = members.filter((m) => !cached.embeddings[m] || !cached.embeddings[`${m}-flip`]);
    if (sameImages && missing.length === 0) {
      embeddings = cached.embeddings;
      log(`fit:ensemble: embeddings read from ${values.cache}`);
    } else if (sameImages) {
      // Only the members the cache lacks are embedded (the same images, the same pipeline).
      log(`fit:ensemble: ${values.cache} lacks ${missing.join(', ')}; embedding those...`);
      embeddings = { ...cached.embeddings, ...await embedAll(paths, missing) };
      await writeFile(values.cache, v8.serialize({ paths, embeddings }));
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
  const cosines = (pairs: Pair[], set: string[], flip: boolean) =>
    cosinesOf(pairs, indexOf, set.map((m) => all[flip ? `${m}-flip` : m]!));
  const alone = (id: string) => {
    const set = [id];
    return evaluate(cosines(trainPairs, set, true), cosines(testPairs, set, true), [1]);
  };
  const fits = memberSets(candidates).map((set) => fitSet(set,
    cosines(trainPairs, set, true), cosines(testPairs, set, true), cosines(trainPairs, set, false), cosines(testPairs, set, false)));
  // The set that helps most (DevTest plays no part): the sets whose DevTrain accuracy is within one
  // training pair of the best count as tied (one pair is below what 2,200 pairs resolve, and every
  // member costs a network per face); among them the higher DevTrain AUC (it ranks all pairs, not
  // the few near the threshold), then fewer members.
  const onePair = 100 / trainPairs.length;
  const top = Math.max(...fits.map((f) => f.flip.train.accuracy));
  const chosen = fits.filter((f) => f.flip.train.accuracy >= top - onePair - 1e-9).reduce((best, f) => {
    const a = f.flip.train, b = best.flip.train;
    if (a.auc !== b.auc) return a.auc > b.auc ? f : best;
    return f.members.length < best.members.length ? f : best;
  });
  const singles = members.map((id) => ({ id, ...alone(id) }));

  if (values.json) {
    console.log(JSON.stringify({ train_pairs: trainPairs.length, test_pairs: testPairs.length, images: paths.length, chosen: { members: chosen.members, weights: chosen.weights }, singles, fits }, null, 2));
    return;
  }
  const line = (name: string, f: { train: Figures; test: Figures }) =>
    `| ${name} | ${f.train.accuracy.toFixed(2)}% | ${f.train.auc.toFixed(5)} | ${f.train.tar_at_far_0_1.toFixed(2)}% | ${f.test.accuracy.toFixed(2)}% | ${f.test.auc.toFixed(5)} | ${f.test.tar_at_far_0_1.toFixed(2)}% | ${f.test.threshold} |`;
  console.log(`Ensemble fit: z-scored member similarities weighted on a grid, fitted on ${trainPairs.length} training pairs; ${testPairs.length} test pairs; ${paths.length} images.\n`);
  console.log('| system | train accuracy | train AUC | train TAR@FAR0.1% | test accuracy | test AUC | test TAR@FAR0.1% | threshold (from train) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const single of singles) console.log(line(`${single.id} alone, flip`, single));
  for (const f of fits) {
    const name = f.members.map((m, i) => `${m} ${f.weights[i]}`).join(' + ');
    console.log(line(`${name}, flip`, f.flip));
    console.log(line(`${name}, no flip`, f.no_flip));
  }
  for (const f of fits) {
    console.log(`\n${f.members.join(' + ')}: z-score weights ${f.z_weights.join(' / ')} (${f.tied} grid point(s) tie on training accuracy); `
      + `training mean ${f.mean.join(' / ')}, sd ${f.sd.join(' / ')}; embedder weights ${f.weights.join(' / ')}`);
  }
  console.log(`\nChosen (best training accuracy within one training pair, then AUC, then fewer members): ${chosen.members.map((m, i) => `${m} ${chosen.weights[i]}`).join(', ')}.`);
}

main().catch((error) => fail((error as Error).stack ?? String(error)));
