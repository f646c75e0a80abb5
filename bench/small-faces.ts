// npm run calibrate:small-faces -- [--every 3] [--shrink 0.35,0.5] [--cache-dir DIR] [--json]
//
// Fits the small-face rises of the default thresholds (src/face/match/thresholds.ts,
// SMALL_FACE_RISES) on LFW View 1 DevTrain only (people disjoint from DevTest; never on a part
// bench:openset reports). Every --every-th DevTrain image (in calibrate:lfw's order) is embedded
// by Visage's default pipeline as it is, and again with the image resized by each --shrink factor
// (a face further from the camera: a smaller box, upsampled to the embedder's chip), in colour
// and turned grey. Per condition: the similarities of every pair of images of two different
// people (the face nearest the centre), their tail (p99 / p99.9 / p99.99), and the face sizes
// (FaceQuality.size: the box's shorter side). The rise of a condition is how far its tail moved
// against the full-size images of the same colour, at the stranger rate each default holds:
// identify thresholds at p99.99 of the pairs (they sit deep in the tail: a stranger is compared
// with every enrolled person), pair thresholds at p99.9 (FAR 0.1% of pairs). It is fitted at the
// condition's median face size. The caches (--cache-dir) are calibrate:lfw's own format
// (`--cache DIR/dt-grey-s035.json` for `--grey --shrink 0.35` reuses the same file).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parsePairs } from '../src/eval/index.ts';
import { dataset } from '../test/helpers/datasets.ts';
import { chooseFace, createDefaultAnalyzer, embeddingForm, FaceEmbeddings } from './openset/embed.ts';

const USAGE = `usage: npm run calibrate:small-faces -- [--every N] [--shrink F,F] [--cache-dir DIR] [--json]
  --every N      every Nth DevTrain image (default 3: 1,148 of 3,443 images, ~650k different-person pairs)
  --shrink F,F   the smaller sizes, as factors of the image's width and height (default 0.35,0.5)
  --cache-dir D  keep each condition's embeddings in D/dt-<condition>.json (calibrate:lfw's format)
  --json         {"conditions":[...],"rises":[...]} on stdout`;

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Condition { name: string; grey: boolean; shrink: number }
const conditionName = (grey: boolean, shrink: number) => `${grey ? 'grey' : 'colour'}${shrink === 1 ? '' : `-s${String(shrink).replace('.', '')}`}`;

async function devTrainFiles(): Promise<string[]> {
  const root = dataset('lfw-view1');
  const text = await readFile(path.join(root, 'pairsDevTrain.txt'), 'utf8').catch(() => {
    log(`calibrate:small-faces: ${path.join(root, 'pairsDevTrain.txt')} not found (set VISAGE_DATASETS)`);
    process.exit(2);
  });
  const { pairs } = parsePairs(text, 'pairsDevTrain.txt');
  const file = (name: string, n: number) => path.join(root, 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`);
  const byPerson = new Map<string, Set<number>>();
  for (const p of pairs) for (const i of [p.first, p.second]) (byPerson.get(i.name) ?? byPerson.set(i.name, new Set()).get(i.name)!).add(i.number);
  return [...byPerson.entries()].flatMap(([name, numbers]) => [...numbers].sort((a, b) => a - b).map((n) => file(name, n)));
}

interface Tail { condition: string; grey: boolean; shrink: number; faces: number; images: number; sizeMedian: number; sizeP10: number; sizeP90: number; pairs: number; p99: number; p999: number; p9999: number; max: number }

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(condition: Condition, files: string[], cacheDir: string | undefined): Promise<Tail> {
  const form = await embeddingForm();
  // The same description as calibrate:lfw's, so that either script reuses the other's cache.
  const pipeline = `createVisage() defaults, embedder ${form.embedder}, stored ${form.stored}${condition.grey ? ', images turned grey' : ''}${condition.shrink !== 1 ? `, images shrunk by ${condition.shrink}` : ''}`;
  const store = await FaceEmbeddings.open(dataset(), pipeline, cacheDir && path.join(cacheDir, `dt-${condition.name}.json`), log, form.fuse);
  await store.embedAll(files, () => createDefaultAnalyzer({}, condition.grey, condition.shrink),
    (p) => log(`  ${condition.name}: ${p.done}/${p.total} (${p.fromCache} from the cache) ${p.seconds.toFixed(0)} s`));
  const faces = files.map((file) => ({ person: path.basename(path.dirname(file)), face: chooseFace(store.get(file), 'centre') }))
    .filter((x) => x.face !== null);
  const sizes = faces.map((x) => Math.min(x.face!.box.width, x.face!.box.height)).sort((a, b) => a - b);
  const scores: number[] = [];
  for (let i = 0; i < faces.length; i++) {
    const a = faces[i]!.face!.embedding;
    for (let j = i + 1; j < faces.length; j++) {
      if (faces[j]!.person === faces[i]!.person) continue;
      const b = faces[j]!.face!.embedding;
      let dot = 0;
      for (let k = 0; k < a.length; k++) dot += a[k]! * b[k]!;
      scores.push(dot);
    }
  }
  const sorted = Float64Array.from(scores).sort();
  const at = (q: number) => sizes[Math.floor(q * sizes.length)]!;
  return {
    condition: condition.name, grey: condition.grey, shrink: condition.shrink, faces: faces.length, images: files.length,
    sizeMedian: at(0.5), sizeP10: at(0.1), sizeP90: at(0.9), pairs: scores.length,
    p99: quantile(sorted, 0.99), p999: quantile(sorted, 0.999), p9999: quantile(sorted, 0.9999), max: sorted.at(-1)!,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { every: { type: 'string', default: '3' }, shrink: { type: 'string', default: '0.35,0.5' }, 'cache-dir': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) { console.log(USAGE); return; }
  const every = Number(values.every);
  if (!(Number.isInteger(every) && every >= 1)) { log(`calibrate:small-faces: --every must be a whole number >= 1, got ${values.every}`); process.exit(2); }
  const shrinks = values.shrink.split(',').map(Number);
  if (!shrinks.every((s) => s > 0 && s < 1)) { log(`calibrate:small-faces: --shrink takes factors above 0 and below 1, got ${values.shrink}`); process.exit(2); }
  const cacheDir = values['cache-dir'];
  if (cacheDir) await mkdir(cacheDir, { recursive: true });
  const files = (await devTrainFiles()).filter((_, i) => i % every === 0);
  const tails: Tail[] = [];
  for (const grey of [false, true]) {
    for (const shrink of [1, ...shrinks]) {
      const started = process.cpuUsage();
      tails.push(await measure({ name: conditionName(grey, shrink), grey, shrink }, files, cacheDir));
      const cpu = process.cpuUsage(started);
      log(`calibrate:small-faces: ${conditionName(grey, shrink)} measured, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s of CPU`);
    }
  }
  const rises = tails.filter((t) => t.shrink !== 1).map((t) => {
    const full = tails.find((f) => f.grey === t.grey && f.shrink === 1)!;
    return { condition: t.condition, grey: t.grey, size: t.sizeMedian, identify: t.p9999 - full.p9999, pair: t.p999 - full.p999 };
  });
  if (values.json) { console.log(JSON.stringify({ every, images: files.length, conditions: tails, rises }, null, 2)); return; }
  const f4 = (x: number) => x.toFixed(4);
  console.log(`Different-person similarities on LFW View 1 DevTrain (every ${every}th image: ${files.length}), Visage's default pipeline, the face nearest the centre:\n`);
  console.log('| condition | faces | face size median (p10-p90), px | different-person pairs | p99 | p99.9 | p99.99 | max |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const t of tails) console.log(`| ${t.condition} | ${t.faces} of ${t.images} | ${t.sizeMedian.toFixed(0)} (${t.sizeP10.toFixed(0)}-${t.sizeP90.toFixed(0)}) | ${t.pairs} | ${f4(t.p99)} | ${f4(t.p999)} | ${f4(t.p9999)} | ${f4(t.max)} |`);
  console.log('\nRises against the full-size images of the same colour (identify: p99.99; pair: p99.9), at the median face size:\n');
  console.log('| condition | face size | identify rise | pair rise |');
  console.log('|---|---|---|---|');
  for (const r of rises) console.log(`| ${r.condition} | ${r.size.toFixed(0)} | ${r.identify >= 0 ? '+' : ''}${f4(r.identify)} | ${r.pair >= 0 ? '+' : ''}${f4(r.pair)} |`);
  // SMALL_FACE_RISES: per shrink factor, the stricter of colour and grey at the smaller of their
  // median sizes; none from the full-size faces' p10 up; a smaller face never held to less.
  const points = shrinks.map((shrink) => {
    const of = rises.filter((r) => tails.find((t) => t.condition === r.condition)!.shrink === shrink);
    return { size: Math.round(Math.min(...of.map((r) => r.size))), identify: Math.max(0, ...of.map((r) => r.identify)), pair: Math.max(0, ...of.map((r) => r.pair)) };
  }).sort((a, b) => a.size - b.size);
  for (let i = points.length - 2; i >= 0; i--) for (const k of ['identify', 'pair'] as const) points[i]![k] = Math.max(points[i]![k], points[i + 1]![k]);
  const zero = Math.round(Math.min(...tails.filter((t) => t.shrink === 1).map((t) => t.sizeP10)));
  const list = (k: 'identify' | 'pair') => [...points.map((p) => `{ size: ${p.size}, rise: ${p[k].toFixed(4)} }`), `{ size: ${zero}, rise: 0 }`].join(', ');
  console.log(`\nSMALL_FACE_RISES points: identify [${list('identify')}], pair [${list('pair')}]`);
}

await main();
