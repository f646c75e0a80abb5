// Detection options: defaults, validation, and the filtering every detector ends with.
import { VisageError } from '../../errors.ts';
import type { DetectOptions, DetectedFace } from './types.ts';

export const DETECT_DEFAULTS: Readonly<DetectOptions> = Object.freeze({
  // face-api's SsdMobilenetv1Options default; Human's BlazeFace default is 0.2.
  minScore: 0.5,
  maxFaces: 100,
  minFaceSize: 0,
});

/** Merges partial options over the defaults; rejects unknown keys and bad values. */
export function resolveDetectOptions(options: Partial<DetectOptions> = {}): DetectOptions {
  if (options === null || typeof options !== 'object') throw new VisageError('VISAGE_ERR_BAD_OPTION', 'detect options must be an object');
  for (const key of Object.keys(options)) {
    if (!(key in DETECT_DEFAULTS)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown detect option '${key}'`);
  }
  const resolved = { ...DETECT_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) resolved[key as keyof DetectOptions] = value;
  }
  checkDetectOptions(resolved);
  return resolved;
}

export function checkDetectOptions(options: DetectOptions): void {
  if (options === null || typeof options !== 'object') throw new VisageError('VISAGE_ERR_BAD_OPTION', 'detect options must be an object');
  const { minScore, maxFaces, minFaceSize } = options;
  if (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 1)) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `minScore must be a number from 0 to 1, got ${String(minScore)}`);
  }
  if (typeof maxFaces !== 'number' || !(maxFaces >= 1) || !(Number.isInteger(maxFaces) || maxFaces === Infinity)) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `maxFaces must be a whole number >= 1 (or Infinity), got ${String(maxFaces)}`);
  }
  if (typeof minFaceSize !== 'number' || !(minFaceSize >= 0) || !Number.isFinite(minFaceSize)) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `minFaceSize must be a number of pixels >= 0, got ${String(minFaceSize)}`);
  }
}

/**
 * The last step of every detector: faces below `minScore` or smaller than `minFaceSize` (their
 * shorter side) dropped, best first, at most `maxFaces`.
 */
export function finishDetections(faces: readonly DetectedFace[], options: DetectOptions): DetectedFace[] {
  return faces
    .filter((f) => f.score >= options.minScore && Math.min(f.box.width, f.box.height) >= options.minFaceSize && f.box.width > 0 && f.box.height > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, options.maxFaces);
}
