// Face quality: size, sharpness and frontalness, each explained so a user can set limits.
import type { Box, RgbImage } from '../../types.ts';
import type { HeadPose } from './pose.ts';

export interface FaceQuality {
  /** The face box's shorter side, in pixels of the original image. */
  size: number;
  /** Variance of the Laplacian of the aligned face's grey levels: below ~50 is blurred. */
  sharpness: number;
  /** 1 for a frontal face, falling to 0 at 90 degrees of yaw or pitch. */
  frontalness: number;
}

/** Variance of the 4-neighbour Laplacian over the interior of an RGB image's luma. */
export function laplacianVariance(image: RgbImage): number {
  const { width, height, data } = image;
  if (width < 3 || height < 3) return 0;
  const luma = new Float32Array(width * height);
  for (let i = 0, p = 0; i < luma.length; i++, p += 3) luma[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  let sum = 0, sumSq = 0, n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
      sum += v; sumSq += v * v; n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/** `box` in the original image's pixels; `aligned` is the face on its embedder's template. */
export function faceQuality(box: Box, aligned: RgbImage, pose: HeadPose): FaceQuality {
  const rad = Math.PI / 180;
  return {
    size: Math.min(box.width, box.height),
    sharpness: laplacianVariance(aligned),
    frontalness: Math.max(0, Math.cos(pose.yaw * rad) * Math.cos(pose.pitch * rad)),
  };
}
