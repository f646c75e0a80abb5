import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/runtime/engine.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { readPixels } from '../helpers/tfjs-reference.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

let dir: string;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'visage-engine-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** A face image as the recogniser's normalised NCHW input. */
async function recogniserInput(file: string): Promise<Float32Array> {
  const pixels = await readPixels(file, 150, 150);
  const mean = [122.782, 117.001, 104.298];
  const out = new Float32Array(3 * 150 * 150);
  for (let i = 0; i < 150 * 150; i++) for (let c = 0; c < 3; c++) out[c * 150 * 150 + i] = (pixels[i * 3 + c]! - mean[c]!) / 255;
  return out;
}

test('sessions are created on first use, reused after, and batches give the same answer as single runs', { skip: skipUnless('lfw-view1') }, async () => {
  const engine = await Engine.create({ modelDir: dir, threads: 2 });
  assert.deepEqual(engine.loadedModels(), []);
  const a = await recogniserInput(dataset('lfw-view1', 'images', 'Aaron_Peirsol', 'Aaron_Peirsol_0001.jpg'));
  const b = await recogniserInput(dataset('lfw-view1', 'images', 'Aaron_Peirsol', 'Aaron_Peirsol_0002.jpg'));
  const [single] = Object.values(await engine.run('faceapi-recognition', a, [1, 3, 150, 150]));
  assert.deepEqual(engine.loadedModels(), ['faceapi-recognition']);
  assert.equal(await engine.session('faceapi-recognition'), await engine.session('faceapi-recognition'));
  assert.deepEqual(single!.dims, [1, 128]);

  const batched = await engine.runBatched('faceapi-recognition', [a, b, a], [3, 150, 150], 2);
  assert.equal(batched.length, 3);
  const first = Object.values(batched[0]!)[0]!.data;
  const third = Object.values(batched[2]!)[0]!.data;
  for (let i = 0; i < 128; i++) {
    assert.ok(Math.abs(first[i]! - single!.data[i]!) < 1e-4);
    assert.ok(Math.abs(third[i]! - single!.data[i]!) < 1e-4);
  }
  await engine.close();
});

test('wrong input sizes, unknown models, bad options and use after close() are coded errors', async () => {
  await assert.rejects(Engine.create({ threads: 0 }), { code: 'VISAGE_ERR_BAD_OPTION' });
  const engine = await Engine.create({ modelDir: dir });
  await assert.rejects(engine.run('no-such-model', new Float32Array(3), [3]), { code: 'VISAGE_ERR_UNKNOWN_MODEL' });
  await assert.rejects(engine.run('faceapi-recognition', new Float32Array(10), [1, 3, 150, 150]), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(engine.run('faceapi-recognition', new Float32Array(3 * 20 * 20), [1, 3, 20, 20]), { code: 'VISAGE_ERR_INFERENCE_FAILED' });
  await engine.close();
  await assert.rejects(engine.session('faceapi-recognition'), { code: 'VISAGE_ERR_CLOSED' });
});

test('runEach: several inputs side by side on inference lanes give what run() gives, in order; bad input and close are clean', { skip: skipUnless('lfw-view1') }, async () => {
  const engine = await Engine.create({ modelDir: dir, threads: 2 });
  const inputs = await Promise.all(['Aaron_Peirsol_0001.jpg', 'Aaron_Peirsol_0002.jpg', 'Aaron_Peirsol_0003.jpg']
    .map((f) => recogniserInput(dataset('lfw-view1', 'images', 'Aaron_Peirsol', f))));
  const each = await engine.runEach('faceapi-recognition', inputs, [1, 3, 150, 150]);
  assert.equal(each.length, 3);
  for (let k = 0; k < inputs.length; k++) {
    const [alone] = Object.values(await engine.run('faceapi-recognition', inputs[k]!, [1, 3, 150, 150]));
    const [lane] = Object.values(each[k]!);
    assert.deepEqual(lane!.dims, [1, 128]);
    for (let i = 0; i < 128; i++) assert.ok(Math.abs(lane!.data[i]! - alone!.data[i]!) < 1e-4, `input ${k}, value ${i}`);
  }
  // The caller's arrays are not handed over (detached) to the lanes.
  assert.equal(inputs[0]!.length, 3 * 150 * 150);
  await assert.rejects(engine.runEach('faceapi-recognition', [inputs[0]!, new Float32Array(5)], [1, 3, 150, 150]), { code: 'VISAGE_ERR_BAD_INPUT' });
  // A wrong shape reaches the lane's session, which refuses it: one error, and the lanes still work after.
  await assert.rejects(engine.runEach('faceapi-recognition', [inputs[0]!, inputs[1]!], [1, 3, 450, 50]), { code: 'VISAGE_ERR_INFERENCE_FAILED' });
  assert.equal((await engine.runEach('faceapi-recognition', inputs, [1, 3, 150, 150])).length, 3);
  await engine.close();
  await assert.rejects(engine.runEach('faceapi-recognition', inputs, [1, 3, 150, 150]), { code: 'VISAGE_ERR_CLOSED' });
  // One thread: no lanes, the same answers.
  const single = await Engine.create({ modelDir: dir, threads: 1 });
  const [first] = Object.values((await single.runEach('faceapi-recognition', inputs, [1, 3, 150, 150]))[0]!);
  const [ref] = Object.values(each[0]!);
  for (let i = 0; i < 128; i++) assert.ok(Math.abs(first!.data[i]! - ref!.data[i]!) < 1e-4);
  await single.close();
});

test('a damaged converted model is a one-line coded error naming the file and the fix, not an onnxruntime stack', async () => {
  const own = await mkdtemp(path.join(os.tmpdir(), 'visage-engine-'));
  try {
    const id = 'faceapi-landmark68-tiny';
    const first = await Engine.create({ modelDir: own, threads: 1 });
    await first.session(id);
    await first.close();
    const file = (await first.store.ensure(getModelSpec(id))).path;
    const good = await readFile(file);
    const fix = `visage models prepare --force --only ${id} --dir ${own}`;
    const loadFails = async (pattern: RegExp) => {
      const engine = await Engine.create({ modelDir: own, threads: 1 });
      await assert.rejects(engine.session(id), (e: any) => {
        assert.equal(e.code, 'VISAGE_ERR_MODEL_LOAD_FAILED');
        assert.ok(!e.message.includes('\n'), e.message);
        assert.ok(e.message.includes(file) && e.message.includes(fix), e.message);
        assert.match(e.message, pattern);
        return true;
      });
      await engine.close();
    };

    await truncate(file, good.length >> 1);
    await loadFails(/damaged \(\d+ bytes, expected \d+\)/);

    // Same size and first bytes, the rest overwritten: onnxruntime refuses it, the hash says why.
    const scrambled = Buffer.from(good);
    scrambled.fill(0xff, 64);
    await writeFile(file, scrambled);
    await loadFails(/damaged \(.*sha256 mismatch\)/);
  } finally {
    await rm(own, { recursive: true, force: true });
  }
});
