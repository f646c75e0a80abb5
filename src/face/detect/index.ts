// The detectors, described once: id, model, whether createVisage offers it, tiling; and the factory
// that makes one by id, with or without tiling. See tiled.ts for why tiles, and the tiling notes
// below for what was measured on WIDER dev (bench/wider.ts).
import { VisageError } from '../../errors.ts';
import type { Engine } from '../../runtime/engine.ts';
import { BLAZEFACE_MODEL_ID, BlazeFaceDetector } from './blazeface.ts';
import type { BatchDetector } from './batch-detector.ts';
import { SSD_MODEL_ID, SsdMobilenetV1Detector } from './ssd-mobilenetv1.ts';
import { TiledDetector, type TilingConfig } from './tiled.ts';
import { TINY_MODEL_ID, TinyFaceDetector } from './tiny-face-detector.ts';
import type { Detector } from './types.ts';

export type TilingMode = 'auto' | 'on' | 'off';

interface DetectorEntry {
  /** The registry model it runs. */
  modelId: string;
  /** Offered as createVisage's `detector` (and the CLI's --detector). */
  pipeline: boolean;
  description: string;
  /** Tiling for 'auto' (see the notes below). */
  tiling: Readonly<TilingConfig>;
  create(engine: Engine): BatchDetector;
}

/**
 * Tiling per detector, chosen on WIDER dev with bench/wider.ts (AP at IoU 0.5 for faces >= 16 /
 * 32 / 64 px, %; model runs per 1024-px image):
 * - ssd: whole image + 2 tiles across: 44.6 / 77.4 / 91.1 -> 71.3 / 87.5 / 93.8 at 4.8 runs
 *   (about 5x the time of one run; batched). Measured and not taken: 3 across 73 / 87 / 92 at 8
 *   runs; 2 and 3 across 75 / 89 / 93 at 12 runs; overlap 0.1 or 0.3 no better than 0.2.
 *   mergeContained 0.6 drops parts of faces cut by a tile yet found by another: precision at
 *   score 0.5 (faces >= 16 px) 71.3% -> 73.7%, recall 67.3% -> 67.1%.
 * - blazeface: whole image + 3 across: 25.2 / 53.4 / 86.1 -> 58.4 / 84.0 / 91.2 at 8.2 runs (its
 *   runs are ~5x cheaper than the SSD's). 4 across 63 / 83 / 90 at 13 runs; 3 and 4 across
 *   63 / 84 / 91 at 21 runs. Its own NMS at 0.3 and merging at 0.3: 0.5 gave the same AP and
 *   lower precision at score 0.5; containment lowered its AP slightly, so it is off. Since the whole
 *   image is shrunk from the tile level (tiled.ts): 59.1 / 83.9 / 91.4. Tiles up to 10% taller along
 *   the shorter side where that saves a row (9 -> 6 tiles on a 4:3 photo) measured 58.2 / 83.7 /
 *   90.8 at 7.3 runs and ~6% less time end to end on face-api's demo photos: not taken.
 * - tiny: whole image + 2 across: 9 / 20 / 60 -> 22 / 48 / 81 (input 416).
 * - maxZoom 2: 'auto' cuts no tiles that the detector would enlarge more than 2x, i.e. none for
 *   images under ~460 px (SSD) or ~330 px (BlazeFace). On WIDER images shrunk to 640 px tiles
 *   still won (SSD: 61 / 83 / 90 -> 78 / 90 / 93); at 400 px (tiles enlarged 2.3x) they helped
 *   small faces (79 -> 86) and hurt large ones (98 -> 95), at 5x the time.
 */
export const DETECTORS = Object.freeze({
  ssd: {
    modelId: SSD_MODEL_ID,
    pipeline: true,
    description: "face-api's SSD-MobileNetV1: best on small faces, about 4x BlazeFace's time",
    tiling: Object.freeze({ levels: Object.freeze([2]), overlap: 0.2, maxZoom: 2, mergeIou: 0.5, mergeContained: 0.6 }),
    create: (engine: Engine) => new SsdMobilenetV1Detector(engine),
  },
  blazeface: {
    modelId: BLAZEFACE_MODEL_ID,
    pipeline: true,
    description: "Human's BlazeFace back-camera model (the default): fast, tiled for small faces",
    tiling: Object.freeze({ levels: Object.freeze([3]), overlap: 0.2, maxZoom: 2, mergeIou: 0.3, mergeContained: 1 }),
    create: (engine: Engine) => new BlazeFaceDetector(engine),
  },
  tiny: {
    modelId: TINY_MODEL_ID,
    pipeline: false,
    description: "face-api's tiny face detector: weakest; for comparisons only",
    tiling: Object.freeze({ levels: Object.freeze([2]), overlap: 0.2, maxZoom: 2, mergeIou: 0.4, mergeContained: 0.6 }),
    create: (engine: Engine) => new TinyFaceDetector(engine),
  },
} as const satisfies Record<string, DetectorEntry>);

export type DetectorId = keyof typeof DETECTORS;
/** The detectors createVisage offers. */
export type PipelineDetectorId = { [K in DetectorId]: (typeof DETECTORS)[K]['pipeline'] extends true ? K : never }[DetectorId];

export const DETECTOR_IDS: readonly DetectorId[] = Object.freeze(Object.keys(DETECTORS) as DetectorId[]);
export const PIPELINE_DETECTOR_IDS: readonly PipelineDetectorId[] = Object.freeze(
  DETECTOR_IDS.filter((id): id is PipelineDetectorId => DETECTORS[id].pipeline));

export const DEFAULT_TILING: Readonly<Record<DetectorId, Readonly<TilingConfig>>> = Object.freeze(
  Object.fromEntries(DETECTOR_IDS.map((id) => [id, DETECTORS[id].tiling])) as Record<DetectorId, Readonly<TilingConfig>>);

export interface CreateDetectorOptions {
  /**
   * 'auto' (default): tiles on images large enough for them to pay (see `maxZoom`); 'on': tiles
   * on every image, small ones enlarged; 'off': the whole image only.
   */
  tiling?: TilingMode;
}

export function createDetector(engine: Engine, id: DetectorId, options: CreateDetectorOptions = {}): Detector {
  const tiling = options.tiling ?? 'auto';
  if (tiling !== 'auto' && tiling !== 'on' && tiling !== 'off') {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `tiling must be 'auto', 'on' or 'off', got ${String(tiling)}`);
  }
  if (!Object.hasOwn(DETECTORS, id)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `detector must be one of ${DETECTOR_IDS.join(', ')}, got ${String(id)}`);
  const base = DETECTORS[id].create(engine);
  if (tiling === 'off') return base;
  const config = DETECTORS[id].tiling;
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
