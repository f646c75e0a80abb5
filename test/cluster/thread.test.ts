// clusterFacesInThread: the same clusters as clusterFaces, computed off the calling thread (its
// event loop keeps running), and errors coming back as VisageErrors with their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterFaces } from '../../src/cluster/faces.ts';
import { clusterFacesInThread } from '../../src/cluster/thread.ts';

/** `people` well-separated identities with `each` noisy unit vectors apiece (seeded), two per photo at most. */
function faces(people: number, each: number, dim = 128) {
  let seed = 12345;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
  const unit = (v: Float32Array) => { let n = 0; for (const x of v) n += x * x; n = Math.sqrt(n); for (let i = 0; i < v.length; i++) v[i]! /= n; return v; };
  const out: { vector: Float32Array; photo: string; person: number }[] = [];
  for (let p = 0; p < people; p++) {
    const centre = unit(Float32Array.from({ length: dim }, random));
    for (let k = 0; k < each; k++) {
      const v = unit(centre.map((c) => c + random() * 0.06));
      out.push({ vector: v, photo: `photo-${p}-${k >> 1}-${out.length % 3}`, person: p });
    }
  }
  return out;
}

test('a large set is clustered in a worker: same clusters as in place, and the event loop keeps running', async () => {
  const set = faces(300, 10);
  const options = { embedder: 'fusion', threshold: 0.8, cohesion: 0.1 };
  const inPlace = clusterFaces(set, options);
  let ticks = 0;
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => { const now = performance.now(); longest = Math.max(longest, now - last); last = now; ticks++; }, 5);
  const started = performance.now();
  const threaded = await clusterFacesInThread(set, options);
  const took = performance.now() - started;
  clearInterval(timer);
  assert.deepEqual(threaded, inPlace);
  // Each identity is one cluster of its ten faces.
  assert.equal(threaded.clusters.length, 300);
  for (const c of threaded.clusters) assert.equal(new Set(c.map((i) => set[i]!.person)).size, 1);
  assert.ok(ticks >= 3, `the timer ran ${ticks} times in ${took.toFixed(0)} ms`);
  assert.ok(longest < Math.max(250, took / 2), `the event loop stalled ${longest.toFixed(0)} ms of ${took.toFixed(0)} ms`);
});

test('a small set is clustered in place; errors come back with their codes', async () => {
  const small = faces(3, 4);
  assert.deepEqual(await clusterFacesInThread(small, { embedder: 'fusion' }), clusterFaces(small, { embedder: 'fusion' }));
  const bad = faces(50, 10).map((f, i) => (i === 7 ? { ...f, vector: f.vector.subarray(0, 64) } : f));
  await assert.rejects(clusterFacesInThread(bad, { embedder: 'fusion' }), (e: { code?: string; message: string }) => e.code === 'VISAGE_ERR_BAD_INPUT' && /different lengths/.test(e.message));
  await assert.rejects(clusterFacesInThread(faces(50, 10), { embedder: 'no-such-embedder' }), (e: { code?: string }) => e.code === 'VISAGE_ERR_BAD_OPTION');
});
