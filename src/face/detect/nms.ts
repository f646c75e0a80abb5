// Overlap and non-maximum suppression for face boxes: pure functions on plain data.
import type { Box } from '../../types.ts';

/** Anything with a box and a score (a detection, a candidate). */
export interface Scored {
  box: Box;
  score: number;
}

/** Intersection area of two boxes (0 when they do not overlap). */
export function intersection(a: Box, b: Box): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

/** Intersection over union; 0 when either box is empty. */
export function iou(a: Box, b: Box): number {
  const areaA = a.width * a.height, areaB = b.width * b.height;
  if (!(areaA > 0) || !(areaB > 0)) return 0;
  const inter = intersection(a, b);
  return inter / (areaA + areaB - inter);
}

/** Intersection over the smaller box's area: 1 when one box lies inside the other. */
export function overlapOfSmaller(a: Box, b: Box): number {
  const smaller = Math.min(a.width * a.height, b.width * b.height);
  return smaller > 0 ? intersection(a, b) / smaller : 0;
}

export interface NmsOptions {
  /** A candidate is dropped when its IoU with a kept box is above this. */
  iouThreshold: number;
  /** Stop after this many kept boxes (default: no limit). */
  maxOutput?: number;
  /**
   * Also drop a candidate when this fraction of its own area (or of the kept box's, whichever is
   * smaller) lies inside a kept box. Catches the part of a face that one tile saw cut off at its
   * edge, whose IoU with the whole face is low. Default: off (1 would never fire: use < 1).
   */
  containedThreshold?: number;
}

/**
 * Greedy non-maximum suppression: best score first, each candidate kept unless it overlaps an
 * already kept one by more than the thresholds. Returns the kept items, best first. Ties keep
 * input order (the sort is stable), so results are deterministic.
 */
export function nonMaxSuppression<T extends Scored>(items: readonly T[], options: NmsOptions): T[] {
  const { iouThreshold } = options;
  const maxOutput = options.maxOutput ?? Infinity;
  const contained = options.containedThreshold ?? Infinity;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxOutput) break;
    let suppressed = false;
    for (const other of kept) {
      if (iou(candidate.box, other.box) > iouThreshold || (contained <= 1 && overlapOfSmaller(candidate.box, other.box) > contained)) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(candidate);
  }
  return kept;
}

/**
 * Merges detections made separately (tiles, scales) of one image, already in the image's
 * coordinates: all lists pooled, then suppressed as one.
 */
export function mergeDetections<T extends Scored>(lists: readonly (readonly T[])[], options: NmsOptions): T[] {
  return nonMaxSuppression(lists.flat(), options);
}

/** The box limited to the image; width or height may become 0 for a box wholly outside. */
export function clampBox(box: Box, width: number, height: number): Box {
  const x0 = Math.min(Math.max(box.x, 0), width), y0 = Math.min(Math.max(box.y, 0), height);
  const x1 = Math.min(Math.max(box.x + box.width, 0), width), y1 = Math.min(Math.max(box.y + box.height, 0), height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
