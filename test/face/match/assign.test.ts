import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignOncePerImage, type AssignableFace } from '../../../src/face/match/index.ts';

function face(candidates: [number, string, number][]): AssignableFace {
  return {
    name: candidates[0]?.[1] ?? null, subjectId: candidates[0]?.[0] ?? null, similarity: candidates[0]?.[2] ?? null,
    candidates: candidates.map(([subjectId, name, similarity]) => ({ subjectId, name, similarity })),
  };
}

test('assignOncePerImage: the more similar face keeps a name; the other takes its next candidate above the threshold, or UNKNOWN', () => {
  const faces = [
    face([[1, 'bernadette', 0.968], [2, 'penny', 0.909]]),
    face([[1, 'bernadette', 0.945], [3, 'stuart', 0.906]]),
    face([[2, 'penny', 0.95], [1, 'bernadette', 0.93]]),
  ];
  assignOncePerImage(faces, 0.9);
  assert.deepEqual(faces.map((f) => [f.name, f.similarity]), [['bernadette', 0.968], ['stuart', 0.906], ['penny', 0.95]]);
  const strict = [face([[1, 'a', 0.97]]), face([[1, 'a', 0.95], [2, 'b', 0.85]])];
  assignOncePerImage(strict, 0.9);
  assert.deepEqual(strict.map((f) => [f.name, f.subjectId, f.similarity]), [['a', 1, 0.97], [null, null, 0.95]]);
});

test('assignOncePerImage with a threshold per face: a face held to a stricter one (a small face) is not named under it', () => {
  const faces = [face([[1, 'amy', 0.91], [2, 'raj', 0.90]]), face([[2, 'raj', 0.93]])];
  assignOncePerImage(faces, [0.92, 0.92]);
  assert.deepEqual(faces.map((f) => f.name), [null, 'raj']);
  const loose = [face([[1, 'amy', 0.91], [2, 'raj', 0.90]]), face([[2, 'raj', 0.93]])];
  assignOncePerImage(loose, [0.9, 0.95]);
  assert.deepEqual(loose.map((f) => f.name), ['amy', null]);
});
