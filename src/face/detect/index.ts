// Detector factory: a detector by id, with or without tiling. See tiled.ts for why tiles, and
// the defaults below for what was measured on WIDER dev (bench/wider.ts).
import { VisageError } from '../../errors.ts';
import type { Engine } from '../../runtime/engine.ts';
import { BlazeFaceDetector } from './blazeface.ts';
import type { BatchDetector } from './batch-detector.ts';
import { SsdMobilenetV1Detector } from './ssd-mobilenetv1.ts';
import { TiledDetector, type TilingConfig } from './tiled.ts';
import { TinyFaceDetector } from './tiny-face-detector.ts';
import type { Detector } from './types.ts';

/** 'ssd' (default): face-api's SSD-MobileNetV1; 'blazeface': Human's BlazeFace back model, faster; 'tiny': face-api's tiny detector, weakest. */
export type DetectorId = 'ssd' | 'blazeface' | 'tiny';
export type TilingMode = 'auto' | 'on' | 'off';

export const DETECTOR_IDS: readonly DetectorId[] = Object.freeze(['ssd', 'blazeface', 'tiny']);

export interface CreateDetectorOptions {
  /**
   * 'auto' (default): tiles on images large enough for them to pay (see `maxZoom`); 'on': tiles
   * on every image, small ones enlarged; 'off': the whole image only.
   */
  tiling?: TilingMode;
}

/** Tiling per detector, chosen on WIDER dev (bench/wider.ts); the figures are in the README. */
export const DEFAULT_TILING: Readonly<Record<DetectorId, Readonly<TilingConfig>>> = Object.freeze({
  ssd: Object.freeze({ levels: Object.freeze([2]), overlap: 0.2, maxZoom: 2, mergeIou: 0.5, mergeContained: 0.6 }),
  blazeface: Object.freeze({ levels: Object.freeze([3]), overlap: 0.2, maxZoom: 2, mergeIou: 0.3, mergeContained: 1 }),
  tiny: Object.freeze({ levels: Object.freeze([2]), overlap: 0.2, maxZoom: 2, mergeIou: 0.4, mergeContained: 0.6 }),
});

export function createDetector(engine: Engine, id: DetectorId = 'ssd', options: CreateDetectorOptions = {}): Detector {
  const tiling = options.tiling ?? 'auto';
  if (tiling !== 'auto' && tiling !== 'on' && tiling !== 'off') {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `tiling must be 'auto', 'on' or 'off', got ${String(tiling)}`);
  }
  let base: BatchDetector;
  if (id === 'ssd') base = new SsdMobilenetV1Detector(engine);
  else if (id === 'blazeface') base = new BlazeFaceDetector(engine);
  else if (id === 'tiny') base = new TinyFaceDetector(engine);
  else throw new VisageError('VISAGE_ERR_BAD_OPTION', `detector must be one of ${DETECTOR_IDS.join(', ')}, got ${String(id)}`);
  if (tiling === 'off') return base;
  const config = DEFAULT_TILING[id];
  return new TiledDetector(base, tiling === 'on' ? { ...config, maxZoom: Infinity } : config);
}

export { SsdMobilenetV1Detector } from './ssd-mobilenetv1.ts';
export { BlazeFaceDetector } from './blazeface.ts';
export { TinyFaceDetector } from './tiny-face-detector.ts';
export type { BoxFit } from './box-fit.ts';
export { TiledDetector, planTiles } from './tiled.ts';
export type { TilingConfig, Tile } from './tiled.ts';
export { iou, nonMaxSuppression, mergeDetections } from './nms.ts';
export { DETECT_DEFAULTS, resolveDetectOptions } from './options.ts';
export type { Detector, DetectOptions, DetectedFace } from './types.ts';
