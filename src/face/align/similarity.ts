// Least-squares similarity (rotation, uniform scale, translation; never a reflection) between
// two point sets, by Umeyama's method (Umeyama 1991, "Least-squares estimation of
// transformation parameters between two point patterns", IEEE TPAMI 13(4)).
import { VisageError } from '../../errors.ts';
import type { Point } from '../../types.ts';
import type { Affine } from './affine.ts';

/**
 * The similarity T minimising sum |T(src[i]) - dst[i]|^2, as a matrix mapping src -> dst.
 *
 * Umeyama: with both sets centred on their means, Sigma = (1/n) sum dst_i src_i^T (2x2) and
 * var = (1/n) sum |src_i|^2, the rotation is U S V^T from the SVD Sigma = U D V^T, with
 * S = diag(1, -1) when det(U) det(V) < 0 (which is what forbids a reflection), the scale is
 * tr(D S) / var and the translation maps the src mean onto the dst mean. In two dimensions that
 * SVD has a closed form: over proper rotations R(theta), tr(R^T Sigma) = p cos(theta) + q sin(theta)
 * with p = Sigma00 + Sigma11 and q = Sigma10 - Sigma01, so the best angle is atan2(q, p) and
 * tr(D S) = hypot(p, q). No iterative SVD needed, and the result is exact to rounding.
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine {
  if (src.length !== dst.length) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `similarityTransform: src has ${src.length} points, dst ${dst.length}`);
  }
  const n = src.length;
  if (n < 2) throw new VisageError('VISAGE_ERR_BAD_INPUT', `similarityTransform: needs at least 2 point pairs, got ${n}`);
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i]!, d = dst[i]!;
    if (!Number.isFinite(s.x) || !Number.isFinite(s.y) || !Number.isFinite(d.x) || !Number.isFinite(d.y)) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `similarityTransform: point ${i} is not finite`);
    }
    sx += s.x; sy += s.y; dx += d.x; dy += d.y;
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let variance = 0, s00 = 0, s01 = 0, s10 = 0, s11 = 0;
  for (let i = 0; i < n; i++) {
    const ux = src[i]!.x - sx, uy = src[i]!.y - sy;
    const vx = dst[i]!.x - dx, vy = dst[i]!.y - dy;
    variance += ux * ux + uy * uy;
    s00 += vx * ux; s01 += vx * uy;
    s10 += vy * ux; s11 += vy * uy;
  }
  if (!(variance > 0)) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', 'similarityTransform: the source points all coincide');
  }
  // a = scale cos(theta), b = scale sin(theta); the 1/n factors cancel.
  const a = (s00 + s11) / variance;
  const b = (s10 - s01) / variance;
  return [[a, -b, dx - (a * sx - b * sy)], [b, a, dy - (b * sx + a * sy)]];
}
