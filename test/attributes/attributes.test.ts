// Face attributes through the library API, on real images: UTKFace (age, gender), FER-2013
// (emotion), NUAA (liveness), and the refusals of requireLive.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createVisage, type Visage } from '../../src/visage.ts';
import { createRecognizer } from '../../src/recognition/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveAttributeModels } from '../../src/attributes/attributes.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const skip = skipUnless('utkface', 'images') || skipUnless('nuaa', 'live') || skipUnless('fer2013', 'happy');

/** Two men and two women at 20, 30 and 40 (the first of each in labels.csv's order). */
const UTK = [
  ['20_0_0_20170104230054071.jpg.chip.jpg', 20, 'male'], ['20_0_3_20170104214325910.jpg.chip.jpg', 20, 'male'],
  ['20_1_0_20170103175629504.jpg.chip.jpg', 20, 'female'], ['20_1_2_20170108224309241.jpg.chip.jpg', 20, 'female'],
  ['30_0_0_20170104200535163.jpg.chip.jpg', 30, 'male'], ['30_0_0_20170105164847516.jpg.chip.jpg', 30, 'male'],
  ['30_1_0_20170104165921257.jpg.chip.jpg', 30, 'female'], ['30_1_0_20170109012829305.jpg.chip.jpg', 30, 'female'],
  ['40_0_0_20170103182925914.jpg.chip.jpg', 40, 'male'], ['40_0_0_20170104181301060.jpg.chip.jpg', 40, 'male'],
  ['40_1_0_20170104183630718.jpg.chip.jpg', 40, 'female'], ['40_1_0_20170105164619947.jpg.chip.jpg', 40, 'female'],
] as const;

/** Frames of subject 0004 (a held-back subject of the benchmark), every fifth. */
function nuaa(kind: 'live' | 'spoof', count: number): string[] {
  const files = readdirSync(dataset('nuaa', kind)).filter((f) => f.startsWith('0004_')).sort();
  return Array.from({ length: count }, (_, i) => dataset('nuaa', kind, files[(i * 5) % files.length]!));
}

describe('face attributes', () => {
  let visage: Visage;
  before(async () => { if (!skip) visage = await createVisage({ threads: 1 }); });
  after(async () => { await visage?.close(); });

  test('absent unless asked; each asked attribute comes with its model', { skip }, async () => {
    const file = dataset('utkface', 'images', UTK[0][0]);
    const plain = await visage.analyze(file, { embed: false });
    assert.equal(plain.faces.length, 1);
    assert.equal('attributes' in plain.faces[0]!, false);
    const some = await visage.analyze(file, { embed: false, attributes: ['age'] });
    assert.deepEqual(Object.keys(some.faces[0]!.attributes!), ['age']);
    assert.equal(some.faces[0]!.attributes!.age!.model, visage.config.attributeModels.age);
    const all = await visage.analyze(file, { embed: false, attributes: ['age', 'gender', 'emotion', 'liveness'] });
    const a = all.faces[0]!.attributes!;
    assert.deepEqual(Object.keys(a).sort(), ['age', 'emotion', 'gender', 'liveness']);
    assert.ok(['male', 'female'].includes(a.gender!.value) && a.gender!.confidence >= 0.5 && a.gender!.confidence <= 1);
    assert.equal(Object.keys(a.emotion!.scores).length, 7);
    assert.ok(Math.abs(Object.values(a.emotion!.scores).reduce((x, y) => x + y, 0) - 1) < 0.01);
    assert.ok(['live', 'spoof'].includes(a.liveness!.value) && a.liveness!.score >= 0 && a.liveness!.score <= 1);
  });

  test('UTKFace: gender right and ages near on twelve faces of 20 to 40', { skip }, async () => {
    const errors: number[] = [];
    let right = 0;
    for (const [file, age, gender] of UTK) {
      const { faces } = await visage.analyze(dataset('utkface', 'images', file), { embed: false, attributes: ['age', 'gender'] });
      const a = faces[0]!.attributes!;
      if (a.gender!.value === gender) right++;
      errors.push(Math.abs(a.age!.value - age));
    }
    const mae = errors.reduce((x, y) => x + y, 0) / errors.length;
    assert.ok(right >= 11, `gender right on ${right} of 12`);
    assert.ok(mae <= 8, `age MAE ${mae.toFixed(1)} years on these twelve (${errors.map((e) => e.toFixed(0)).join(', ')})`);
    // One face reads far off with face-api's own crop and the mirror (the default since bench:attributes
    // measured it better on UTKFace's halves): the 40-year-old woman of 40_1_0_20170104183630718, read 65.
    assert.ok(Math.max(...errors) <= 30, `largest age error ${Math.max(...errors).toFixed(1)}`);
  });

  test('FER-2013: most happy faces are read as happy', { skip }, async () => {
    const files = readdirSync(dataset('fer2013', 'happy')).sort().slice(0, 10);
    let happy = 0;
    for (const f of files) {
      const { faces } = await visage.analyze(dataset('fer2013', 'happy', f), { embed: false, attributes: ['emotion'] });
      if (faces[0]?.attributes?.emotion?.value === 'happy') happy++;
    }
    assert.ok(happy >= 7, `${happy} of 10 happy`);
  });

  test('NUAA: printed-photo frames score below live frames of the same person', { skip }, async () => {
    const score = async (file: string) => (await visage.analyze(file, { embed: false, attributes: ['liveness'] })).faces[0]!.attributes!.liveness!;
    const live = await Promise.all(nuaa('live', 6).map(score));
    const spoof = await Promise.all(nuaa('spoof', 6).map(score));
    const mean = (xs: { score: number }[]) => xs.reduce((s, x) => s + x.score, 0) / xs.length;
    assert.ok(mean(spoof) < mean(live), `spoof ${mean(spoof).toFixed(3)} < live ${mean(live).toFixed(3)}`);
    assert.ok(spoof.filter((s) => s.value === 'spoof').length >= 4, spoof.map((s) => s.score).join(', '));
    assert.ok(live.filter((s) => s.value === 'live').length >= 4, live.map((s) => s.score).join(', '));
  });

  test('bad attribute names and models are refused with the choices', { skip }, async () => {
    await assert.rejects(visage.analyze(dataset('utkface', 'images', UTK[0][0]), { attributes: ['mood' as 'age'] }), { code: 'VISAGE_ERR_BAD_OPTION', message: /unknown attribute "mood".*age, gender, emotion, liveness/ });
    assert.throws(() => resolveAttributeModels({ age: 'human-emotion' }), { code: 'VISAGE_ERR_BAD_OPTION', message: /attributeModels.age must be one of .*faceapi-age-gender/ });
    await assert.rejects(createVisage({ attributeModels: { mood: 'x' } as never }), { code: 'VISAGE_ERR_BAD_OPTION' });
  });

  test('another model by config: face-api\'s age and gender', { skip }, async () => {
    const other = await createVisage({ threads: 1, attributeModels: { age: 'faceapi-age-gender', gender: 'faceapi-age-gender' } });
    try {
      const { faces } = await other.analyze(dataset('utkface', 'images', UTK[8][0]), { embed: false, attributes: ['age', 'gender'] });
      assert.equal(faces[0]!.attributes!.age!.model, 'faceapi-age-gender');
      assert.equal(faces[0]!.attributes!.gender!.value, 'male');
    } finally {
      await other.close();
    }
  });

  test('requireLive: a printed photo is not enrolled, verified or named', { skip }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'visage-live-'));
    const recognizer = await createRecognizer({ visage, db: path.join(dir, 'gallery.db'), requireLive: true });
    try {
      const [spoof] = nuaa('spoof', 1), [live, live2] = nuaa('live', 2);
      const refused = await recognizer.enroll(spoof!, 'subject4');
      assert.equal(refused.status, 'skipped');
      assert.equal(refused.reason, 'not-live');
      assert.match(refused.message!, /liveness check/);
      assert.equal(refused.liveness?.value, 'spoof');
      const added = await recognizer.enroll(live!, 'subject4', { largest: true });
      assert.equal(added.status, 'added', added.message);
      // Without requireLive the same photo is enrolled (the refusal is the option's doing).
      assert.equal((await recognizer.enroll(spoof!, 'subject4', { requireLive: false, largest: true })).status, 'added');
      await assert.rejects(recognizer.verify(live2!, spoof!), { code: 'VISAGE_ERR_NOT_LIVE', message: /did not pass the liveness check/ });
      await assert.rejects(recognizer.verifySubject(spoof!, 'subject4'), { code: 'VISAGE_ERR_NOT_LIVE' });
      assert.equal((await recognizer.verifySubject(live2!, 'subject4')).same, true);
      const named = await recognizer.identify(spoof!);
      assert.equal(named.faces[0]!.refused, 'not-live');
      assert.equal(named.faces[0]!.name, null);
      assert.deepEqual(named.faces[0]!.candidates, []);
      const real = await recognizer.identify(live2!, { attributes: ['age'] });
      assert.equal(real.faces[0]!.name, 'subject4');
      assert.equal(real.faces[0]!.refused, undefined);
      assert.ok(real.faces[0]!.attributes?.age && real.faces[0]!.attributes.liveness);
      await assert.rejects(recognizer.identify(live2!, { requireLive: 'yes' as never }), { code: 'VISAGE_ERR_BAD_OPTION' });
    } finally {
      await recognizer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
