// face-api's 68-point landmark nets run on a detected box: the box is padded to a square
// around its centre (black outside the image, as face-api pads), resampled to 112x112,
// and the network's 0-1 coordinates of that square are mapped back to image pixels.
import type { Box, Point, RgbImage } from '../../types.ts';
import type { Engine } from '../../runtime/engine.ts';
import { getModelSpec } from '../../models/registry.ts';
import { pixelsToInput } from '../../models/input.ts';
import { resampleAffine } from '../align/align.ts';

/** The landmark models, each a registry model of the same network family (the full and the tiny net). */
export const LANDMARK_MODELS = Object.freeze(['faceapi-landmark68', 'faceapi-landmark68-tiny'] as const);
export type LandmarksId = (typeof LANDMARK_MODELS)[number];

const SIZE = 112;

/** The square face-api's landmark net sees for a box: centred on it, side = the longer side. */
export function landmarkSquare(box: Box): Box {
  const side = Math.max(box.width, box.height);
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, width: side, height: side };
}

export class FaceLandmarks68 {
  constructor(private readonly engine: Engine, readonly modelId: LandmarksId) {}

  /** 68 points per box, in image pixels; one batched inference for all boxes. */
  async locate(image: RgbImage, boxes: Box[]): Promise<Point[][]> {
    if (boxes.length === 0) return [];
    const spec = getModelSpec(this.modelId).input;
    const plane = 3 * SIZE * SIZE;
    const batch = new Float32Array(boxes.length * plane);
    const squares = boxes.map(landmarkSquare);
    squares.forEach((square, i) => {
      const scale = SIZE / square.width;
      const chip = resampleAffine(image, [[scale, 0, -square.x * scale], [0, scale, -square.y * scale]], SIZE, SIZE);
      pixelsToInput(chip.data, SIZE, SIZE, 3, spec, batch, i * plane);
    });
    const outputs = await this.engine.run(this.modelId, batch, [boxes.length, 3, SIZE, SIZE]);
    const values = outputs.landmarks!.data;
    return squares.map((square, i) => Array.from({ length: 68 }, (_, k) => ({
      x: square.x + values[i * 136 + 2 * k]! * square.width,
      y: square.y + values[i * 136 + 2 * k + 1]! * square.height,
    })));
  }
}
