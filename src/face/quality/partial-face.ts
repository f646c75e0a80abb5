// Detections that cover only part of a face. On close-ups (ORL's 92x112 portraits, a face
// filling the frame) BlazeFace sometimes boxes one eye behind glasses as a whole face, and O-Net,
// shown that box's square, does not always refuse it (0.06-0.86); its regression moves the box by
// a few pixels, not to the face. Such a box gives an embedding of an eye, which matched a
// stranger's eye box in bench:openset. The rule: a detection O-Net is unsure of (first look under
// `maxProbability`) is searched again in a square `context` times its longer side around it; a face
// found there that is at least `minGrowth` times larger, holds at least `minInside` of the
// detection's box and that O-Net scores at least `minWholeProbability` is the face the detection was
// part of, and replaces it. See README, "Library" (face check), and docs/measurements.md,
// "Partial faces".
import type { Box, RgbImage } from '../../types.ts';
import type { DetectedFace, Detector } from '../detect/types.ts';
import type { BatchDetector } from '../detect/batch-detector.ts';
import { overlapOfSmaller } from '../detect/nms.ts';

export const PARTIAL_FACE: Readonly<{
  /** Detections scoring under this are not searched again (cost: WIDER's crowds have hundreds of weak ones). */
  minScore: number;
  /** Only detections whose first O-Net probability is under this (real faces score ~1). */
  maxProbability: number;
  /** The searched square's side, in the detection's longer sides. */
  context: number;
  /** The searched square is sampled to this side (BlazeFace's input). */
  side: number;
  /** The face found must be this many times the detection's longer side, or more. */
  minGrowth: number;
  /** ... hold at least this fraction of the detection's area ... */
  minInside: number;
  /** ... and O-Net must score it at least this. */
  minWholeProbability: number;
  /** Part of the embedding cache's key: bump when the rule changes which faces come out. */
  revision: number;
}> = Object.freeze({
  minScore: 0.5,
  maxProbability: 0.9,
  context: 5,
  side: 128,
  minGrowth: 1.6,
  minInside: 0.8,
  minWholeProbability: 0.5,
  revision: 1,
});

/** The square searched around a box: `context` times its longer side, same centre. */
export function contextSquare(box: Box, context = PARTIAL_FACE.context): Box {
  const side = Math.max(box.width, box.height) * context;
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, width: side, height: side };
}

/** The square `square` of `image` sampled to `side` x `side` (nearest pixel, grey outside the image). */
export function sampleSquare(image: RgbImage, square: Box, side: number): RgbImage {
  const data = new Uint8Array(side * side * 3).fill(128);
  const step = square.width / side;
  for (let y = 0; y < side; y++) {
    const sy = Math.floor(square.y + (y + 0.5) * step);
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < side; x++) {
      const sx = Math.floor(square.x + (x + 0.5) * step);
      if (sx < 0 || sx >= image.width) continue;
      const from = (sy * image.width + sx) * 3, to = (y * side + x) * 3;
      data[to] = image.data[from]!;
      data[to + 1] = image.data[from + 1]!;
      data[to + 2] = image.data[from + 2]!;
    }
  }
  return { width: side, height: side, channels: 3, data };
}

/**
 * For each detection, the larger face it is part of, searched with `detector` (untiled) in its
 * context square: the best-scoring face found there that is `minGrowth` times larger and holds
 * `minInside` of the detection; undefined where none is. O-Net's verdict on the face is the
 * caller's (face-check.ts).
 */
export async function enclosingFaces(detector: Detector, image: RgbImage, found: readonly DetectedFace[]): Promise<(DetectedFace | undefined)[]> {
  const { side, minGrowth, minInside, minScore } = PARTIAL_FACE;
  const squares = found.map((face) => contextSquare(face.box));
  const crops = squares.map((square) => sampleSquare(image, square, side));
  // One batched inference where the detector has one (BlazeFace), else one call per crop.
  const detections = isBatchDetector(detector)
    ? await detector.detectMany(crops, minScore)
    : await Promise.all(crops.map((crop) => detector.detect(crop, { minScore, maxFaces: 10, minFaceSize: 1 })));
  const result: (DetectedFace | undefined)[] = [];
  for (const [i, face] of found.entries()) {
    const square = squares[i]!;
    const scale = square.width / side;
    const inCrop = detections[i]!;
    const longer = Math.max(face.box.width, face.box.height);
    const candidates = inCrop.map((f) => ({
      score: f.score,
      box: { x: square.x + f.box.x * scale, y: square.y + f.box.y * scale, width: f.box.width * scale, height: f.box.height * scale },
      ...(f.keypoints ? { keypoints: f.keypoints.map((p) => ({ x: square.x + p.x * scale, y: square.y + p.y * scale })) } : {}),
    })).filter((f) => Math.max(f.box.width, f.box.height) >= minGrowth * longer && overlapOfSmaller(f.box, face.box) >= minInside);
    candidates.sort((a, b) => b.score - a.score);
    result.push(candidates[0]);
  }
  return result;
}

function isBatchDetector(detector: Detector): detector is BatchDetector {
  return typeof (detector as Partial<BatchDetector>).detectMany === 'function';
}
