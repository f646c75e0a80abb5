// visage analyze / identify --attributes: the JSON shape over a folder, the table column, and
// bad attribute names as usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const UTK = ['30_0_0_20170104200535163.jpg.chip.jpg', '30_1_0_20170104165921257.jpg.chip.jpg'];

test('visage analyze <folder> --json --attributes: every image with its file and faces, each face with the attributes asked for', { skip: skipUnless('utkface', 'images') }, async () => {
  const { dir, remove } = await tempDir('visage-attr-');
  try {
    await mkdir(path.join(dir, 'faces'));
    for (const f of UTK) await copyFile(dataset('utkface', 'images', f), path.join(dir, 'faces', f));
    const result = await visage(['analyze', path.join(dir, 'faces'), '--json', '--attributes', 'age,gender']);
    assert.equal(result.code, 0, result.stderr);
    const { images } = JSON.parse(result.stdout);
    assert.deepEqual(images.map((i: { file: string }) => path.basename(i.file)).sort(), [...UTK].sort());
    for (const image of images) {
      assert.equal(image.faces.length, 1);
      const { attributes } = image.faces[0];
      assert.deepEqual(Object.keys(attributes).sort(), ['age', 'gender']);
      assert.equal(typeof attributes.age.value, 'number');
      assert.ok(attributes.age.value > 15 && attributes.age.value < 50, String(attributes.age.value));
      assert.equal(attributes.gender.value, path.basename(image.file).startsWith('30_0') ? 'male' : 'female');
    }
    const table = await visage(['analyze', path.join(dir, 'faces', UTK[1]!), '--attributes', 'gender']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /attributes/);
    assert.match(table.stdout, /female 0\.\d\d/);
    const plain = await visage(['analyze', path.join(dir, 'faces', UTK[1]!), '--json']);
    assert.equal(JSON.parse(plain.stdout).images[0].faces[0].attributes, undefined, 'no attributes unless asked');
  } finally {
    await remove();
  }
});

test('visage analyze --attributes with an unknown name or model: exit 2 with the choices', async () => {
  const bad = await visage(['analyze', 'x.jpg', '--attributes', 'age,mood']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--attributes takes age, gender, emotion, liveness, got "mood"/);
  const model = await visage(['analyze', 'x.jpg', '--attributes', 'age', '--attribute-model', 'age']);
  assert.equal(model.code, 2);
  assert.match(model.stderr, /--attribute-model takes ATTRIBUTE=MODEL/);
});
