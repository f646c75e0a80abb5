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

export interface NmsOptions<T = Scored> {
  /** A candidate is dropped when its IoU with a kept box is above this. */
  iouThreshold: number;
  /** Stop after this many kept boxes (default: no limit). */
  maxOutput?: number;
  /**
   * Also drop a candidate when more than this fraction of its area lies inside a larger box
   * already kept: the part of a face that a tile saw cut off, whose IoU with the whole face is
   * low. Default: off.
   */
  containedThreshold?: number;
  /** With `containedThreshold`: apply it only between items of different sources (tiles). */
  source?: (item: T) => unknown;
}

/**
 * Greedy non-maximum suppression: best score first, each candidate kept unless it overlaps an
 * already kept one by more than the thresholds. Returns the kept items, best first. Ties keep
 * input order (the sort is stable), so results are deterministic.
 */
export function nonMaxSuppression<T extends Scored>(items: readonly T[], options: NmsOptions<T>): T[] {
  const { iouThreshold, source } = options;
  const maxOutput = options.maxOutput ?? Infinity;
  const contained = options.containedThreshold ?? Infinity;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxOutput) break;
    const area = candidate.box.width * candidate.box.height;
    let suppressed = false;
    for (const other of kept) {
      if (iou(candidate.box, other.box) > iouThreshold) { suppressed = true; break; }
      if (contained < 1 && other.box.width * other.box.height > area && area > 0
          && (!source || source(candidate) !== source(other))
          && intersection(candidate.box, other.box) / area > contained) { suppressed = true; break; }
    }
    if (!suppressed) kept.push(candidate);
  }
  return kept;
}

/**
 * Merges detections made separately (tiles, scales) of one image, already in the image's
 * coordinates: all lists pooled, then suppressed as one; `containedThreshold` applies only
 * between different lists (within one, the detector's own suppression has decided).
 */
export function mergeDetections<T extends Scored>(lists: readonly (readonly T[])[], options: Omit<NmsOptions<T>, 'source'>): T[] {
  const tagged = lists.flatMap((list, source) => list.map((item) => ({ item, source, box: item.box, score: item.score })));
  return nonMaxSuppression(tagged, { ...options, source: (t) => t.source }).map((t) => t.item);
}

/** The box limited to the image; width or height may become 0 for a box wholly outside. */
export function clampBox(box: Box, width: number, height: number): Box {
  const x0 = Math.min(Math.max(box.x, 0), width), y0 = Math.min(Math.max(box.y, 0), height);
  const x1 = Math.min(Math.max(box.x + box.width, 0), width), y1 = Math.min(Math.max(box.y + box.height, 0), height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
