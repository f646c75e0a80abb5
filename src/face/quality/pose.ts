// Head pose from landmarks, by simple geometry (no 3-D model fit): good to a few degrees near
// frontal, a coarse guide beyond about 45 degrees. Angles in degrees.
//   roll:  the eye line's angle; positive when the image-right eye is lower.
//   yaw:   where the nose tip sits between the jaw sides (68 points) or between the eyes
//          (5 points); positive when the nose points to the image's right.
//   pitch: where the nose tip sits between the eye line and the mouth; positive when looking up.
import type { FivePoints, Point } from '../../types.ts';

export interface HeadPose {
  yaw: number;
  pitch: number;
  roll: number;
}

const DEG = 180 / Math.PI;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const mid = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
// The nose tip of a frontal face sits about this far from the eye line towards the mouth line:
// the median over the first image of 300 LFW people (news photos, mostly frontal; p10 0.43,
// p90 0.66) with face-api's 68 points. The factor 2 below that turns the offset into an angle
// is a rough guess, not fitted: pitch is the coarsest of the three angles.
const NEUTRAL_NOSE_DEPTH = 0.54;

export function headPose(five: FivePoints, points68?: Point[]): HeadPose {
  const roll = Math.atan2(five.rightEye.y - five.leftEye.y, five.rightEye.x - five.leftEye.x);
  const cos = Math.cos(-roll), sin = Math.sin(-roll);
  // De-rotate about the eye midpoint so the eye line is level.
  const centre = mid(five.leftEye, five.rightEye);
  const level = (p: Point): Point => ({
    x: centre.x + (p.x - centre.x) * cos - (p.y - centre.y) * sin,
    y: centre.y + (p.x - centre.x) * sin + (p.y - centre.y) * cos,
  });
  const nose = level(five.nose);
  const mouth = level(mid(five.mouthLeft, five.mouthRight));
  let yawRatio: number;
  if (points68 && points68.length === 68) {
    const left = level(points68[0]!), right = level(points68[16]!);
    yawRatio = (nose.x - left.x) / Math.max(1e-6, right.x - left.x) * 2 - 1;
  } else {
    const eyeSpan = Math.max(1e-6, level(five.rightEye).x - level(five.leftEye).x);
    yawRatio = (nose.x - centre.x) / eyeSpan;
  }
  const depth = (nose.y - centre.y) / Math.max(1e-6, mouth.y - centre.y);
  return {
    yaw: Math.asin(clamp(yawRatio, -1, 1)) * DEG,
    pitch: Math.asin(clamp((NEUTRAL_NOSE_DEPTH - depth) * 2, -1, 1)) * DEG,
    roll: roll * DEG,
  };
}
