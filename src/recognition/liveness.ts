// "Is a live person in front of the camera?" over a few seconds of webcam frames: the active check
// (a blink or a head turn, src/face/liveness/active.ts) on the largest face of each frame, and the
// passive liveness model (attributes, 'liveness') on the same faces. Both must pass: the active
// check refuses a still photo or screen, the passive model a replayed video of someone blinking.
import { VisageError } from '../errors.ts';
import type { ImageInput } from '../face/image/decode.ts';
import { activeLiveness, ACTIVE_CHALLENGES, type ActiveCheckOptions, type ActiveCheckResult, type LandmarkFrame } from '../face/liveness/active.ts';
import { eyeModelAvailable } from '../face/quality/eyes.ts';
import type { LivenessAttribute } from '../attributes/attributes.ts';
import type { Face } from '../types.ts';
import type { Visage } from '../visage.ts';
import { largestFaceIndex } from './enrolment.ts';

export const MIN_LIVENESS_FRAMES = 3;
export const MAX_LIVENESS_FRAMES = 100;

export interface LivenessCheckOptions extends Partial<ActiveCheckOptions> {
  /** Also run the passive model on each frame's face (default true). */
  passive?: boolean;
}

export interface LivenessCheck {
  /** The active check passed and (unless turned off) the passive model called the faces live. */
  live: boolean;
  active: ActiveCheckResult;
  /** The passive model's median live score over the frames with a face, and its call. */
  passive: { value: 'live' | 'spoof'; score: number; threshold: number; model: string; frames: number } | null;
  /** Why it is not live, in words; absent when live. */
  reason?: string;
}

/**
 * A face this far (in its own widths) from the last frame's face is someone else, or a cut: the
 * frame counts as having no face, so one person's blink cannot be pieced together from two faces.
 */
const MAX_JUMP = 1;

export async function checkLiveness(visage: Visage, frames: readonly ImageInput[], options: LivenessCheckOptions = {}): Promise<LivenessCheck> {
  if (!Array.isArray(frames) || frames.length < MIN_LIVENESS_FRAMES || frames.length > MAX_LIVENESS_FRAMES) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `the liveness check takes ${MIN_LIVENESS_FRAMES} to ${MAX_LIVENESS_FRAMES} frames in time order, got ${Array.isArray(frames) ? frames.length : 'none'}`);
  }
  const { passive: wantPassive = true, ...activeOptions } = options;
  if (activeOptions.challenge !== undefined && !ACTIVE_CHALLENGES.includes(activeOptions.challenge)) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `challenge must be one of ${ACTIVE_CHALLENGES.join(', ')}, got ${JSON.stringify(activeOptions.challenge)}`);
  }
  const eyes = eyeModelAvailable();
  const landmarkFrames: LandmarkFrame[] = [];
  const liveness: LivenessAttribute[] = [];
  let last: Face | null = null;
  for (const frame of frames) {
    const { faces } = await visage.analyze(frame, { embed: false, landmarks68: true, ...(eyes ? { eyes } : {}), ...(wantPassive ? { attributes: ['liveness'] } : {}) });
    const i = largestFaceIndex(faces);
    const face = i >= 0 ? faces[i]! : null;
    const jumped = face && last && Math.hypot(centreX(face) - centreX(last), centreY(face) - centreY(last)) > MAX_JUMP * last.box.width;
    if (!face || jumped) {
      landmarkFrames.push({ points: null });
      continue;
    }
    last = face;
    landmarkFrames.push({ points: face.landmarks.points68!, ...(face.quality.eyesClosed !== undefined ? { eyesClosed: face.quality.eyesClosed } : {}) });
    if (face.attributes?.liveness) liveness.push(face.attributes.liveness);
  }
  const active = activeLiveness(landmarkFrames, activeOptions);
  let passive: LivenessCheck['passive'] = null;
  if (wantPassive && liveness.length > 0) {
    const scores = liveness.map((l) => l.score).sort((a, b) => a - b);
    const score = scores[Math.floor(scores.length / 2)]!;
    const { threshold, model } = liveness[0]!;
    passive = { value: score >= threshold ? 'live' : 'spoof', score, threshold, model, frames: liveness.length };
  }
  const reasons: string[] = [];
  if (!active.passed) reasons.push(active.reason!);
  if (passive?.value === 'spoof') reasons.push(`the liveness model calls the face a spoof (${passive.model} median live score ${passive.score} < ${passive.threshold})`);
  const live = active.passed && (!wantPassive || passive?.value === 'live');
  return { live, active, passive, ...(live ? {} : { reason: reasons.join('; ') || 'no face' }) };
}

const centreX = (face: Face) => face.box.x + face.box.width / 2;
const centreY = (face: Face) => face.box.y + face.box.height / 2;
