// The server with approximate search: the index loads when the app is built and its IVF index is
// built in the background; /health says so (building, then ready), and recognise answers all along
// (exactly while the index is being built) with the same person and score as after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { testVisage } from './helpers.ts';
import { openSqliteGallery } from '../../src/public/gallery.ts';
import { buildApp, SqliteServerStore } from '../../src/server/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const skip = skipUnless('celeb5', 'train', 'madonna');

/** Seeded unit vectors near one shared direction (face-like: other people's faces are near, not on top). */
function vectors(count: number, dim: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const value = (j === 0 ? 3 : 0) + Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      out[i * dim + j] = value;
      norm += value * value;
    }
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= Math.sqrt(norm);
  }
  return out;
}

test('serve with approximate search: /health shows the IVF index building then ready; recognise answers throughout, the same before and after', { skip, timeout: 600_000 }, async () => {
  const visage = await testVisage();
  const modelId = visage.config.embedders[0]!;
  const root = dataset('celeb5', 'train', 'madonna');
  const enrolled = await readFile(path.join(root, '1.jpg'));
  const asked = enrolled; // the enrolled photo itself: its own face is the one to find among 19,991
  const analysis = await visage.analyze(enrolled);
  const embedding = analysis.faces[0]!.embeddings[modelId]!;
  const dim = embedding.length;
  // A gallery of 19,991 faces: madonna's photo and 1,999 other people of 10 faces each.
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-search-build-'));
  const gallery = await openSqliteGallery(path.join(dir, 'g.db'));
  const store = SqliteServerStore.open(path.join(dir, 'g.server.db'));
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  try {
    await gallery.addFaces((await gallery.addSubject('madonna')).id, [{ contentHash: createHash('sha256').update(enrolled).digest('hex'), embeddings: { [modelId]: embedding } }]);
    const others = vectors(19_990, dim, 5);
    for (let person = 0; person < 1999; person++) {
      const subject = await gallery.addSubject(`person ${person}`);
      await gallery.addFaces(subject.id, Array.from({ length: 10 }, (_, i) => {
        const at = (person * 10 + i) * dim;
        return { contentHash: createHash('sha256').update(`${person}/${i}`).digest('hex'), embeddings: { [modelId]: others.subarray(at, at + dim) } };
      }));
    }
    // As `visage serve` starts: the app loads the index, then builds the IVF index in the background.
    const server = { app: app = await buildApp({ visage, gallery, store, search: { mode: 'approximate' }, openWithoutKeys: true }) };
    const recogniser = async () => {
      const response = await server.app.inject({ method: 'POST', url: '/v1/recognise?k=1', payload: asked, headers: { 'content-type': 'image/jpeg' } });
      assert.equal(response.statusCode, 200, response.body);
      const face = response.json().faces[0];
      return { label: face.label as string, similarity: face.candidates[0].similarity as number };
    };
    const health = async () => (await server.app.inject({ url: '/health' })).json().search;
    const states = new Set<string>();
    const during: { label: string; similarity: number }[] = [];
    const started = Date.now();
    for (;;) {
      const search = await health();
      if (search) states.add(search.state);
      if (search?.state === 'ready') {
        assert.equal(search.faces, 19_991);
        assert.ok(search.lists > 100 && search.probes > 0 && search.trainedRows === 19_991, JSON.stringify(search));
        break;
      }
      if (search?.state === 'building') {
        assert.ok(['training', 'filing'].includes(search.phase), JSON.stringify(search));
        if (during.length < 1) during.push(await recogniser());
      }
      assert.ok(Date.now() - started < 300_000, 'the index was not ready within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(states.has('building'), [...states].join());
    const after = await recogniser();
    assert.equal(after.label, 'madonna');
    for (const answer of during) assert.deepEqual(answer, after, 'exact while building, approximate once ready: the same face found');
  } finally {
    await app?.close();
    await gallery.close();
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
