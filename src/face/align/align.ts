// Cut a face out of an image onto a template: fit, shrink when the face is much larger than the
// template (bilinear sampling alone would alias), warp.
import type { Box, FivePoints, RgbImage } from '../../types.ts';
import { applyAffine, composeAffine, invertAffine, type Affine } from './affine.ts';
import { crop } from '../image/transform.ts';
import type { AlignTemplate } from './templates.ts';
import { halveImage, warpAffine } from './warp.ts';

export interface AlignedFace {
  image: RgbImage;
  /** Maps points of the input image to the aligned image (`applyAffine`; `invertAffine` for the way back). */
  matrix: Affine;
}

export function alignFace(image: RgbImage, points: FivePoints, template: AlignTemplate): AlignedFace {
  const matrix = template.transform(points);
  return { image: resampleAffine(image, matrix, template.width, template.height), matrix };
}

/**
 * Warps `image` through `matrix` (image -> output) into width x height, halving the image first
 * while the warp would shrink by more than 2x (bilinear sampling alone would alias).
 */
export function resampleAffine(image: RgbImage, matrix: Affine, width: number, height: number): RgbImage {
  let source = image;
  let sourceMatrix = matrix;
  // Output pixels per input pixel; below 1/2 an output pixel spans more than two input pixels.
  let scale = Math.sqrt(Math.abs(matrix[0][0] * matrix[1][1] - matrix[0][1] * matrix[1][0]));
  if (scale < 0.5) {
    // Halve only the region the output covers, not the whole photo: for a face in a 1920-px
    // photo that is ~2 ms instead of ~17 ms, with the same pixels (the region's origin sits on
    // a multiple of the halving step, so the 2x2 blocks line up with the full image's).
    const region = sourceRegion(matrix, width, height, image, scale);
    if (region) {
      source = crop(image, region);
      sourceMatrix = composeAffine(sourceMatrix, [[1, 0, region.x], [0, 1, region.y]]);
    }
  }
  while (scale < 0.5 && source.width >= 4 && source.height >= 4) {
    source = halveImage(source);
    // A point (x, y) of the halved image is (2x, 2y) of the one before.
    sourceMatrix = composeAffine(sourceMatrix, [[2, 0, 0], [0, 2, 0]]);
    scale *= 2;
  }
  return warpAffine(source, sourceMatrix, width, height);
}

/** The part of `image` that the output of `matrix` samples, widened to whole halving blocks; null if that is all of it. */
function sourceRegion(matrix: Affine, width: number, height: number, image: RgbImage, scale: number): Box | null {
  const inverse = invertAffine(matrix);
  const corners = [[0, 0], [width, 0], [0, height], [width, height]].map(([x, y]) => applyAffine(inverse, { x: x!, y: y! }));
  // Each halving step doubles the block size; bilinear sampling reaches one block beyond.
  let step = 1;
  for (let s = scale; s < 0.5; s *= 2) step *= 2;
  const floorTo = (v: number) => Math.floor(v / step) * step;
  const x0 = Math.max(0, floorTo(Math.min(...corners.map((c) => c.x)) - step));
  const y0 = Math.max(0, floorTo(Math.min(...corners.map((c) => c.y)) - step));
  const x1 = Math.min(image.width, Math.ceil(Math.max(...corners.map((c) => c.x)) + 2 * step));
  const y1 = Math.min(image.height, Math.ceil(Math.max(...corners.map((c) => c.y)) + 2 * step));
  if (x1 <= x0 || y1 <= y0) return null;
  if (x0 === 0 && y0 === 0 && x1 === image.width && y1 === image.height) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
