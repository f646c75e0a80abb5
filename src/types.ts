import type { FaceAttributes } from './attributes/types.ts';

// Plain, JSON-serialisable data that flows through Visage. Coordinates are pixels of the
// original image (after EXIF orientation), origin top-left, x to the right, y down.

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Eye centres, nose tip and mouth corners, in the subject's left/right as seen in the image. */
export interface FivePoints {
  leftEye: Point;   // the eye on the image's left side
  rightEye: Point;  // the eye on the image's right side
  nose: Point;
  mouthLeft: Point;
  mouthRight: Point;
}

/** An image decoded to interleaved 8-bit pixels. */
export interface RgbImage {
  width: number;
  height: number;
  /** 3 (RGB) always, after decoding: grey and RGBA inputs are converted. */
  channels: 3;
  data: Uint8Array;
}

export interface HeadPoseAngles {
  /** Degrees; positive when the nose points to the image's right. */
  yaw: number;
  /** Degrees; positive when looking up. */
  pitch: number;
  /** Degrees; positive when the image-right eye is lower. */
  roll: number;
}

export interface Face {
  /** In pixels of the original image (after EXIF orientation). */
  box: Box;
  /** Detection score, 0-1. */
  score: number;
  landmarks: {
    five: FivePoints;
    /** The 68 points of the landmark model, when computed. */
    points68?: Point[];
  };
  pose: HeadPoseAngles;
  /** `eyesClosed` (0-1, that both eyes are closed) only with analyze option `eyes`. */
  quality: { size: number; sharpness: number; frontalness: number; eyesClosed?: number };
  /** L2-normalised embeddings by embedder id. */
  embeddings: Record<string, number[]>;
  /** On request: the aligned crop each embedder saw (raw RGB pixels). */
  alignedCrops?: Record<string, RgbImage>;
  /** On request (analyze option `attributes`): age, gender, emotion, liveness, each from its model. */
  attributes?: FaceAttributes;
}

export interface Analysis {
  /** Size of the image after EXIF orientation. */
  width: number;
  height: number;
  /**
   * The image carries no colour (a grey file, a night-vision camera, a grey scan): recognition
   * then holds it to thresholds calibrated on grey images (src/face/match/thresholds.ts).
   */
  grey: boolean;
  faces: Face[];
}
