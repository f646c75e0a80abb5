// Tiled detection for large photos: a detector sees the whole image shrunk to its input (512 px
// for the SSD), where a face 20 px tall in a 1024-px photo is 10 px and mostly missed. Here the
// image is also cut into overlapping tiles at finer levels, each tile shrunk (or enlarged) to the
// detector's input, and the detections of every tile and of the whole image are merged with
// non-maximum suppression.
//
// A level is named by how many tiles span the image's longer side; a tile is square and
// neighbours overlap by a fraction of its side, so a face smaller than the overlap lies wholly
// inside some tile. A detection touching a tile's inner edge (an edge that is not the image's)
// is dropped: it is most likely the cut-off part of a face that a neighbouring tile (or the
// coarser level, for faces larger than the overlap) sees whole.
import { VisageError } from '../../errors.ts';
import type { Box, RgbImage } from '../../types.ts';
import { crop } from '../image/transform.ts';
import type { BatchDetector } from './batch-detector.ts';
import { mergeDetections } from './nms.ts';
import { checkDetectOptions, finishDetections } from './options.ts';
import type { DetectOptions, DetectedFace, Detector } from './types.ts';

export interface TilingConfig {
  /** Tile levels, each given as the number of tiles across the image's longer side (> 1). */
  levels: readonly number[];
  /** Overlap of neighbouring tiles, a fraction of the tile side (0-0.5). */
  overlap: number;
  /**
   * A level is skipped when its tiles would be enlarged more than this (detector input pixels
   * per image pixel): small images gain nothing from being cut up.
   */
  maxZoom: number;
  /** IoU above which detections from different tiles and levels are merged. */
  mergeIou: number;
  /**
   * Also drop a detection when more than this fraction of it lies inside a larger one kept from
   * another tile or level: a face that one tile saw in part, away from the tile's edge. 1: off.
   */
  mergeContained: number;
}

export interface Tile {
  /** The tile in image pixels (whole pixels). */
  box: Box;
  /** Which sides are inner edges (shared with a neighbour), not the image's border. */
  inner: { left: boolean; top: boolean; right: boolean; bottom: boolean };
}

/** Tiles of every level for an image, the whole image first. Pure, for tests and benchmarks. */
export function planTiles(width: number, height: number, inputSize: number, config: TilingConfig): Tile[] {
  const longer = Math.max(width, height);
  const tiles: Tile[] = [{ box: { x: 0, y: 0, width, height }, inner: { left: false, top: false, right: false, bottom: false } }];
  for (const across of config.levels) {
    // n tiles of side t overlapping by overlap * t span the longer side exactly.
    const side = Math.ceil(longer / (across - (across - 1) * config.overlap));
    if (side >= longer || inputSize / side > config.maxZoom) continue;
    const xs = positions(width, side, config.overlap), ys = positions(height, side, config.overlap);
    for (const y of ys) {
      for (const x of xs) {
        const w = Math.min(side, width), h = Math.min(side, height);
        tiles.push({
          box: { x, y, width: w, height: h },
          inner: { left: x > 0, top: y > 0, right: x + w < width, bottom: y + h < height },
        });
      }
    }
  }
  return tiles;
}

/** Evenly spread starts of tiles of `side` along `length`, neighbours overlapping by at least `overlap * side`. */
function positions(length: number, side: number, overlap: number): number[] {
  if (side >= length) return [0];
  const step = side * (1 - overlap);
  const count = Math.ceil((length - side) / step) + 1;
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - side)) / (count - 1)));
}

export class TiledDetector implements Detector {
  readonly id: string;
  readonly config: Readonly<TilingConfig>;
  private readonly base: BatchDetector;

  constructor(base: BatchDetector, config: TilingConfig) {
    checkTilingConfig(config);
    this.base = base;
    this.config = Object.freeze({ ...config, levels: Object.freeze([...config.levels]) });
    this.id = `${base.id}+tiled`;
  }

  /** The tiles an image of this size is cut into, the whole image first: one model run each. */
  tilesFor(width: number, height: number): Tile[] {
    return planTiles(width, height, this.base.inputSize, this.config);
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    checkDetectOptions(options);
    const tiles = this.tilesFor(image.width, image.height);
    const crops = tiles.map((t, i) => (i === 0 ? image : crop(image, t.box)));
    const found = await this.base.detectMany(crops, options.minScore);
    const lists = found.map((faces, i) => {
      if (i === 0) return faces;
      const { box: tile, inner } = tiles[i]!;
      // Boxes come clipped to the tile; within a hair of an inner edge means cut by it.
      const margin = Math.max(1, tile.width * 0.005);
      return faces
        .filter(({ box }) => !((inner.left && box.x <= margin) || (inner.top && box.y <= margin)
          || (inner.right && box.x + box.width >= tile.width - margin) || (inner.bottom && box.y + box.height >= tile.height - margin)))
        .map((f) => shift(f, tile.x, tile.y));
    });
    const merged = mergeDetections(lists, { iouThreshold: this.config.mergeIou, containedThreshold: this.config.mergeContained });
    return finishDetections(merged, options);
  }
}

function shift(face: DetectedFace, dx: number, dy: number): DetectedFace {
  const moved: DetectedFace = { box: { ...face.box, x: face.box.x + dx, y: face.box.y + dy }, score: face.score };
  if (face.keypoints) moved.keypoints = face.keypoints.map((p) => ({ x: p.x + dx, y: p.y + dy }));
  return moved;
}

function checkTilingConfig(config: TilingConfig): void {
  const bad = (what: string) => new VisageError('VISAGE_ERR_BAD_OPTION', `tiling ${what}`);
  if (!Array.isArray(config.levels) || config.levels.some((n) => !Number.isInteger(n) || n < 2)) throw bad('levels must be whole numbers >= 2');
  if (!(config.overlap >= 0 && config.overlap <= 0.5)) throw bad(`overlap must be 0-0.5, got ${config.overlap}`);
  if (!(config.maxZoom > 0)) throw bad(`maxZoom must be > 0, got ${config.maxZoom}`);
  if (!(config.mergeIou > 0 && config.mergeIou <= 1)) throw bad(`mergeIou must be in (0, 1], got ${config.mergeIou}`);
  if (!(config.mergeContained > 0 && config.mergeContained <= 1)) throw bad(`mergeContained must be in (0, 1], got ${config.mergeContained}`);
}
