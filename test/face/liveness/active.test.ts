// The active liveness check (pure): on the landmarks of real video frames (a singer turning his
// head in media/hamilton_clip.mp4, found by Visage at test time), and on sequences made from one
// real frame's landmarks: held still, moved about as a flat picture is in the hand (similarity,
// squash, shear and a true perspective turn of the picture), and with a blink drawn in.
// What this does not show: a real blink read from video (no clip here has one; see the README).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createVisage, type Point, type Visage } from '../../../src/index.ts';
import { activeLiveness, countBlinks, meanEyeAspectRatio, type LandmarkFrame } from '../../../src/face/liveness/active.ts';
import { eyeModelAvailable } from '../../../src/face/quality/eyes.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const skipVideo = skipUnless('media', 'hamilton_clip.mp4') || (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0 ? false : 'no ffmpeg on PATH');

let visage: Visage | null = null;
let turning: LandmarkFrame[] = [];
let work = '';

before(async () => {
  if (skipVideo) return;
  // 3.7 s to 7.7 s of the clip at 8 frames a second: one face, turning left and right while singing.
  work = await mkdtemp(path.join(tmpdir(), 'visage-active-'));
  const run = spawnSync('ffmpeg', ['-v', 'error', '-ss', '3.7', '-t', '4', '-i', dataset('media', 'hamilton_clip.mp4'), '-vf', 'fps=8', path.join(work, 'f%03d.png')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  visage = await createVisage({ embedders: ['faceapi-recognition'] });
  for (const file of (await readdir(work)).sort()) {
    const { faces } = await visage.analyze(path.join(work, file), { embed: false, landmarks68: true, ...(eyeModelAvailable() ? { eyes: true } : {}) });
    const face = faces.sort((a, b) => b.box.width - a.box.width)[0];
    turning.push(face ? { points: face.landmarks.points68!, ...(face.quality.eyesClosed !== undefined ? { eyesClosed: face.quality.eyesClosed } : {}) } : { points: null });
  }
});

after(async () => {
  await visage?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Landmarks as a flat picture moved in the hand: x' = a x + b y + tx, y' = c x + d y + ty. */
function affine(points: readonly Point[], [a, b, c, d, tx, ty]: number[]): Point[] {
  return points.map((p) => ({ x: a! * p.x + b! * p.y + tx!, y: c! * p.x + d! * p.y + ty! }));
}

/** The picture turned by `degrees` about its vertical axis through `centre`, seen by a camera `distance` pixels away (pinhole, focal = distance). */
function perspectiveTurn(points: readonly Point[], degrees: number, centre: Point, distance: number): Point[] {
  const t = (degrees * Math.PI) / 180;
  return points.map((p) => {
    const x = (p.x - centre.x) * Math.cos(t), z = (p.x - centre.x) * Math.sin(t);
    const scale = distance / (distance + z);
    return { x: centre.x + x * scale, y: centre.y + (p.y - centre.y) * scale };
  });
}

test('real frames: a head turning is seen (yaw range over 20 degrees); no blink is read in them', { skip: skipVideo }, (t) => {
  const result = activeLiveness(turning);
  t.diagnostic(`${result.faceFrames}/${result.frames} frames with a face; yaw ${result.turn.yawMin}..${result.turn.yawMax}; blink by ${result.blink.method}: ${result.blink.signal.join(' ')}`);
  assert.ok(result.faceFrames >= 28, `faces in ${result.faceFrames} frames`);
  assert.equal(result.turn.passed, true);
  assert.ok(result.turn.yawRange >= 30, `yaw range ${result.turn.yawRange}`);
  assert.equal(result.passed, true);
  assert.equal(result.reason, undefined);
  assert.equal(activeLiveness(turning, { challenge: 'turn' }).passed, true);
  // He sings with his eyes open: asked to blink, the check refuses.
  const blink = activeLiveness(turning, { challenge: 'blink' });
  assert.deepEqual([blink.passed, blink.blink.blinks], [false, 0]);
  assert.match(blink.reason!, /^no blink seen/);
});

test('one real frame held still (a printed photo, a still on a screen): refused', { skip: skipVideo }, () => {
  const still = Array.from({ length: 12 }, () => turning[10]!);
  const result = activeLiveness(still);
  assert.equal(result.passed, false);
  assert.equal(result.turn.yawRange, 0);
  assert.equal(result.blink.blinks, 0);
  assert.match(result.reason!, /^no blink and no head turn seen \(yaw range 0 degrees < 20; 0 blinks\)$/);
});

test('one real frame moved about as a flat picture (turned, tilted, squashed, sheared, turned in perspective up to 45 degrees): no head turn', { skip: skipVideo }, (t) => {
  const points = turning[10]!.points!;
  const centre = { x: points.reduce((s, p) => s + p.x, 0) / 68, y: points.reduce((s, p) => s + p.y, 0) / 68 };
  const frames: LandmarkFrame[] = [];
  for (let k = 0; k < 16; k++) {
    const angle = ((k % 5) - 2) * 0.12; // in-plane rotation up to about 14 degrees
    const squash = 1 - 0.08 * (k % 4); // foreshortening down to 0.76
    const shear = ((k % 3) - 1) * 0.1;
    const scale = 1 + 0.05 * ((k % 7) - 3);
    const [cos, sin] = [Math.cos(angle) * scale, Math.sin(angle) * scale];
    const moved = affine(points, [cos * squash, -sin + shear, sin * squash, cos, 20 * (k % 3), -10 * (k % 2)]);
    frames.push({ points: k % 2 ? perspectiveTurn(moved, ((k % 10) - 5) * 9, centre, 4 * 80) : moved });
  }
  const result = activeLiveness(frames);
  t.diagnostic(`yaw ${result.turn.yawMin}..${result.turn.yawMax} (range ${result.turn.yawRange}); aspect-ratio signal ${result.blink.signal.join(' ')}`);
  assert.equal(result.turn.passed, false, `yaw range ${result.turn.yawRange}`);
  assert.ok(result.turn.yawRange < 10, `yaw range ${result.turn.yawRange}`);
  assert.equal(result.passed, false);
});

/** The frame's eyelids moved towards each eye's corner line by `closing` (0 open as found, 1 shut). */
function closeEyes(points: readonly Point[], closing: number): Point[] {
  const out = points.map((p) => ({ ...p }));
  for (const first of [36, 42]) {
    const a = points[first]!, b = points[first + 3]!;
    for (const i of [1, 2, 4, 5]) {
      const p = points[first + i]!;
      const u = ((p.x - a.x) * (b.x - a.x) + (p.y - a.y) * (b.y - a.y)) / ((b.x - a.x) ** 2 + (b.y - a.y) ** 2);
      const onLine = { x: a.x + u * (b.x - a.x), y: a.y + u * (b.y - a.y) };
      out[first + i] = { x: p.x + (onLine.x - p.x) * closing, y: p.y + (onLine.y - p.y) * closing };
    }
  }
  return out;
}

test('a blink drawn into one real frame\'s eyelids over two frames: seen by the eye aspect ratio; eyes shut throughout are not a blink', { skip: skipVideo }, () => {
  const points = turning[10]!.points!;
  const closing = [0, 0, 0, 0.1, 0.6, 0.9, 0.5, 0, 0, 0];
  const frames = closing.map((c) => ({ points: closeEyes(points, c) }));
  assert.ok(meanEyeAspectRatio(frames[5]!.points) < 0.2 * meanEyeAspectRatio(points));
  const result = activeLiveness(frames, { challenge: 'blink' });
  assert.equal(result.blink.method, 'eye-aspect-ratio');
  assert.deepEqual([result.passed, result.blink.blinks], [true, 1]);
  const shut = activeLiveness(closing.map(() => ({ points: closeEyes(points, 0.9) })), { challenge: 'blink' });
  assert.deepEqual([shut.passed, shut.blink.blinks], [false, 0]);
});

test('a blink in the eye model\'s readings: closed between open frames; small eyes not read', { skip: skipVideo }, () => {
  const points = turning[10]!.points!;
  const reading = [0.01, 0.02, 0.01, 0.93, 0.98, 0.05, 0.01];
  const result = activeLiveness(reading.map((eyesClosed) => ({ points, eyesClosed })), { challenge: 'blink' });
  assert.equal(result.blink.method, 'eye-model');
  assert.deepEqual([result.passed, result.blink.blinks], [true, 1]);
  // The same readings on a face whose eyes are 6 px wide (on hamilton_clip.mp4 a 45-px face read
  // "closed" between open frames with its eyes open): not read, so no blink.
  const tiny = affine(points, [0.3, 0, 0, 0.3, 0, 0]);
  const small = activeLiveness(reading.map((eyesClosed) => ({ points: tiny, eyesClosed })), { challenge: 'blink' });
  assert.deepEqual([small.passed, small.blink.signal.length], [false, 0]);
});

test('countBlinks and too few frames', () => {
  const o = false, c = true;
  assert.equal(countBlinks([o, c, o, c, c, o], [c, o, c, o, o, c]), 2);
  assert.equal(countBlinks([c, c, o], [o, o, c]), 0, 'closed from the start is no blink');
  assert.equal(countBlinks([o, o, c], [c, c, o]), 0, 'closed at the end is no blink');
  const result = activeLiveness([{ points: null }, { points: null }, { points: null }]);
  assert.equal(result.passed, false);
  assert.equal(result.reason, 'a face in 0 of 3 frames; 5 needed');
});
