// The portable gallery file: plain JSON, independent of the store, readable by a later Visage
// or a PostgreSQL store. Embeddings are little-endian float32 in base64 (4 bytes per value).
//
// {
//   "format": "visage-gallery", "version": 1, "exported": "2025-...Z",
//   "models": [{ "modelId": "faceapi-recognition", "dim": 128, "count": 12 }],
//   "subjects": [{ "name": "Ada", "metadata": {}, "created": "...", "faces": [
//     { "contentHash": "<sha256>", "sourceFile": "ada-1.jpg", "box": {...} | null,
//       "landmarks": {...} | null, "quality": {...} | null, "created": "...",
//       "embeddings": { "faceapi-recognition": "<base64>" } } ],
//     "negatives": [{ "contentHash": "<sha256>", "sourceFile": ..., "box": ..., "created": "...",
//       "embeddings": { "faceapi-recognition": "<base64>" } }] }]
// }
// "negatives" (a subject's negative examples, "not this person") came with version 2: a file that
// holds some is written as version 2, so that a Visage that reads only version 1 refuses it rather
// than import it without them (and match those faces to that subject again); a file without any
// stays version 1. A negative's model need not be in "models" (which counts faces): its dim is then
// its vector's length.
import { createHash } from 'node:crypto';
import { VisageError } from '../errors.ts';
import type { FaceQuality, Metadata, ModelStats } from './gallery.ts';
import type { Box, FivePoints } from '../types.ts';

export const PORTABLE_FORMAT = 'visage-gallery';
export const PORTABLE_VERSION = 2;
/** The version written when a file holds no negative example (readable by every Visage). */
export const PORTABLE_VERSION_WITHOUT_NEGATIVES = 1;

export interface PortableFace {
  contentHash: string;
  sourceFile: string | null;
  box: Box | null;
  landmarks: FivePoints | null;
  quality: FaceQuality | null;
  created: string;
  embeddings: Record<string, string>;
}

export interface PortableNegative {
  contentHash: string;
  sourceFile: string | null;
  box: Box | null;
  created: string;
  embeddings: Record<string, string>;
}

export interface PortableSubject {
  name: string;
  metadata: Metadata;
  created: string;
  faces: PortableFace[];
  /** Since version 2; absent: none. */
  negatives?: PortableNegative[];
}

export interface PortableGallery {
  format: typeof PORTABLE_FORMAT;
  version: number;
  exported: string;
  models: ModelStats[];
  subjects: PortableSubject[];
}

const HASH = /^[0-9a-f]{64}$/;

/** SHA-256 of an image file's bytes: the content hash faces are enrolled under. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function isContentHash(value: unknown): value is string {
  return typeof value === 'string' && HASH.test(value);
}

export function vectorToBase64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

export function base64ToVector(text: string, dim: number, where: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== dim * 4) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `${where}: embedding has ${bytes.length / 4} values, expected ${dim}`);
  }
  // Copy into an aligned buffer (a Buffer's offset into its pool need not be a multiple of 4).
  const vector = new Float32Array(dim);
  new Uint8Array(vector.buffer).set(bytes);
  return vector;
}

/** Checks a parsed portable file's shape; throws VISAGE_ERR_BAD_INPUT naming the first problem. */
export function validatePortable(data: unknown, file: string): PortableGallery {
  const fail = (why: string): never => { throw new VisageError('VISAGE_ERR_BAD_INPUT', `${file}: ${why}`); };
  if (!data || typeof data !== 'object' || (data as { format?: unknown }).format !== PORTABLE_FORMAT) {
    fail(`not a Visage gallery export (no "format": "${PORTABLE_FORMAT}")`);
  }
  const gallery = data as PortableGallery;
  if (typeof gallery.version !== 'number' || gallery.version > PORTABLE_VERSION) {
    fail(`export format version ${String(gallery.version)} is newer than this Visage reads (${PORTABLE_VERSION})`);
  }
  if (!Array.isArray(gallery.models) || !Array.isArray(gallery.subjects)) fail('"models" and "subjects" must be arrays');
  const dims = new Map<string, number>();
  for (const model of gallery.models) {
    if (typeof model?.modelId !== 'string' || !Number.isInteger(model.dim) || model.dim <= 0) fail('bad entry in "models"');
    dims.set(model.modelId, model.dim);
  }
  gallery.subjects.forEach((subject, s) => {
    if (typeof subject?.name !== 'string' || !subject.name.trim()) fail(`subject ${s}: no name`);
    if (subject.metadata !== undefined && (typeof subject.metadata !== 'object' || Array.isArray(subject.metadata))) fail(`subject "${subject.name}": metadata must be an object`);
    if (!Array.isArray(subject.faces)) fail(`subject "${subject.name}": "faces" must be an array`);
    subject.faces.forEach((face, f) => {
      const where = `subject "${subject.name}" face ${f}`;
      if (!isContentHash(face?.contentHash)) fail(`${where}: contentHash must be 64 lowercase hex digits`);
      if (!face.embeddings || typeof face.embeddings !== 'object') fail(`${where}: no embeddings`);
      for (const [modelId, text] of Object.entries(face.embeddings)) {
        if (!dims.has(modelId)) fail(`${where}: model "${modelId}" is not listed in "models"`);
        if (typeof text !== 'string') fail(`${where}: embedding of "${modelId}" must be a base64 string`);
      }
    });
    if (subject.negatives !== undefined && !Array.isArray(subject.negatives)) fail(`subject "${subject.name}": "negatives" must be an array`);
    (subject.negatives ?? []).forEach((negative, n) => {
      const where = `subject "${subject.name}" negative ${n}`;
      if (!isContentHash(negative?.contentHash)) fail(`${where}: contentHash must be 64 lowercase hex digits`);
      if (!negative.embeddings || typeof negative.embeddings !== 'object' || Object.keys(negative.embeddings).length === 0) fail(`${where}: no embeddings`);
      for (const [modelId, text] of Object.entries(negative.embeddings)) {
        if (typeof text !== 'string') fail(`${where}: embedding of "${modelId}" must be a base64 string`);
      }
    });
  });
  return gallery;
}

export function modelDims(gallery: PortableGallery): Map<string, number> {
  return new Map(gallery.models.map((m) => [m.modelId, m.dim]));
}
