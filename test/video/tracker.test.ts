// The tracker, the vote and the strangers' groups on made-up faces (pure, fast): a face followed
// through motion and a missed detection, two people crossing without a swap, a cut to another
// person in the same place, a gap ending a track; votes weighted by quality; strangers grouped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceTracker, HISTOGRAM_CUT, colourHistogram, faceSignature, histogramDistance, signatureDistance, type Detection, type EmbeddedFace } from '../../src/video/tracker.ts';
import { Reidentifier, type PartFace } from '../../src/video/reid.ts';
import { faceWeight, voteIdentity, VoteTally, type VoteInput } from '../../src/video/vote.ts';

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

/** A unit vector at similarity `s` with person(0) (no noise): someone else who looks alike. */
function alike(s: number, axis = 2): Float32Array {
  const v = new Float32Array(8);
  v[0] = s;
  v[axis] = Math.sqrt(1 - s * s);
  return v;
}
const faceOf = (embedding: Float32Array): EmbeddedFace => ({ embedding, weight: 1, quality: { size: 100, sharpness: 60, frontalness: 1 }, grey: false });
const signature = (v: number) => new Float32Array(64).fill(v);

test('a cut the frame difference missed: the face in the track\'s place is refused, and the track takes no other face under the pair threshold', () => {
  // hamilton_clip.mp4 at 7.8 s, in made-up numbers: a moving face whose signature drifts 0.55 a
  // frame; then, with no cut flagged, a smaller face where it stood (signature 0.9 away, similarity
  // 0.77: over the doubt level 0.72, under the pair threshold 0.82) and another beside it (0.74).
  const tracker = new FaceTracker(options);
  const ids: number[][] = [];
  let frame = 0;
  const step = (time: number, faces: { d: Detection; embedding: Float32Array }[]) => {
    const detections = faces.map((f) => f.d);
    const plan = tracker.plan(time, detections, false);
    ids.push(tracker.update(frame++, time, detections, faces.map((f, i) => (plan.embed[i] ? faceOf(f.embedding) : null))).assigned);
    return plan;
  };
  for (let i = 0; i < 10; i++) step(i * 0.2, [{ d: { box: box(300 + i * 4, 200, 88), score: 0.9, signature: signature(i % 2 ? 0.55 : 0) }, embedding: person(0) }]);
  const plan = step(2, [
    { d: { box: box(345, 215, 61), score: 0.9, signature: signature(1.45) }, embedding: alike(0.77) },
    { d: { box: box(420, 240, 76), score: 0.9, signature: signature(-0.5) }, embedding: alike(0.74, 3) },
  ]);
  // The jump in size with a changed picture is embedded, though the track's last embedding is recent.
  assert.deepEqual(plan.embed, [true, true]);
  for (let i = 1; i <= 4; i++) {
    step(2 + i * 0.2, [
      { d: { box: box(345, 215, 61), score: 0.9, signature: signature(1.45) }, embedding: alike(0.77) },
      { d: { box: box(420, 240, 76), score: 0.9, signature: signature(-0.5) }, embedding: alike(0.74, 3) },
      { d: { box: box(150, 230, 70), score: 0.9, signature: signature(0.3) }, embedding: alike(0.75, 4) },
    ]);
  }
  assert.deepEqual(new Set(ids.slice(0, 10).flat()), new Set([1]));
  // No face after the cut joins track 1; each keeps a track of its own.
  assert.ok(ids.slice(10).every((f) => !f.includes(1)), JSON.stringify(ids.slice(10)));
  assert.deepEqual(ids.slice(11).map((f) => f[0]), [2, 2, 2, 2]);
  assert.deepEqual(ids.slice(11).map((f) => f[1]), [3, 3, 3, 3]);
  // Someone who is the track's person, back where it stood, continues it.
  step(3.2, [{ d: { box: box(340, 200, 86), score: 0.9, signature: signature(0) }, embedding: person(0) }]);
  assert.deepEqual(ids.at(-1), [1]);
});

test('across a cut, appearance alone continues a settled track, not one of one or two faces', () => {
  const tracker = new FaceTracker(options);
  let frame = 0;
  const step = (time: number, faces: { d: Detection; embedding: Float32Array }[], cut = false) => {
    const detections = faces.map((f) => f.d);
    const plan = tracker.plan(time, detections, cut);
    return tracker.update(frame++, time, detections, faces.map((f, i) => (plan.embed[i] ? faceOf(f.embedding) : null))).assigned;
  };
  // Track 1 settled (five faces), track 2 one face (a hand taken for a face, say).
  for (let i = 0; i < 5; i++) step(i * 0.2, [{ d: { box: box(100, 200), score: 0.9 }, embedding: person(0) }, ...(i === 4 ? [{ d: { box: box(600, 400, 40), score: 0.9 }, embedding: person(5) }] : [])]);
  const after = step(1.2, [
    { d: { box: box(700, 100), score: 0.9 }, embedding: alike(0.95) },
    { d: { box: box(300, 300), score: 0.9 }, embedding: alike(0.9, 3).map((x, i) => (i === 0 ? 0 : i === 5 ? 0.9 : x)) },
  ], true);
  assert.equal(after[0], 1);
  assert.ok(after[1]! > 2, `a new track, not the unsettled one: ${after[1]}`);
});

test('cuts by colour: two shots of one scene are near, a dark shot of other colours is far', () => {
  const width = 64, height = 36;
  const frame = (paint: (x: number, y: number) => [number, number, number]) => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(paint(x, y), (y * width + x) * 3);
    return { data, width, height };
  };
  // A golden curtain, then the same panned by a few pixels, then a dark audience in greys and reds.
  const curtain = (shift: number) => frame((x) => (((x + shift) >> 3) % 2 ? [120, 90, 30] : [70, 50, 20]));
  const audience = frame((x, y) => ((x + y) % 3 === 0 ? [90, 30, 30] : [40, 40, 45]));
  assert.ok(histogramDistance(colourHistogram(curtain(0)), colourHistogram(curtain(3))) < 0.1);
  assert.ok(histogramDistance(colourHistogram(curtain(0)), colourHistogram(audience)) >= HISTOGRAM_CUT);
  assert.equal(histogramDistance(null, colourHistogram(audience)), 0);
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

test('re-identification: similar templates that never meet are one person; a shared time, two names or a refused face keep them apart', () => {
  const reid = new Reidentifier({ similarity: 0.82 });
  const stranger = (k: number, refusals: PartFace['refusals'] = []): PartFace => ({ embedding: person(k, 0.05), weight: 1, match: { name: null, subjectId: null, similarity: 0.5 }, refusals });
  const named = (k: number, name: string, subjectId: number): PartFace => ({ embedding: person(k, 0.05), weight: 1, match: { name, subjectId, similarity: 0.95 } });
  const part = (id: number, start: number, end: number, faces: PartFace[]) => ({ id, start, end, frames: 5, faces, data: null });
  const a = reid.add(part(1, 0, 5, [stranger(5), stranger(5)]));
  assert.deepEqual([a.person.id, a.person.label, a.joined], [1, 'unknown-1', false]);
  assert.equal(reid.add(part(2, 0, 5, [stranger(6)])).person.label, 'unknown-2');
  // The first stranger back after an absence: the same id and label, two parts.
  const back = reid.add(part(3, 10, 12, [stranger(5)]));
  assert.deepEqual([back.person.id, back.person.label, back.joined, back.person.parts.length], [1, 'unknown-1', true, 2]);
  // The same face at the same time as one of its parts: two people, not one.
  assert.equal(reid.add(part(4, 11, 13, [stranger(5)])).person.id, 4);
  // No face passed the gate: UNKNOWN for low quality, joined to no one.
  const poor = reid.add(part(5, 20, 21, [stranger(5, ['small'])]));
  assert.deepEqual([poor.person.id, poor.person.reason, poor.person.facesRefused, poor.person.refusalReasons], [5, 'low-quality', 1, { small: 1 }]);
  // Named the same by their votes: joined whatever the templates (a weak part gains from a strong one);
  // named differently: never joined, however alike.
  const ann = reid.add(part(6, 30, 32, [named(2, 'Ann', 1), named(2, 'Ann', 1)]));
  // A weak part (its one face under the threshold) like Ann's: it joins her and is named with her.
  const weak = reid.add(part(7, 35, 36, [{ ...named(2, 'Ann', 1), match: { name: null, subjectId: null, similarity: 0.88 } }]));
  assert.deepEqual([weak.person.id, weak.person.label], [ann.person.id, 'Ann']);
  assert.equal(reid.add(part(8, 40, 42, [named(7, 'Ann', 1), named(7, 'Ann', 1)])).person.id, ann.person.id);
  assert.equal(reid.add(part(9, 50, 52, [named(2, 'Bob', 2), named(2, 'Bob', 2)])).person.id, 9);
  assert.equal(ann.person.parts.length, 3);
  // Turned off: every track its own.
  const off = new Reidentifier({ similarity: 0.82, enabled: false });
  off.add(part(1, 0, 5, [stranger(5)]));
  assert.equal(off.add(part(2, 10, 12, [stranger(5)])).person.id, 2);
});

test('long runs: a vote counted as faces come gives the whole vote\'s answer at every face; a person joined 300 times keeps the sums of all its faces (counted as its parts end, also when a part sorts before the others) and lets the faces of each part go', () => {
  // Faces of a long track: mostly Ann, some UNKNOWN, a few Bob, weights and similarities varied.
  const ann = { name: 'Ann', subjectId: 1 }, bob = { name: 'Bob', subjectId: 2 }, none = { name: null, subjectId: null };
  const faces: VoteInput[] = Array.from({ length: 400 }, (_, i) => {
    const who = i % 7 === 3 ? bob : i % 3 === 1 ? none : ann;
    return { weight: 0.1 + ((i * 37) % 90) / 100, match: i % 50 === 49 ? null : { ...who, similarity: 0.6 + ((i * 13) % 40) / 100 } };
  });
  const tally = new VoteTally();
  faces.forEach((face, i) => {
    tally.add(face);
    if (i % 9 === 0 || i < 5 || i === faces.length - 1) assert.deepEqual(tally.identity(), voteIdentity(faces.slice(0, i + 1)), `after ${i + 1} faces`);
  });
  assert.equal(tally.added, 400);

  // One stranger back 300 times (the same axis, a little noise per stay), one face refused per stay.
  const reid = new Reidentifier({ similarity: 0.82 });
  const stay = (i: number): PartFace[] => [
    { embedding: person(3, 0.02 + (i % 5) / 100), weight: 0.5 + (i % 4) / 10, match: { name: null, subjectId: null, similarity: 0.5 } },
    { embedding: person(3, 0.03), weight: 0.3, match: { name: null, subjectId: null, similarity: 0.4 }, refusals: i % 2 ? ['small'] : ['blurred', 'turned-away'] },
  ];
  const parts: { start: number; faces: PartFace[] }[] = [];
  let joined = 0;
  for (let i = 0; i < 300; i++) {
    // Stay 150 ends last but started first of the rest (a track split at a cut ends at once, before one ending by a gap).
    const start = i === 150 ? 5 + 149 * 10 - 5 : 5 + i * 10;
    const r = reid.add({ id: i + 1, start, end: start + 2, frames: 10, faces: stay(i), data: null });
    parts.push({ start, faces: stay(i) });
    if (r.joined) joined++;
  }
  assert.equal(joined, 299);
  const [one] = reid.all;
  assert.equal(reid.all.length, 1);
  // What the person says equals the vote and the template counted again over all faces, in the
  // order the parts ended; the parts keep no faces.
  assert.ok(one!.parts.every((p) => p.faces.length === 0), 'the faces are let go once counted');
  const flat = parts.flatMap((p) => p.faces);
  const passed = flat.filter((f) => !f.refusals?.length);
  assert.deepEqual(one!.identity, voteIdentity(passed.map((f) => ({ weight: f.weight, match: f.match }))));
  const sum = new Float32Array(8);
  for (const f of passed) for (let i = 0; i < 8; i++) sum[i]! += f.weight * f.embedding[i]!;
  assert.deepEqual(one!.templateSum, sum);
  assert.deepEqual([one!.facesVoted, one!.facesRefused, one!.refusalReasons], [300, 300, { blurred: 150, 'turned-away': 150, small: 150 }]);
  assert.deepEqual(one!.parts.map((p) => p.start), [...one!.parts.map((p) => p.start)].sort((a, b) => a - b));
});

test('a settled track is embedded again after settledRefreshSeconds, an unsettled one after refreshSeconds', () => {
  const count = (settled: boolean) => {
    const tracker = new FaceTracker({ ...options, refreshSeconds: 1, settledRefreshSeconds: 3, settled: () => settled });
    let embedded = 0;
    for (let i = 0; i < 41; i++) {
      const detections = [{ box: box(100 + i * 2, 200), score: 0.9 }];
      const plan = tracker.plan(i * 0.2, detections);
      if (plan.embed[0]) embedded++;
      tracker.update(i, i * 0.2, detections, [plan.embed[0] ? face(0) : null]);
    }
    return embedded;
  };
  // 8 s at 5 fps: the first 3 frames (to 0.4 s), then every second (1.4 ... 7.4 s: 7 more) or
  // every 3 seconds (3.4 and 6.4 s).
  assert.equal(count(false), 3 + 7);
  assert.equal(count(true), 3 + 2);
});
