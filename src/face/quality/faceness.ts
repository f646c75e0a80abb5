// Is a detection a face? Features of the 68-point landmark fit, scale-free, for the face check
// (see FACE_CHECK below for the rule chosen and docs/measurements.md, "Phantom faces", for what
// was measured). A landmark net always draws a face shape, even on a shirt sleeve; what gives a
// non-face away is that the shape does not sit where a face would (the detector's own keypoints
// disagree with it) and that it is not stable under mirroring (the net, run on the mirrored
// crop, draws another shape).
import type { Box, Point } from '../../types.ts';
import { LANDMARKS_68, meanPoint } from '../align/landmarks.ts';

export interface FacenessFeatures {
  /** Distance between the eye centres over the box width (a frontal face: about 0.4). */
  eyeSpan: number;
  /** Nose tip below the eye line, in eye distances, along the face's own vertical. */
  noseDepth: number;
  /** Mouth centre below the eye line, in eye distances. */
  mouthDepth: number;
  /** Share of the 68 points inside the box grown by a quarter on each side. */
  inside: number;
  /** Mean distance between the points and those found on the mirrored image, over the box's longer side. */
  flipDistance?: number;
  /** Mean distance between the detector's eye and nose keypoints and the landmark fit's, over the box's longer side. */
  keypointDistance?: number;
}

const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/**
 * `keypoints`: the detector's own, in BlazeFace's order (subject's right eye = image left, left
 * eye, nose tip, ...); other detectors have none.
 */
export function facenessFeatures(box: Box, points: readonly Point[], mirrored?: readonly Point[], keypoints?: readonly Point[]): FacenessFeatures {
  const { leftEye, rightEye, noseTip, mouth } = LANDMARKS_68;
  const eyeL = meanPoint(points, leftEye[0], leftEye[1]), eyeR = meanPoint(points, rightEye[0], rightEye[1]);
  const span = Math.max(1e-6, distance(eyeL, eyeR));
  // The face's own axes: x along the eye line, y perpendicular to it, downwards.
  const ux = (eyeR.x - eyeL.x) / span, uy = (eyeR.y - eyeL.y) / span;
  const centre = { x: (eyeL.x + eyeR.x) / 2, y: (eyeL.y + eyeR.y) / 2 };
  const down = (p: Point) => (-(p.x - centre.x) * uy + (p.y - centre.y) * ux) / span;
  const side = Math.max(box.width, box.height);
  const gx = box.width / 4, gy = box.height / 4;
  const inside = points.filter((p) => p.x >= box.x - gx && p.x <= box.x + box.width + gx && p.y >= box.y - gy && p.y <= box.y + box.height + gy).length / points.length;
  const features: FacenessFeatures = {
    eyeSpan: span / box.width,
    noseDepth: down(points[noseTip]!),
    mouthDepth: down(meanPoint(points, mouth[0], mouth[1])),
    inside,
  };
  if (mirrored) {
    let sum = 0;
    for (let i = 0; i < points.length; i++) sum += distance(points[i]!, mirrored[i]!);
    features.flipDistance = sum / points.length / side;
  }
  if (keypoints && keypoints.length >= 3) {
    features.keypointDistance = (distance(keypoints[0]!, eyeL) + distance(keypoints[1]!, eyeR) + distance(keypoints[2]!, points[noseTip]!)) / 3 / side;
  }
  return features;
}

/**
 * The rule: a detection is dropped when the landmark fit sits far from the detector's own eye and
 * nose keypoints AND is not stable under mirroring (a profile face can have the first, rarely the
 * second). Without detector keypoints (SSD), the mirror test alone decides, at its own limit.
 * Limits fitted by bench/phantom.ts on half of WIDER dev (at most 0.5% of its true faces lost).
 */
export const FACE_CHECK = Object.freeze({ maxKeypointDistance: 0.32, maxFlipDistanceWithKeypoints: 0.07, maxFlipDistance: 0.27 });

export function passesFaceCheck(features: FacenessFeatures): boolean {
  const { keypointDistance, flipDistance } = features;
  if (keypointDistance !== undefined) {
    return !(keypointDistance > FACE_CHECK.maxKeypointDistance && (flipDistance === undefined || flipDistance > FACE_CHECK.maxFlipDistanceWithKeypoints));
  }
  return !(flipDistance !== undefined && flipDistance > FACE_CHECK.maxFlipDistance);
}

/** The landmark net the check's limits were fitted with. */
export const FACE_CHECK_LANDMARKS = 'faceapi-landmark68';
