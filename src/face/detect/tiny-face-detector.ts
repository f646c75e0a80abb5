// face-api's tiny face detector (Tiny-YOLOv2 with separable convolutions) on the converted model.
// As face-api does it: the image scaled so its longer side is the input size (a multiple of 32,
// 416 by default), padded with black at the bottom/right to a square; per grid cell and anchor
// the box decoded YOLO-style and the score = sigmoid(objectness); boxes suppressed greedily at
// IoU 0.4 (face-api's threshold for this detector). See src/convert/nets/tiny-face-detector.ts
// for the grid layout. Its boxes are much wider than the face and sit high (the decoding agrees
// with face-api's own output on the same photo); TINY_BOX_FIT turns them into face boxes.
//
// Weak on WIDER dev (AP >= 16 / 32 / 64 px, input 1024, whole image): 19 / 40 / 68 with
// face-api's boxes, 29 / 59 / 75 with the fit, against the SSD's 43 / 74 / 91. An option, not
// a default.
import { VisageError } from '../../errors.ts';
import type { Engine } from '../../runtime/engine.ts';
import { getModelSpec } from '../../models/registry.ts';
import { pixelsToInput } from '../../models/input.ts';
import type { RgbImage } from '../../types.ts';
import { letterbox, mapBoxBack } from '../image/transform.ts';
import { fitBox, type BoxFit } from './box-fit.ts';
import { clampBox, nonMaxSuppression } from './nms.ts';
import { detectOne, type BatchDetector } from './batch-detector.ts';
import type { DetectOptions, DetectedFace } from './types.ts';

/** Anchor sizes (width, height) in grid cells, from face-api's tinyFaceDetector/const.ts. */
export const TINY_FACE_ANCHORS: readonly { x: number; y: number }[] = [
  { x: 1.603231, y: 2.094468 },
  { x: 6.041143, y: 7.080126 },
  { x: 2.882459, y: 3.518061 },
  { x: 4.266906, y: 5.178857 },
  { x: 9.041765, y: 10.66308 },
];
/** face-api's IoU threshold for its NMS of this detector's boxes. */
export const TINY_FACE_IOU_THRESHOLD = 0.4;

export const TINY_MODEL_ID = 'faceapi-tiny-face-detector';
/** face-api's default input size for this detector. */
export const TINY_DEFAULT_INPUT = 416;

/** Raw box to face box, fitted on WIDER dev as BLAZEFACE_BOX_FIT is (input 1024, even images; dx 0.01 set to 0). */
export const TINY_BOX_FIT: Readonly<BoxFit> = Object.freeze({ scaleX: 0.7, scaleY: 0.99, dx: 0, dy: -0.11 });

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export class TinyFaceDetector implements BatchDetector {
  readonly id = 'tiny';
  readonly inputSize: number;
  private readonly engine: Engine;

  private readonly boxFit: BoxFit;

  constructor(engine: Engine, options: { inputSize?: number; boxFit?: BoxFit } = {}) {
    const size = options.inputSize ?? TINY_DEFAULT_INPUT;
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `tiny face detector input size must be a multiple of 32, got ${String(size)}`);
    }
    this.engine = engine;
    this.inputSize = size;
    this.boxFit = { ...(options.boxFit ?? TINY_BOX_FIT) };
  }

  detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    return detectOne(this, image, options);
  }

  async detectMany(images: readonly RgbImage[], minScore: number): Promise<DetectedFace[][]> {
    const spec = getModelSpec(TINY_MODEL_ID);
    const size = this.inputSize;
    const results: DetectedFace[][] = [];
    for (const image of images) {
      const { image: square, transform } = await letterbox(image, size, { corner: 'top-left' });
      const out = await this.engine.run(TINY_MODEL_ID, pixelsToInput(square.data, size, size, 3, spec.input), [1, 3, size, size]);
      const grid = out['grid']!;
      const [, channels, rows, cols] = grid.dims as [number, number, number, number];
      if (channels !== TINY_FACE_ANCHORS.length * 5 || rows !== cols) {
        throw new VisageError('VISAGE_ERR_INFERENCE_FAILED', `${TINY_MODEL_ID}: unexpected grid [${grid.dims.join(', ')}]`);
      }
      const plane = rows * cols, n = cols;
      const value = (anchor: number, k: number, cell: number) => grid.data[(anchor * 5 + k) * plane + cell]!;
      const candidates: DetectedFace[] = [];
      for (let cell = 0; cell < plane; cell++) {
        const row = Math.floor(cell / cols), col = cell % cols;
        for (let a = 0; a < TINY_FACE_ANCHORS.length; a++) {
          const score = sigmoid(value(a, 4, cell));
          if (!(score >= minScore)) continue;
          const cx = ((col + sigmoid(value(a, 0, cell))) / n) * size;
          const cy = ((row + sigmoid(value(a, 1, cell))) / n) * size;
          const w = ((Math.exp(value(a, 2, cell)) * TINY_FACE_ANCHORS[a]!.x) / n) * size;
          const h = ((Math.exp(value(a, 3, cell)) * TINY_FACE_ANCHORS[a]!.y) / n) * size;
          const box = clampBox(mapBoxBack(fitBox(cx, cy, w, h, this.boxFit), transform), image.width, image.height);
          if (box.width > 0 && box.height > 0) candidates.push({ box, score });
        }
      }
      results.push(nonMaxSuppression(candidates, { iouThreshold: TINY_FACE_IOU_THRESHOLD }));
    }
    return results;
  }
}
