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

/** At most this many pixels are looked at to tell a grey image (spread evenly over it). */
const GREY_SAMPLES = 65_536;
/** Largest channel difference of a grey pixel: JPEG's chroma rounding leaves 1-2 levels. */
const GREY_TOLERANCE = 3;

/**
 * Whether an RGB image carries no colour: every sampled pixel's channels within GREY_TOLERANCE of
 * each other. Grey files decode to three equal channels; colour photos, even dim or washed-out
 * ones, have thousands of pixels apart by more. Costs well under a millisecond.
 */
export function isGreyImage(image: RgbImage): boolean {
  const pixels = image.width * image.height;
  const step = Math.max(1, Math.floor(pixels / GREY_SAMPLES));
  const { data } = image;
  for (let p = 0; p < pixels; p += step) {
    const i = p * 3, r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    if (Math.abs(r - g) > GREY_TOLERANCE || Math.abs(g - b) > GREY_TOLERANCE || Math.abs(r - b) > GREY_TOLERANCE) return false;
  }
  return true;
}
