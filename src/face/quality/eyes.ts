// Are the eyes open? Faceplugin's eye-closeness net (optional package
// faceplugin-face-recognition-js) on a 24x24 grey crop of each eye, framed from the 68 landmark
// points as the package's lib/fr_eye.js frames them from its own 68 points.
//
// Why this net and not the eye aspect ratio of the 68 points: on 1,664 LFW faces the aspect
// ratio's lowest values were squints and broad smiles with open eyes (the face-api landmark net
// draws the eyelids of an average eye, not of this one), while the net's highest readings were
// closed or downcast eyes; the two readings do not correlate (r = -0.05). README, "Enrolment
// quality gate", has the figures.
import { resampleAffine } from '../align/index.ts';
import { pixelsToInput } from '../../models/input.ts';
import { getModelSpec } from '../../models/registry.ts';
import { sourceInstalled } from '../../models/store.ts';
import type { Engine } from '../../runtime/engine.ts';
import type { Affine } from '../align/affine.ts';
import type { Box, Point, RgbImage } from '../../types.ts';

export const EYE_MODEL = 'faceplugin-eye';

/** Whether the eye net's package is installed (without it the gate's eye check does not run). */
export function eyeModelAvailable(): boolean {
  return sourceInstalled(getModelSpec(EYE_MODEL));
}

/**
 * The square around each eye that lib/fr_eye.js crops: centred on the mean of the eyelid points
 * (37, 38, 40, 41; 43, 44, 46, 47), 1.6 times the corner-to-corner width (36-39; 42-45), moved
 * and cut to stay inside the image. Pure.
 */
export function eyeSquares(points: readonly Point[], imageWidth: number, imageHeight: number): [Box, Box] {
  const square = (first: number): Box => {
    const lid = [first + 1, first + 2, first + 4, first + 5].map((i) => points[i]!);
    const cx = Math.trunc(lid.reduce((s, p) => s + p.x, 0) / 4), cy = Math.trunc(lid.reduce((s, p) => s + p.y, 0) / 4);
    let side = Math.max(2, Math.trunc((points[first + 3]!.x - points[first]!.x) * 1.6));
    const x = Math.max(0, Math.trunc(cx - side / 2)), y = Math.max(0, Math.trunc(cy - side / 2));
    if (x + side >= imageWidth) side = Math.max(1, imageWidth - x - 1);
    if (y + side >= imageHeight) side = Math.max(1, imageHeight - y - 1);
    return { x, y, width: side, height: side };
  };
  return [square(36), square(42)];
}

/** Image pixels -> a size x size crop of `square`. */
export function affineFromSquare(square: Box, size: number): Affine {
  const scale = size / square.width;
  return [[scale, 0, -square.x * scale], [0, scale, -square.y * scale]];
}

export interface EyeReading {
  /** Probability that each eye is closed: the image-left eye (68-point 36-41), then the image-right (42-47). */
  closed: [number, number];
  /** Probability that both are: the more open eye's. */
  bothClosed: number;
}

export class EyeReader {
  constructor(private readonly engine: Engine) {}

  /** One reading per face, from its 68 points (in `image`'s pixels). */
  async read(image: RgbImage, faces: readonly (readonly Point[])[]): Promise<EyeReading[]> {
    if (faces.length === 0) return [];
    const spec = getModelSpec(EYE_MODEL);
    const [height, width] = spec.input.size!;
    const inputs = faces.flatMap((points) => eyeSquares(points, image.width, image.height).map((square) => {
      const crop = resampleAffine(image, affineFromSquare(square, width), width, height);
      return pixelsToInput(crop.data, width, height, 3, spec.input);
    }));
    const outputs = await this.engine.runEach(EYE_MODEL, inputs, [1, 1, height, width]);
    return faces.map((_, i) => {
      const closed = [closedProbability(outputs[2 * i]!['output']!.data), closedProbability(outputs[2 * i + 1]!['output']!.data)] as [number, number];
      return { closed, bothClosed: Math.min(closed[0], closed[1]) };
    });
  }
}

/** Softmax of the net's two logits; class 0 is "closed" (its highest readings on LFW are closed or downcast eyes). */
function closedProbability(logits: ArrayLike<number>): number {
  const a = logits[0]!, b = logits[1]!;
  const m = Math.max(a, b);
  const ea = Math.exp(a - m), eb = Math.exp(b - m);
  return ea / (ea + eb);
}
