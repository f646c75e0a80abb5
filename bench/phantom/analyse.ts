// Candidate face checks scored on collected detections (bench/phantom/collect.ts): pure code.
import { iou, overlapOfSmaller } from '../../src/face/detect/nms.ts';
import { facenessFeatures, type FacenessFeatures } from '../../src/face/quality/faceness.ts';
import type { CollectedFace, CollectedImage } from './collect.ts';

/** A WIDER detection overlapping no ground-truth face (valid or invalid) at IoU >= FALSE_IOU is a false detection. */
export const FALSE_IOU = 0.3;
/** A WIDER detection overlapping a valid ground-truth face at IoU >= FACE_IOU is a true face. */
export const FACE_IOU = 0.5;

export type Label = 'face' | 'false' | 'unsure';

/**
 * Stricter than 'false': no ground-truth face (valid or invalid) shares more than PHANTOM_OVERLAP
 * of the smaller box's area with the detection. Many 'false' detections of WIDER's crowds are
 * boxes over two faces, or a face's part; a phantom is off every labelled face.
 */
export const PHANTOM_OVERLAP = 0.3;
export function isPhantom(image: CollectedImage, face: CollectedFace): boolean {
  return !!image.groundTruth && image.groundTruth.every((gt) => overlapOfSmaller(gt.box, face.box) < PHANTOM_OVERLAP);
}

export interface Scored {
  image: CollectedImage;
  index: number;
  face: CollectedFace;
  label: Label | 'unknown';
  /** Height of the ground-truth face matched (WIDER true faces). */
  gtHeight?: number;
  features: Partial<FacenessFeatures> & { rawNorm?: number; meanCosine?: number };
}

export function label(image: CollectedImage, face: CollectedFace): { label: Label | 'unknown'; gtHeight?: number } {
  if (!image.groundTruth) return { label: 'unknown' };
  let best = 0, bestValid = 0, gtHeight: number | undefined;
  for (const gt of image.groundTruth) {
    const o = iou(face.box, gt.box);
    best = Math.max(best, o);
    if (!gt.invalid && o > bestValid) { bestValid = o; gtHeight = gt.box.height; }
  }
  if (best < FALSE_IOU) return { label: 'false' };
  if (bestValid >= FACE_IOU) return { label: 'face', gtHeight };
  return { label: 'unsure' };
}

export function meanEmbedding(faces: readonly Scored[]): number[] {
  const withEmbedding = faces.filter((f) => f.face.embedding);
  const sum = new Array<number>(withEmbedding[0]!.face.embedding!.length).fill(0);
  for (const f of withEmbedding) f.face.embedding!.forEach((x, i) => { sum[i]! += x; });
  const norm = Math.hypot(...sum);
  return sum.map((x) => x / norm);
}

export function score(images: readonly CollectedImage[]): Scored[] {
  return images.flatMap((image) => image.faces.map((face, index) => {
    const { label: l, gtHeight } = label(image, face);
    // Without landmarks (below the collection's landmarksMinScore) the landmark features are absent.
    const features = face.points68 ? facenessFeatures(face.box, face.points68, face.mirrored68, face.keypoints) : {};
    return {
      image, index, face, label: l, ...(gtHeight !== undefined ? { gtHeight } : {}),
      features: { ...features, ...(face.rawNorm !== undefined ? { rawNorm: (face.rawNorm + face.rawNormMirror!) / 2 } : {}) },
    };
  }));
}

export function addMeanCosine(faces: Scored[], mean: readonly number[]): void {
  for (const f of faces) {
    if (f.face.embedding) f.features.meanCosine = f.face.embedding.reduce((s, x, i) => s + x * mean[i]!, 0);
  }
}

/** A one-feature rule: reject when the feature is above (or below) the threshold. */
export interface Rule {
  feature: keyof Scored['features'];
  reject: 'above' | 'below';
  threshold: number;
}

export function rejects(rule: Rule, f: Scored): boolean {
  const v = f.features[rule.feature];
  if (v === undefined) return false;
  return rule.reject === 'above' ? v > rule.threshold : v < rule.threshold;
}

/**
 * The threshold that rejects at most `maxLostShare` of the true faces of `faces` (and the most
 * false ones within that): the quantile of the true faces' values.
 */
export function fitRule(feature: Rule['feature'], reject: Rule['reject'], faces: readonly Scored[], maxLostShare: number): Rule {
  const values = faces.filter((f) => f.label === 'face' && f.features[feature] !== undefined).map((f) => f.features[feature]!).sort((a, b) => a - b);
  const allowed = Math.floor(values.length * maxLostShare);
  const threshold = reject === 'above' ? values[values.length - 1 - allowed]! : values[allowed]!;
  return { feature, reject, threshold };
}
