// What every store checks before a write's transaction begins: a face to enrol (its hash, its
// embeddings made unit length) and a portable file to import (read, validated, decoded).
import { readFileSync } from 'node:fs';
import { VisageError } from '../errors.ts';
import type { NewFace, NewNegative } from './gallery.ts';
import type { Box } from '../types.ts';
import { base64ToVector, modelDims, validatePortable } from './portable.ts';
import { unitVector, validHash, validMetadata, validName } from './validate.ts';

export interface PreparedFace {
  face: NewFace;
  embeddings: Map<string, Float32Array>;
}

export interface PreparedNegative {
  negative: NewNegative;
  embeddings: Map<string, Float32Array>;
  created: string | null;
}

export interface PreparedImportSubject {
  name: string;
  /** Metadata as JSON text. */
  metadata: string;
  created: string | null;
  faces: (PreparedFace & { created: string | null })[];
  negatives: PreparedNegative[];
}

export function prepareFace(face: NewFace, where: string): PreparedFace {
  if (!face || typeof face !== 'object') throw new VisageError('VISAGE_ERR_BAD_INPUT', `${where} is not an object`);
  validHash(face.contentHash);
  const entries = Object.entries(face.embeddings ?? {});
  if (entries.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${where} has no embedding`);
  const embeddings = new Map<string, Float32Array>();
  for (const [modelId, values] of entries) {
    if (!modelId) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${where}: empty model id`);
    embeddings.set(modelId, unitVector(values, `${where} embedding "${modelId}"`));
  }
  return { face, embeddings };
}

/** A negative example checked like a face (hash, unit-length embeddings). */
export function prepareNegative(negative: NewNegative): Map<string, Float32Array> {
  return prepareFace({ ...negative, embeddings: negative.embeddings } as NewFace, 'negative example').embeddings;
}

/**
 * What tells two negative examples of one subject apart: the image and the face's box in it. An
 * import skips a negative example its subject already has.
 */
export function negativeKey(contentHash: string, box: Box | null | undefined): string {
  return box ? `${contentHash} ${box.x} ${box.y} ${box.width} ${box.height}` : contentHash;
}

/** Reads a portable file and checks and decodes all of it, before any transaction starts. */
export function preparePortableImport(file: string): PreparedImportSubject[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `cannot import ${file}: ${why}`, { cause: error });
  }
  const portable = validatePortable(data, file);
  const dims = modelDims(portable);
  return portable.subjects.map((subject) => ({
    name: validName(subject.name),
    metadata: validMetadata(subject.metadata ?? {}),
    created: typeof subject.created === 'string' ? subject.created : null,
    faces: subject.faces.map((face, f) => {
      const where = `${file}: subject "${subject.name}" face ${f}`;
      const vectors: Record<string, number[] | Float32Array> = {};
      for (const [modelId, text] of Object.entries(face.embeddings)) vectors[modelId] = base64ToVector(text, dims.get(modelId)!, where);
      const prepared = prepareFace({ ...face, embeddings: vectors }, where);
      return { ...prepared, created: typeof face.created === 'string' ? face.created : null };
    }),
    negatives: (subject.negatives ?? []).map((negative, n) => {
      const where = `${file}: subject "${subject.name}" negative ${n}`;
      const vectors: Record<string, Float32Array> = {};
      for (const [modelId, text] of Object.entries(negative.embeddings)) {
        // A model no face has is not listed in "models": the vector's length is its dim.
        const dim = dims.get(modelId) ?? Buffer.byteLength(text, 'base64') / 4;
        if (!Number.isInteger(dim) || dim <= 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${where}: embedding of "${modelId}" is not float32 values`);
        vectors[modelId] = base64ToVector(text, dim, where);
      }
      const prepared: NewNegative = { contentHash: negative.contentHash, sourceFile: negative.sourceFile ?? null, box: negative.box ?? null, embeddings: vectors };
      return { negative: prepared, embeddings: prepareFace({ ...prepared } as NewFace, where).embeddings, created: typeof negative.created === 'string' ? negative.created : null };
    }),
  }));
}

/** Vectors to add to a stored face (Gallery.addEmbeddings): at least one, each made unit length. */
export function prepareEmbeddings(faceId: number, embeddings: Record<string, ArrayLike<number>>): Map<string, Float32Array> {
  const entries = embeddings && typeof embeddings === 'object' ? Object.entries(embeddings) : [];
  if (entries.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `addEmbeddings needs at least one embedding for face ${faceId}`);
  const prepared = new Map<string, Float32Array>();
  for (const [modelId, values] of entries) {
    if (!modelId) throw new VisageError('VISAGE_ERR_BAD_INPUT', `face ${faceId}: empty model id`);
    prepared.set(modelId, unitVector(values, `face ${faceId} embedding "${modelId}"`));
  }
  return prepared;
}
