// All pairwise similarities of a set of unit vectors (cosine = dot product), computed with the
// gallery's WebAssembly SIMD dot kernel: one n x n float32 matrix, the input of every clustering
// method here. Memory grows as n^2 (10,000 faces: 400 MB).
import { DotMatrix } from '../gallery/dot-kernel.ts';
import { VisageError } from '../errors.ts';

export interface SimilarityMatrix {
  size: number;
  /** Row-major, size x size; the diagonal is 1. */
  values: Float32Array;
}

/** Largest set clustered at once: the matrix alone is 4 n^2 bytes. */
export const MAX_CLUSTER_FACES = 30_000;

export function similarityMatrix(vectors: readonly Float32Array[]): SimilarityMatrix {
  const size = vectors.length;
  if (size > MAX_CLUSTER_FACES) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${size} faces are more than the ${MAX_CLUSTER_FACES} clustered at once`);
  const values = new Float32Array(size * size);
  if (size === 0) return { size, values };
  const dim = vectors[0]!.length;
  const matrix = new DotMatrix(dim, size);
  for (const v of vectors) {
    if (v.length !== dim) throw new VisageError('VISAGE_ERR_BAD_INPUT', `embeddings of different lengths (${dim} and ${v.length})`);
    matrix.append(v, 1);
  }
  for (let i = 0; i < size; i++) values.set(matrix.dotAll(vectors[i]!), i * size);
  for (let i = 0; i < size; i++) values[i * size + i] = 1;
  return { size, values };
}
