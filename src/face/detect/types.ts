// The detector contract: an image in, face boxes out, in the image's pixel coordinates.
import type { Box, Point, RgbImage } from '../../types.ts';

export interface DetectOptions {
  /** Faces scoring below this are dropped (0-1). */
  minScore: number;
  /** At most this many faces, best first. */
  maxFaces: number;
  /** Faces whose box is smaller than this many pixels (the shorter side) are dropped. */
  minFaceSize: number;
}

export interface DetectedFace {
  box: Box;
  score: number;
  /** Keypoints the detector itself finds (BlazeFace: 6), in image pixels. */
  keypoints?: Point[];
}

export interface Detector {
  readonly id: string;
  detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]>;
}
