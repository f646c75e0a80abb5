// One name per person per photo: the same person cannot stand twice in one picture.

/** A person a face may be. */
export interface MatchCandidate {
  subjectId: number;
  name: string;
  similarity: number;
}

/** A face with its candidates, best first; assignOncePerImage() sets name, subjectId and similarity. */
export interface AssignableFace {
  name: string | null;
  subjectId: number | null;
  similarity: number | null;
  candidates: readonly MatchCandidate[];
}

/**
 * Greedy assignment, most similar (face, person) pairs first: each face gets at most one person,
 * each person at most one face, only at or above the threshold (one for every face, or each face's
 * own, in the order of `faces`). `similarity` stays the face's similarity to the person it is given
 * (or to its nearest person, when UNKNOWN).
 */
export function assignOncePerImage(faces: AssignableFace[], threshold: number | readonly number[]): void {
  const pairs: { face: number; candidate: MatchCandidate }[] = [];
  faces.forEach((face, i) => {
    const own = typeof threshold === 'number' ? threshold : threshold[i]!;
    for (const candidate of face.candidates) if (candidate.similarity >= own) pairs.push({ face: i, candidate });
  });
  pairs.sort((a, b) => b.candidate.similarity - a.candidate.similarity);
  const given = new Map<number, MatchCandidate>();
  const taken = new Set<number>();
  for (const { face, candidate } of pairs) {
    if (given.has(face) || taken.has(candidate.subjectId)) continue;
    given.set(face, candidate);
    taken.add(candidate.subjectId);
  }
  faces.forEach((face, i) => {
    const candidate = given.get(i);
    face.name = candidate?.name ?? null;
    face.subjectId = candidate?.subjectId ?? null;
    if (candidate) face.similarity = candidate.similarity;
  });
}
