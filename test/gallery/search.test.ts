import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchIndex } from '../../src/gallery/index.ts';
import { DotMatrix } from '../../src/gallery/dot-kernel.ts';
import { rejectsWith, unit } from './helpers.ts';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

/** A random index plus the same data kept as plain arrays for brute force. */
function randomIndex(n: number, dim: number, subjects: number, seed = 1) {
  const index = SearchIndex.create('test-model', dim);
  const rows: { faceId: number; subjectId: number; vector: number[] }[] = [];
  for (let i = 0; i < n; i++) {
    const row = { faceId: 1000 + i, subjectId: 1 + (i % subjects), vector: unit(seed * 100003 + i, dim) };
    rows.push(row);
    index.add(row.faceId, row.subjectId, `s${row.subjectId}`, row.vector);
  }
  return { index, rows };
}

function bruteForceFaces(rows: { faceId: number; vector: number[] }[], query: number[], k: number) {
  return rows.map((row) => ({ faceId: row.faceId, similarity: dot(row.vector, query) }))
    .sort((a, b) => b.similarity - a.similarity).slice(0, k);
}

test('the WASM kernel computes the same dot products as plain JavaScript, for dims that are not multiples of 8', () => {
  for (const dim of [1, 3, 8, 37, 128, 192]) {
    const matrix = new DotMatrix(dim, 4);
    const vectors = Array.from({ length: 50 }, (_, i) => unit(i + dim, dim));
    matrix.append(Float32Array.from(vectors.flat()), vectors.length); // grows past the initial capacity
    const query = unit(999, dim);
    const scores = matrix.dotAll(Float32Array.from(query));
    assert.equal(scores.length, 50);
    vectors.forEach((vector, i) => assert.ok(Math.abs(scores[i]! - dot(vector, query)) < 1e-5, `dim ${dim} row ${i}`));
    matrix.swapRemove(3);
    assert.ok(Math.abs(matrix.dotAll(Float32Array.from(query))[3]! - dot(vectors[49]!, query)) < 1e-5);
  }
});

test('top-k faces equal a brute-force scan on random data, also after removals', () => {
  for (const [n, dim, k] of [[500, 128, 5], [300, 37, 10], [2000, 16, 1]] as const) {
    const { index, rows } = randomIndex(n, dim, 40);
    for (let q = 0; q < 10; q++) {
      const query = unit(7_000_000 + q, dim);
      const got = index.searchFaces(query, k);
      const expected = bruteForceFaces(rows, query, k);
      assert.deepEqual(got.map((m) => m.faceId), expected.map((m) => m.faceId), `n=${n} dim=${dim} query ${q}`);
      got.forEach((m, i) => assert.ok(Math.abs(m.similarity - expected[i]!.similarity) < 1e-5));
      assert.equal(got[0]!.name, `s${rows.find((r) => r.faceId === got[0]!.faceId)!.subjectId}`);
    }
    // Remove a third of the faces and one whole subject; results must still match.
    for (let i = 0; i < rows.length; i += 3) assert.ok(index.removeFace(rows[i]!.faceId));
    index.removeSubject(7);
    const left = rows.filter((row, i) => i % 3 !== 0 && row.subjectId !== 7);
    assert.equal(index.size, left.length);
    const query = unit(8_000_000, dim);
    assert.deepEqual(index.searchFaces(query, k).map((m) => m.faceId), bruteForceFaces(left, query, k).map((m) => m.faceId));
    // Per subject, best face: the max over each subject's faces.
    const best = new Map<number, number>();
    for (const row of left) best.set(row.subjectId, Math.max(best.get(row.subjectId) ?? -Infinity, dot(row.vector, query)));
    const expectedSubjects = [...best].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([id]) => id);
    assert.deepEqual(index.searchSubjects(query, { k: 5 }).map((m) => m.subjectId), expectedSubjects);
    index.close();
  }
});

test('open set: UNKNOWN (null subject) when the best similarity is under the threshold', () => {
  const index = SearchIndex.create('m');
  index.add(1, 10, 'Ada', [1, 0, 0]);
  index.add(2, 20, 'Bob', [0, 1, 0]);
  const near = index.identify([0.95, 0.3, 0], { threshold: 0.8 });
  assert.deepEqual(near.subject, { id: 10, name: 'Ada' });
  assert.ok(near.similarity! > 0.9);
  const stranger = index.identify([0, 0, 1], { threshold: 0.8 });
  assert.equal(stranger.subject, null);
  assert.equal(stranger.candidates.length, 2); // candidates are still listed
  assert.ok(stranger.similarity! < 0.8);
  // Exactly at the threshold counts as a match.
  assert.deepEqual(index.identify([1, 0, 0], { threshold: 1 - 1e-7 }).subject?.name, 'Ada');
  assert.equal(SearchIndex.create('empty').identify([1, 0], { threshold: 0.5 }).similarity, null);
});

test('best face and mean template disagree on a hand-built case, each as defined', () => {
  // 2-d, angles in degrees. Ada: faces at 0° and 90° (mean direction 45°); Bob: 30° and 40° (35°).
  // Query at 5°: Ada's best face is 5° away (cos 0.996) against Bob's 25° (0.906) -> Ada;
  // Ada's template is 40° away (0.766) against Bob's 30° (0.866) -> Bob.
  const at = (degrees: number) => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];
  const index = SearchIndex.create('m');
  index.add(1, 1, 'Ada', at(0));
  index.add(2, 1, 'Ada', at(90));
  index.add(3, 2, 'Bob', at(30));
  index.add(4, 2, 'Bob', at(40));
  const query = at(5);
  const bestFace = index.identify(query, { threshold: 0.5, strategy: 'best-face' });
  const meanTemplate = index.identify(query, { threshold: 0.5, strategy: 'mean-template' });
  assert.equal(bestFace.subject!.name, 'Ada');
  assert.ok(Math.abs(bestFace.similarity! - Math.cos((5 * Math.PI) / 180)) < 1e-6);
  assert.equal(meanTemplate.subject!.name, 'Bob');
  assert.ok(Math.abs(meanTemplate.similarity! - Math.cos((30 * Math.PI) / 180)) < 1e-6);
  assert.ok(Math.abs(meanTemplate.candidates[1]!.similarity - Math.cos((40 * Math.PI) / 180)) < 1e-6);
  // Templates follow changes: without Ada's 90° face her template is at 0° and she wins again.
  index.removeFace(2);
  assert.equal(index.identify(query, { threshold: 0.5, strategy: 'mean-template' }).subject!.name, 'Ada');
  // Merging Bob into Ada: one subject, template of all three faces.
  index.mergeSubjects(2, 1, 'Ada');
  assert.deepEqual(index.searchSubjects(query, { strategy: 'mean-template' }).map((m) => [m.name, m.faces]), [['Ada', 3]]);
});

test('bad queries and options are coded errors', async () => {
  const index = SearchIndex.create('m');
  index.add(1, 1, 'Ada', [1, 0, 0]);
  await rejectsWith(Promise.resolve().then(() => index.searchFaces([1, 0])), 'VISAGE_ERR_BAD_INPUT', /2 values/);
  await rejectsWith(Promise.resolve().then(() => index.searchFaces([0, 0, 0])), 'VISAGE_ERR_BAD_INPUT', /zero/);
  await rejectsWith(Promise.resolve().then(() => index.searchFaces([1, 0, 0], 0)), 'VISAGE_ERR_BAD_OPTION');
  await rejectsWith(Promise.resolve().then(() => index.identify([1, 0, 0], {} as never)), 'VISAGE_ERR_BAD_OPTION', /threshold/);
  await rejectsWith(Promise.resolve().then(() => index.searchSubjects([1, 0, 0], { strategy: 'vote' as never })), 'VISAGE_ERR_BAD_OPTION', /best-face, mean-template/);
  await rejectsWith(Promise.resolve().then(() => index.add(2, 1, 'Ada', [1, 0])), 'VISAGE_ERR_BAD_INPUT', /do not fit/);
  // A missing embedding (another embedder's id looked up) is an error, also on an index with no face
  // yet, never a silent UNKNOWN.
  const empty = SearchIndex.create('m');
  for (const target of [index, empty]) {
    await rejectsWith(Promise.resolve().then(() => target.identify(undefined as never, { threshold: 0.5 })), 'VISAGE_ERR_BAD_INPUT', /must be an embedding/);
  }
  assert.equal(empty.identify([1, 0, 0], { threshold: 0.5 }).subject, null, 'an empty index names nobody');
});
