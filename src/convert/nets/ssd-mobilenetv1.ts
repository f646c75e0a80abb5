// face-api's SSD-MobileNetV1 face detector written as an ONNX graph from its weight map,
// including the box decoding against the anchors stored in the weights ('Output/extra_dim').
// Non-maximum suppression is left to the caller.
//
// Input  'input'  [batch, 3, 512, 512] float32, NCHW, RGB, value = (pixel - 127.5) / 127.5
//        (face-api computes pixel / 127.5 - 1). face-api pads the image with black (pixel 0,
//        i.e. value -1) at the bottom or right to a square before resizing to 512x512.
// Output 'boxes'  [batch, 5118, 4]: decoded boxes [ymin, xmin, ymax, xmax] as fractions of the
//        padded square input (0..1, may stray slightly outside); the anchor order is face-api's
//        (feature maps 32x32x3, 16x16x6, 8x8x6, 4x4x6, 2x2x6, 1x1x6; row, column, anchor).
// Output 'scores' [batch, 5118]: sigmoid of the 'face' class logit per anchor.
// Together these equal face-api's SsdMobilenetv1.forwardInput() boxes/scores, before NMS.
import { OnnxGraph } from '../onnx/graph.ts';
import { conv2d, depthwiseConv2d, relu6 } from '../onnx/layers.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { scaleOutputChannels } from './layers.ts';
import { Weights } from './weights.ts';

export const SSD_INPUT_SIZE = 512;
export const SSD_NUM_BOXES = 5118;

/** TF.js batchNorm's epsilon as face-api passes it (float32 of 0.001). */
const BN_EPSILON = 0.0010000000474974513;

/** Graph constants of the original TF model that face-api carries but never reads. */
const UNUSED_WEIGHTS = new Set([
  'Preprocessor/mul/x', 'Preprocessor/sub/y', 'Preprocessor/ResizeImage/size',
  'Postprocessor/Slice/begin', 'Postprocessor/Slice/size', 'Postprocessor/stack/1',
  'concat_1/axis', 'Prediction/BoxPredictor_0/strided_slice/stack', 'Prediction/BoxPredictor_0/strided_slice/stack_1',
  'Prediction/BoxPredictor_0/stack/3', 'Prediction/BoxPredictor_0/stack_1/2',
  ...[0, 1, 2, 3, 4, 5].map((i) => `Prediction/BoxPredictor_${i}/stack_1/1`),
]);

/** 1-in-2 strides of the depthwise convolutions of MobileNetV1 layers 1..13. */
const STRIDE2_LAYERS = new Set([2, 4, 6, 12]);
const MOBILENET_CHANNELS = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];

/** Conv (TF filter) + offset + ReLU6: face-api's pointwiseConvLayer ('SAME' padding). */
function pointwiseLayer(g: OnnxGraph, x: string, w: Weights, prefix: string, k: number, cin: number, cout: number, stride: number): string {
  const filter = w.take(`${prefix}/weights`, [k, k, cin, cout]).data;
  const bias = w.take(`${prefix}/convolution_bn_offset`, [cout]).data;
  const y = conv2d(g, x, filter, [k, k, cin, cout], { strides: [stride, stride], padding: 'SAME', bias, name: prefix });
  return relu6(g, y);
}

/** Depthwise 3x3 conv with the batch norm folded into its weights and bias, then ReLU6. */
function depthwiseLayer(g: OnnxGraph, x: string, w: Weights, prefix: string, channels: number, stride: number): string {
  const filter = w.take(`${prefix}/depthwise_weights`, [3, 3, channels, 1]).data;
  const gamma = w.take(`${prefix}/BatchNorm/gamma`, [channels]).data;
  const beta = w.take(`${prefix}/BatchNorm/beta`, [channels]).data;
  const mean = w.take(`${prefix}/BatchNorm/moving_mean`, [channels]).data;
  const variance = w.take(`${prefix}/BatchNorm/moving_variance`, [channels]).data;
  const scale = new Float64Array(channels);
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + BN_EPSILON);
    bias[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  const folded = scaleOutputChannels(filter, scale);
  const y = depthwiseConv2d(g, x, folded, [3, 3, channels, 1], { strides: [stride, stride], padding: 'SAME', bias, name: prefix });
  return relu6(g, y);
}

interface PredictorSpec { channels: number; size: number; anchors: number }

/** Feature maps feeding BoxPredictor_0..5 at a 512 input, in face-api's concatenation order. */
const PREDICTORS: readonly PredictorSpec[] = [
  { channels: 512, size: 32, anchors: 3 },
  { channels: 1024, size: 16, anchors: 6 },
  { channels: 512, size: 8, anchors: 6 },
  { channels: 256, size: 4, anchors: 6 },
  { channels: 256, size: 2, anchors: 6 },
  { channels: 128, size: 1, anchors: 6 },
];

/**
 * One 1x1 Conv per predictor computing, for each anchor a, the 4 box encodings (already divided
 * by the box coder's scales 10, 10, 5, 5) in channels a*4+k, then the 'face' class logits in
 * channels 4A+a. The unused background logits are dropped. Output flattened to [batch, 5A*H*W].
 */
function predictor(g: OnnxGraph, x: string, w: Weights, idx: number, p: PredictorSpec): string {
  const { channels: cin, anchors: A } = p;
  const prefix = `Prediction/BoxPredictor_${idx}`;
  const boxW = w.take(`${prefix}/BoxEncodingPredictor/weights`, [1, 1, cin, 4 * A]).data;
  const boxB = w.take(`${prefix}/BoxEncodingPredictor/biases`, [4 * A]).data;
  const clsW = w.take(`${prefix}/ClassPredictor/weights`, [1, 1, cin, 3 * A]).data;
  const clsB = w.take(`${prefix}/ClassPredictor/biases`, [3 * A]).data;
  const cout = 5 * A;
  const coderScale = [0.1, 0.1, 0.2, 0.2];
  const filter = new Float32Array(cin * cout);
  const bias = new Float32Array(cout);
  for (let a = 0; a < A; a++) {
    for (let k = 0; k < 4; k++) {
      const src = a * 4 + k, dst = a * 4 + k, s = coderScale[k]!;
      for (let c = 0; c < cin; c++) filter[c * cout + dst] = boxW[c * 4 * A + src]! * s;
      bias[dst] = boxB[src]! * s;
    }
    const src = a * 3 + 1, dst = 4 * A + a;
    for (let c = 0; c < cin; c++) filter[c * cout + dst] = clsW[c * 3 * A + src]!;
    bias[dst] = clsB[src]!;
  }
  const y = conv2d(g, x, filter, [1, 1, cin, cout], { bias, name: prefix });
  return g.node('Reshape', [y, g.constInt64('flat_shape', [0, -1])], {}, `${prefix}/flat`);
}

/**
 * Indices into the concatenation of the predictors' flattened outputs that put box encodings
 * in face-api's order ([5118, 4]) and the face logits likewise ([5118]).
 */
function gatherIndices(): { boxes: BigInt64Array; scores: BigInt64Array } {
  const boxes = new BigInt64Array(SSD_NUM_BOXES * 4);
  const scores = new BigInt64Array(SSD_NUM_BOXES);
  let base = 0, box = 0;
  for (const { size, anchors: A } of PREDICTORS) {
    const hw = size * size;
    for (let pos = 0; pos < hw; pos++) {
      for (let a = 0; a < A; a++, box++) {
        for (let k = 0; k < 4; k++) boxes[box * 4 + k] = BigInt(base + (a * 4 + k) * hw + pos);
        scores[box] = BigInt(base + (4 * A + a) * hw + pos);
      }
    }
    base += 5 * A * hw;
  }
  if (box !== SSD_NUM_BOXES) throw new Error(`ssd-mobilenetv1: ${box} anchors, expected ${SSD_NUM_BOXES}`);
  return { boxes, scores };
}

/** The anchors [ymin, xmin, ymax, xmax] as sizes and centres per box, [5118, 2] each ((y, x) pairs). */
function anchorConstants(extraDim: Float32Array): { sizes: Float32Array; halfSizes: Float32Array; centres: Float32Array } {
  const sizes = new Float32Array(SSD_NUM_BOXES * 2);
  const halfSizes = new Float32Array(SSD_NUM_BOXES * 2);
  const centres = new Float32Array(SSD_NUM_BOXES * 2);
  for (let i = 0; i < SSD_NUM_BOXES; i++) {
    for (let d = 0; d < 2; d++) {
      const lo = extraDim[i * 4 + d]!, hi = extraDim[i * 4 + 2 + d]!;
      const size = Math.fround(hi - lo);
      sizes[i * 2 + d] = size;
      halfSizes[i * 2 + d] = size / 2;
      centres[i * 2 + d] = Math.fround(lo + size / 2);
    }
  }
  return { sizes, halfSizes, centres };
}

export function convertSsdMobilenetV1(weights: WeightMap): ConvertedGraph {
  const w = new Weights(weights, 'ssd-mobilenetv1', UNUSED_WEIGHTS);
  const g = new OnnxGraph('faceapi_ssd_mobilenetv1');
  const input = g.input('input', ['batch', 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]);

  // MobileNetV1 backbone.
  let x = pointwiseLayer(g, input, w, 'MobilenetV1/Conv2d_0_pointwise', 3, 3, MOBILENET_CHANNELS[0]!, 2);
  let conv11 = '';
  for (let layer = 1; layer <= 13; layer++) {
    const cin = MOBILENET_CHANNELS[layer - 1]!, cout = MOBILENET_CHANNELS[layer]!;
    x = depthwiseLayer(g, x, w, `MobilenetV1/Conv2d_${layer}_depthwise`, cin, STRIDE2_LAYERS.has(layer) ? 2 : 1);
    x = pointwiseLayer(g, x, w, `MobilenetV1/Conv2d_${layer}_pointwise`, 1, cin, cout, 1);
    if (layer === 11) conv11 = x;
  }

  // Extra feature layers.
  const extra: string[] = [];
  let y = x;
  const extraSpecs: [number, number, number, number][] = [
    [1, 1024, 256, 1], [3, 256, 512, 2], [1, 512, 128, 1], [3, 128, 256, 2],
    [1, 256, 128, 1], [3, 128, 256, 2], [1, 256, 64, 1], [3, 64, 128, 2],
  ];
  extraSpecs.forEach(([k, cin, cout, stride], i) => {
    y = pointwiseLayer(g, y, w, `Prediction/Conv2d_${i}_pointwise`, k, cin, cout, stride);
    extra.push(y);
  });

  const features = [conv11, x, extra[1]!, extra[3]!, extra[5]!, extra[7]!];
  const flat = features.map((f, i) => predictor(g, f, w, i, PREDICTORS[i]!));
  const all = g.node('Concat', flat, { axis: 1 }, 'predictions');

  const idx = gatherIndices();
  const enc = g.node('Gather', [all, g.constant('box_gather', idx.boxes, [SSD_NUM_BOXES, 4])], { axis: 1 }, 'box_encodings');
  const logits = g.node('Gather', [all, g.constant('score_gather', idx.scores, [SSD_NUM_BOXES])], { axis: 1 }, 'face_logits');

  // Box decoding: centre = t_yx / (10, 10) * size + anchor centre; half = exp(t_hw / (5, 5)) * size / 2.
  const extraDim = w.take('Output/extra_dim', [1, SSD_NUM_BOXES, 4]).data;
  const anchors = anchorConstants(extraDim);
  const starts = (v: number[]) => g.constInt64('slice', v);
  const tyx = g.node('Slice', [enc, starts([0]), starts([2]), starts([2])], {}, 'enc_yx');
  const thw = g.node('Slice', [enc, starts([2]), starts([4]), starts([2])], {}, 'enc_hw');
  const centre = g.node('Add', [
    g.node('Mul', [tyx, g.constant('anchor_sizes', anchors.sizes, [SSD_NUM_BOXES, 2])]),
    g.constant('anchor_centres', anchors.centres, [SSD_NUM_BOXES, 2]),
  ], {}, 'centre');
  const half = g.node('Mul', [g.node('Exp', [thw]), g.constant('anchor_half_sizes', anchors.halfSizes, [SSD_NUM_BOXES, 2])], {}, 'half_size');
  const boxes = g.node('Concat', [g.node('Sub', [centre, half]), g.node('Add', [centre, half])], { axis: 2 }, 'decoded');
  const scores = g.node('Sigmoid', [logits], {}, 'sigmoid');
  w.finish();

  return {
    graph: g,
    input,
    outputs: [
      g.output(boxes, 'boxes', ['batch', SSD_NUM_BOXES, 4]),
      g.output(scores, 'scores', ['batch', SSD_NUM_BOXES]),
    ],
  };
}
