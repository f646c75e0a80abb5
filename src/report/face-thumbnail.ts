// The face thumbnails the server shows (enrolled faces, "People to name"): made by the server when
// it enrols or clusters an image, and by job workers when they do.
import sharp from 'sharp';
import { VisageError } from '../errors.ts';
import type { Box } from '../types.ts';

export const THUMBNAIL_SIZE = 128;

/**
 * A square JPEG of one face: its box widened by a quarter on each side, clipped to the image, in
 * the upright image (EXIF orientation applied), as boxes are reported. The image was already
 * decoded once by the library within its pixel limit; `maxPixels` guards this decode too.
 */
export async function faceThumbnail(image: Uint8Array, box: Box, maxPixels: number): Promise<Buffer> {
  const upright = sharp(image, { limitInputPixels: maxPixels, failOn: 'error' }).rotate();
  const meta = await upright.metadata();
  const turned = (meta.orientation ?? 1) >= 5; // EXIF 5-8: a quarter turn swaps the sides
  const width = (turned ? meta.height : meta.width) ?? 0, height = (turned ? meta.width : meta.height) ?? 0;
  const side = Math.max(box.width, box.height) * 1.5;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const left = Math.max(0, Math.round(cx - side / 2)), top = Math.max(0, Math.round(cy - side / 2));
  const right = Math.min(width, Math.round(cx + side / 2)), bottom = Math.min(height, Math.round(cy + side / 2));
  if (right - left < 1 || bottom - top < 1) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'face box outside the image');
  return upright.extract({ left, top, width: right - left, height: bottom - top })
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'cover' })
    .jpeg({ quality: 80 })
    .toBuffer();
}
