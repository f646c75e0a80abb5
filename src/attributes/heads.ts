// Every attribute model Visage runs, described once: which attributes it gives, the crop its own
// code feeds it (taken from the shipping package's sources), and how its outputs become values.
// Pure: no onnxruntime here (src/attributes/attributes.ts runs them through the engine).
import type { Affine } from '../face/align/index.ts';
import type { Outputs } from '../runtime/engine.ts';
import type { Box, FivePoints, Point } from '../types.ts';
import { EMOTIONS, type AttributeName, type Emotion } from './types.ts';

export { ATTRIBUTE_NAMES, EMOTIONS } from './types.ts';
export type { AttributeName, Emotion } from './types.ts';

/** What one head says of one face, before thresholds: the raw material of AttributeResults. */
export interface HeadReading {
  age?: number;
  /** Probability that the face is male, 0-1. */
  male?: number;
  /** Probabilities in EMOTIONS order, summing to 1. */
  emotion?: number[];
  /** Liveness score, 0-1, higher = more likely a live face. */
  live?: number;
}

/** A face as the heads see it: the detector's box and the five landmark points, in image pixels. */
export interface FaceGeometry {
  box: Box;
  five: FivePoints;
  /** The 68 landmark points, where known (face-api's own crop is drawn around them). */
  points68?: readonly Point[];
}

export interface AttributeHead {
  /** The name users select it by (the registry id of its model). */
  id: string;
  /** Registry model id. */
  model: string;
  provides: readonly AttributeName[];
  /** Image pixels -> crop pixels (the model's input size), as the model's own code crops. */
  crop(face: FaceGeometry, imageWidth: number, imageHeight: number): Affine;
  read(outputs: Outputs): HeadReading;
}

function softmax(values: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(values));
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Maps the rectangle `from` (image pixels) onto a width x height crop, stretching as needed. */
function rectToCrop(from: Box, width: number, height: number): Affine {
  const sx = width / from.width, sy = height / from.height;
  return [[sx, 0, -from.x * sx], [0, sy, -from.y * sy]];
}

/** A square of `side` image pixels centred on `centre`, turned so the eye line is level, onto size x size. */
function uprightSquare(centre: { x: number; y: number }, side: number, angle: number, size: number): Affine {
  const scale = size / side;
  const cos = Math.cos(-angle) * scale, sin = Math.sin(-angle) * scale;
  // Rotate by -angle about the centre, scale, then move the centre to the crop's middle.
  return [[cos, -sin, size / 2 - (cos * centre.x - sin * centre.y)], [sin, cos, size / 2 - (sin * centre.x + cos * centre.y)]];
}

function eyeAngle(five: FivePoints): number {
  return Math.atan2(five.rightEye.y - five.leftEye.y, five.rightEye.x - five.leftEye.x);
}

function boxCentre(box: Box) {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * face-api's crop: the detection box, padded to a square with the face centred, resized to 112
 * (its NetInput pads to square centred, then resizes). No rotation.
 */
function faceapiCrop(face: FaceGeometry): Affine {
  const side = Math.max(face.box.width, face.box.height);
  return uprightSquare(boxCentre(face.box), side, 0, 112);
}

/**
 * face-api's own crop in withAgeAndGender() / withFaceExpressions(): the box around the 68
 * landmarks grown by 20% (FaceLandmarks.align(): minBoxPadding 0.2), padded to a square with the
 * face centred, resized to 112. Without the 68 points, the detection box (faceapiCrop).
 */
function faceapiLandmarkCrop(face: FaceGeometry): Affine {
  const points = face.points68;
  if (!points || points.length === 0) return faceapiCrop(face);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of points) { x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y); }
  const side = 1.2 * Math.max(x1 - x0, y1 - y0);
  return uprightSquare({ x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, side, 0, 112);
}

/**
 * FER-2013's framing, for the expression models trained on it: a square 1.22 times the detection
 * box's longer side, centred on the box, not turned (1.22: the median of 48 px over the longer
 * side of Visage's box on FER-2013's fit half, whose 48x48 images are the framing itself).
 */
function ferFrame(face: FaceGeometry, size: number): Affine {
  return uprightSquare(boxCentre(face.box), 1.22 * Math.max(face.box.width, face.box.height), 0, size);
}

/**
 * Human's face crop: the detector box enlarged to a square about 1.5 times the face, turned
 * upright by its eye line (Human's rotation correction); `part` then takes a region of that
 * square as the head's own code does (GEAR: left 0.1, top 0, right 0.9, bottom 0.9).
 */
function humanCrop(face: FaceGeometry, size: number, part: [top: number, left: number, bottom: number, right: number] = [0, 0, 1, 1]): Affine {
  const side = 1.5 * Math.max(face.box.width, face.box.height);
  const angle = eyeAngle(face.five);
  const full = uprightSquare(boxCentre(face.box), side, angle, size);
  const [top, left, bottom, right] = part;
  // Then stretch the chosen part of the square (in crop coordinates) to the whole crop.
  const sx = 1 / (right - left), sy = 1 / (bottom - top);
  const partMap: Affine = [[sx, 0, -left * size * sx], [0, sy, -top * size * sy]];
  return [
    [partMap[0][0] * full[0][0], partMap[0][0] * full[0][1], partMap[0][0] * full[0][2] + partMap[0][2]],
    [partMap[1][1] * full[1][0], partMap[1][1] * full[1][1], partMap[1][1] * full[1][2] + partMap[1][2]],
  ];
}

/**
 * Faceplugin's crop (lib/fr_age.js alignAgeImage): the box scaled by `scale` about its centre
 * (less where the image is too small), moved inside the image, stretched to size x size.
 */
function facepluginCrop(face: FaceGeometry, scale: number, size: number, imageWidth: number, imageHeight: number): Affine {
  const { box } = face;
  const s = Math.min((imageHeight - 1) / box.height, (imageWidth - 1) / box.width, scale);
  const width = box.width * s, height = box.height * s;
  const centre = boxCentre(box);
  let x = centre.x - width / 2, y = centre.y - height / 2;
  x = Math.min(Math.max(x, 0), Math.max(0, imageWidth - 1 - width));
  y = Math.min(Math.max(y, 0), Math.max(0, imageHeight - 1 - height));
  return rectToCrop({ x, y, width, height }, size, size);
}

/** SSR-Net's soft stagewise regression (three stages of three bins), as lib/fr_age.js merges it. */
function ssrMerge(outputs: Outputs): number {
  const o = (name: string) => outputs[name]!.data;
  const p = [o('prob_stage_1'), o('prob_stage_2'), o('prob_stage_3')];
  const delta = [o('stage1_delta_k')[0]!, o('stage2_delta_k')[0]!, o('stage3_delta_k')[0]!];
  const offset = [o('index_offset_stage1'), o('index_offset_stage2'), o('index_offset_stage3')];
  let value = 0, width = 1;
  for (let k = 0; k < 3; k++) {
    width *= 3 * (1 + delta[k]!);
    let stage = 0;
    for (let i = 0; i < 3; i++) stage += (i + offset[k]![i]!) * p[k]![i]!;
    value += stage / width;
  }
  return value;
}

/** face-api's expression order, to EMOTIONS order. */
const FACEAPI_EXPRESSIONS = ['neutral', 'happy', 'sad', 'angry', 'fear', 'disgust', 'surprise'] as const;

function reorder(scores: ArrayLike<number>, names: readonly Emotion[]): number[] {
  return EMOTIONS.map((emotion) => scores[names.indexOf(emotion)] ?? 0);
}

/** GEAR's age classes and the ages Human weighs them with. */
const GEAR_AGES = [15, 23, 28, 35.5, 45.5, 55.5, 65];

export const HEADS: readonly AttributeHead[] = Object.freeze([
  {
    id: 'faceapi-age-gender', model: 'faceapi-age-gender', provides: ['age', 'gender'],
    // face-api's own crop: on UTKFace's fit half age MAE 5.63 (the box padded to a square 6.22), gender 91.6% (89.2%).
    crop: (face) => faceapiLandmarkCrop(face),
    read: (out) => ({ age: out['age']!.data[0]!, male: out['gender']!.data[0]! }),
  },
  {
    id: 'faceapi-expression', model: 'faceapi-expression', provides: ['emotion'],
    // FER-2013's framing: on its fit half 53.3% (the box padded to a square 49.2%).
    crop: (face) => ferFrame(face, 112),
    read: (out) => ({ emotion: reorder(out['expressions']!.data, FACEAPI_EXPRESSIONS) }),
  },
  {
    id: 'human-gear', model: 'human-gear', provides: ['age', 'gender'],
    crop: (face) => humanCrop(face, 198, [0, 0.1, 0.9, 0.9]),
    read: (out) => {
      // Human's own reading: start at the likeliest class's age, move towards each other class by its probability.
      const p = Array.from(out['age_output']!.data);
      const order = p.map((prob, i) => [GEAR_AGES[i]!, prob] as const).sort((a, b) => b[1] - a[1]);
      let age = order[0]![0];
      for (let i = 1; i < order.length; i++) age += order[i]![1] * (order[i]![0] - age);
      return { age, male: out['gender_output']!.data[0]! };
    },
  },
  {
    id: 'human-age', model: 'human-age', provides: ['age'],
    crop: (face) => humanCrop(face, 64),
    read: (out) => ({ age: out['Identity']!.data[0]! }),
  },
  {
    id: 'human-gender', model: 'human-gender', provides: ['gender'],
    crop: (face) => humanCrop(face, 64),
    read: (out) => ({ male: out['Identity']!.data[1]! }),
  },
  {
    id: 'human-faceres', model: 'human-faceres', provides: ['age', 'gender'],
    crop: (face) => humanCrop(face, 224),
    read: (out) => {
      // Human's reading (face/faceres.ts): the likeliest year, moved by ten times the larger neighbour's probability.
      const p = out['age_pred/Softmax']!.data;
      let best = 0;
      for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
      const below = p[best - 1] ?? 0, above = p[best + 1] ?? 0;
      return { age: below > above ? best - 10 * below : best + 10 * above, male: out['gender_pred/Sigmoid']!.data[0]! };
    },
  },
  {
    id: 'human-emotion', model: 'human-emotion', provides: ['emotion'],
    // FER-2013's framing: on its fit half 57.5% (Human's 1.5-times square, turned upright: 45.8%).
    crop: (face) => ferFrame(face, 64),
    read: (out) => ({ emotion: Array.from(out['Identity']!.data) }),
  },
  {
    id: 'human-antispoof', model: 'human-antispoof', provides: ['liveness'],
    crop: (face) => humanCrop(face, 128),
    read: (out) => ({ live: out['activation_4']!.data[0]! }),
  },
  {
    id: 'human-liveness', model: 'human-liveness', provides: ['liveness'],
    crop: (face) => humanCrop(face, 32),
    read: (out) => ({ live: out['activation_6']!.data[0]! }),
  },
  {
    id: 'faceplugin-age', model: 'faceplugin-age', provides: ['age'],
    crop: (face, w, h) => facepluginCrop(face, 1.4, 64, w, h),
    read: (out) => ({ age: 101 * ssrMerge(out) }),
  },
  {
    id: 'faceplugin-gender', model: 'faceplugin-gender', provides: ['gender'],
    crop: (face, w, h) => facepluginCrop(face, 1.4, 64, w, h),
    // SSR-Net regresses gender to 0-1 with 1 for male (its IMDB-WIKI training labels).
    read: (out) => ({ male: Math.min(1, Math.max(0, ssrMerge(out))) }),
  },
  {
    id: 'faceplugin-expression', model: 'faceplugin-expression', provides: ['emotion'],
    // FER-2013's framing: on its fit half 66.7% (the package's 1.2 times the box from its corner: 56.7%).
    crop: (face) => ferFrame(face, 224),
    // Its classes follow FER-2013's order (a happy FER face lights up index 3).
    read: (out) => ({ emotion: softmax(out['output']!.data) }),
  },
  {
    id: 'faceplugin-liveness', model: 'faceplugin-liveness', provides: ['liveness'],
    crop: (face, w, h) => facepluginCrop(face, 2.7, 128, w, h),
    read: (out) => ({ live: softmax(out['output']!.data)[0]! }),
  },
]);

export function headsFor(attribute: AttributeName): AttributeHead[] {
  return HEADS.filter((h) => h.provides.includes(attribute));
}
