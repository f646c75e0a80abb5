// Cut a face out of an image onto a template: fit, shrink when the face is much larger than the
// template (bilinear sampling alone would alias), warp.
import type { FivePoints, RgbImage } from '../../types.ts';
import { composeAffine, type Affine } from './affine.ts';
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
  while (scale < 0.5 && source.width >= 4 && source.height >= 4) {
    source = halveImage(source);
    // A point (x, y) of the halved image is (2x, 2y) of the one before.
    sourceMatrix = composeAffine(sourceMatrix, [[2, 0, 0], [0, 2, 0]]);
    scale *= 2;
  }
  return warpAffine(source, sourceMatrix, width, height);
}
