// BlazeFace (MediaPipe's back-camera model, 256x256, as packaged by Human) on the converted model.
//
// Decoding follows Human (src/face/blazeface.ts, facemeshutil.generateAnchors): 896 anchors, a
// 16x16 grid of stride 16 with 2 anchors per cell, then an 8x8 grid of stride 32 with 6 per cell,
// each at its cell's centre in input pixels. Per anchor the network gives a score logit and 16
// regressors in input pixels: the box centre's offset from the anchor (dx, dy), the box size
// (w, h), and 6 keypoints as offsets from the anchor (the subject's right eye, left eye, nose tip,
// mouth, right ear, left ear: MediaPipe's order). Score = sigmoid(logit).
//
// Where Visage differs from Human, on purpose:
// - The image is letterboxed (top-left, aspect kept) rather than stretched to the square, so
//   faces keep their shape.
// - Human enlarges each box 1.4x and makes it square (a crop box for its mesh model), which is why
//   its boxes measure about 1.6x the face. Visage returns face boxes: the raw box is rescaled
//   and shifted by BLAZEFACE_BOX_FIT, fitted to WIDER's face boxes (see there).
// - Non-maximum suppression at IoU 0.3 rather than Human's 0.1, which drops neighbours in a
//   crowd: on WIDER dev (tiled) the same AP, and recall at score 0.05 for faces >= 16 px 66.5%
//   against 63.5%; 0.5 gave the same AP again, with lower precision at score 0.5. Boxes mostly
//   inside a better one are dropped too (BLAZEFACE_CONTAINED).
import { VisageError } from '../../errors.ts';
import type { Engine } from '../../runtime/engine.ts';
import { getModelSpec } from '../../models/registry.ts';
import { pixelsToInput } from '../../models/input.ts';
import type { Box, Point, RgbImage } from '../../types.ts';
import { letterbox, mapBoxBack, mapPointBack } from '../image/transform.ts';
import { clampBox, nonMaxSuppression } from './nms.ts';
import { detectOne, type BatchDetector } from './batch-detector.ts';
import { fitBox, type BoxFit } from './box-fit.ts';
import type { DetectOptions, DetectedFace } from './types.ts';

export const BLAZEFACE_MODEL_ID = 'human-blazeface-back';
export const BLAZEFACE_IOU_THRESHOLD = 0.3;
/**
 * A lower-scoring box with more than this share of its area inside a higher-scoring one is
 * dropped: on tight face crops BlazeFace also boxes the upper-left part of the face (bbt's
 * sheldon1.png: a second box at 0.52, 80% inside the face's, IoU 0.30). On WIDER dev this left
 * AP unchanged (58.4 / 84.0 / 91.2 tiled, 25.2 / 53.4 / 86.1 whole) at 0.7 and at 0.8.
 */
export const BLAZEFACE_CONTAINED = 0.7;
const KEYPOINTS = 6;

/**
 * Raw box to face box, fitted on WIDER dev: medians of (truth / raw) size ratios and centre
 * offsets over the detections at score >= 0.5 matched to a ground-truth face at IoU >= 0.4,
 * iterated to convergence; tiled detections, fitted on the even-numbered images. Whole-image
 * detections give 0.88 / 1.18 / -0.09; dx (0.01) is set to 0 by symmetry. The raw box is square
 * and sits low (eyes to chin); the face box is taller and reaches the hairline. On LFW the fitted
 * box overlaps the SSD's with median IoU 0.85 (0.77 raw); Human's own boxes (x1.4, squared) need
 * x0.6 instead.
 */
export const BLAZEFACE_BOX_FIT: Readonly<BoxFit> = Object.freeze({ scaleX: 0.93, scaleY: 1.19, dx: 0, dy: -0.09 });

/** Anchor centres in input pixels, Human's layout: [x0, y0, x1, y1, ...]. */
export function blazefaceAnchors(inputSize: number): Float32Array {
  const layers = [{ stride: inputSize / 16, perCell: 2 }, { stride: inputSize / 8, perCell: 6 }];
  const out: number[] = [];
  for (const { stride, perCell } of layers) {
    const cells = Math.floor((inputSize + stride - 1) / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let n = 0; n < perCell; n++) out.push(stride * (gx + 0.5), stride * (gy + 0.5));
      }
    }
  }
  return Float32Array.from(out);
}

export interface BlazeFaceOptions {
  boxFit?: BoxFit;
  iouThreshold?: number;
}

export class BlazeFaceDetector implements BatchDetector {
  readonly id = 'blazeface';
  readonly inputSize: number;
  private readonly engine: Engine;
  private readonly anchors: Float32Array;
  private readonly boxFit: BoxFit;
  private readonly iouThreshold: number;

  constructor(engine: Engine, options: BlazeFaceOptions = {}) {
    this.engine = engine;
    this.inputSize = getModelSpec(BLAZEFACE_MODEL_ID).input.size![0];
    this.anchors = blazefaceAnchors(this.inputSize);
    this.boxFit = { ...(options.boxFit ?? BLAZEFACE_BOX_FIT) };
    this.iouThreshold = options.iouThreshold ?? BLAZEFACE_IOU_THRESHOLD;
  }

  detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    return detectOne(this, image, options);
  }

  /** The model takes one image per run (its batch is fixed at 1). */
  async detectMany(images: readonly RgbImage[], minScore: number): Promise<DetectedFace[][]> {
    const spec = getModelSpec(BLAZEFACE_MODEL_ID);
    const size = this.inputSize;
    const anchorCount = this.anchors.length / 2;
    const results: DetectedFace[][] = [];
    // Scores below minScore are skipped before decoding: compare logits, no sigmoid needed.
    const minLogit = minScore <= 0 ? -Infinity : minScore >= 1 ? Infinity : Math.log(minScore / (1 - minScore));
    // The model runs on the inputs side by side, one per core (Engine.runEach), each as soon as it
    // is ready while the next ones are prepared (resizes run in sharp's threads).
    const prepared = images.map(async (image) => {
      const { image: square, transform } = await letterbox(image, size, { corner: 'top-left' });
      return { transform, input: pixelsToInput(square.data, size, size, 3, spec.input) };
    });
    const outputs = await this.engine.runEach(BLAZEFACE_MODEL_ID, prepared.map(async (p) => (await p).input), [1, 3, size, size]);
    for (let n = 0; n < images.length; n++) {
      const image = images[n]!;
      const { transform } = await prepared[n]!;
      const out = outputs[n]!;
      // Outputs by name (registry): 16x16-grid anchors first, as Human concatenates them.
      const parts = [
        { scores: out['Identity']!.data, regressors: out['Identity_2']!.data },
        { scores: out['Identity_1']!.data, regressors: out['Identity_3']!.data },
      ];
      const candidates: DetectedFace[] = [];
      let anchor = 0;
      for (const { scores, regressors } of parts) {
        for (let i = 0; i < scores.length; i++, anchor++) {
          const logit = scores[i]!;
          if (!(logit >= minLogit)) continue;
          const r = i * 16;
          const ax = this.anchors[anchor * 2]!, ay = this.anchors[anchor * 2 + 1]!;
          const raw = { cx: ax + regressors[r]!, cy: ay + regressors[r + 1]!, w: regressors[r + 2]!, h: regressors[r + 3]! };
          if (!(raw.w > 0 && raw.h > 0)) continue;
          const box = clampBox(mapBoxBack(fitBox(raw.cx, raw.cy, raw.w, raw.h, this.boxFit), transform), image.width, image.height);
          if (!(box.width > 0 && box.height > 0)) continue;
          const keypoints: Point[] = [];
          for (let k = 0; k < KEYPOINTS; k++) {
            keypoints.push(mapPointBack({ x: ax + regressors[r + 4 + 2 * k]!, y: ay + regressors[r + 5 + 2 * k]! }, transform));
          }
          candidates.push({ box, score: 1 / (1 + Math.exp(-logit)), keypoints });
        }
      }
      if (anchor !== anchorCount) throw new VisageError('VISAGE_ERR_INFERENCE_FAILED', `${BLAZEFACE_MODEL_ID}: expected ${anchorCount} anchors, the model gave ${anchor}`);
      results.push(nonMaxSuppression(candidates, { iouThreshold: this.iouThreshold, containedThreshold: BLAZEFACE_CONTAINED }));
    }
    return results;
  }
}
