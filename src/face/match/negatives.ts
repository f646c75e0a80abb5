// Negative examples ("not this person"): a face the user said is not a subject is never matched
// to that subject again. Pure: the vectors come from the gallery.

/** Similarity to a negative example at or above which a face is that very face (or a near copy). */
export const NEGATIVE_MATCH = 0.97;

/** Whether `vector` is one of `subjectId`'s negative examples (same embedding space). */
export function isNegative(negatives: ReadonlyArray<{ subjectId: number; vector: ArrayLike<number> }>, subjectId: number, vector: ArrayLike<number>): boolean {
  for (const n of negatives) {
    if (n.subjectId !== subjectId || n.vector.length !== vector.length) continue;
    let dot = 0;
    for (let i = 0; i < n.vector.length; i++) dot += n.vector[i]! * vector[i]!;
    if (dot >= NEGATIVE_MATCH) return true;
  }
  return false;
}

/**
 * The subjects `unit` (a unit vector) is a negative example of: those with a negative example within
 * NEGATIVE_MATCH of it. One dot product per negative example (they are few: one per correction).
 */
export function negativeSubjects(negatives: Iterable<{ subjectId: number; vector: ArrayLike<number> }>, unit: ArrayLike<number>): Set<number> {
  const subjects = new Set<number>();
  for (const n of negatives) {
    if (subjects.has(n.subjectId) || n.vector.length !== unit.length) continue;
    let dot = 0;
    for (let i = 0; i < unit.length; i++) dot += n.vector[i]! * unit[i]!;
    if (dot >= NEGATIVE_MATCH) subjects.add(n.subjectId);
  }
  return subjects;
}
