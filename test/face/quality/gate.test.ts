// The quality gate: pure rules (limits, reasons, the coded error), and the eye check on real
// photos: LFW faces with closed eyes refused at the enrolment defaults, open ones passed, and the
// same through the recognizer's enrolment (with its reasons) and its per-call changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createVisage, type Visage } from '../../../src/index.ts';
import { createRecognizer } from '../../../src/public/gallery.ts';
import { eyeModelAvailable, eyeSquares } from '../../../src/face/quality/eyes.ts';
import {
  checkQuality, CLUSTERING_GATE, describeRefusals, ENROLMENT_GATE, gateNeedsEyes, OPEN_GATE, requireQuality, resolveGate,
} from '../../../src/face/quality/gate.ts';
import { DEFAULT_QUALITY_GATE, gateReasons } from '../../../src/recognition/clustering.ts';
import { VisageError } from '../../../src/errors.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const good = { score: 0.95, quality: { size: 120, sharpness: 200, frontalness: 0.95, eyesClosed: 0.001 } };

test('checkQuality: every limit broken, in order, with its value and limit', () => {
  assert.deepEqual(checkQuality(good, ENROLMENT_GATE), []);
  const bad = { score: 0.3, quality: { size: 20, sharpness: 2, frontalness: 0.1, eyesClosed: 0.99999 } };
  assert.deepEqual(checkQuality(bad, { ...ENROLMENT_GATE, minScore: 0.5 }).map((r) => [r.reason, r.value, r.limit]), [
    ['small', 20, 32], ['blurred', 2, 5], ['turned-away', 0.1, 0.2], ['low-score', 0.3, 0.5], ['eyes-closed', 0.99999, 0.9999],
  ]);
  assert.equal(describeRefusals(checkQuality(bad, ENROLMENT_GATE)), 'face too small (20 px < 32), face too blurred (sharpness 2 < 5), face turned too far (frontalness 0.10 < 0.2), eyes closed (1.0000 > 0.9999)');
  // No eye reading (no model, or a cached face): the eye limit is not applied.
  assert.deepEqual(checkQuality({ score: 1, quality: { size: 100, sharpness: 100, frontalness: 1 } }, ENROLMENT_GATE), []);
  assert.deepEqual(checkQuality(bad, OPEN_GATE), []);
  assert.equal(gateNeedsEyes(ENROLMENT_GATE), true);
  assert.equal(gateNeedsEyes(CLUSTERING_GATE), false);
});

test('the clustering gate is the same rule (moved down a floor), under its old names', () => {
  assert.equal(DEFAULT_QUALITY_GATE, CLUSTERING_GATE);
  assert.deepEqual(gateReasons({ score: 0.5, quality: { size: 20, sharpness: 50, frontalness: 0.9 } }, CLUSTERING_GATE), ['small', 'low-score']);
});

test('resolveGate: changes over a base, unknown keys and values out of range refused with their name', () => {
  assert.deepEqual(resolveGate(ENROLMENT_GATE, { minSize: 64 }), { ...ENROLMENT_GATE, minSize: 64 });
  assert.equal(resolveGate(ENROLMENT_GATE, undefined), ENROLMENT_GATE);
  assert.ok(Object.isFrozen(resolveGate(ENROLMENT_GATE, { minSize: 64 })));
  assert.throws(() => resolveGate(ENROLMENT_GATE, { minSise: 64 } as never), { code: 'VISAGE_ERR_BAD_OPTION', message: /unknown limit "minSise"; known: minSize, minSharpness/ });
  assert.throws(() => resolveGate(ENROLMENT_GATE, { maxEyesClosed: 2 }), { code: 'VISAGE_ERR_BAD_OPTION', message: /maxEyesClosed must be a number from 0 to 1, got 2/ });
  assert.throws(() => resolveGate(ENROLMENT_GATE, { minSize: Number.NaN }), { code: 'VISAGE_ERR_BAD_OPTION' });
});

test('requireQuality: VISAGE_ERR_LOW_QUALITY (422) naming the limits broken', () => {
  requireQuality(good, ENROLMENT_GATE);
  assert.throws(() => requireQuality({ ...good, quality: { ...good.quality, size: 10 } }, ENROLMENT_GATE, 'photo.jpg'), (error: unknown) => {
    assert.ok(error instanceof VisageError);
    assert.equal(error.code, 'VISAGE_ERR_LOW_QUALITY');
    assert.equal(error.status, 422);
    assert.equal(error.message, 'photo.jpg did not pass the quality gate: face too small (10 px < 32)');
    return true;
  });
});

test('eyeSquares: the package\'s framing, kept inside the image', () => {
  const points = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
  // An eye from x 100 to 120 (corners 36, 39), lids at y 50 (37, 38) and 54 (40, 41).
  points[36] = { x: 100, y: 52 }; points[39] = { x: 120, y: 52 };
  points[37] = { x: 105, y: 50 }; points[38] = { x: 115, y: 50 }; points[40] = { x: 115, y: 54 }; points[41] = { x: 105, y: 54 };
  for (let i = 42; i < 48; i++) points[i] = { x: points[i - 6]!.x + 490, y: points[i - 6]!.y };
  const [left, right] = eyeSquares(points, 610, 400);
  assert.deepEqual(left, { x: 94, y: 36, width: 32, height: 32 });
  // The right eye's square (584 + 32) would pass the right edge (610): cut to fit, as the package does.
  assert.deepEqual(right, { x: 584, y: 36, width: 25, height: 25 });
});

// Judged by looking at them: closed (or downcast) eyes, and open eyes of the same sets.
const CLOSED = ['Kim_Hong-up/Kim_Hong-up_0001.jpg', 'Maria_Callas/Maria_Callas_0001.jpg', 'Marilyn_Monroe/Marilyn_Monroe_0002.jpg', 'Yoon_Jeong_Cho/Yoon_Jeong_Cho_0001.jpg'];
const OPEN = ['Charlie_Sheen/Charlie_Sheen_0001.jpg', 'Queen_Elizabeth_II/Queen_Elizabeth_II_0006.jpg', 'Paul_Tagliabue/Paul_Tagliabue_0001.jpg', 'Yuri_Malenchenko/Yuri_Malenchenko_0001.jpg'];
const lfw = (file: string) => dataset('lfw-view1', 'images', file);
const skipEyes = skipUnless('lfw-view1', 'images') || (eyeModelAvailable() ? false : 'faceplugin-face-recognition-js is not installed (the eye model)');

let visage: Visage;
before(async () => { if (!skipEyes) visage = await createVisage({ embedders: ['faceapi-recognition'] }); });
after(async () => { await visage?.close(); });

test('the eye check on real LFW photos: closed eyes read above the enrolment limit, open ones far below', { skip: skipEyes }, async (t) => {
  const read = async (file: string) => {
    const { faces } = await visage.analyze(lfw(file), { embed: false, eyes: true });
    return faces.sort((a, b) => b.box.width - a.box.width)[0]!.quality.eyesClosed!;
  };
  const closed = await Promise.all(CLOSED.map(read));
  const open = await Promise.all(OPEN.map(read));
  t.diagnostic(`closed ${closed.join(', ')}; open ${open.join(', ')}`);
  for (const p of closed) assert.ok(p > ENROLMENT_GATE.maxEyesClosed, `closed eyes read ${p}`);
  for (const p of open) assert.ok(p < 0.1, `open eyes read ${p}`);
  // Not asked: not read.
  const { faces } = await visage.analyze(lfw(OPEN[0]!), { embed: false });
  assert.equal(faces[0]!.quality.eyesClosed, undefined);
  await assert.rejects(visage.analyze(lfw(OPEN[0]!), { eyes: 'yes' as never }), { code: 'VISAGE_ERR_BAD_OPTION' });
});

test('enrolment: a closed-eye photo is skipped with its refusals; a per-call change or no gate enrols it; a bad limit fails before any work', { skip: skipEyes }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-gate-'));
  const recognizer = await createRecognizer({ visage, db: path.join(dir, 'g.db') });
  try {
    const refused = await recognizer.enroll(lfw(CLOSED[0]!), 'Kim');
    assert.equal(refused.status, 'skipped');
    assert.equal(refused.reason, 'low-quality');
    assert.deepEqual(refused.refusals!.map((r) => r.reason), ['eyes-closed']);
    assert.match(refused.message!, /^eyes closed \(1\.0000 > 0\.9999\)$/);
    assert.ok(refused.quality!.eyesClosed! > 0.9999 && refused.box!.width > 50);
    const allowed = await recognizer.enroll(lfw(CLOSED[0]!), 'Kim', { quality: { maxEyesClosed: 1 } });
    assert.equal(allowed.status, 'added');
    const opened = await recognizer.enroll(lfw(OPEN[0]!), 'Charlie');
    assert.equal(opened.status, 'added');
    const strict = await recognizer.enroll(lfw(OPEN[1]!), 'Queen', { quality: { minSize: 500 } });
    assert.deepEqual([strict.status, strict.refusals!.map((r) => r.reason)], ['skipped', ['small']]);
    const none = await recognizer.enroll(lfw(OPEN[1]!), 'Queen', { quality: false, largest: true });
    assert.equal(none.status, 'added');
    await assert.rejects(recognizer.enroll(lfw(OPEN[2]!), 'Paul', { quality: { minSize: -1 } }), { code: 'VISAGE_ERR_BAD_OPTION', message: /enrol option quality: minSize/ });
  } finally {
    await recognizer.close();
    await rm(dir, { recursive: true, force: true });
  }
  await assert.rejects(createRecognizer({ visage, db: path.join(dir, 'never.db'), enrolmentQuality: { eyes: 1 } as never }), { code: 'VISAGE_ERR_BAD_OPTION', message: /enrolmentQuality: unknown limit "eyes"/ });
});
