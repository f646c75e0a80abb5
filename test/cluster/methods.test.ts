import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agglomerative, centroidMerge, chineseWhispers, dbscan, samePhotoViolations, similarityMatrix } from '../../src/cluster/index.ts';
import { scoreClustering } from '../../src/eval/clustering.ts';

/** Unit vectors around `centres`, `per` each, with a small deterministic spread. */
function groups(centres: number, per: number, dim = 16): { vectors: Float32Array[]; labels: string[] } {
  const vectors: Float32Array[] = [], labels: string[] = [];
  for (let c = 0; c < centres; c++) {
    for (let k = 0; k < per; k++) {
      const v = new Float32Array(dim);
      v[c] = 1; v[(c + 1 + k) % dim] = 0.2;
      const norm = Math.hypot(...v);
      vectors.push(v.map((x) => x / norm)); labels.push(`p${c}`);
    }
  }
  return { vectors, labels };
}

test('similarityMatrix: dot products of unit vectors, 1 on the diagonal', () => {
  const { vectors } = groups(2, 2);
  const m = similarityMatrix(vectors);
  assert.equal(m.size, 4);
  assert.equal(m.values[0], 1);
  assert.ok(Math.abs(m.values[1]! - (1 + 0) / Math.hypot(1, 0.2) ** 2) < 1e-5);
  assert.ok(Math.abs(m.values[2]! - 0.2 / 1.04) < 1e-5);
});

test('agglomerative: the groups, largest first; nothing merged below the threshold', () => {
  const { vectors } = groups(3, 3);
  const sim = similarityMatrix(vectors);
  const r = agglomerative(sim, { threshold: 0.5 });
  assert.deepEqual(r.clusters, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  assert.deepEqual(r.unclustered, []);
  const none = agglomerative(sim, { threshold: 0.99 });
  assert.equal(none.clusters.length, 0);
  assert.equal(none.unclustered.length, 9);
});

test('agglomerative: faces of one photo and cannot-link pairs never share a cluster', () => {
  const { vectors } = groups(1, 4);
  const sim = similarityMatrix(vectors);
  const photoOf = [0, 0, 1, 2];
  const r = agglomerative(sim, { threshold: 0.5, photoOf });
  assert.equal(samePhotoViolations(r, photoOf), 0);
  assert.equal(r.clusters.length, 1);
  assert.equal(r.clusters[0]!.length, 3);
  assert.equal(r.unclustered.length, 1);
  assert.ok(r.unclustered[0]! <= 1);
  const split = agglomerative(sim, { threshold: 0.5, cannotLink: [[0, 3]] });
  for (const c of split.clusters) assert.ok(!(c.includes(0) && c.includes(3)));
});

test('agglomerative: initial groups stay together and new faces join them', () => {
  const { vectors } = groups(2, 3);
  const sim = similarityMatrix(vectors);
  // 0 and 3 are different people, but the user merged them: they stay together.
  const r = agglomerative(sim, { threshold: 0.9, initial: [[0, 3]] });
  assert.ok(r.clusters.some((c) => c.includes(0) && c.includes(3)));
});

test('agglomerative: cohesion 0.5 is the cosine of mean templates', () => {
  const { vectors } = groups(2, 3);
  const sim = similarityMatrix(vectors);
  // The same partition at its own threshold scale; deterministic.
  assert.deepEqual(agglomerative(sim, { threshold: 0.5, cohesion: 0.5 }), agglomerative(sim, { threshold: 0.5, cohesion: 0.5 }));
  assert.equal(agglomerative(sim, { threshold: 0.5, cohesion: 0.5 }).clusters.length, 2);
});

test('centroidMerge: joins groups whose mean templates agree, a face to a cluster but never two lone faces; cannot-links hold', () => {
  // One person's faces around a centre, in two clusters given as the first clustering, and a
  // lone face of the same person; a lone face of another person.
  const dim = 8;
  const unit = (v: number[]) => { const n = Math.hypot(...v); return Float32Array.from(v, (x) => x / n); };
  const vectors = [
    unit([1, 0.1, 0, 0, 0, 0, 0, 0]), unit([1, 0.1, 0.1, 0, 0, 0, 0, 0]),
    unit([1, -0.1, 0, 0, 0, 0, 0, 0]), unit([1, -0.1, 0, 0.1, 0, 0, 0, 0]),
    unit([1, 0.05, 0, 0, 0.3, 0, 0, 0]),
    unit([0, 0, 0, 0, 0, 0, 1, 0]), unit([0, 0, 0, 0, 0, 0, 1, 0.1]),
  ].map((v) => v.subarray(0, dim));
  const sim = similarityMatrix(vectors);
  const first = { clusters: [[0, 1], [2, 3]], unclustered: [4, 5, 6] };
  const merged = centroidMerge(sim, first, { threshold: 0.9 });
  assert.deepEqual(merged.clusters, [[0, 1, 2, 3, 4]]);
  // 5 and 6 are close but both alone: this pass does not merge them.
  assert.deepEqual(merged.unclustered, [5, 6]);
  // Nothing above a threshold of 1.
  assert.deepEqual(centroidMerge(sim, first, { threshold: 1 }), first);
  // Faces 0 and 4 of one photo: 4 stays out, the two clusters still join.
  const apart = centroidMerge(sim, first, { threshold: 0.9, photoOf: [0, 1, 2, 3, 0, 5, 6] });
  assert.deepEqual(apart.clusters, [[0, 1, 2, 3]]);
  assert.deepEqual(apart.unclustered, [4, 5, 6]);
  assert.deepEqual(centroidMerge(sim, first, { threshold: 0.9, cannotLink: [[1, 3]] }).clusters, [[0, 1, 4], [2, 3]]);
  // Only clusters of two or more on both sides: the lone face 4 stays out.
  assert.deepEqual(centroidMerge(sim, first, { threshold: 0.9, minSmall: 2, minLarge: 2 }).clusters, [[0, 1, 2, 3]]);
});

test('dbscan and Chinese whispers find the groups; dbscan leaves groups under minPoints as noise', () => {
  const { vectors } = groups(3, 3);
  const sim = similarityMatrix(vectors);
  assert.equal(dbscan(sim, { maxDistance: 0.5, minPoints: 3 }).clusters.length, 3);
  assert.equal(dbscan(sim, { maxDistance: 0.5, minPoints: 4 }).clusters.length, 0);
  assert.deepEqual(chineseWhispers(sim, { threshold: 0.5 }).clusters, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
});

test('scoreClustering: pairwise, BCubed and NMI against hand-computed values; unlabelled faces left out', () => {
  // Truth: a a a b b; found: {0,1} {2,3,4}.
  const s = scoreClustering([0, 0, 1, 1, 1, 2], ['a', 'a', 'a', 'b', 'b', null]);
  assert.equal(s.faces, 5);
  // Pairs found: 1 + 3 = 4, true pairs 3 + 1 = 4, both: (0,1) and (3,4) = 2.
  assert.equal(s.pairwise.precision, 0.5);
  assert.equal(s.pairwise.recall, 0.5);
  // BCubed precision: (1 + 1 + 1/3 + 2/3 + 2/3) / 5; recall: (2/3 + 2/3 + 1/3 + 1 + 1) / 5.
  assert.ok(Math.abs(s.bcubed.precision - (11 / 3) / 5) < 1e-12);
  assert.ok(Math.abs(s.bcubed.recall - (11 / 3) / 5) < 1e-12);
  assert.ok(s.nmi > 0 && s.nmi < 1);
  const perfect = scoreClustering([0, 0, -1, 1], ['a', 'a', 'c', 'b']);
  // b alone in cluster 1 and c unclustered are both right.
  assert.equal(perfect.bcubed.f, 1);
  assert.equal(perfect.pairwise.f, 1);
  assert.ok(Math.abs(perfect.nmi - 1) < 1e-12);
  assert.equal(perfect.unclustered, 1);
});
