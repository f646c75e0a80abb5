// Shared by the gallery tests: temporary folders, synthetic faces, error assertions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Gallery, NewFace } from '../../src/gallery/index.ts';

export async function tempDir(prefix = 'visage-gallery-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A reproducible SHA-256 standing for an image file's content. */
export const hashOf = (label: string | number) => createHash('sha256').update(String(label)).digest('hex');

/** A reproducible unit vector. */
export function unit(seed: number, dim = 8): number[] {
  let state = (seed * 2654435761) >>> 0 || 1;
  const values = Array.from({ length: dim }, () => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state / 4294967296 - 0.5;
  });
  const norm = Math.hypot(...values);
  return values.map((v) => v / norm);
}

export function face(label: string | number, embeddings: Record<string, number[]> = { 'model-a': unit(Number.parseInt(hashOf(label).slice(0, 8), 16)) }): NewFace {
  return {
    contentHash: hashOf(label),
    sourceFile: `${label}.jpg`,
    box: { x: 10, y: 20, width: 100, height: 120 },
    landmarks: {
      leftEye: { x: 40, y: 60 }, rightEye: { x: 80, y: 60 }, nose: { x: 60, y: 80 },
      mouthLeft: { x: 45, y: 100 }, mouthRight: { x: 75, y: 100 },
    },
    quality: { size: 110, sharpness: 250.5, frontalness: 0.93 },
    embeddings,
  };
}

/** Asserts that `promise` rejects with a VisageError of this code (and returns the error). */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    assert.equal((error as { code?: string }).code, code, `expected ${code}, got ${(error as Error).message}`);
    if (message) assert.match((error as Error).message, message);
    assert.ok(!(error as Error).message.includes('\n'), 'a one-line message');
    return true;
  });
  return caught as Error;
}

/** A gallery's negative examples of one model, as a store-independent list (subject names, not ids). */
export async function negativesByName(gallery: Gallery, modelId: string): Promise<unknown[]> {
  const names = new Map((await gallery.listSubjects()).map((subject) => [subject.id, subject.name]));
  return (await gallery.listNegatives(modelId)).map((n) => ({
    subject: names.get(n.subjectId), contentHash: n.contentHash, sourceFile: n.sourceFile, box: n.box, created: n.created, vector: [...n.vector],
  }));
}
