// A second opinion on a detection: MTCNN's O-Net (or R-Net), a small face / non-face classifier,
// scores a square crop around the detection's box. The crop is framed as MTCNN frames its own
// boxes (a square, sampled to the net's input side, black outside the image, (p - 127.5) / 128);
// `Framing` says how the detector's box becomes that square, since another detector's boxes are
// not MTCNN's (see docs/measurements.md, "Phantom faces", for the framing measured best).
import type { Engine } from '../../runtime/engine.ts';
import type { Box, RgbImage } from '../../types.ts';
import { getModelSpec } from '../../models/registry.ts';
import { MTCNN_MODEL_IDS, sampleBox } from '../detect/mtcnn.ts';

/** The square scored for a box: side = `scale` x the box's longer side, centre moved down by `shiftY` x that side. */
export interface Framing {
  scale: number;
  shiftY: number;
}

export function framedSquare(box: Box, framing: Framing): Box {
  const side = Math.max(box.width, box.height) * framing.scale;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + framing.shiftY * Math.max(box.width, box.height);
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

export type FaceScoreNet = 'onet' | 'rnet';

// FaceScorer compares framings, mirroring and the two nets (bench:phantom); the face check itself
// runs examineFaces() below.

/** Crops per inference: the nets' batch dimension is dynamic; this bounds the input's memory (~3.5 MB for O-Net). */
const MAX_BATCH = 128;

export class FaceScorer {
  readonly modelId: string;
  private readonly size: number;

  constructor(private readonly engine: Engine, readonly net: FaceScoreNet = 'onet') {
    this.modelId = MTCNN_MODEL_IDS[net];
    this.size = getModelSpec(this.modelId).input.size![0];
  }

  /**
   * The net's face probability for each box under each framing: result[i][k] for box i, framing
   * k; with `mirrored`, the mean of the crop's and its mirror image's probabilities. Batched.
   */
  async score(image: RgbImage, boxes: readonly Box[], framings: readonly Framing[], mirrored = false): Promise<number[][]> {
    const result = boxes.map(() => new Array<number>(framings.length).fill(0));
    if (boxes.length === 0 || framings.length === 0) return result;
    const spec = getModelSpec(this.modelId).input;
    const { size } = this;
    const crop = 3 * size * size;
    const chips = mirrored ? 2 : 1;
    const jobs: { box: number; framing: number }[] = [];
    boxes.forEach((_, i) => framings.forEach((_, k) => jobs.push({ box: i, framing: k })));
    const perRun = Math.max(1, Math.floor(MAX_BATCH / chips));
    for (let start = 0; start < jobs.length; start += perRun) {
      const batch = jobs.slice(start, start + perRun);
      const input = new Float32Array(batch.length * chips * crop);
      batch.forEach((job, n) => {
        const offset = n * chips * crop;
        sampleBox(image, framedSquare(boxes[job.box]!, framings[job.framing]!), size, spec, input, offset);
        if (mirrored) mirrorPlanar(input, offset, offset + crop, size);
      });
      const out = await this.engine.run(this.modelId, input, [batch.length * chips, 3, size, size]);
      const prob = out[`${this.net}/prob1`]!.data;
      batch.forEach((job, n) => {
        let sum = 0;
        for (let c = 0; c < chips; c++) sum += prob[2 * (n * chips + c) + 1]!;
        result[job.box]![job.framing] = sum / chips;
      });
    }
    return result;
  }
}

/** O-Net's answer for one square: its face probability, and the face box its regression points to. */
export interface FaceExamination {
  probability: number;
  /** The box O-Net's regression gives (MTCNN's next box for this crop), in image pixels. */
  refined: Box;
}

/**
 * O-Net on each box's square (`framing`): face probability and the regressed box. Only O-Net
 * regresses here (R-Net's regression is unused). Batched.
 */
export async function examineFaces(engine: Engine, image: RgbImage, boxes: readonly Box[], framing: Framing): Promise<FaceExamination[]> {
  const id = MTCNN_MODEL_IDS.onet;
  const spec = getModelSpec(id).input;
  const size = spec.size![0];
  const crop = 3 * size * size;
  const found: FaceExamination[] = [];
  for (let start = 0; start < boxes.length; start += MAX_BATCH) {
    const squares = boxes.slice(start, start + MAX_BATCH).map((box) => framedSquare(box, framing));
    const input = new Float32Array(squares.length * crop);
    squares.forEach((square, n) => sampleBox(image, square, size, spec, input, n * crop));
    const out = await engine.run(id, input, [squares.length, 3, size, size]);
    const prob = out['onet/prob1']!.data, reg = out['onet/conv6-2/conv6-2']!.data;
    squares.forEach((square, n) => {
      // (x1, y1, x2, y2) offsets as fractions of the square's side, as MTCNN applies them.
      const x1 = square.x + reg[4 * n]! * square.width, y1 = square.y + reg[4 * n + 1]! * square.height;
      const x2 = square.x + square.width + reg[4 * n + 2]! * square.width, y2 = square.y + square.height + reg[4 * n + 3]! * square.height;
      found.push({ probability: prob[2 * n + 1]!, refined: { x: x1, y: y1, width: Math.max(0, x2 - x1), height: Math.max(0, y2 - y1) } });
    });
  }
  return found;
}

/** Writes the horizontal mirror of the planar crop at `from` to `to`. */
function mirrorPlanar(data: Float32Array, from: number, to: number, size: number): void {
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      const row = c * size * size + y * size;
      for (let x = 0; x < size; x++) data[to + row + x] = data[from + row + size - 1 - x]!;
    }
  }
}
