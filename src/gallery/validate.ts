// Checks on what a gallery is given, the same for every store: names, metadata, content hashes and
// embedding vectors (made unit length here).
//
// Names: one spelling per name. A name is trimmed and put in Unicode NFC, so "ë" typed as one
// character or as "e" + a combining diaeresis is the same person; control characters and the
// invisible characters that change how text is shown (bidirectional overrides and isolates,
// zero-width space, BOM) are refused, so two names that look alike are not two people. A name made
// only of digits is refused: wherever a subject is named as text (the API's URLs, the CLI's
// arguments) digits are its id, by one rule (subjectRefFromText).
import { VisageError, shown } from '../errors.ts';
import type { SubjectRef } from './gallery.ts';
import { isContentHash } from './portable.ts';

const MAX_NAME_LENGTH = 200;
/** Metadata kept with a subject, as JSON: a little (an employee number, a role), not a document store. */
export const MAX_METADATA_BYTES = 16 * 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Bidirectional marks, embeddings, overrides and isolates; zero-width space, word joiner, BOM. */
const INVISIBLE = /[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
const DIGITS = /^\d+$/;

/** A subject named as text: digits are an id, anything else a name (the one rule of the API and the CLI). */
export function subjectRefFromText(text: string): SubjectRef {
  const trimmed = text.trim();
  return /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** A name as it is looked up: trimmed, NFC. */
export function lookupName(name: string): string {
  return name.trim().normalize('NFC');
}

export function validName(name: unknown, what = 'subject name'): string {
  if (typeof name !== 'string') throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} must be a string`);
  const normal = lookupName(name);
  if (!normal) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} is empty`);
  if (normal.length > MAX_NAME_LENGTH) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} is longer than ${MAX_NAME_LENGTH} characters`);
  if (CONTROL.test(normal)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} contains control characters`);
  if (INVISIBLE.test(normal)) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} contains invisible direction or zero-width characters (U+200B, U+200E/F, U+202A-E, U+2066-9 ...), which make look-alike names`);
  }
  if (DIGITS.test(normal)) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `${what} ${shown(normal, 20)} is only digits: digits name a subject by its id; add a letter`);
  }
  return normal;
}

export function validMetadata(metadata: unknown): string {
  if (metadata === undefined || metadata === null) return '{}';
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'metadata must be a plain object');
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch (error) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `metadata is not JSON-serialisable (${(error as Error).message})`);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_METADATA_BYTES) throw new VisageError('VISAGE_ERR_BAD_INPUT', `metadata is ${bytes} bytes as JSON, over the limit of ${MAX_METADATA_BYTES}`);
  return json;
}

export function validHash(hash: unknown): string {
  if (!isContentHash(hash)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `content hash must be a SHA-256 as 64 lowercase hex digits, got ${shown(hash, 70)}`);
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

/** VISAGE_ERR_UNKNOWN_NEGATIVE for a negative example id (of `subject`, when one was named). */
export function unknownNegative(id: unknown, subject?: string): VisageError {
  return new VisageError('VISAGE_ERR_UNKNOWN_NEGATIVE', `no negative example with id ${String(id)}${subject === undefined ? '' : ` for ${subject}`}`);
}
