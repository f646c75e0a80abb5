// Training-image augmentation: new views of a face made from its image before embedding, so the
// whole pipeline (detection, landmarks, alignment) sees them as it would see a new photo. Each
// view: the region around the face, shifted (±6% of the box), rotated (±10°) and scaled (0.9-1.1)
// by one affine warp, brightness ×0.75-1.25, and mirrored half the time. Mirroring adds nothing
// when embeddings already average the face and its mirror image (flip, the default): it is then
// skipped. Parameters come from a seeded generator: the same image and index give the same view,
// so augmented embeddings are cached like the others.
import sharp from 'sharp';
import { createRng } from '../learn/index.ts';
import type { Box } from '../types.ts';

export interface Augmentation {
  readonly index: number;
  readonly angle: number;
  readonly scale: number;
  readonly shiftX: number;
  readonly shiftY: number;
  readonly brightness: number;
  readonly mirror: boolean;
  /** Describes the view exactly (part of the cache key). */
  readonly key: string;
}

const round = (v: number, digits = 3) => Number(v.toFixed(digits));

/** The index-th augmentation of the image whose content hash is `hash`. */
export function augmentation(hash: string, index: number, allowMirror: boolean): Augmentation {
  const rng = createRng(parseInt(hash.slice(0, 8), 16) ^ Math.imul(index + 1, 0x9e3779b1));
  const angle = round((rng.next() * 2 - 1) * 10, 2);
  const scale = round(0.9 + rng.next() * 0.2);
  const shiftX = round((rng.next() * 2 - 1) * 0.06);
  const shiftY = round((rng.next() * 2 - 1) * 0.06);
  const brightness = round(0.75 + rng.next() * 0.5);
  const mirror = allowMirror && rng.next() < 0.5;
  const key = `aug1 a${angle} s${scale} x${shiftX} y${shiftY} b${brightness}${mirror ? ' m' : ''}`;
  return { index, angle, scale, shiftX, shiftY, brightness, mirror, key };
}

/**
 * The augmented view as PNG bytes: the face's box widened by 60% on each side (moved by the
 * shift), warped, brightened, mirrored. `box` is in the upright image's pixels.
 */
export async function renderAugmentation(image: string | Uint8Array, box: Box, imageWidth: number, imageHeight: number, a: Augmentation): Promise<Uint8Array> {
  const margin = 0.6;
  const cx = box.x + box.width / 2 + a.shiftX * box.width, cy = box.y + box.height / 2 + a.shiftY * box.height;
  const half = Math.max(box.width, box.height) * (0.5 + margin);
  const left = Math.max(0, Math.floor(cx - half)), top = Math.max(0, Math.floor(cy - half));
  const right = Math.min(imageWidth, Math.ceil(cx + half)), bottom = Math.min(imageHeight, Math.ceil(cy + half));
  const region = await sharp(image, { autoOrient: true }).extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
    .removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const radians = (a.angle * Math.PI) / 180;
  const cos = Math.cos(radians) * a.scale, sin = Math.sin(radians) * a.scale;
  let pipeline = sharp(region.data, { raw: { width: region.info.width, height: region.info.height, channels: region.info.channels } })
    .affine([[cos, -sin], [sin, cos]], { background: { r: 128, g: 128, b: 128 }, interpolator: 'bilinear' })
    .modulate({ brightness: a.brightness });
  if (a.mirror) pipeline = pipeline.flop();
  return pipeline.png({ compressionLevel: 1 }).toBuffer();
}

/**
 * Augmented copies per image for each class: enough to bring every class to twice the largest
 * class's image count (so smaller classes get more), at least `minimum` and at most `maximum`.
 */
export function augmentationCounts(classCounts: Readonly<Record<string, number>>, minimum = 1, maximum = 4): Record<string, number> {
  const largest = Math.max(...Object.values(classCounts));
  return Object.fromEntries(Object.entries(classCounts).map(([name, count]) => [name, Math.min(maximum, Math.max(minimum, Math.ceil((2 * largest - count) / count)))]));
}
