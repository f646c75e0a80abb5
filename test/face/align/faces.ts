// Real faces for the alignment tests: LFW images decoded with sharp, and 68 landmarks from the
// converted face-api landmark model.
import sharp from 'sharp';
import type { Engine } from '../../../src/runtime/engine.ts';
import { getModelSpec } from '../../../src/models/registry.ts';
import { pixelsToInput } from '../../../src/models/input.ts';
import type { Point, RgbImage } from '../../../src/types.ts';

export async function readRgb(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The square `box` of `image` resized to `size` by sharp (independent of the warp under test). */
export async function cropResize(image: RgbImage, box: { x: number; y: number; side: number }, size: number): Promise<Uint8Array> {
  const { data } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: box.x, top: box.y, width: box.side, height: box.side })
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** 68 landmarks of the face in the square `box` of `image`, in image pixels. */
export async function landmarks68(engine: Engine, image: RgbImage, box: { x: number; y: number; side: number }): Promise<Point[]> {
  const spec = getModelSpec('faceapi-landmark68');
  const pixels = await cropResize(image, box, 112);
  const input = pixelsToInput(pixels, 112, 112, 3, spec.input);
  const outputs = await engine.run('faceapi-landmark68', input, [1, 3, 112, 112]);
  const values = Object.values(outputs)[0]!.data;
  const points: Point[] = [];
  for (let i = 0; i < 68; i++) points.push({ x: box.x + values[2 * i]! * box.side, y: box.y + values[2 * i + 1]! * box.side });
  return points;
}
