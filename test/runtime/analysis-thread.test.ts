// The `worker` option: the analysis in a worker thread gives the same results as on the calling
// thread, keeps the calling thread's event loop free, brings errors back with their codes, and
// starts a new worker after one has died.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createVisage } from '../../src/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const skip = skipUnless('bbt', 'group');

test('worker: the same faces, boxes and embeddings as on this thread; the event loop stays free; coded errors', { skip }, async (t) => {
  const image = await readFile(dataset('bbt', 'group', 'faceapi_bbt1.jpg'));
  const here = await createVisage({ maxFaces: 20 });
  const there = await createVisage({ maxFaces: 20, worker: true });
  try {
    assert.equal(there.config.worker, true);
    const [a, b] = [await here.analyze(image), await there.analyze(image)];
    assert.ok(a.faces.length >= 3, `${a.faces.length} faces`);
    assert.equal(b.faces.length, a.faces.length);
    a.faces.forEach((face, i) => {
      assert.deepEqual(b.faces[i]!.box, face.box);
      const id = here.config.embedders[0]!;
      const x = face.embeddings[id]!, y = b.faces[i]!.embeddings[id]!;
      assert.ok(x.every((v, k) => Math.abs(v - y[k]!) < 1e-6), `face ${i}: embeddings differ`);
    });
    assert.deepEqual((await there.detect(image)).faces.map((f) => f.box), (await here.detect(image)).faces.map((f) => f.box));
    // While the worker analyses, a 5 ms timer here keeps firing.
    let last = performance.now(), maxGap = 0;
    const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 5);
    for (let i = 0; i < 3; i++) await there.analyze(image);
    clearInterval(timer);
    t.diagnostic(`event loop: longest gap ${maxGap.toFixed(0)} ms while the worker analysed 3 group photos`);
    assert.ok(maxGap < 150, `longest gap ${maxGap} ms`);
    await assert.rejects(there.analyze(Buffer.from('not an image at all')), { code: 'VISAGE_ERR_IMAGE_DECODE' });
    await assert.rejects(there.analyze(image, { bogus: true } as never), { code: 'VISAGE_ERR_BAD_OPTION' });
  } finally {
    await here.close();
    await there.close();
  }
  await assert.rejects(there.analyze(image), { code: 'VISAGE_ERR_CLOSED' });
});
