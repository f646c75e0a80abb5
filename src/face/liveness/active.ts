// The active liveness check: did the face in front of the camera blink or turn its head over a
// few seconds of frames? Pure, over the 68 landmark points of one face per frame (and, when it was
// read, the eye model's closed-eye probability of each frame).
//
// Why these signals tell a live head from a printed photo or a still on a screen:
// - Turn: the yaw of pose.ts comes from where the nose tip sits between the two sides of the jaw
//   outline. A head turning moves the nose across the face; a flat picture tilted, moved or turned
//   in the hand stretches every point alike (an affine map, nearly, for a picture at arm's
//   length), which leaves that ratio, so the yaw, as it was.
// - Blink: the eyes close and open again within the frames, while the face stays. A still picture
//   cannot; a picture held still gives the same landmarks in every frame.
// A video of a blinking person replayed on a screen passes this check: that is the passive
// model's job (attributes, 'liveness'), and the web page asks for both.
import { fivePointsFrom68, LANDMARKS_68 } from '../align/landmarks.ts';
import { headPose } from '../quality/pose.ts';
import type { Point } from '../../types.ts';

export type ActiveChallenge = 'blink' | 'turn' | 'either';
export const ACTIVE_CHALLENGES: readonly ActiveChallenge[] = Object.freeze(['blink', 'turn', 'either']);

export interface LandmarkFrame {
  /** The 68 points of the face in this frame; null when no face was found in it. */
  points: readonly Point[] | null;
  /** The eye model's probability that both eyes are closed (quality.eyesClosed), when read. */
  eyesClosed?: number;
}

export interface ActiveCheckOptions {
  /** What the person was asked to do (default 'either'). */
  challenge: ActiveChallenge;
  /** Frames with a face needed for an answer (default 5). */
  minFrames: number;
  /** Yaw range, degrees, that counts as a head turn (default 20). */
  turnDegrees: number;
  /** With the eye model: a frame's eyes are closed above this probability (default 0.5)... */
  closedProbability: number;
  /** ...and open below this one (default 0.2). */
  openProbability: number;
  /** Without it: a frame's eye aspect ratio under this share of the open eyes' is closed (default 0.7); open from 0.9. */
  closedRatio: number;
  /**
   * Frames whose eyes are narrower than this, corner to corner in pixels, are not read for a blink
   * (default 12): on hamilton_clip.mp4 a 45-px face (eyes about 9 px) read closed 0.85-0.91 in
   * frames where its eyes are open, between frames read 0.00-0.05.
   */
  minEyeWidth: number;
}

export const ACTIVE_CHECK_DEFAULTS: Readonly<ActiveCheckOptions> = Object.freeze({
  challenge: 'either', minFrames: 5, turnDegrees: 20, closedProbability: 0.5, openProbability: 0.2, closedRatio: 0.7, minEyeWidth: 12,
});

export interface ActiveCheckResult {
  passed: boolean;
  challenge: ActiveChallenge;
  frames: number;
  /** Frames where a face was found. */
  faceFrames: number;
  turn: { passed: boolean; yawMin: number; yawMax: number; yawRange: number };
  blink: {
    passed: boolean;
    /** Closed-then-open episodes seen. */
    blinks: number;
    /** 'eye-model' when every frame read carries eyesClosed, else 'eye-aspect-ratio'. */
    method: 'eye-model' | 'eye-aspect-ratio';
    /** The signal of each frame read (a face with eyes of minEyeWidth): closed probability, or the aspect ratio over the open baseline. */
    signal: number[];
  };
  /** Why it failed, in words; absent when it passed. */
  reason?: string;
}

const round = (value: number, places = 3) => Math.round(value * 10 ** places) / 10 ** places;
const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** Eye aspect ratio (Soukupová and Čech, 2016) of the eye whose six points start at `first`. */
export function eyeAspectRatio(points: readonly Point[], first: number): number {
  const p = (i: number) => points[first + i]!;
  return (distance(p(1), p(5)) + distance(p(2), p(4))) / (2 * Math.max(1e-6, distance(p(0), p(3))));
}

/** The mean of both eyes' aspect ratios. */
export function meanEyeAspectRatio(points: readonly Point[]): number {
  return (eyeAspectRatio(points, LANDMARKS_68.leftEye[0]) + eyeAspectRatio(points, LANDMARKS_68.rightEye[0])) / 2;
}

/** Median of each value with its two neighbours: one frame's landmark slip is not a turn. */
function median3(values: readonly number[]): number[] {
  return values.map((_, i) => {
    const window = values.slice(Math.max(0, i - 1), i + 2).sort((a, b) => a - b);
    return window[Math.floor(window.length / 2)]!;
  });
}

/** Closed-then-open episodes: runs of `closed` frames with an open frame before and after. */
export function countBlinks(closed: readonly boolean[], open: readonly boolean[]): number {
  let blinks = 0, seenOpen = false, inClosed = false;
  for (let i = 0; i < closed.length; i++) {
    if (closed[i]) {
      if (seenOpen) inClosed = true;
    } else if (open[i]) {
      if (inClosed) blinks++;
      inClosed = false;
      seenOpen = true;
    }
  }
  return blinks;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

export function activeLiveness(frames: readonly LandmarkFrame[], options: Partial<ActiveCheckOptions> = {}): ActiveCheckResult {
  const o = { ...ACTIVE_CHECK_DEFAULTS, ...options };
  const faces = frames.filter((f): f is LandmarkFrame & { points: readonly Point[] } => f.points !== null && f.points.length === 68);

  const yaws = median3(faces.map((f) => headPose(fivePointsFrom68(f.points as Point[]), f.points as Point[]).yaw));
  const yawMin = yaws.length ? Math.min(...yaws) : 0, yawMax = yaws.length ? Math.max(...yaws) : 0;
  const turn = { passed: yawMax - yawMin >= o.turnDegrees, yawMin: round(yawMin, 1), yawMax: round(yawMax, 1), yawRange: round(yawMax - yawMin, 1) };

  const eyeWidth = (p: readonly Point[]) => (distance(p[36]!, p[39]!) + distance(p[42]!, p[45]!)) / 2;
  const readable = faces.filter((f) => eyeWidth(f.points) >= o.minEyeWidth);
  const byModel = readable.length > 0 && readable.every((f) => f.eyesClosed !== undefined);
  let signal: number[], closed: boolean[], open: boolean[];
  if (byModel) {
    signal = readable.map((f) => f.eyesClosed!);
    closed = signal.map((p) => p > o.closedProbability);
    open = signal.map((p) => p < o.openProbability);
  } else {
    const ratios = readable.map((f) => meanEyeAspectRatio(f.points));
    // The open eyes' ratio: a high quantile, since a blink takes a few frames of many.
    const baseline = ratios.length ? Math.max(1e-6, quantile(ratios, 0.75)) : 1;
    signal = ratios.map((r) => r / baseline);
    closed = signal.map((s) => s < o.closedRatio);
    open = signal.map((s) => s >= 0.9);
  }
  const blinks = countBlinks(closed, open);
  const blink = { passed: blinks >= 1, blinks, method: byModel ? 'eye-model' as const : 'eye-aspect-ratio' as const, signal: signal.map((v) => round(v)) };

  const enough = faces.length >= o.minFrames;
  const met = o.challenge === 'blink' ? blink.passed : o.challenge === 'turn' ? turn.passed : blink.passed || turn.passed;
  const passed = enough && met;
  const result: ActiveCheckResult = { passed, challenge: o.challenge, frames: frames.length, faceFrames: faces.length, turn, blink };
  if (!enough) result.reason = `a face in ${faces.length} of ${frames.length} frames; ${o.minFrames} needed`;
  else if (!met) {
    const asked = o.challenge === 'either' ? 'no blink and no head turn' : o.challenge === 'blink' ? 'no blink' : 'no head turn';
    result.reason = `${asked} seen (yaw range ${turn.yawRange} degrees < ${o.turnDegrees}; ${blinks} blinks)`;
  }
  return result;
}
