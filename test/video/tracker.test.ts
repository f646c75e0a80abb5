// The tracker, the vote and the strangers' groups on made-up faces (pure, fast): a face followed
// through motion and a missed detection, two people crossing without a swap, a cut to another
// person in the same place, a gap ending a track; votes weighted by quality; strangers grouped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceTracker, faceSignature, signatureDistance, type Detection, type EmbeddedFace } from '../../src/video/tracker.ts';
import { StrangerGroups, faceWeight, voteIdentity } from '../../src/video/vote.ts';

/** A unit vector near axis `k` of 8 (people are axes; `noise` tilts it a little). */
function person(k: number, noise = 0): Float32Array {
  const v = new Float32Array(8);
  v[k] = 1;
  v[(k + 1) % 8] = noise;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const face = (k: number, noise = 0.1): EmbeddedFace => ({ embedding: person(k, noise), weight: 1, quality: { size: 100, sharpness: 60, frontalness: 1 }, grey: false });
const box = (x: number, y: number, w = 80) => ({ x, y, width: w, height: w * 1.25 });

/** Runs the tracker over frames of [detection, person or null (not embedded unless planned)]. */
function run(tracker: FaceTracker, frames: { time: number; faces: { d: Detection; who: number }[]; cut?: boolean }[]) {
  const ids: number[][] = [];
  let frame = 0;
  for (const f of frames) {
    const detections = f.faces.map((x) => x.d);
    const plan = tracker.plan(f.time, detections, f.cut ?? false);
    const embedded = f.faces.map((x, i) => (plan.embed[i] ? face(x.who) : null));
    ids.push(tracker.update(frame++, f.time, detections, embedded).assigned);
  }
  return ids;
}

const options = { sameSimilarity: 0.82, vetoSimilarity: 0.62, maxGap: 1.5 };

test('one face moving, missed for two frames, stays one track; a long gap ends it', () => {
  const tracker = new FaceTracker(options);
  const frames = Array.from({ length: 20 }, (_, i) => ({ time: i * 0.2, faces: i === 8 || i === 9 ? [] : [{ d: { box: box(100 + i * 20, 200), score: 0.9 }, who: 0 }] }));
  const ids = run(tracker, frames);
  assert.deepEqual(new Set(ids.flat()), new Set([1]));
  // Unseen for more than maxGap: ended.
  run(tracker, [{ time: 6, faces: [] }]);
  assert.equal(tracker.tracks.length, 0);
});

test('two people crossing keep their tracks (embeddings settle the crossing)', () => {
  const tracker = new FaceTracker(options);
  const frames = Array.from({ length: 21 }, (_, i) => ({
    time: i * 0.2,
    faces: [
      { d: { box: box(100 + i * 40, 200), score: 0.9 }, who: 1 },
      { d: { box: box(900 - i * 40, 230), score: 0.9 }, who: 2 },
    ],
  }));
  const ids = run(tracker, frames);
  const first = ids.map((f) => f[0]), second = ids.map((f) => f[1]);
  assert.deepEqual(new Set(first), new Set([1]), `left-to-right: ${first.join(',')}`);
  assert.deepEqual(new Set(second), new Set([2]), `right-to-left: ${second.join(',')}`);
});

test('a cut to another person standing where the last one stood starts a new track', () => {
  const tracker = new FaceTracker(options);
  const frames = Array.from({ length: 10 }, (_, i) => ({ time: i * 0.2, faces: [{ d: { box: box(300, 200), score: 0.9 }, who: i < 5 ? 3 : 4 }] }));
  const ids = run(tracker, frames.map((f, i) => ({ ...f, cut: i === 5 })));
  assert.deepEqual(ids.map((f) => f[0]), [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
});

test('face signatures: the same picture moved is close, another is far', () => {
  const width = 64, height = 64;
  const frame = (seed: number, shift = 0) => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const v = seed === 1 ? ((x - shift) * 4) % 256 : (y * 7 + (x % 5) * 40) % 256;
      data.set([v, v, v], (y * width + x) * 3);
    }
    return { data, width, height };
  };
  const a = faceSignature(frame(1), box(8, 8, 40));
  const moved = faceSignature(frame(1, 2), box(10, 8, 40));
  const other = faceSignature(frame(2), box(8, 8, 40));
  assert.ok(signatureDistance(a, moved) < 0.3, String(signatureDistance(a, moved)));
  assert.ok(signatureDistance(a, other) > 0.6, String(signatureDistance(a, other)));
});

test('the vote: quality-weighted majority, at least two faces, UNKNOWN when weak', () => {
  const ann = { name: 'Ann', subjectId: 1, similarity: 0.95 };
  const bob = { name: 'Bob', subjectId: 2, similarity: 0.93 };
  const none = { name: null, subjectId: null, similarity: 0.8 };
  const named = voteIdentity([{ weight: 1, match: ann }, { weight: 1, match: ann }, { weight: 0.5, match: bob }, { weight: 0.2, match: none }]);
  assert.equal(named.subject, 'Ann');
  assert.ok(Math.abs(named.confidence - 2 / 2.7) < 1e-9);
  // One good face among many under the threshold: UNKNOWN.
  assert.equal(voteIdentity([{ weight: 1, match: ann }, { weight: 1, match: none }, { weight: 1, match: none }]).subject, null);
  // A single embedded face is judged as a photo would be; two faces need two votes.
  assert.equal(voteIdentity([{ weight: 1, match: ann }]).subject, 'Ann');
  assert.equal(voteIdentity([{ weight: 3, match: ann }, { weight: 0.1, match: bob }]).subject, null);
  // Small, blurred, turned faces weigh less.
  assert.ok(faceWeight({ size: 30, sharpness: 5, frontalness: 0.3 }) < 0.05 * faceWeight({ size: 120, sharpness: 80, frontalness: 1 }));
});

test('strangers grouped: similar templates that never meet are one stranger', () => {
  const groups = new StrangerGroups(0.82);
  const t = (id: number, start: number, end: number, k: number) => ({ id, start, end, template: person(k, 0.05) });
  assert.equal(groups.assign(t(1, 0, 5, 5)), 1);
  assert.equal(groups.assign(t(2, 0, 5, 6)), 2);
  assert.equal(groups.assign(t(3, 10, 12, 5)), 1);
  // Same face at the same time as a member: two people, not one.
  assert.equal(groups.assign(t(4, 11, 13, 5)), 3);
  assert.equal(groups.assign({ id: 5, start: 20, end: 21, template: null }), 4);
});
