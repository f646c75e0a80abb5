// A contact sheet: crops of chosen detections side by side, each captioned, written as a PNG.
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { loadImage } from '../../src/face/image/decode.ts';
import { crop, resizeTo } from '../../src/face/image/transform.ts';
import type { Box, RgbImage } from '../../src/types.ts';
import { dataset } from '../../test/helpers/datasets.ts';
import type { CollectedImage } from './collect.ts';

const TILE = 112, CAPTION = 28, COLUMNS = 10;

export interface SheetItem { image: CollectedImage; box: Box; caption: string }

async function source(image: CollectedImage): Promise<RgbImage> {
  const file = image.set === 'wider' ? dataset('wider-dev', 'images', image.name) : dataset(image.set, image.name);
  const loaded = await loadImage(file);
  return loaded.width === image.width ? loaded : resizeTo(loaded, image.width, image.height);
}

const escape = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);

export async function writeSheet(file: string, items: readonly SheetItem[]): Promise<void> {
  const cache = new Map<CollectedImage, Promise<RgbImage>>();
  const tiles: OverlayOptions[] = [];
  const rows = Math.max(1, Math.ceil(items.length / COLUMNS));
  for (const [i, item] of items.entries()) {
    if (!cache.has(item.image)) cache.set(item.image, source(item.image));
    const pixels = await cache.get(item.image)!;
    // The box with a fifth of its size around it, so the context shows.
    const side = Math.max(item.box.width, item.box.height) * 1.4;
    const square = { x: item.box.x + item.box.width / 2 - side / 2, y: item.box.y + item.box.height / 2 - side / 2, width: side, height: side };
    const cut = crop(pixels, square);
    const thumb = await sharp(cut.data, { raw: { width: cut.width, height: cut.height, channels: 3 } }).resize(TILE, TILE, { fit: 'fill' }).png().toBuffer();
    const left = (i % COLUMNS) * TILE, top = Math.floor(i / COLUMNS) * (TILE + CAPTION);
    tiles.push({ input: thumb, left, top });
    const [line1, line2] = item.caption.split('\n');
    const svg = `<svg width="${TILE}" height="${CAPTION}"><rect width="100%" height="100%" fill="white"/>` +
      `<text x="2" y="11" font-size="10" font-family="sans-serif">${escape(line1 ?? '')}</text>` +
      `<text x="2" y="24" font-size="10" font-family="sans-serif">${escape(line2 ?? '')}</text></svg>`;
    tiles.push({ input: Buffer.from(svg), left, top: top + TILE });
  }
  await sharp({ create: { width: COLUMNS * TILE, height: rows * (TILE + CAPTION), channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(tiles).png().toFile(file);
}

export const shortName = (image: CollectedImage) => path.basename(image.name).slice(0, 18);
