// Vectors and face records as the cluster stores keep them.
import type { EmbeddedFace, PhotoFace } from '../clustering.ts';

export function vectorBytes(vector: Float32Array): Buffer {
  const copy = Float32Array.from(vector);
  return Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength);
}

export function bytesVector(bytes: Uint8Array): Float32Array {
  // Copied: the driver's buffer may not be aligned to 4 bytes.
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  return new Float32Array(aligned.buffer);
}

export function faceFromRow(record: string | PhotoFace, vector: Uint8Array): EmbeddedFace {
  return { face: typeof record === 'string' ? JSON.parse(record) as PhotoFace : record, vector: bytesVector(vector) };
}
