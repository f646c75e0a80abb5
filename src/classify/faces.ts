// Faces and embeddings of dataset images for training and evaluation: the cached face source of the
// recognition layer (recognition/face-source.ts), plus augmented views of an image's largest face.
import { readImageFile } from '../face/image/files.ts';
import { contentHash } from '../gallery/portable.ts';
import { largestFaceIndex } from '../recognition/enrolment.ts';
import { CachedFaceSource, type ImageFaces } from '../recognition/face-source.ts';
import { augmentation, renderAugmentation, type Augmentation } from './augment.ts';
import type { Box } from '../types.ts';
export { LARGEST_FACE_SCORE_MARGIN } from '../recognition/enrolment.ts';
export type { FaceSourceOptions, FoundFace, ImageFaces, FaceSourceStats } from '../recognition/face-source.ts';

/** The largest face (by box area) among those scoring within LARGEST_FACE_SCORE_MARGIN of the best; undefined when none. */
export function largestFace<T extends { box: Box; score: number }>(faces: readonly T[]): T | undefined {
  const i = largestFaceIndex(faces);
  return i < 0 ? undefined : faces[i];
}

export class FaceSource extends CachedFaceSource {
  /** Every face of an image file (or its augmented view `index` >= 1, made around its largest face). */
  override async facesOf(file: string, augmentIndex = 0): Promise<ImageFaces & { augmentation?: Augmentation }> {
    if (augmentIndex === 0) return super.facesOf(file);
    const bytes = await readImageFile(file);
    const hash = contentHash(bytes);
    const plain = await this.analyse(hash, async () => bytes);
    const face = largestFace(plain.faces);
    if (!face) return { width: plain.width, height: plain.height, faces: [] };
    const view = augmentation(hash, augmentIndex, !this.config.flip);
    const result = await this.analyse(`${hash}|${view.key}`, () => renderAugmentation(bytes, face.box, plain.width, plain.height, view));
    return { ...result, augmentation: view };
  }
}
