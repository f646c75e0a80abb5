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
