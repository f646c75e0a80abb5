// 2x3 affine matrices on image points. Coordinates follow src/types.ts: pixels, origin at the
// top-left corner of the image (so pixel (i, j) covers [i, i+1) x [j, j+1) and its centre is at
// (i + 0.5, j + 0.5)). Every matrix in Visage maps points in one such frame to another.
import { VisageError } from '../../errors.ts';
import type { Point } from '../../types.ts';

/**
 * `[[a, b, tx], [c, d, ty]]`: x' = a x + b y + tx, y' = c x + d y + ty. Row-major like OpenCV's
 * `warpAffine` matrix, and plain JSON.
 */
export type Affine = [[number, number, number], [number, number, number]];

export function applyAffine(matrix: Affine, point: Point): Point {
  const [[a, b, tx], [c, d, ty]] = matrix;
  return { x: a * point.x + b * point.y + tx, y: c * point.x + d * point.y + ty };
}

export function invertAffine(matrix: Affine): Affine {
  const [[a, b, tx], [c, d, ty]] = matrix;
  const det = a * d - b * c;
  // Relative to the matrix's own size, so a tiny but valid scale is not refused.
  const size = Math.max(Math.abs(a), Math.abs(b), Math.abs(c), Math.abs(d));
  if (!Number.isFinite(det) || size === 0 || Math.abs(det) <= 1e-12 * size * size) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `matrix is not invertible: [[${a}, ${b}, ${tx}], [${c}, ${d}, ${ty}]]`);
  }
  const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  return [[ia, ib, -(ia * tx + ib * ty)], [ic, id, -(ic * tx + id * ty)]];
}

/** The matrix that applies `first`, then `second`. */
export function composeAffine(second: Affine, first: Affine): Affine {
  const [[a2, b2, x2], [c2, d2, y2]] = second;
  const [[a1, b1, x1], [c1, d1, y1]] = first;
  return [
    [a2 * a1 + b2 * c1, a2 * b1 + b2 * d1, a2 * x1 + b2 * y1 + x2],
    [c2 * a1 + d2 * c1, c2 * b1 + d2 * d1, c2 * x1 + d2 * y1 + y2],
  ];
}
