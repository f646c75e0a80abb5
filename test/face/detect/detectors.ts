// Shared pieces of the detector tests: an engine on a temporary model folder, images, and
// face positions checked by eye on annotated copies of the photos.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../../src/runtime/engine.ts';
import { loadImage } from '../../../src/face/image/decode.ts';
import type { DetectedFace } from '../../../src/face/detect/types.ts';
import type { Box, Point, RgbImage } from '../../../src/types.ts';
import { dataset } from '../../helpers/datasets.ts';

export async function openEngine(): Promise<{ engine: Engine; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-detect-'));
  const engine = await Engine.create({ modelDir: dir, threads: 2 });
  return { engine, close: async () => { await engine.close(); await rm(dir, { recursive: true, force: true }); } };
}

export const loadDataset = (...parts: string[]): Promise<RgbImage> => loadImage(dataset(...parts));

/** Every face of media/multiface.jpg (1200x630), boxes drawn by eye from hairline to chin. */
export const MULTIFACE_FACES: Box[] = [
  { x: 555, y: 40, width: 80, height: 115 },
  { x: 625, y: 185, width: 70, height: 115 },
  { x: 860, y: 430, width: 90, height: 120 },
  { x: 420, y: 130, width: 85, height: 115 },
  { x: 225, y: 235, width: 80, height: 115 },
  { x: 722, y: 460, width: 75, height: 112 },
];

/** Centres of the faces in bbt/group/faceapi_bbt{1..5}.jpg (turned-away heads excluded), by eye. */
export const BBT_FACE_CENTRES: Record<string, Point[]> = {
  'faceapi_bbt1.jpg': [{ x: 1050, y: 140 }, { x: 258, y: 185 }, { x: 776, y: 185 }, { x: 516, y: 200 }],
  'faceapi_bbt2.jpg': [{ x: 25, y: 120 }, { x: 135, y: 170 }, { x: 418, y: 175 }],
  'faceapi_bbt3.jpg': [{ x: 393, y: 139 }, { x: 180, y: 123 }, { x: 519, y: 135 }, { x: 63, y: 57 }, { x: 281, y: 130 }],
  'faceapi_bbt4.jpg': [{ x: 510, y: 238 }, { x: 295, y: 288 }, { x: 99, y: 320 }, { x: 620, y: 119 }, { x: 123, y: 83 }, { x: 276, y: 102 }],
  'faceapi_bbt5.jpg': [{ x: 477, y: 205 }, { x: 257, y: 80 }, { x: 754, y: 158 }, { x: 147, y: 210 }, { x: 613, y: 96 }],
};

export const contains = (box: Box, p: Point): boolean => p.x >= box.x && p.x <= box.x + box.width && p.y >= box.y && p.y <= box.y + box.height;

/** A smooth colour gradient: no face anywhere. */
export function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.round((255 * x) / width);
      data[o + 1] = Math.round((255 * y) / height);
      data[o + 2] = 128;
    }
  }
  return { width, height, channels: 3, data };
}

export function describe(faces: DetectedFace[]): string {
  return faces.map((f) => `${f.score.toFixed(2)}@${[f.box.x, f.box.y, f.box.width, f.box.height].map(Math.round).join(',')}`).join(' ');
}
