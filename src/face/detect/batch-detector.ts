// What the tiled detector needs from a single-shot detector: its input side and a way to detect
// in several images at once (batched where the model allows it).
import type { RgbImage } from '../../types.ts';
import type { Detector, DetectedFace, DetectOptions } from './types.ts';
import { checkDetectOptions, finishDetections } from './options.ts';

export interface BatchDetector extends Detector {
  /** Side of the square the network sees, in pixels. */
  readonly inputSize: number;
  /**
   * Faces of each image scoring at least `minScore`, in that image's pixels, after the
   * detector's own non-maximum suppression, not yet filtered by size or count.
   */
  detectMany(images: readonly RgbImage[], minScore: number): Promise<DetectedFace[][]>;
}

/** `Detector.detect` for a batch detector: check the options, detect, then filter by size and count. */
export async function detectOne(detector: BatchDetector, image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
  checkDetectOptions(options);
  const [faces] = await detector.detectMany([image], options.minScore);
  return finishDetections(faces!, options);
}
