// face-api's SSD-MobileNetV1 face detector on the converted model. As face-api does it: the image
// scaled so its longer side is 512 and padded with black at the bottom/right to 512x512; the
// network's decoded boxes (fractions of that square) kept above the score threshold and
// suppressed greedily at IoU 0.5 (face-api's fixed threshold); then mapped back to image pixels
// and clipped to the image.
import type { Engine } from '../../runtime/engine.ts';
import { getModelSpec } from '../../models/registry.ts';
import { pixelsToInput } from '../../models/input.ts';
import type { RgbImage } from '../../types.ts';
import { letterbox, mapBoxBack } from '../image/transform.ts';
import { clampBox, nonMaxSuppression } from './nms.ts';
import { detectOne, type BatchDetector } from './batch-detector.ts';
import type { DetectOptions, DetectedFace } from './types.ts';

export const SSD_MODEL_ID = 'faceapi-ssd-mobilenetv1';
/** face-api's IoU threshold for this detector (SsdMobilenetv1.locateFaces). */
export const SSD_IOU_THRESHOLD = 0.5;
/** Images per model run when several are detected at once (tiles): ORT's per-image time drops by ~40% at 8. */
const MAX_BATCH = 8;

export class SsdMobilenetV1Detector implements BatchDetector {
  readonly id = 'ssd';
  readonly inputSize: number;
  private readonly engine: Engine;

  constructor(engine: Engine) {
    this.engine = engine;
    this.inputSize = getModelSpec(SSD_MODEL_ID).input.size![0];
  }

  detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    return detectOne(this, image, options);
  }

  async detectMany(images: readonly RgbImage[], minScore: number): Promise<DetectedFace[][]> {
    const spec = getModelSpec(SSD_MODEL_ID);
    const size = this.inputSize;
    const plane = size * size * 3;
    const results: DetectedFace[][] = [];
    for (let start = 0; start < images.length; start += MAX_BATCH) {
      const chunk = images.slice(start, start + MAX_BATCH);
      const boxed = await Promise.all(chunk.map((image) => letterbox(image, size, { corner: 'top-left' })));
      const input = new Float32Array(chunk.length * plane);
      boxed.forEach((b, i) => pixelsToInput(b.image.data, size, size, 3, spec.input, input, i * plane));
      const out = await this.engine.run(SSD_MODEL_ID, input, [chunk.length, 3, size, size]);
      const boxes = out['boxes']!.data, scores = out['scores']!.data;
      const anchors = out['scores']!.dims[1]!;
      boxed.forEach((b, i) => {
        const image = chunk[i]!;
        const candidates: DetectedFace[] = [];
        for (let a = 0; a < anchors; a++) {
          const score = scores[i * anchors + a]!;
          if (!(score >= minScore)) continue;
          const o = (i * anchors + a) * 4;
          // [ymin, xmin, ymax, xmax] as fractions of the square; ordered as face-api's IoU does.
          const y0 = Math.min(boxes[o]!, boxes[o + 2]!) * size, y1 = Math.max(boxes[o]!, boxes[o + 2]!) * size;
          const x0 = Math.min(boxes[o + 1]!, boxes[o + 3]!) * size, x1 = Math.max(boxes[o + 1]!, boxes[o + 3]!) * size;
          const box = clampBox(mapBoxBack({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, b.transform), image.width, image.height);
          if (box.width > 0 && box.height > 0) candidates.push({ box, score });
        }
        results.push(nonMaxSuppression(candidates, { iouThreshold: SSD_IOU_THRESHOLD }));
      });
    }
    return results;
  }
}
