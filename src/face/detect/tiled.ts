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
import { crop, resizeTo } from '../image/transform.ts';
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
  /** Side of its level's tiles (the whole image: its longer side); the detector sees it as inputSize. */
  side: number;
  /** Which sides are inner edges (shared with a neighbour), not the image's border. */
  inner: { left: boolean; top: boolean; right: boolean; bottom: boolean };
}

/** Tiles of every level for an image, the whole image first. Pure, for tests and benchmarks. */
export function planTiles(width: number, height: number, inputSize: number, config: TilingConfig): Tile[] {
  const longer = Math.max(width, height);
  const tiles: Tile[] = [{ box: { x: 0, y: 0, width, height }, side: longer, inner: { left: false, top: false, right: false, bottom: false } }];
  for (const across of config.levels) {
    // n tiles of side t overlapping by overlap * t span the longer side exactly.
    const side = Math.ceil(longer / (across - (across - 1) * config.overlap));
    if (side >= longer || inputSize / side > config.maxZoom) continue;
    const w = Math.min(side, width), h = Math.min(side, height);
    const xs = positions(width, side, config.overlap), ys = positions(height, side, config.overlap);
    for (const y of ys) {
      for (const x of xs) {
        tiles.push({
          box: { x, y, width: w, height: h },
          side,
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
    const views = await this.views(image, tiles);
    const found = await this.base.detectMany(views.map((v) => v.image), options.minScore);
    const lists = found.map((faces, i) => {
      const view = views[i]!;
      if (i === 0) return faces.map((f) => toImage(f, view));
      const { inner } = tiles[i]!;
      const { width, height } = view.image;
      // Boxes come clipped to the tile; within a hair of an inner edge means cut by it.
      const margin = Math.max(1, width * 0.005);
      return faces
        .filter(({ box }) => !((inner.left && box.x <= margin) || (inner.top && box.y <= margin)
          || (inner.right && box.x + box.width >= width - margin) || (inner.bottom && box.y + box.height >= height - margin)))
        .map((f) => toImage(f, view));
    });
    const merged = mergeDetections(lists, { iouThreshold: this.config.mergeIou, containedThreshold: this.config.mergeContained });
    return finishDetections(merged, options);
  }

  /**
   * The pixels the detector gets for each tile. A tile to be shrunk is cut from the image shrunk
   * once per level to the detector's scale (one resize per level, and a 40-megapixel photo's
   * tiles are never copied at full size); a tile to be enlarged is cut at full resolution and
   * enlarged by the detector.
   */
  private async views(image: RgbImage, tiles: Tile[]): Promise<View[]> {
    const size = this.base.inputSize;
    const scaled = new Map<number, Promise<RgbImage>>();
    const views = Promise.all(tiles.map(async (tile, i): Promise<View> => {
      if (i === 0) return { image, offsetX: 0, offsetY: 0, scaleX: 1, scaleY: 1 };
      const zoom = size / tile.side;
      if (zoom >= 1) return { image: crop(image, tile.box), offsetX: tile.box.x, offsetY: tile.box.y, scaleX: 1, scaleY: 1 };
      let level = scaled.get(tile.side);
      if (!level) {
        level = resizeTo(image, Math.max(1, Math.round(image.width * zoom)), Math.max(1, Math.round(image.height * zoom)));
        scaled.set(tile.side, level);
      }
      const small = await level;
      const scaleX = small.width / image.width, scaleY = small.height / image.height;
      const x0 = Math.round(tile.box.x * scaleX), y0 = Math.round(tile.box.y * scaleY);
      const x1 = Math.min(small.width, Math.round((tile.box.x + tile.box.width) * scaleX));
      const y1 = Math.min(small.height, Math.round((tile.box.y + tile.box.height) * scaleY));
      // A full tile is cut exactly inputSize across (its side maps to that, give or take the
      // rounding), so the detector only pads it; past the image's edge the crop is black.
      const width = tile.box.width === tile.side ? size : Math.max(1, x1 - x0);
      const height = tile.box.height === tile.side ? size : Math.max(1, y1 - y0);
      return { image: crop(small, { x: x0, y: y0, width, height }), offsetX: x0 / scaleX, offsetY: y0 / scaleY, scaleX, scaleY };
    }));
    const done = await views;
    // The whole image, which the detector shrinks to inputSize, is shrunk from the smallest level
    // instead of from full size: the same picture (both resizes average every source pixel) for
    // a fraction of the work (a 1920-px photo: from 665 px rather than 1920).
    const smallest = [...scaled.entries()].sort((a, b) => b[0] - a[0])[0];
    if (smallest) {
      const small = await smallest[1];
      if (Math.max(small.width, small.height) >= size) {
        done[0] = { image: small, offsetX: 0, offsetY: 0, scaleX: small.width / image.width, scaleY: small.height / image.height };
      }
    }
    return done;
  }
}

/** A tile as the detector sees it: image point = offset + local point / scale. */
interface View {
  image: RgbImage;
  offsetX: number;
  offsetY: number;
  scaleX: number;
  scaleY: number;
}

function toImage(face: DetectedFace, view: View): DetectedFace {
  const { offsetX, offsetY, scaleX, scaleY } = view;
  const { box } = face;
  const moved: DetectedFace = {
    box: { x: offsetX + box.x / scaleX, y: offsetY + box.y / scaleY, width: box.width / scaleX, height: box.height / scaleY },
    score: face.score,
  };
  if (face.keypoints) moved.keypoints = face.keypoints.map((p) => ({ x: offsetX + p.x / scaleX, y: offsetY + p.y / scaleY }));
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
