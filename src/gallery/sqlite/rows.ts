// SQLite rows <-> the Gallery contract's records: the row shapes, the SELECTs that read them,
// and embedding vectors stored as float32 blobs.
import type { FaceQuality, Metadata, StoredFace, Subject } from '../gallery.ts';
import type { Box, FivePoints } from '../../types.ts';

export interface SubjectRow { id: number; name: string; metadata: string; created: string; faceCount: number }
export interface FaceRow {
  id: number; subjectId: number; subjectName: string; sourceFile: string | null; contentHash: string;
  box: string | null; landmarks: string | null; quality: string | null; created: string; models: string | null;
}

export const blob = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);

export function vectorFromBlob(bytes: Buffer, dim: number): Float32Array {
  const vector = new Float32Array(dim);
  new Uint8Array(vector.buffer).set(bytes.subarray(0, dim * 4));
  return vector;
}

export const parseJson = <T>(text: string | null): T | null => (text === null ? null : JSON.parse(text) as T);

export function toSubject(row: SubjectRow): Subject {
  return { id: row.id, name: row.name, metadata: JSON.parse(row.metadata) as Metadata, created: row.created, faceCount: row.faceCount };
}

export function toFace(row: FaceRow): StoredFace {
  return {
    id: row.id, subjectId: row.subjectId, subjectName: row.subjectName, sourceFile: row.sourceFile, contentHash: row.contentHash,
    box: parseJson<Box>(row.box), landmarks: parseJson<FivePoints>(row.landmarks), quality: parseJson<FaceQuality>(row.quality),
    created: row.created, models: row.models ? row.models.split(',').sort() : [],
  };
}

export const SUBJECT_SELECT = `SELECT s.id, s.name, s.metadata, s.created,
  (SELECT count(*) FROM faces f WHERE f.subject_id = s.id) AS faceCount FROM subjects s`;
export const FACE_SELECT = `SELECT f.id, f.subject_id AS subjectId, s.name AS subjectName, f.source_file AS sourceFile,
  f.content_hash AS contentHash, f.box, f.landmarks, f.quality, f.created,
  (SELECT group_concat(e.model_id) FROM embeddings e WHERE e.face_id = f.id) AS models
  FROM faces f JOIN subjects s ON s.id = f.subject_id`;
