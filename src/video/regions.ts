// Where to look again for faces that the whole-frame search missed: around the predicted boxes of
// tracks that found no face in it. Pure. A 1080p frame shrunk whole to the detector's 256 px input
// loses faces under about 100 px, which only the tiled search (seven detector runs) finds; between
// tiled frames such a face is looked for in a crop around where its track expects it (one run
// each, the crop a few face widths wide, so the face is larger in the detector's input than in a
// tile's), and lives on without the whole tiled search.
import type { Box } from '../types.ts';

export interface RegionTrack {
  /** Where the track's face is expected in this frame. */
  predicted: Box;
  /** Its speed, pixels per second of the box's centre. */
  speed: number;
  /** Seconds since it was last seen. */
  lostFor: number;
}

export interface RegionOptions {
  /** A region is this many face widths across (default 4). */
  widths?: number;
  /** Smallest region side in pixels (default 160: the detector enlarges it at most 1.6x). */
  minSide?: number;
  /** Largest region side in pixels (default: a 2.6th of the frame's longer side, a tile's size). */
  maxSide?: number;
  /** Tracks unseen for longer than this are not looked for (seconds, default 1). */
  maxLost?: number;
}

/**
 * Crops (in frame pixels, inside the frame) to search for the given tracks' faces: one per track,
 * merged where two overlap and their union is not much larger than either. Ordered as made.
 */
export function trackRegions(tracks: readonly RegionTrack[], frameWidth: number, frameHeight: number, options: RegionOptions = {}): Box[] {
  const widths = options.widths ?? 4;
  const maxSide = Math.min(options.maxSide ?? Math.round(Math.max(frameWidth, frameHeight) / 2.6), frameWidth, frameHeight);
  const minSide = Math.min(options.minSide ?? 160, maxSide);
  const maxLost = options.maxLost ?? 1;
  const regions: Box[] = [];
  for (const track of tracks) {
    if (track.lostFor > maxLost) continue;
    const p = track.predicted;
    // Wider for a fast face: it may be a second's move away from the prediction.
    const side = Math.round(Math.min(maxSide, Math.max(minSide, widths * p.width + 2 * track.speed * Math.min(track.lostFor, 1))));
    const cx = p.x + p.width / 2, cy = p.y + p.height / 2;
    const box = inside({ x: Math.round(cx - side / 2), y: Math.round(cy - side / 2), width: side, height: side }, frameWidth, frameHeight);
    if (box.width <= 0 || box.height <= 0) continue;
    // Merged with an overlapping region when the union is at most 1.5 times the larger side.
    const merged = regions.findIndex((r) => {
      const u = union(r, box);
      return overlaps(r, box) && Math.max(u.width, u.height) <= Math.min(maxSide, 1.5 * Math.max(r.width, r.height, box.width, box.height));
    });
    if (merged >= 0) regions[merged] = union(regions[merged]!, box);
    else regions.push(box);
  }
  return regions;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/** The box moved (not shrunk) to lie inside the frame, then cut to it if still larger. */
function inside(box: Box, width: number, height: number): Box {
  const w = Math.min(box.width, width), h = Math.min(box.height, height);
  const x = Math.min(Math.max(0, box.x), width - w), y = Math.min(Math.max(0, box.y), height - h);
  return { x, y, width: w, height: h };
}
