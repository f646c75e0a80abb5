import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchIndex } from '../../src/gallery/search.ts';

test('bestFaceOf: the closest face of one subject, whatever the others score; null for a subject without faces', () => {
  const index = SearchIndex.create('m', 3);
  index.add(1, 10, 'ada', [1, 0, 0]);
  index.add(2, 10, 'ada', [0.6, 0.8, 0]);
  index.add(3, 20, 'bob', [0, 1, 0]);
  const match = index.bestFaceOf([0, 1, 0], 10)!;
  assert.deepEqual([match.faceId, match.subjectId, match.name], [2, 10, 'ada']);
  assert.ok(Math.abs(match.similarity - 0.8) < 1e-6);
  assert.equal(index.bestFaceOf([0, 1, 0], 30), null);
  index.close();
});
