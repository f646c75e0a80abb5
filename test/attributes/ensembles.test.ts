// Attribute ensembles: how members' readings combine (pure), the choice by name, and a real run
// on UTKFace faces that each member reads, mirror included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, ENSEMBLES, mirrorMean, type AttributeEnsemble } from '../../src/attributes/ensembles.ts';
import { attributeModelIds, resolveAttributeModels } from '../../src/attributes/attributes.ts';
import { HEADS } from '../../src/attributes/heads.ts';
import { AttributeRunner } from '../../src/attributes/attributes.ts';
import { loadImage } from '../../src/face/image/decode.ts';
import { Engine } from '../../src/runtime/engine.ts';
import { createVisage, type Visage } from '../../src/visage.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

describe('attribute ensembles, pure', () => {
  test('gender: logistic mix of the members\' logits', () => {
    const ensemble: AttributeEnsemble = { id: 'g', attribute: 'gender', bias: 0.5, members: [{ head: 'a', mirror: false, weight: 2 }, { head: 'b', mirror: false, weight: 1 }] };
    const logit = (p: number) => Math.log(p / (1 - p));
    const male = combine(ensemble, [{ male: 0.8 }, { male: 0.3 }]).male!;
    close(logit(male), 0.5 + 2 * logit(0.8) + logit(0.3), 'logit');
    // A confident "female" from a weighty member outvotes a mild "male".
    assert.ok(combine(ensemble, [{ male: 0.1 }, { male: 0.7 }]).male! < 0.5);
  });

  test('age: weighted sum plus bias; emotion: weighted mean of the probabilities', () => {
    const age: AttributeEnsemble = { id: 'a', attribute: 'age', bias: -1, members: [{ head: 'a', mirror: false, weight: 0.75 }, { head: 'b', mirror: true, weight: 0.25 }] };
    close(combine(age, [{ age: 40 }, { age: 20 }]).age!, -1 + 30 + 5, 'age');
    const emotion: AttributeEnsemble = { id: 'e', attribute: 'emotion', bias: 0, members: [{ head: 'a', mirror: false, weight: 0.3 }, { head: 'b', mirror: false, weight: 0.6 }] };
    const p = [0.5, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05], q = [0.1, 0.1, 0.1, 0.4, 0.2, 0.05, 0.05];
    const out = combine(emotion, [{ emotion: p }, { emotion: q }]).emotion!;
    close(out.reduce((s, v) => s + v, 0), 1, 'sum');
    close(out[3]!, (0.3 * 0.1 + 0.6 * 0.4) / 0.9, 'happy');
    // The weightier member's happy (0.4) outvotes the other's angry (0.5): (0.03 + 0.24) / 0.9 > (0.15 + 0.06) / 0.9.
    assert.equal(out.indexOf(Math.max(...out)), 3);
  });

  test('mirror: ages and probabilities averaged, gender in logits', () => {
    const m = mirrorMean({ age: 30, male: 0.9, emotion: [1, 0, 0, 0, 0, 0, 0] }, { age: 34, male: 0.5, emotion: [0, 1, 0, 0, 0, 0, 0] });
    close(m.age!, 32, 'age');
    close(m.male!, 0.75, 'male'); // logit(0.9)/2 = logit(0.75)
    assert.deepEqual(m.emotion, [0.5, 0.5, 0, 0, 0, 0, 0]);
  });

  test('every ensemble names known heads that give its attribute, and is selectable for that attribute only', () => {
    assert.ok(ENSEMBLES.length > 0);
    for (const e of ENSEMBLES) {
      assert.ok(e.members.length >= 1 && e.members.length + 1 <= 5, `${e.id}: at most five weights`);
      for (const m of e.members) assert.ok(HEADS.find((h) => h.id === m.head)?.provides.includes(e.attribute), `${e.id}: ${m.head}`);
      assert.ok(attributeModelIds(e.attribute).includes(e.id));
      assert.equal(resolveAttributeModels({ [e.attribute]: e.id })[e.attribute], e.id);
      const other = e.attribute === 'age' ? 'emotion' : 'age';
      assert.throws(() => resolveAttributeModels({ [other]: e.id }), { code: 'VISAGE_ERR_BAD_OPTION', message: new RegExp(`attributeModels.${other} must be one of`) });
    }
  });
});

const skip = skipUnless('utkface', 'images');

describe('attribute ensembles on UTKFace', () => {
  let visage: Visage;
  let engine: Engine;
  before(async () => { if (!skip) { visage = await createVisage({ threads: 1 }); engine = await Engine.create({ threads: 1 }); } });
  after(async () => { await visage?.close(); await engine?.close(); });

  test('each ensemble answers its members\' readings combined, mirror included', { skip }, async () => {
    const file = dataset('utkface', 'images', '30_1_0_20170104165921257.jpg.chip.jpg');
    const image = await loadImage(file);
    const runner = new AttributeRunner(engine);
    for (const e of ENSEMBLES.filter((x) => x.attribute !== 'emotion')) {
      const other = await createVisage({ threads: 1, attributeModels: { [e.attribute]: e.id } });
      try {
        const { faces } = await other.analyze(file, { embed: false, landmarks68: true, attributes: [e.attribute] });
        const face = faces[0]!;
        const geometry = { box: face.box, five: face.landmarks.five, points68: face.landmarks.points68! };
        const readings = [];
        for (const m of e.members) {
          const head = HEADS.find((h) => h.id === m.head)!;
          const [plain] = await runner.readings(image, [geometry], head);
          const [mirrored] = await runner.readings(image, [geometry], head, true);
          assert.notDeepEqual(plain, mirrored, `${m.head}: the mirror image is read differently`);
          readings.push(m.mirror ? mirrorMean(plain!, mirrored!) : plain!);
        }
        const expected = combine(e, readings);
        if (e.attribute === 'gender') {
          const g = face.attributes!.gender!;
          assert.equal(g.model, e.id);
          assert.equal(g.value, 'female');
          close(g.confidence, Math.round(Math.max(expected.male!, 1 - expected.male!) * 1000) / 1000, 'confidence');
        } else {
          const a = face.attributes!.age!;
          assert.equal(a.model, e.id);
          close(a.value, Math.round(expected.age! * 10) / 10, 'age');
          assert.ok(Math.abs(a.value - 30) <= 10, `age ${a.value}`);
        }
      } finally {
        await other.close();
      }
    }
  });
});
