// node --import tsx bench/mtcnn-points.ts [--embedders a,b] [--limit N] [--json]
//
// Which five points should align MTCNN's faces: its own (O-Net's), or those Visage takes from the
// 68-point landmark model run in the detected box (what the pipeline does for every detector)?
// LFW View 1 (../shared/datasets/lfw-view1): createVisage({ detector: 'mtcnn', embedders }), the
// detected face nearest the image centre; each image analysed twice with that face given
// (analyze's `faces` option): once with its box only (the 68-point model finds the points), once
// with MTCNN's five points. Threshold fitted on pairsDevTrain, accuracy on pairsDevTest, cosine,
// flip as createVisage's default. Also the median distance between the two sources' points, as a
// share of the distance between the eyes. --limit N: the first N pairs of each kind and file.
import { parseArgs } from 'node:util';
import { createVisage } from '../src/visage.ts';
import { distinctImages, imageKey, imagePath, readPairsFile, trainTest, type Pair, type ScoredPair } from '../src/eval/index.ts';
import type { FivePoints, Point } from '../src/types.ts';
import { dataset } from '../test/helpers/datasets.ts';

const { values } = parseArgs({ options: { embedders: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean', default: false } } });
const embedders = (values.embedders ?? 'faceapi-recognition').split(',').map((s) => s.trim()).filter(Boolean);
const limit = values.limit ? Number(values.limit) : Infinity;
const root = dataset('lfw-view1');
const log = (line: string) => process.stderr.write(`${line}\n`);

function take(pairs: readonly Pair[]): Pair[] {
  if (!Number.isFinite(limit)) return [...pairs];
  return [...pairs.filter((p) => p.same).slice(0, limit), ...pairs.filter((p) => !p.same).slice(0, limit)];
}
const train = take((await readPairsFile(`${root}/pairsDevTrain.txt`)).pairs);
const test = take((await readPairsFile(`${root}/pairsDevTest.txt`)).pairs);
const images = distinctImages([...train, ...test]);

const SOURCES = ['landmarks68', 'mtcnn'] as const;
type Source = typeof SOURCES[number];
const visage = await createVisage({ detector: 'mtcnn', embedders: embedders as never });
const embeddings = new Map<string, Record<Source, Record<string, number[]>> | null>();
const distances: number[] = [];
const toFive = (k: Point[]): FivePoints => ({ leftEye: k[0]!, rightEye: k[1]!, nose: k[2]!, mouthLeft: k[3]!, mouthRight: k[4]! });
const started = performance.now();
for (const [i, image] of images.entries()) {
  const file = imagePath(`${root}/images`, image);
  const { width, height, faces } = await visage.detect(file);
  let face: (typeof faces)[number] | undefined, best = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
    if (d < best) { best = d; face = f; }
  }
  if (!face?.keypoints) { embeddings.set(imageKey(image), null); continue; }
  const five = toFive(face.keypoints);
  const [a, b] = [await visage.analyze(file, { faces: [{ box: face.box }] }), await visage.analyze(file, { faces: [{ box: face.box, five }] })];
  embeddings.set(imageKey(image), { landmarks68: a.faces[0]!.embeddings, mtcnn: b.faces[0]!.embeddings });
  const other = a.faces[0]!.landmarks.five;
  const eyes = Math.hypot(five.rightEye.x - five.leftEye.x, five.rightEye.y - five.leftEye.y);
  for (const k of Object.keys(five) as (keyof FivePoints)[]) distances.push(Math.hypot(five[k].x - other[k].x, five[k].y - other[k].y) / eyes);
  if ((i + 1) % 250 === 0) log(`  ${i + 1}/${images.length} images`);
}
const seconds = (performance.now() - started) / 1000;
await visage.close();

const cosine = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);
function scored(pairs: readonly Pair[], source: Source, embedder: string): ScoredPair[] {
  return pairs.map((p) => {
    const a = embeddings.get(imageKey(p.first)), b = embeddings.get(imageKey(p.second));
    return { same: p.same, score: a && b ? cosine(a[source][embedder]!, b[source][embedder]!) : -Infinity };
  });
}
const sorted = [...distances].sort((x, y) => x - y);
const noFace = [...embeddings.values()].filter((e) => e === null).length;
const rows = embedders.flatMap((embedder) => SOURCES.map((source) => {
  const r = trainTest(scored(train, source, embedder), scored(test, source, embedder));
  return { embedder, points: source, accuracy: Math.round(r.accuracy * 1000) / 10, threshold: Math.round(r.threshold * 1000) / 1000 };
}));
if (values.json) console.log(JSON.stringify({ images: images.length, noFace, medianPointDistance: sorted[sorted.length >> 1], rows }, null, 2));
else {
  console.log(`LFW View 1 (${train.length} DevTrain / ${test.length} DevTest pairs, ${images.length} images), detector mtcnn; ${noFace} images without a face; ${seconds.toFixed(0)} s.`);
  console.log(`Median distance between MTCNN's points and the 68-point model's five: ${(100 * sorted[sorted.length >> 1]!).toFixed(1)}% of the eye distance.\n`);
  console.log('| embedder | five points from | DevTest accuracy | threshold (DevTrain) |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.embedder} | ${r.points === 'mtcnn' ? "MTCNN's O-Net" : '68-point model in the MTCNN box'} | ${r.accuracy}% | ${r.threshold} |`);
}
