// WIDER FACE ground truth and the detection metrics of bench/wider.ts: pure functions.
//
// Rule for a height bucket "faces >= H px" (H = 16, 32, 64): a ground-truth face counts when it
// is valid (the official `invalid` flag is 0) and its box is at least H pixels tall; every other
// face of the image (invalid, or shorter than H) is "ignored". Detections are matched image by
// image in descending score order: a detection takes the unmatched counted face it overlaps most
// with IoU >= 0.5 (a true positive); failing that, if it overlaps any ignored face with IoU >= 0.5
// it is ignored (neither true nor false positive; an ignored face can absorb any number of
// detections); otherwise it is a false positive (a second detection of an already matched face
// is one too). This is the convention of WIDER's own easy/medium/hard evaluation and of COCO's
// "ignore" regions. Average precision is the area under the all-point interpolated
// precision/recall curve (precision made monotone from the right) over all detections of all
// images ranked by score; recall is over the counted faces of all images.
import { readFile } from 'node:fs/promises';
import type { Box } from '../src/types.ts';
import { iou } from '../src/face/detect/nms.ts';

export interface GroundTruthFace {
  box: Box;
  invalid: boolean;
  blur: number;
  occlusion: number;
}

export interface GroundTruthImage {
  /** Path relative to the images folder, e.g. `0--Parade/0_Parade_Parade_0_137.jpg`. */
  name: string;
  faces: GroundTruthFace[];
}

/** Parses `wider_face_*_bbx_gt.txt`: name, count, then `x y w h blur expression illumination invalid occlusion pose` per face. */
export async function readWiderGroundTruth(file: string): Promise<GroundTruthImage[]> {
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
  const images: GroundTruthImage[] = [];
  let i = 0;
  while (i < lines.length) {
    const name = lines[i++]!.trim();
    if (!name) continue;
    const count = Number(lines[i++]);
    if (!Number.isInteger(count) || count < 0) throw new Error(`${file}: bad face count after ${name}`);
    const faces: GroundTruthFace[] = [];
    // An image without faces still has one line of zeros.
    const rows = Math.max(count, 1);
    for (let k = 0; k < rows; k++) {
      const v = lines[i++]!.trim().split(/\s+/).map(Number);
      if (k >= count) continue;
      const [x, y, w, h, blur, , , invalid, occlusion] = v as number[];
      faces.push({ box: { x: x!, y: y!, width: w!, height: h! }, invalid: invalid === 1, blur: blur!, occlusion: occlusion! });
    }
    images.push({ name, faces });
  }
  return images;
}

export interface Detection {
  box: Box;
  score: number;
}

export interface ImageResult {
  groundTruth: GroundTruthFace[];
  detections: Detection[];
}

export interface BucketMetrics {
  /** Minimum face height of the bucket, pixels. */
  minHeight: number;
  /** Counted faces. */
  faces: number;
  /** Average precision, 0-1. */
  ap: number;
  /** Recall over all detections given, 0-1. */
  recall: number;
  /** Detections that found a counted face, and detections that found none (ignored ones aside). */
  truePositives: number;
  falsePositives: number;
}

const MATCH_IOU = 0.5;

/** Counts faces >= minHeight; see the header for the rule. */
export function evaluateBucket(results: readonly ImageResult[], minHeight: number, ignoreSmallDetections = false): BucketMetrics {
  const ranked: { score: number; tp: boolean }[] = [];
  let faces = 0;
  for (const { groundTruth, detections } of results) {
    const counted = groundTruth.map((f) => !f.invalid && f.box.height >= minHeight);
    faces += counted.filter(Boolean).length;
    const taken = new Array<boolean>(groundTruth.length).fill(false);
    const order = [...detections].sort((a, b) => b.score - a.score);
    for (const det of order) {
      let best = -1, bestIou = MATCH_IOU;
      let ignored = false;
      groundTruth.forEach((gt, k) => {
        const overlap = iou(det.box, gt.box);
        if (overlap < MATCH_IOU) return;
        if (!counted[k]) { ignored = true; return; }
        if (!taken[k] && overlap >= bestIou) { best = k; bestIou = overlap; }
      });
      if (best >= 0) {
        taken[best] = true;
        ranked.push({ score: det.score, tp: true });
      } else if (!ignored && !(ignoreSmallDetections && det.box.height < minHeight)) {
        ranked.push({ score: det.score, tp: false });
      }
    }
  }
  const truePositives = ranked.filter((r) => r.tp).length;
  return { minHeight, faces, ...averagePrecision(ranked, faces), truePositives, falsePositives: ranked.length - truePositives };
}

/** All-point interpolated AP of ranked true/false positives against `positives` faces. */
export function averagePrecision(ranked: readonly { score: number; tp: boolean }[], positives: number): { ap: number; recall: number } {
  if (positives === 0) return { ap: 0, recall: 0 };
  const sorted = [...ranked].sort((a, b) => b.score - a.score);
  const precision: number[] = [], recall: number[] = [];
  let tp = 0, fp = 0;
  for (const r of sorted) {
    if (r.tp) tp++; else fp++;
    precision.push(tp / (tp + fp));
    recall.push(tp / positives);
  }
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let ap = 0, previous = 0;
  for (let i = 0; i < sorted.length; i++) {
    ap += (recall[i]! - previous) * precision[i]!;
    previous = recall[i]!;
  }
  return { ap, recall: tp / positives };
}
