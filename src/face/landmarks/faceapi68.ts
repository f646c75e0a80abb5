// face-api's 68-point landmark nets run on a detected box: the box is padded to a square
// around its centre (black outside the image, as face-api pads), resampled to 112x112,
// and the network's 0-1 coordinates of that square are mapped back to image pixels.
import type { Box, Point, RgbImage } from '../../types.ts';
import type { Engine } from '../../runtime/engine.ts';
import { getModelSpec } from '../../models/registry.ts';
import { pixelsToInput } from '../../models/input.ts';
import { resampleAffine } from '../align/align.ts';
import { MIRROR_68 } from '../align/landmarks.ts';
import { mirror } from '../image/transform.ts';

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
    return (await this.run(image, boxes, false)).points;
  }

  /**
   * 68 points per box, and the 68 points the net finds on the mirrored square, mapped back and
   * renumbered (point k is the same facial point in both): one batched inference of 2 chips per
   * box. On a face the two agree; on a non-face the net draws two different shapes (faceness.ts).
   */
  async locateWithMirror(image: RgbImage, boxes: Box[]): Promise<{ points: Point[][]; mirrored: Point[][] }> {
    return this.run(image, boxes, true);
  }

  private async run(image: RgbImage, boxes: Box[], withMirror: boolean): Promise<{ points: Point[][]; mirrored: Point[][] }> {
    if (boxes.length === 0) return { points: [], mirrored: [] };
    const spec = getModelSpec(this.modelId).input;
    const plane = 3 * SIZE * SIZE;
    const chips = withMirror ? 2 : 1;
    const batch = new Float32Array(boxes.length * chips * plane);
    const squares = boxes.map(landmarkSquare);
    squares.forEach((square, i) => {
      const scale = SIZE / square.width;
      const chip = resampleAffine(image, [[scale, 0, -square.x * scale], [0, scale, -square.y * scale]], SIZE, SIZE);
      pixelsToInput(chip.data, SIZE, SIZE, 3, spec, batch, i * chips * plane);
      if (withMirror) pixelsToInput(mirror(chip).data, SIZE, SIZE, 3, spec, batch, (i * chips + 1) * plane);
    });
    const outputs = await this.engine.run(this.modelId, batch, [boxes.length * chips, 3, SIZE, SIZE]);
    const values = outputs.landmarks!.data;
    const at = (chip: number, k: number, square: Box, mirrored: boolean) => {
      const u = values[chip * 136 + 2 * k]!, v = values[chip * 136 + 2 * k + 1]!;
      return { x: square.x + (mirrored ? 1 - u : u) * square.width, y: square.y + v * square.height };
    };
    return {
      points: squares.map((square, i) => Array.from({ length: 68 }, (_, k) => at(i * chips, k, square, false))),
      mirrored: withMirror ? squares.map((square, i) => MIRROR_68.map((k) => at(i * chips + 1, k, square, true))) : [],
    };
  }
}
