// The cluster job: one item per image (a path the workers can read, or an upload's bytes) whose
// faces join the photo library's clusters ("People to name", recognition/people.ts): the worker
// finds and embeds its faces, makes their thumbnails and stores them in the gallery's cluster
// tables; the API nodes cluster them at their next read. Idempotent: a face already stored (same
// image, same index) is kept as it is, so a chunk done twice stores nothing twice.
import { VisageError } from '../../errors.ts';
import { readImageFile } from '../../face/image/files.ts';
import { PostgresGallery } from '../../gallery/postgres/gallery.ts';
import { contentHash } from '../../gallery/portable.ts';
import { photoFacesOf } from '../../recognition/clustering.ts';
import { PostgresClusterStore, type StoredClusterFace } from '../../recognition/cluster-store/index.ts';
import { faceThumbnail } from '../../report/face-thumbnail.ts';
import type { JobKindSpec } from '../kind.ts';

export const CLUSTER_KIND: JobKindSpec = {
  queue: 'visage-cluster',
  async run(context, job, item) {
    const recognizer = await context.recognizer();
    const embedder = String(job.params.embedder);
    if (recognizer.modelId !== embedder) {
      return { state: 'failed', reason: 'VISAGE_ERR_BAD_OPTION', message: `this worker embeds with ${recognizer.modelId}, the clusters with ${embedder}: start the worker with the server's embedders` };
    }
    const gallery = await context.gallery();
    if (!(gallery instanceof PostgresGallery)) throw new VisageError('VISAGE_ERR_JOBS_NEED_POSTGRES', 'cluster jobs need a PostgreSQL gallery');
    const file = typeof item.input.file === 'string' ? item.input.file : null;
    const name = typeof item.input.name === 'string' ? item.input.name : `image-${item.seq + 1}`;
    const bytes = file ? await readImageFile(file) : item.data!;
    const hash = contentHash(bytes);
    const analysis = await recognizer.visage.analyze(bytes);
    const faces: StoredClusterFace[] = [];
    for (const f of photoFacesOf(analysis, name, hash, embedder)) {
      const thumbnail = await faceThumbnail(bytes, f.face.box, recognizer.visage.config.maxInputPixels).catch(() => null);
      faces.push({ ...f, thumbnail });
    }
    const store = new PostgresClusterStore(gallery.connectionPool, gallery.schema, gallery.location);
    await store.addImages(embedder, [{ image: { contentHash: hash, name, faces: faces.length }, faces }]);
    if (faces.length === 0) return { state: 'skipped', contentHash: hash, reason: 'no-face', message: 'no face found' };
    return { state: 'added', contentHash: hash, message: `${faces.length} face${faces.length === 1 ? '' : 's'}` };
  },
};
