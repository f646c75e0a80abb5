// The negative-example threshold per embedder (src/face/match/negatives.ts): above every identify
// and pair threshold, and on real faces (bbt, the ResNet alone) a negative example of one photo
// refuses that photo (and a JPEG copy of it) but not another photo of the same person.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DEFAULT_THRESHOLDS } from '../../../src/face/match/thresholds.ts';
import { NEGATIVE_MATCH, NEGATIVE_MATCHES, isNegative, negativeMatch } from '../../../src/face/match/negatives.ts';
import { SearchIndex } from '../../../src/gallery/search.ts';
import { createVisage, type Visage } from '../../../src/index.ts';
import { cosine } from '../../../src/face/match/index.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

test('negativeMatch: measured per embedder, the strictest for the others; above every identify threshold', () => {
  assert.equal(negativeMatch('faceapi-recognition'), 0.993);
  assert.equal(negativeMatch('fusion'), 0.986);
  assert.equal(negativeMatch('faceplugin-feature'), 0.945);
  assert.equal(negativeMatch('human-faceres'), NEGATIVE_MATCH);
  assert.equal(NEGATIVE_MATCH, Math.max(...Object.values(NEGATIVE_MATCHES)));
  for (const [modelId, thresholds] of Object.entries(DEFAULT_THRESHOLDS)) {
    for (const value of Object.values(thresholds!)) assert.ok(negativeMatch(modelId) > value, `${modelId}: ${negativeMatch(modelId)} > ${value}`);
  }
  const negatives = [{ subjectId: 1, vector: [1, 0] }];
  assert.equal(isNegative(negatives, 1, [0.99, Math.sqrt(1 - 0.99 ** 2)]), false, '0.99 < the default 0.993');
  assert.equal(isNegative(negatives, 1, [0.99, Math.sqrt(1 - 0.99 ** 2)], 0.986), true);
  assert.equal(isNegative(negatives, 2, [1, 0]), false, 'another subject');
});

const skip = skipUnless('bbt', 'people');
const photo = (name: string, n: number) => readFile(dataset('bbt', 'people', name, `${name}${n}.png`));
let visage: Visage;
before(async () => { if (!skip) visage = await createVisage({ embedders: ['faceapi-recognition'] }); });
after(async () => { await visage?.close(); });

test('ResNet alone: a negative example of howard4 refuses howard4 and a JPEG copy of it, not howard5 (0.974 apart)', { skip }, async () => {
  const embed = async (bytes: Buffer) => {
    const { faces } = await visage.analyze(bytes);
    const largest = faces.reduce((a, b) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
    return largest.embeddings['faceapi-recognition']!;
  };
  const index = SearchIndex.create('faceapi-recognition');
  let faceId = 0;
  for (const [subjectId, name] of [[1, 'howard'], [2, 'penny']] as const) {
    for (const n of [1, 2, 3]) index.add(++faceId, subjectId, name, await embed(await photo(name, n)));
  }
  const howard4 = await photo('howard', 4);
  const four = await embed(howard4);
  const five = await embed(await photo('howard', 5));
  const copy = await embed(await sharp(howard4).jpeg({ quality: 70 }).toBuffer());
  const apart = cosine(four, five);
  assert.ok(apart > 0.97 && apart < negativeMatch('faceapi-recognition'), `howard4 / howard5: ${apart.toFixed(4)} (over the old 0.97, under the ResNet's threshold)`);
  assert.ok(cosine(four, copy) >= negativeMatch('faceapi-recognition'), `the JPEG copy (quality 70): ${cosine(four, copy).toFixed(4)}`);
  const who = (vector: ArrayLike<number>) => index.identify(vector, { threshold: 0.9 }).subject?.name ?? null;
  assert.deepEqual([who(four), who(five), who(copy)], ['howard', 'howard', 'howard'], 'controls');
  index.addNegative(1, 1, four);
  assert.deepEqual([who(four), who(copy), who(five)], [null, null, 'howard']);
  index.close();
});
