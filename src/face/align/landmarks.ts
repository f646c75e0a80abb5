// The 68-point iBUG 300-W layout (dlib's and face-api's order) reduced to five points.
import { VisageError } from '../../errors.ts';
import type { FivePoints, Point } from '../../types.ts';

/** Index ranges of the 68-point layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-41 and 42-47, mouth 48-67. */
export const LANDMARKS_68 = {
  jaw: [0, 16], leftBrow: [17, 21], rightBrow: [22, 26], nose: [27, 35],
  leftEye: [36, 41], rightEye: [42, 47], mouth: [48, 67],
  noseTip: 30, mouthLeft: 48, mouthRight: 54,
} as const;

/** Each 68-layout point's mirror image (jaw 0<->16, brows, nostrils, eyes 36<->45, mouth). */
export const MIRROR_68: readonly number[] = Object.freeze((() => {
  const m = Array.from({ length: 68 }, (_, i) => i);
  const pair = (a: number, b: number) => { m[a] = b; m[b] = a; };
  for (let i = 0; i <= 7; i++) pair(i, 16 - i);
  for (let i = 0; i < 5; i++) pair(17 + i, 26 - i);
  pair(31, 35); pair(32, 34);
  pair(36, 45); pair(37, 44); pair(38, 43); pair(39, 42); pair(40, 47); pair(41, 46);
  pair(48, 54); pair(49, 53); pair(50, 52); pair(55, 59); pair(56, 58);
  pair(60, 64); pair(61, 63); pair(65, 67);
  return m;
})());

/** The mean of points[from..to] (inclusive). */
export function meanPoint(points: readonly Point[], from: number, to: number): Point {
  let x = 0, y = 0;
  for (let i = from; i <= to; i++) { x += points[i]!.x; y += points[i]!.y; }
  const n = to - from + 1;
  return { x: x / n, y: y / n };
}

/**
 * Eye centres as the mean of each eye's six points, the nose tip (30) and the mouth corners
 * (48, 54). "Left" is the image's left, as in FivePoints: points 36-41 are that eye.
 */
export function fivePointsFrom68(points: readonly Point[]): FivePoints {
  if (points.length !== 68) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `fivePointsFrom68: expected 68 points, got ${points.length}`);
  }
  for (let i = 0; i < 68; i++) {
    const p = points[i];
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `fivePointsFrom68: point ${i} is not a finite point`);
    }
  }
  const { leftEye, rightEye, noseTip, mouthLeft, mouthRight } = LANDMARKS_68;
  return {
    leftEye: meanPoint(points, leftEye[0], leftEye[1]),
    rightEye: meanPoint(points, rightEye[0], rightEye[1]),
    nose: { ...points[noseTip]! },
    mouthLeft: { ...points[mouthLeft]! },
    mouthRight: { ...points[mouthRight]! },
  };
}

/** FivePoints in a fixed order (left eye, right eye, nose, mouth left, mouth right), for fitting. */
export function fivePointsList(points: FivePoints): Point[] {
  return [points.leftEye, points.rightEye, points.nose, points.mouthLeft, points.mouthRight];
}
