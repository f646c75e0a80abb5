import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/runtime/engine.ts';
import { MODELS } from '../../src/models/registry.ts';

let dir: string;
let engine: Engine;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'visage-registry-'));
  engine = await Engine.create({ modelDir: dir });
});
after(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

// The registry is the one description of every model: what it says must be what the converted model is.
for (const spec of MODELS) {
  test(`${spec.id}: the converted model has the inputs and outputs the registry describes`, async () => {
    const session = await engine.session(spec.id);
    assert.equal(session.inputNames.length, 1);
    assert.deepEqual([...session.outputNames].sort(), spec.outputs.map((o) => o.name).sort());

    const [h, w] = spec.input.size ?? [320, 256];
    const batch = spec.input.batch === 'dynamic' ? 2 : spec.input.batch;
    const input = new Float32Array(batch * spec.input.channels * h * w).map((_, i) => Math.sin(i) * 0.5);
    const outputs = await engine.run(spec.id, input, [batch, spec.input.channels, h, w]);
    for (const out of spec.outputs) {
      const dims = outputs[out.name]!.dims;
      assert.equal(dims.length, out.shape.length, `${out.name} rank`);
      out.shape.forEach((d, i) => {
        if (d === 'batch') assert.equal(dims[i], batch, `${out.name} batch`);
        else if (typeof d === 'number') assert.equal(dims[i], d, `${out.name} dim ${i}`);
      });
      assert.ok(outputs[out.name]!.data.every(Number.isFinite), `${out.name} has non-finite values`);
    }
    if (spec.embeddingSize) {
      const embedding = spec.outputs.find((o) => o.shape.at(-1) === spec.embeddingSize);
      assert.ok(embedding, 'an output has the embedding size');
    }
  });
}
