// Attribute ensembles: several heads' readings of one face combined into one, with weights fitted
// by `npm run bench:attributes` on the fit half of each set (UTKFace and FER-2013 rows of even
// index) and reported on the other half. Pure: the runner (attributes.ts) runs the members.
import type { HeadReading } from './heads.ts';
import { EMOTIONS, type AttributeName } from './types.ts';

export interface EnsembleMember {
  /** The head (HEADS id). */
  head: string;
  /** Test-time mirror: the head also reads the mirrored crop and the two readings are averaged. */
  mirror: boolean;
  weight: number;
}

/**
 * One attribute from its members' readings:
 *   age:     bias + sum w_m x age_m (years)
 *   gender:  P(male) = sigmoid(bias + sum w_m x logit(P_m(male)))
 *   emotion: P(class) = sum w_m x P_m(class) / sum w_m (bias unused)
 */
export interface AttributeEnsemble {
  id: string;
  attribute: Exclude<AttributeName, 'liveness'>;
  members: readonly EnsembleMember[];
  bias: number;
}

const logit = (p: number) => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** A head's reading of a crop and of its mirror image as one: ages and emotion probabilities averaged, gender in logits. */
export function mirrorMean(plain: HeadReading, mirrored: HeadReading): HeadReading {
  const out: HeadReading = {};
  if (plain.age !== undefined && mirrored.age !== undefined) out.age = (plain.age + mirrored.age) / 2;
  if (plain.male !== undefined && mirrored.male !== undefined) out.male = sigmoid((logit(plain.male) + logit(mirrored.male)) / 2);
  if (plain.emotion && mirrored.emotion) out.emotion = plain.emotion.map((p, i) => (p + mirrored.emotion![i]!) / 2);
  if (plain.live !== undefined && mirrored.live !== undefined) out.live = (plain.live + mirrored.live) / 2;
  return out;
}

/** The ensemble's reading from its members' (in `members` order, mirror already averaged). */
export function combine(ensemble: AttributeEnsemble, readings: readonly HeadReading[]): HeadReading {
  const { members, bias } = ensemble;
  switch (ensemble.attribute) {
    case 'age':
      return { age: members.reduce((sum, m, i) => sum + m.weight * readings[i]!.age!, bias) };
    case 'gender':
      return { male: sigmoid(members.reduce((sum, m, i) => sum + m.weight * logit(readings[i]!.male!), bias)) };
    case 'emotion': {
      const total = members.reduce((sum, m) => sum + m.weight, 0);
      return { emotion: EMOTIONS.map((_, c) => members.reduce((sum, m, i) => sum + m.weight * readings[i]!.emotion![c]!, 0) / total) };
    }
  }
}

/**
 * Fitted on the fit halves (README, "Face attributes and liveness (`npm run bench:attributes`)"):
 * gender by logistic regression on the members' logits (Newton steps), emotion by the best fit
 * accuracy over a grid of weights (steps of 0.05). An ensemble or the mirror is the default only
 * where it was best on the fit half (an extra member had to gain 0.5 points of accuracy or 0.2
 * years of MAE there) and beat the single model on the report half.
 */
export const ENSEMBLES: readonly AttributeEnsemble[] = Object.freeze([
  // face-api's age read on the crop and on its mirror image, averaged: UTKFace fit-half MAE 5.54 (5.63 without the mirror).
  { id: 'faceapi-age-gender-mirror', attribute: 'age', bias: 0, members: [{ head: 'faceapi-age-gender', mirror: true, weight: 1 }] },
  // face-api and FaceRes: UTKFace fit half 92.8% (face-api alone 91.6%); on the report half 90.4%,
  // no better than face-api alone (90.4%), so not the default.
  {
    id: 'gender-ensemble', attribute: 'gender', bias: -0.195,
    members: [{ head: 'faceapi-age-gender', mirror: false, weight: 0.959 }, { head: 'human-faceres', mirror: false, weight: 0.377 }],
  },
  // The three expression models, each with the mirror, probabilities mixed 0.3 / 0.4 / 0.3 (fitted on
  // 97 fit-half images: 75.3%, Faceplugin's alone with the mirror 73.2%); on all 120 of the fit half
  // 70.0% (the same as Faceplugin's with the mirror); on the whole report half (504) 62.1%, below
  // Faceplugin's alone (64.3%), so not the default.
  {
    id: 'emotion-ensemble', attribute: 'emotion', bias: 0,
    members: [
      { head: 'faceplugin-expression', mirror: true, weight: 0.3 },
      { head: 'human-emotion', mirror: true, weight: 0.4 },
      { head: 'faceapi-expression', mirror: true, weight: 0.3 },
    ],
  },
]);

export function ensembleFor(id: string): AttributeEnsemble | undefined {
  return ENSEMBLES.find((e) => e.id === id);
}
