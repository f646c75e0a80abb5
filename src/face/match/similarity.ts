// Similarity of two embeddings. Visage's embeddings are L2-normalised, so this is their dot product;
// normalising here too keeps the answer right for any vectors a caller brings.
import { VisageError } from '../../errors.ts';

function describe(value: unknown): string {
  if (value === null) return 'null';
  const length = (value as { length?: unknown } | undefined)?.length;
  return typeof length === 'number' ? `${length} values` : typeof value;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (typeof a?.length !== 'number' || typeof b?.length !== 'number') {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `cosine needs two embeddings (arrays of numbers), got ${describe(a)} and ${describe(b)}`);
  }
  if (a.length !== b.length) throw new VisageError('VISAGE_ERR_BAD_INPUT', `cosine needs embeddings of one length, got ${a.length} and ${b.length} values (two embedders?)`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
