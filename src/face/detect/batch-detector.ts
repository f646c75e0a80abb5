// What the tiled detector needs from a single-shot detector: its input side and a way to detect
// in several images at once (batched where the model allows it).
import type { RgbImage } from '../../types.ts';
import type { Detector, DetectedFace } from './types.ts';

export interface BatchDetector extends Detector {
  /** Side of the square the network sees, in pixels. */
  readonly inputSize: number;
  /**
   * Faces of each image scoring at least `minScore`, in that image's pixels, after the
   * detector's own non-maximum suppression, not yet filtered by size or count.
   */
  detectMany(images: readonly RgbImage[], minScore: number): Promise<DetectedFace[][]>;
}
