// Which face of an enrolment image to keep: pure rules over analyze() results.
// An enrolment photo must show exactly one face (unless `largest` is asked for) of sufficient
// quality, because a wrong or poor face enrolled under a name makes every later answer worse.
import type { Box, Face } from '../types.ts';
import { checkQuality, describeRefusals, ENROLMENT_GATE, resolveGate, type QualityGate, type QualityRefusal } from '../face/quality/gate.ts';

/** Why an image was not enrolled (stable strings, for reports and the server). */
export type SkipReason = 'already-enrolled' | 'no-face' | 'several-faces' | 'low-quality' | 'no-name' | 'not-live';

/** The enrolment limits: the quality gate's (src/face/quality/gate.ts). */
export type EnrolmentQuality = QualityGate;

/** The enrolment defaults (ENROLMENT_GATE, where they were measured). */
export const ENROLMENT_QUALITY: Readonly<EnrolmentQuality> = ENROLMENT_GATE;

function centre(box: Box): { x: number; y: number } {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

function inside(p: { x: number; y: number }, box: Box): boolean {
  return p.x >= box.x && p.x <= box.x + box.width && p.y >= box.y && p.y <= box.y + box.height;
}

export type FaceChoice =
  | { face: Face; index: number }
  | { reason: SkipReason; message: string; refusals?: QualityRefusal[] };

/**
 * Detections scoring more than this below an image's best are not candidates for "the largest
 * face": on celeb5, mindy_kaling/11.jpg's largest detection (score 0.53, pose yaw -90 roll -132)
 * is a pair of legs, larger than her face (0.94).
 */
export const LARGEST_FACE_SCORE_MARGIN = 0.25;

/** The index of the largest face (box area) among those scoring within LARGEST_FACE_SCORE_MARGIN of the best; -1 when none. */
export function largestFaceIndex(faces: readonly { box: Box; score: number }[]): number {
  let bestScore = -Infinity;
  for (const face of faces) bestScore = Math.max(bestScore, face.score);
  let best = -1, area = -1;
  faces.forEach((face, i) => {
    if (face.score < bestScore - LARGEST_FACE_SCORE_MARGIN) return;
    const a = face.box.width * face.box.height;
    if (a > area) { area = a; best = i; }
  });
  return best;
}

/** The face to enrol from one image, or why there is none. */
export function chooseEnrolmentFace(faces: readonly Face[], options: { largest?: boolean; quality?: Partial<EnrolmentQuality> } = {}): FaceChoice {
  const limits = resolveGate(ENROLMENT_GATE, options.quality, 'enrolment quality');
  if (faces.length === 0) return { reason: 'no-face', message: 'no face found' };
  const index = largestFaceIndex(faces);
  const face = faces[index]!;
  // A box whose centre lies inside the largest face's box is that face found twice (it happens on
  // tight crops: 2 of the 40 bbt/people crops), not a second person.
  const others = faces.filter((f, i) => i !== index && !inside(centre(f.box), face.box)).length;
  if (others > 0 && !options.largest) {
    // No way out is named here: it is an option of each caller (--largest, largest=true, a checkbox).
    return { reason: 'several-faces', message: `${others + 1} faces found; an enrolment photo shows one person` };
  }
  const refusals = checkQuality(face, limits);
  if (refusals.length) return { reason: 'low-quality', message: describeRefusals(refusals), refusals };
  return { face, index };
}
