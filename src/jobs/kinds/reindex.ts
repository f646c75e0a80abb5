// The reindex job: one item per face lacking a vector of one of the wanted embedders. The gallery
// keeps no pixels: each face keeps the path it was enrolled from and the SHA-256 of the image, so a
// face is reindexed from its file while the file is unchanged, else from an image with the same
// hash under the folders given (`search`, on the workers' machines). Faces enrolled from uploads
// (sourceFile "upload:...") can only be reindexed from such a folder. The face is found again at
// its stored box and its new vectors are added to it in one transaction (Gallery.addEmbeddings):
// it keeps its id and its other vectors, and a worker killed at any point leaves it either as it
// was or reindexed. An attempt that finds the face with every wanted vector has nothing to do, so
// a retry never adds anything twice.
//
// Items saved by versions before addEmbeddings (which replaced a face by remove + store, saving it
// first) are still finished from their save when the face was removed but not stored again.
import { VisageError } from '../../errors.ts';
import { defaultEmbedders } from '../../face/embed/index.ts';
import { openGallery } from '../../gallery/open.ts';
import { base64ToVector } from '../../gallery/portable.ts';
import type { FaceQuality, StoredFace } from '../../gallery/gallery.ts';
import { faceAgain, imageOfFace } from '../../recognition/reindex.ts';
import type { Box, FivePoints } from '../../types.ts';
import { resolveConfig } from '../../config.ts';
import type { JobKindSpec } from '../kind.ts';
import type { NewItem } from '../store.ts';

/** A face as the item keeps it (at planning; and in a legacy save). */
interface FaceRecord {
  faceId: number;
  subjectId: number;
  subject: string;
  contentHash: string;
  sourceFile: string | null;
  box: Box | null;
  landmarks: FivePoints | null;
  quality: FaceQuality | null;
}

/** What versions before addEmbeddings saved before removing a face (JobStore.save). */
interface LegacySave { face: FaceRecord; vectors: Record<string, { dim: number; base64: string }> }

const record = (face: StoredFace): FaceRecord => ({
  faceId: face.id, subjectId: face.subjectId, subject: face.subjectName, contentHash: face.contentHash,
  sourceFile: face.sourceFile, box: face.box, landmarks: face.landmarks, quality: face.quality,
});

export const REINDEX_KIND: JobKindSpec = {
  queue: 'visage-reindex',
  async plan(url, options) {
    const embedders = options.embedders?.length ? [...options.embedders] : defaultEmbedders();
    resolveConfig({ embedders: embedders as never }); // unknown or repeated embedders fail here, before anything is queued
    const search = (options.search ?? []).map(String);
    const gallery = await openGallery(url, { create: false });
    try {
      const faces = await gallery.listFaces();
      const items: NewItem[] = faces
        .filter((face) => embedders.some((id) => !face.models.includes(id)))
        .map((face) => ({ input: { ...record(face) }, subject: face.subjectName }));
      return { params: { embedders, search, faces: faces.length }, items };
    } finally {
      await gallery.close();
    }
  },
  async run(context, job, item) {
    const wanted = job.params.embedders as string[];
    const search = (job.params.search ?? []) as string[];
    const planned = item.input as unknown as FaceRecord;
    const gallery = await context.gallery();
    const faces = await gallery.listFaces(planned.subjectId).catch((error: VisageError) => {
      if (error.code === 'VISAGE_ERR_UNKNOWN_SUBJECT') return [] as StoredFace[];
      throw error;
    });
    const legacy = item.saved as LegacySave | null;
    // The face by id; after a legacy attempt, the one stored again from its save has another id.
    const current = faces.find((face) => face.id === planned.faceId)
      ?? (legacy ? faces.find((face) => face.contentHash === planned.contentHash) : undefined) ?? null;
    if (current && wanted.every((id) => current.models.includes(id))) {
      // The face lacked a wanted vector when the job was planned. On a retry, an earlier attempt of
      // this item added them (its worker stopped after the commit, before recording it): counted
      // as added, as it was. On a first attempt someone else did it meanwhile.
      if (current.id !== planned.faceId) return { state: 'added', contentHash: current.contentHash, faceIds: [current.id], message: 'stored by an earlier attempt of this job' };
      return item.attempts > 1
        ? { state: 'added', contentHash: current.contentHash, faceIds: [current.id], message: 'vectors added by an earlier attempt of this job' }
        : { state: 'skipped', contentHash: current.contentHash, reason: 'already-indexed', message: 'the face has every vector asked for', faceIds: [current.id] };
    }
    if (!current && !legacy) return { state: 'skipped', contentHash: planned.contentHash, reason: 'face-deleted', message: 'the face was deleted since the job was submitted' };
    const face = current ? record(current) : legacy!.face;
    const bytes = await imageOfFace(face, context.hashFinder(search));
    if (!bytes) {
      return {
        state: 'skipped', contentHash: face.contentHash, reason: 'image-not-found',
        message: face.sourceFile?.startsWith('upload:') || !face.sourceFile
          ? 'enrolled from an upload: give a folder holding the image (search)'
          : `image not found or changed since enrolment: ${face.sourceFile} (give a folder holding it: search)`,
      };
    }
    const visage = await context.visageFor(wanted);
    const found = await faceAgain(visage, bytes, face);
    if (!found) return { state: 'skipped', contentHash: face.contentHash, reason: 'face-not-found', message: 'the enrolled face was not found again in its image' };
    const fresh: Record<string, Float32Array> = {};
    for (const id of wanted) if (!current?.models.includes(id)) fresh[id] = Float32Array.from(found.embeddings[id]!);
    if (current) {
      await gallery.addEmbeddings(current.id, fresh);
      return { state: 'added', contentHash: face.contentHash, faceIds: [current.id] };
    }
    // A face removed by a legacy attempt: stored again with its saved vectors and the new ones.
    const vectors: Record<string, Float32Array> = { ...fresh };
    for (const [modelId, { dim, base64 }] of Object.entries(legacy!.vectors)) vectors[modelId] = base64ToVector(base64, dim, `saved vector ${modelId}`);
    const [stored] = await gallery.addFaces(face.subject, [{
      contentHash: face.contentHash, sourceFile: face.sourceFile, box: face.box, landmarks: face.landmarks, quality: face.quality, embeddings: vectors,
    }], { createSubject: true });
    return { state: 'added', contentHash: face.contentHash, faceIds: [stored!.id] };
  },
};
