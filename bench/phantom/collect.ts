// Collects, for every detection of the default detector (BlazeFace, tiling 'auto') on WIDER dev,
// celeb5 and media, what each candidate face check would look at: the 68 landmarks (and those
// found on the mirrored image, mapped back), the detector's keypoints, the face-api ResNet
// descriptor's raw norm (crop and mirror) and the pipeline's embedding. Written as JSON for
// bench/phantom.ts. Timings of each stage per image are kept too. WIDER images are shrunk to a
// longer side of 1024 px as in bench/wider.ts; celeb5 and media are used as decoded.
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { Engine } from '../../src/runtime/engine.ts';
import { loadImage } from '../../src/face/image/decode.ts';
import { resizeTo } from '../../src/face/image/transform.ts';
import { createDetector } from '../../src/face/detect/index.ts';
import { FaceLandmarks68 } from '../../src/face/landmarks/faceapi68.ts';
import { fivePointsFrom68 } from '../../src/face/align/index.ts';
import { ModelEmbedder, l2normalise, mirror } from '../../src/face/embed/embedder.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { pixelsToInput } from '../../src/models/input.ts';
import type { Box, Point, RgbImage } from '../../src/types.ts';
import { dataset } from '../../test/helpers/datasets.ts';
import { FaceScorer, type Framing } from '../../src/face/quality/face-score.ts';
import { passesOnetCheck } from '../../src/face/quality/face-check.ts';
import { readWiderGroundTruth, type GroundTruthFace } from '../wider-eval.ts';

const MAX_SIDE = 1024;
/**
 * The framings of the detector's box that MTCNN's O-Net and R-Net score (src/face/quality/face-score.ts):
 * the first CORE_FRAMINGS on every detection, the others (and the mirrored O-Net, and R-Net) on
 * detections scoring at least EXPLORE_MIN_SCORE only (WIDER's images have hundreds of weak ones).
 */
export const FRAMINGS: readonly Framing[] = Object.freeze([
  ...[1.0, 1.1, 0.9, 1.25].map((scale) => ({ scale, shiftY: 0 })),
  { scale: 1.1, shiftY: -0.08 }, { scale: 1.1, shiftY: 0.08 },
]);
export const CORE_FRAMINGS = 2;
const EXPLORE_MIN_SCORE = 0.3;
const EMBED_MIN_SCORE = 0.3;
const DEFAULT_SCORE = 0.5;
const log = (line: string) => process.stderr.write(`${line}\n`);

export interface CollectedFace {
  box: Box; score: number; keypoints?: Point[];
  /** The 68 landmarks and their mirrored fit (absent below the collection's landmarksMinScore). */
  points68?: Point[]; mirrored68?: Point[];
  rawNorm?: number; rawNormMirror?: number; embedding?: number[];
  /** Face probabilities per FRAMINGS entry (null: not computed): O-Net, O-Net averaged with its mirrored crop, R-Net. */
  onet: (number | null)[]; onetMirror: (number | null)[]; rnet: (number | null)[];
  /**
   * The library's O-Net check (passesOnetCheck, ONET_CHECK) on this detection, run as the library
   * runs it on all of the image's detections: those down to 0.05 (as bench:wider at its AP score),
   * and those at the default score 0.5 (undefined below it).
   */
  onetCheck: { all: boolean; atDefault?: boolean };
}
export interface CollectedImage {
  set: string; name: string; width: number; height: number;
  groundTruth?: GroundTruthFace[];
  faces: CollectedFace[];
  ms: { detect: number; /** Timings of the landmarks alone and of O-Net: celeb5 and media only. */ landmarks?: number; /** landmarksMirror: the landmarks with the mirrored square, one inference, as the face check runs them. */ landmarksMirror: number; /** The library's O-Net check on the detections >= 0.5 (celeb5 and media). */ onetCheck?: number; /** Detections given landmarks. */ located: number; embed: number; embedded: number; /** O-Net, one framing, no mirror; and with its mirror. */ onet?: number; onetMirror?: number };
}

export interface CollectOptions {
  /** The first N WIDER images only. */
  widerLimit?: number;
  /** Landmarks (and so the landmark check's features) only for detections scoring at least this (default 0: all). */
  landmarksMinScore?: number;
  /** The ResNet descriptor of detections >= 0.3 (default true). */
  embed?: boolean;
}

/** Every image of the three sets through the default detector at `minScore`, with the candidates' inputs. */
export async function collect(minScore: number, options: CollectOptions = {}): Promise<CollectedImage[]> {
  const { widerLimit = Infinity, landmarksMinScore = 0, embed = true } = options;
  const engine = await Engine.create();
  const detector = createDetector(engine, 'blazeface', { tiling: 'auto' });
  const landmarks = new FaceLandmarks68(engine, 'faceapi-landmark68');
  const embedder = new ModelEmbedder(engine, 'faceapi-recognition');
  const input = getModelSpec('faceapi-recognition').input;
  const onet = new FaceScorer(engine, 'onet'), rnet = new FaceScorer(engine, 'rnet');

  const jobs: { set: string; name: string; file: string; groundTruth?: GroundTruthFace[] }[] = [];
  const widerRoot = dataset('wider-dev');
  for (const entry of (await readWiderGroundTruth(path.join(widerRoot, 'wider_face_dev_bbx_gt.txt'))).slice(0, widerLimit)) {
    jobs.push({ set: 'wider', name: entry.name, file: path.join(widerRoot, 'images', entry.name), groundTruth: entry.faces });
  }
  for (const part of ['train', 'val']) {
    for (const person of (await readdir(dataset('celeb5', part))).sort()) {
      for (const f of (await readdir(dataset('celeb5', part, person))).sort()) {
        jobs.push({ set: 'celeb5', name: `${part}/${person}/${f}`, file: dataset('celeb5', part, person, f) });
      }
    }
  }
  for (const f of ['group1.jpg', 'group2.jpg', 'multiface.jpg']) jobs.push({ set: 'media', name: f, file: dataset('media', f) });

  const results: CollectedImage[] = [];
  for (const [n, job] of jobs.entries()) {
    let image: RgbImage = await loadImage(job.file);
    let groundTruth = job.groundTruth;
    if (job.set === 'wider') {
      const scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
      if (scale < 1) {
        const width = Math.round(image.width * scale), height = Math.round(image.height * scale);
        const sx = width / image.width, sy = height / image.height;
        image = await resizeTo(image, width, height);
        groundTruth = groundTruth!.map((f) => ({ ...f, box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy } }));
      }
    }
    let t = performance.now();
    // The library's defaults beside minScore: minFaceSize 16 only outside WIDER (bench:wider uses 0).
    const found = await detector.detect(image, { minScore, maxFaces: 100_000, minFaceSize: job.set === 'wider' ? 0 : 16 });
    const msDetect = performance.now() - t;
    const boxes = found.map((f) => f.box);
    const timed = job.set !== 'wider';
    t = performance.now();
    if (timed) await landmarks.locate(image, boxes);
    const msLandmarks = performance.now() - t;
    // The library's path: the landmarks and those of the mirrored square, one inference.
    const located = found.map((_, i) => i).filter((i) => found[i]!.score >= landmarksMinScore);
    t = performance.now();
    const fits = await landmarks.locateWithMirror(image, located.map((i) => boxes[i]!));
    const msMirror = performance.now() - t;
    const points: (Point[] | undefined)[] = found.map(() => undefined), mirrored68: (Point[] | undefined)[] = found.map(() => undefined);
    located.forEach((i, k) => { points[i] = fits.points[k]; mirrored68[i] = fits.mirrored[k]; });
    t = performance.now();
    const toEmbed = embed ? found.map((f, i) => i).filter((i) => found[i]!.score >= EMBED_MIN_SCORE && points[i]) : [];
    const crops = toEmbed.map((i) => embedder.align(image, fivePointsFrom68(points[i]!)));
    const items = crops.flatMap((c) => [c, mirror(c)]);
    const outputs = items.length ? await engine.runBatched('faceapi-recognition', items.map((c) => pixelsToInput(c.data, 150, 150, 3, input)), [3, 150, 150], 16) : [];
    const msEmbed = performance.now() - t;
    t = performance.now();
    if (timed) await onet.score(image, boxes, [FRAMINGS[1]!]);
    const msOnet = performance.now() - t;
    t = performance.now();
    if (timed) await onet.score(image, boxes, [FRAMINGS[1]!], true);
    const msOnetMirror = performance.now() - t;
    const checkAll = await passesOnetCheck(engine, image, boxes);
    const atDefault = found.map((_, i) => i).filter((i) => found[i]!.score >= DEFAULT_SCORE);
    t = performance.now();
    const checkDefault = await passesOnetCheck(engine, image, atDefault.map((i) => boxes[i]!));
    const msOnetCheck = performance.now() - t;
    const explored = found.map((_, i) => i).filter((i) => found[i]!.score >= EXPLORE_MIN_SCORE);
    const exploredBoxes = explored.map((i) => boxes[i]!);
    const core = await onet.score(image, boxes, FRAMINGS.slice(0, CORE_FRAMINGS));
    const extra = await onet.score(image, exploredBoxes, FRAMINGS.slice(CORE_FRAMINGS));
    const mirrorScores = await onet.score(image, exploredBoxes, FRAMINGS, true);
    const rnetScores = await rnet.score(image, exploredBoxes, FRAMINGS);
    const round = (v: readonly (number | null)[]) => v.map((x) => x === null ? null : Math.round(x * 1e5) / 1e5);
    const none = FRAMINGS.map(() => null);
    const faces: CollectedFace[] = found.map((f, i) => ({ box: f.box, score: f.score, ...(f.keypoints ? { keypoints: f.keypoints } : {}), ...(points[i] ? { points68: points[i], mirrored68: mirrored68[i] } : {}),
      onet: round([...core[i]!, ...FRAMINGS.slice(CORE_FRAMINGS).map(() => null)]), onetMirror: none, rnet: none, onetCheck: { all: checkAll[i]! } }));
    atDefault.forEach((i, k) => { faces[i]!.onetCheck.atDefault = checkDefault[k]!; });
    explored.forEach((i, k) => {
      faces[i]!.onet = round([...core[i]!, ...extra[k]!]);
      faces[i]!.onetMirror = round(mirrorScores[k]!);
      faces[i]!.rnet = round(rnetScores[k]!);
    });
    toEmbed.forEach((i, k) => {
      const a = Float32Array.from(outputs[2 * k]!.descriptor!.data as Float32Array), b = Float32Array.from(outputs[2 * k + 1]!.descriptor!.data as Float32Array);
      const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      const face = faces[i]!;
      face.rawNorm = norm(a); face.rawNormMirror = norm(b);
      const na = l2normalise(a), nb = l2normalise(b);
      face.embedding = Array.from(l2normalise(na.map((x, j) => x + nb[j]!)), (x) => Math.round(x * 1e5) / 1e5);
    });
    results.push({ set: job.set, name: job.name, width: image.width, height: image.height, ...(groundTruth ? { groundTruth } : {}), faces,
      ms: { detect: msDetect, ...(timed ? { landmarks: msLandmarks, onet: msOnet, onetMirror: msOnetMirror, onetCheck: msOnetCheck } : {}), landmarksMirror: msMirror, located: located.length, embed: msEmbed, embedded: toEmbed.length } });
    if ((n + 1) % 20 === 0) log(`${n + 1}/${jobs.length}`);
  }
  await engine.close();
  return results;
}
