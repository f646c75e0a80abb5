// Checks on what a gallery is given, the same for every store: names, metadata, content hashes and
// embedding vectors (made unit length here).
import { VisageError } from '../errors.ts';
import { isContentHash } from './portable.ts';

const MAX_NAME_LENGTH = 200;

export function validName(name: unknown, what = 'subject name'): string {
  if (typeof name !== 'string') throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} must be a string`);
  const trimmed = name.trim();
  if (!trimmed) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} is empty`);
  if (trimmed.length > MAX_NAME_LENGTH) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} is longer than ${MAX_NAME_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} contains control characters`);
  return trimmed;
}

export function validMetadata(metadata: unknown): string {
  if (metadata === undefined || metadata === null) return '{}';
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'metadata must be a plain object');
  try {
    return JSON.stringify(metadata);
  } catch (error) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `metadata is not JSON-serialisable (${(error as Error).message})`);
  }
}

export function validHash(hash: unknown): string {
  if (!isContentHash(hash)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `content hash must be a SHA-256 as 64 lowercase hex digits, got ${JSON.stringify(hash)}`);
  return hash;
}

/** A finite, non-zero vector as an L2-normalised Float32Array. */
export function unitVector(values: ArrayLike<number>, what: string): Float32Array {
  const vector = Float32Array.from(values as ArrayLike<number>);
  if (vector.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} is empty`);
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i]!;
    if (!Number.isFinite(v)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} has a non-finite value at ${i}`);
    sum += v * v;
  }
  if (sum === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} is all zeros`);
  const scale = 1 / Math.sqrt(sum);
  if (Math.abs(scale - 1) > 1e-6) for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  return vector;
}
