// The enrol job: one item per image (a path the workers can read, or an upload's bytes) with its
// subject; done by Recognizer.enroll, as `visage enroll` does it.
//
// Idempotent by content hash. The face is stored in one transaction (the gallery's), which also
// refuses a second face of the same image for the same subject (UNIQUE (subject, content hash));
// the item's record follows in a second statement. A worker killed between the two leaves the item
// 'working': whoever takes the chunk again finds the face already stored, and the item records it
// as added by this job when the face was stored after the item was first taken (the database's
// clock on both sides), else as already enrolled before. So no face is stored twice, none is lost,
// and the item's record says what happened.
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { VisageError } from '../../errors.ts';
import { scanFolder } from '../../face/image/files.ts';
import { nameForImage, nameFromFileName } from '../../recognition/naming.ts';
import type { JobKindSpec } from '../kind.ts';
import type { EnrolmentImage } from '../types.ts';

export const ENROL_KIND: JobKindSpec = {
  queue: 'visage-enrol',
  async run(context, job, item) {
    const recognizer = await context.recognizer();
    const subject = item.subject!;
    const file = typeof item.input.file === 'string' ? item.input.file : null;
    const name = typeof item.input.name === 'string' ? item.input.name : null;
    const image: string | Uint8Array = file ?? item.data!;
    const outcome = await recognizer.enroll(image, subject, {
      largest: job.params.largest === true,
      ...(file ? {} : { sourceFile: `upload:${name ?? `image-${item.seq + 1}`}` }),
    });
    if (outcome.status === 'added') {
      return { state: 'added', contentHash: outcome.contentHash, faceIds: [outcome.faceId!] };
    }
    if (outcome.reason === 'already-enrolled') {
      const gallery = await context.gallery();
      const face = (await gallery.listFaces(outcome.subject)).find((f) => f.contentHash === outcome.contentHash);
      if (face && Date.parse(face.created) >= item.claimed.getTime()) {
        return { state: 'added', contentHash: outcome.contentHash, faceIds: [face.id], message: 'stored by an earlier attempt of this job (its worker stopped before recording it)' };
      }
      return { state: 'skipped', contentHash: outcome.contentHash, reason: 'already-enrolled', message: outcome.message ?? null, faceIds: face ? [face.id] : [] };
    }
    return { state: 'skipped', contentHash: outcome.contentHash, reason: outcome.reason ?? null, message: outcome.message ?? null };
  },
};

/**
 * The images of folders and files as `visage enroll` names them: people/<name>/**.jpg under a
 * folder given is <name>'s, an image directly in it or a file given is named after its file name
 * (`subject` names them all instead). Images that name nobody are returned apart.
 */
export async function enrolmentImages(paths: readonly string[], subject?: string): Promise<{ images: EnrolmentImage[]; unnamed: string[] }> {
  const images: EnrolmentImage[] = [];
  const unnamed: string[] = [];
  for (const given of paths) {
    const resolved = path.resolve(given);
    const info = await stat(resolved).catch(() => null);
    if (!info) throw new VisageError('VISAGE_ERR_IMAGE_NOT_FOUND', `no such file or folder: ${given}`);
    const files = info.isDirectory() ? (await scanFolder(resolved)).images : [resolved];
    for (const file of files) {
      const name = subject ?? (info.isDirectory() ? nameForImage(resolved, file) : nameFromFileName(file));
      if (name === null) unnamed.push(file);
      else images.push({ file, subject: name });
    }
  }
  return { images, unnamed };
}
