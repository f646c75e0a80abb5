// face-api's tiny face detector (a Tiny-YOLOv2 with separable convolutions) written as an ONNX
// graph from its weight map. The graph ends at the raw YOLO grid; box decoding and NMS are the
// caller's.
//
// Input  'input' [batch, 3, H, W] float32, NCHW, RGB, value = (pixel - mean) / 255 with
//        mean = [117.001, 114.697, 97.404] (R, G, B). H and W are dynamic; face-api uses square
//        inputs whose side is a multiple of 32 (416 by default), made by padding the image with
//        black (pixel 0) at the bottom or right to a square and resizing.
// Output 'grid'  [batch, 25, ceil((H-2)/32), ceil((W-2)/32)] (13x13 at 416, H/32 for multiples
//        of 32): channel a*5+k holds, for anchor a (0..4), k = 0 tx, 1 ty, 2 tw, 3 th, 4 objectness
//        logit, as face-api's network yields them (its NHWC tensor transposed to NCHW).
//        Decoding as face-api does, for the cell (row, col) of an n x n grid:
//          cx = (col + sigmoid(tx)) / n, cy = (row + sigmoid(ty)) / n,
//          w = exp(tw) * TINY_FACE_ANCHORS[a].x / n, h = exp(th) * TINY_FACE_ANCHORS[a].y / n,
//          score = sigmoid(objectness); all relative to the padded square input.
import { OnnxGraph } from '../onnx/graph.ts';
import { conv2d, depthwiseConv2d, leakyRelu } from '../onnx/layers.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';

/** face-api's mean RGB for this detector; the std is 255. */
export const TINY_FACE_MEAN_RGB: readonly [number, number, number] = [117.001, 114.697, 97.404];
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

/** face-api's leaky ReLU slope (float32 of 0.1). */
const LEAKY_ALPHA = 0.10000000149011612;

/** Strict access to a weight map: missing names, wrong shapes and unused names are errors. */
class Weights {
  private readonly used = new Set<string>();
  constructor(private readonly map: WeightMap, private readonly net: string) {}

  take(name: string, shape: readonly number[]): Float32Array {
    const entry = this.map.get(name);
    if (!entry) throw new Error(`${this.net}: missing weight '${name}'`);
    if (!(entry.data instanceof Float32Array)) throw new Error(`${this.net}: weight '${name}' is not float32`);
    if (entry.shape.length !== shape.length || shape.some((d, i) => d >= 0 && d !== entry.shape[i])) {
      throw new Error(`${this.net}: weight '${name}' has shape [${entry.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    this.used.add(name);
    return entry.data;
  }

  finish(): void {
    const unknown = [...this.map.keys()].filter((n) => !this.used.has(n));
    if (unknown.length) throw new Error(`${this.net}: unknown weight${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}`);
  }
}

/** Zero-pad 1 on every side, 3x3 depthwise + 1x1 pointwise ('VALID'), bias, leaky ReLU. */
function separableLayer(g: OnnxGraph, x: string, w: Weights, prefix: string, cin: number, cout: number): string {
  const dw = w.take(`${prefix}/depthwise_filter`, [3, 3, cin, 1]);
  const pw = w.take(`${prefix}/pointwise_filter`, [1, 1, cin, cout]);
  const bias = w.take(`${prefix}/bias`, [cout]);
  const d = depthwiseConv2d(g, x, dw, [3, 3, cin, 1], { padding: [1, 1, 1, 1], name: `${prefix}/depthwise` });
  const p = conv2d(g, d, pw, [1, 1, cin, cout], { bias, name: `${prefix}/pointwise` });
  return leakyRelu(g, p, LEAKY_ALPHA);
}

/** TF maxPool 2x2 'SAME'; the odd pixel's padding goes at the end, as ONNX's SAME_UPPER does. */
function maxPool(g: OnnxGraph, x: string, stride: number): string {
  return g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [stride, stride], auto_pad: 'SAME_UPPER' });
}

export function convertTinyFaceDetector(weights: WeightMap): ConvertedGraph {
  const w = new Weights(weights, 'tiny-face-detector');
  const g = new OnnxGraph('faceapi_tiny_face_detector');
  const input = g.input('input', ['batch', 3, 'height', 'width']);
  const channels = [3, 16, 32, 64, 128, 256, 512];

  const f0 = w.take('conv0/filters', [3, 3, 3, 16]);
  const b0 = w.take('conv0/bias', [16]);
  let x = leakyRelu(g, conv2d(g, input, f0, [3, 3, 3, 16], { padding: 'VALID', bias: b0, name: 'conv0' }), LEAKY_ALPHA);
  x = maxPool(g, x, 2);
  for (let i = 1; i <= 5; i++) {
    x = separableLayer(g, x, w, `conv${i}`, channels[i]!, channels[i + 1]!);
    x = maxPool(g, x, i < 5 ? 2 : 1);
  }
  const f8 = w.take('conv8/filters', [1, 1, 512, 25]);
  const b8 = w.take('conv8/bias', [25]);
  const grid = conv2d(g, x, f8, [1, 1, 512, 25], { bias: b8, name: 'conv8' });
  w.finish();

  return { graph: g, input, outputs: [g.output(grid, 'grid', ['batch', 25, 'grid_h', 'grid_w'])] };
}
