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
//          w = exp(tw) * anchor[a].x / n, h = exp(th) * anchor[a].y / n (the anchors live with the
//          decoder, src/face/detect/tiny-face-detector.ts),
//          score = sigmoid(objectness); all relative to the padded square input.
import { OnnxGraph } from '../onnx/graph.ts';
import { leakyRelu } from '../onnx/layers.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { convWithBias, maxPoolSame, separableConv } from './layers.ts';
import { Weights } from './weights.ts';

/** face-api's mean RGB for this detector; the std is 255. */
export const TINY_FACE_MEAN_RGB: readonly [number, number, number] = [117.001, 114.697, 97.404];

/** face-api's leaky ReLU slope (float32 of 0.1). */
const LEAKY_ALPHA = 0.10000000149011612;

export function convertTinyFaceDetector(weights: WeightMap): ConvertedGraph {
  const w = new Weights(weights, 'tiny-face-detector');
  const g = new OnnxGraph('faceapi_tiny_face_detector');
  const input = g.input('input', ['batch', 3, 'height', 'width']);
  const channels = [3, 16, 32, 64, 128, 256, 512];

  // conv0..conv5 are each followed by a leaky ReLU and a 2x2 'SAME' max pool (stride 2; 1 after conv5).
  // conv0: 3x3 'VALID' conv with bias.
  const conv0 = convWithBias(g, { value: input, channels: 3 }, w, 'conv0', 3, { padding: 'VALID', outChannels: channels[1] });
  let x = maxPoolSame(g, leakyRelu(g, conv0.value, LEAKY_ALPHA), 2, 2);
  // conv1..conv5: zero-pad 1 on every side, 3x3 depthwise + 1x1 pointwise, bias.
  for (let i = 1; i <= 5; i++) {
    const sep = separableConv(g, { value: x, channels: channels[i]! }, w, `conv${i}`, { padding: [1, 1, 1, 1], outChannels: channels[i + 1] });
    x = maxPoolSame(g, leakyRelu(g, sep.value, LEAKY_ALPHA), 2, i < 5 ? 2 : 1);
  }
  // conv8: 1x1 conv with bias to the 25-channel grid.
  const grid = convWithBias(g, { value: x, channels: 512 }, w, 'conv8', 1, { padding: 'VALID', outChannels: 25 }).value;
  w.finish();

  return { graph: g, input, outputs: [g.output(grid, 'grid', ['batch', 25, 'grid_h', 'grid_w'])] };
}
