import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, stat, truncate, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ModelStore, resolveModelDir, sourceHash, MODEL_DIR_ENV } from '../../src/models/store.ts';
import { MODELS, getModelSpec } from '../../src/models/registry.ts';
import { OnnxGraph } from '../../src/convert/onnx/graph.ts';
import type { ModelSpec } from '../../src/models/types.ts';

/** A registry-shaped spec over real face-api files whose converter makes a one-node graph and counts its calls. */
function countingSpec(): ModelSpec & { calls: number } {
  const base = getModelSpec('faceapi-landmark68-tiny');
  const spec = {
    ...base,
    id: 'test-identity',
    calls: 0,
    async convert() {
      spec.calls++;
      const g = new OnnxGraph('identity');
      const x = g.input('x', ['batch', 3, 4, 4]);
      return { graph: g, input: x, outputs: [g.output(g.node('Relu', [x]), 'y')] };
    },
  };
  return spec;
}

test('the model folder comes from the option, else the environment, else the user cache', () => {
  const saved = process.env[MODEL_DIR_ENV];
  try {
    process.env[MODEL_DIR_ENV] = '/tmp/from-env';
    assert.equal(resolveModelDir('/tmp/from-option'), '/tmp/from-option');
    assert.equal(resolveModelDir(), '/tmp/from-env');
    delete process.env[MODEL_DIR_ENV];
    assert.match(resolveModelDir(), /visage[/\\]models$/);
  } finally {
    if (saved === undefined) delete process.env[MODEL_DIR_ENV]; else process.env[MODEL_DIR_ENV] = saved;
  }
});

test('a model is converted once, cached under its source hash, and found again by a new store', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-store-'));
  try {
    const spec = countingSpec();
    const store = new ModelStore(dir);
    assert.equal(await store.cached(spec), null);
    const first = await store.ensure(spec);
    assert.equal(spec.calls, 1);
    assert.ok(first.path.startsWith(dir));
    assert.ok(path.basename(first.path).startsWith(`test-identity-${first.sourceHash.slice(0, 16)}`));
    assert.equal((await stat(first.path)).size, first.bytes);

    const again = await new ModelStore(dir).ensure(spec);
    assert.equal(spec.calls, 1, 'the second ensure() must not convert again');
    assert.equal(again.path, first.path);

    // A conversion made from older sources is replaced, not kept beside the new one.
    await writeFile(path.join(dir, 'test-identity-0123456789abcdef.onnx'), 'old');
    await store.convert(spec);
    assert.deepEqual((await readdir(dir)).sort(), [path.basename(first.path), `${path.basename(first.path)}.json`].sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a converted file that was truncated, emptied or overwritten is damaged, not cached; ensure() names it and the fix; convert() mends it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-store-'));
  try {
    const spec = countingSpec();
    const store = new ModelStore(dir);
    const info = await store.convert(spec);
    assert.match(info.sha256 ?? '', /^[0-9a-f]{64}$/);
    const good = await readFile(info.path);
    assert.equal((await store.inspect(spec)).state, 'ready');

    const damagedBy = async (damage: () => Promise<void>, hash = false) => {
      await writeFile(info.path, good);
      await damage();
      return new ModelStore(dir).inspect(spec, { hash });
    };
    const truncated = await damagedBy(() => truncate(info.path, good.length - 10));
    assert.deepEqual(truncated, { state: 'damaged', path: info.path, problem: `${good.length - 10} bytes, expected ${good.length}` });
    assert.equal((await damagedBy(() => truncate(info.path, 0))).state, 'damaged');
    const overwritten = await damagedBy(() => writeFile(info.path, Buffer.alloc(good.length, 0x41)));
    assert.equal(overwritten.state, 'damaged');
    assert.match((overwritten as { problem: string }).problem, /not an ONNX file written by Visage/);

    // The same size and first bytes, other contents: only the hash tells.
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 0xff;
    assert.equal((await damagedBy(() => writeFile(info.path, flipped))).state, 'ready');
    assert.match((await damagedBy(() => writeFile(info.path, flipped), true) as { problem: string }).problem, /sha256 mismatch/);

    await truncate(info.path, 0);
    assert.equal(await store.cached(spec), null);
    await assert.rejects(new ModelStore(dir).ensure(spec), (e: any) => e.code === 'VISAGE_ERR_MODEL_LOAD_FAILED'
      && e.message.includes(info.path) && e.message.includes(`visage models prepare --force --only test-identity --dir ${dir}`)
      && !e.message.includes('\n'));
    assert.equal(spec.calls, 1, 'a damaged file must not be converted again behind the caller\'s back');

    await store.convert(spec);
    assert.deepEqual(await readFile(info.path), good);
    assert.equal((await store.inspect(spec, { hash: true })).state, 'ready');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an info file written before the sha256 was recorded still has the size and first bytes checked', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-store-'));
  try {
    const spec = countingSpec();
    const info = await new ModelStore(dir).convert(spec);
    const { sha256: _dropped, ...older } = JSON.parse(await readFile(`${info.path}.json`, 'utf8'));
    await writeFile(`${info.path}.json`, JSON.stringify(older));
    assert.equal((await new ModelStore(dir).inspect(spec, { hash: true })).state, 'ready');
    await truncate(info.path, 5);
    assert.equal((await new ModelStore(dir).inspect(spec, { hash: true })).state, 'damaged');
    await writeFile(`${info.path}.json`, '{ not json');
    assert.match((await new ModelStore(dir).inspect(spec) as { problem: string }).problem, /info file .* cannot be read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the source hash depends on the model id and its weight files', async () => {
  const a = await sourceHash(getModelSpec('faceapi-landmark68-tiny'));
  const b = await sourceHash(getModelSpec('faceapi-landmark68'));
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
  assert.equal(a, await sourceHash(getModelSpec('faceapi-landmark68-tiny')));
});

test('every registry entry names a source file that the installed packages ship', async () => {
  for (const spec of MODELS) assert.match(await sourceHash(spec), /^[0-9a-f]{64}$/, spec.id);
});

test('an unknown model id is a coded error that lists the known ids', () => {
  assert.throws(() => getModelSpec('nope'), (e: any) => e.code === 'VISAGE_ERR_UNKNOWN_MODEL' && /faceapi-recognition/.test(e.message));
});
