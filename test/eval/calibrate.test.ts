import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrateThreshold, labelledPairs, type LabelledEmbedding } from '../../src/eval/calibrate.ts';
import { createRng } from '../../src/learn/rng.ts';

/** People as noisy copies of random centres in 32-d; `noise` sets how much they overlap. */
function people(count: number, perPerson: number, noise: number, seed = 7): LabelledEmbedding[] {
  const rng = createRng(seed);
  const gauss = () => rng.normal();
  const items: LabelledEmbedding[] = [];
  for (let p = 0; p < count; p++) {
    const centre = Array.from({ length: 32 }, gauss);
    for (let k = 0; k < perPerson; k++) items.push({ label: `p${p}`, embedding: centre.map((c) => c + noise * gauss()) });
  }
  return items;
}

test('the calibrated threshold holds the false-accept rate on the different-person pairs', () => {
  const items = people(40, 5, 0.9);
  const pairs = labelledPairs(items);
  assert.equal(pairs.filter((p) => p.same).length, 40 * 10);
  assert.equal(pairs.filter((p) => !p.same).length, (200 * 199) / 2 - 400);
  for (const far of [0.01, 0.001]) {
    const c = calibrateThreshold(items, { far });
    const impostors = pairs.filter((p) => !p.same);
    const accepted = impostors.filter((p) => p.score >= c.threshold).length;
    assert.ok(accepted <= Math.floor(far * impostors.length), `far ${far}: ${accepted} accepted`);
    // The loosest such threshold: one step looser would accept one more impostor pair.
    const next = Math.max(...impostors.filter((p) => p.score < c.threshold).map((p) => p.score));
    assert.ok(impostors.filter((p) => p.score >= next).length > Math.floor(far * impostors.length));
    assert.equal(c.warning, undefined);
    assert.ok(c.tar > 0.5 && c.tar < 1, `tar ${c.tar}`);
  }
  // A stricter FAR gives a stricter threshold.
  assert.ok(calibrateThreshold(items, { far: 0.001 }).threshold > calibrateThreshold(items, { far: 0.05 }).threshold);
});

test('well separated people are all accepted at a threshold no stranger reaches; few pairs give a warning', () => {
  const c = calibrateThreshold(people(5, 4, 0.05), { far: 0.001 });
  assert.equal(c.tar, 1);
  assert.equal(c.far, 0);
  assert.match(c.warning!, /only 160 different-person pairs/);
});

test('impostor pairs are sampled, reproducibly, when there are too many', () => {
  const items = people(30, 4, 0.5);
  const a = labelledPairs(items, { maxImpostorPairs: 1000, seed: 3 });
  const b = labelledPairs(items, { maxImpostorPairs: 1000, seed: 3 });
  assert.equal(a.filter((p) => !p.same).length, 1000);
  assert.deepEqual(a, b);
});

test('bad calibration input is refused with a coded error', () => {
  assert.throws(() => calibrateThreshold(people(1, 5, 0.1), { far: 0.01 }), { code: 'VISAGE_ERR_BAD_INPUT', message: /at least 2 people/ });
  assert.throws(() => calibrateThreshold(people(5, 1, 0.1), { far: 0.01 }), { code: 'VISAGE_ERR_BAD_INPUT', message: /2 or more faces/ });
  assert.throws(() => calibrateThreshold(people(3, 3, 0.1), { far: 0 }), { code: 'VISAGE_ERR_BAD_OPTION' });
  assert.throws(() => labelledPairs([{ label: 'a', embedding: [1, 0] }, { label: 'b', embedding: [1, 0, 0] }]), { code: 'VISAGE_ERR_BAD_INPUT' });
});
