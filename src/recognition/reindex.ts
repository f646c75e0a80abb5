// Reindex: embed the enrolled faces with embedders they have no vector for yet (an embedder added
// to the configuration after they were enrolled).
//
// Reindex needs pixels, and the gallery keeps none: each face keeps the absolute path of the file
// it was enrolled from (as `sourceFile`) and the SHA-256 of its bytes. Reindex re-reads the file
// when its hash still matches, else looks for an image with that hash in the folders given
// (photos moved or copied elsewhere). A face crop was not stored instead: it would put biometric
// pictures in the database, and the path plus hash already proves which image it was.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Visage } from '../visage.ts';
import { imagesUnder } from '../face/image/files.ts';
import type { Gallery, StoredFace } from '../gallery/gallery.ts';
import type { Face } from '../types.ts';
import { contentHash } from '../gallery/portable.ts';
import type { ReindexOptions, ReindexSummary } from './types.ts';

/** Finds an image by content hash under `folders` (hashed on first use, once); null without folders. */
export function hashFinder(folders: readonly string[] | undefined): (hash: string) => Promise<string | null> {
  let byHash: Map<string, string> | null = null;
  return async (hash) => {
    if (!folders?.length) return null;
    if (!byHash) {
      byHash = new Map();
      for (const folder of folders) {
        for (const file of await imagesUnder(folder)) {
          try { byHash.set(contentHash(await readFile(file)), file); } catch { /* unreadable: not a candidate */ }
        }
      }
    }
    return byHash.get(hash) ?? null;
  };
}

/** The bytes a face was enrolled from: its recorded file while its hash matches, else a file with that hash; null when neither. */
export async function imageOfFace(face: Pick<StoredFace, 'sourceFile' | 'contentHash'>, findByHash: (hash: string) => Promise<string | null>): Promise<Uint8Array | null> {
  if (face.sourceFile && path.isAbsolute(face.sourceFile) && await stat(face.sourceFile).then((s) => s.isFile(), () => false)) {
    const read = await readFile(face.sourceFile);
    if (contentHash(read) === face.contentHash) return read;
  }
  const found = await findByHash(face.contentHash);
  return found ? readFile(found) : null;
}

/**
 * The enrolled face where it was enrolled (its box, and its five points when stored), embedded by
 * `visage`: no detection; a face stored without a box is found again only when it is alone in its
 * image. Null when it is not found.
 */
export async function faceAgain(visage: Visage, bytes: Uint8Array, face: Pick<StoredFace, 'box' | 'landmarks'>): Promise<Face | null> {
  const { faces } = face.box
    ? await visage.analyze(bytes, { faces: [{ box: face.box, ...(face.landmarks ? { five: face.landmarks } : {}) }] })
    : await visage.analyze(bytes);
  return faces.length === 1 ? faces[0]! : null;
}

export async function reindexGallery(visage: Visage, gallery: Gallery, options: ReindexOptions = {}): Promise<ReindexSummary> {
  const wanted = [...visage.config.embedders];
  const all = await gallery.listFaces();
  const todo = all.filter((face) => wanted.some((id) => !face.models.includes(id)));
  const summary: ReindexSummary = { models: wanted, examined: all.length, reindexed: 0, skipped: [] };
  if (todo.length === 0) return summary;
  const findByHash = hashFinder(options.search);
  let done = 0;
  for (const face of todo) {
    const skip = (reason: string) => summary.skipped.push({ faceId: face.id, subject: face.subjectName, sourceFile: face.sourceFile, reason });
    try {
      const bytes = await imageOfFace(face, findByHash);
      if (!bytes) {
        skip(face.sourceFile ? `image not found or changed since enrolment: ${face.sourceFile}` : 'no source file recorded');
      } else {
        const found = await faceAgain(visage, bytes, face);
        if (!found) {
          skip('the enrolled face was not found again in its image');
        } else {
          const embeddings: Record<string, ArrayLike<number>> = {};
          for (const id of wanted) if (!face.models.includes(id)) embeddings[id] = found.embeddings[id]!;
          // The new vectors join the face in one transaction: the face keeps its id and its other
          // vectors, and a crash leaves it as it was or reindexed, never gone.
          await gallery.addEmbeddings(face.id, embeddings);
          summary.reindexed++;
        }
      }
    } catch (error) {
      skip((error as Error).message);
    }
    options.onProgress?.(++done, todo.length, face);
  }
  return summary;
}
