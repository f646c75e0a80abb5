// face-api's age and gender net (a TinyXception feature extractor with two main blocks and two
// fully connected heads) written as an ONNX graph from its weight map.
//
// Input  'input'  [batch, 3, 112, 112] float32, NCHW, RGB, value = (pixel - mean) / 255 with
//        mean = [122.782, 117.001, 104.298] (R, G, B). face-api pads a face crop with black
//        (pixel 0) equally on both sides of its shorter dimension to a square (an odd pixel of
//        padding goes after the image: bottom or right), then resizes it to 112x112.
// Output 'age'    [batch, 1]: age in years (regression; face-api's `age` tensor is this, flattened).
// Output 'gender' [batch, 2]: softmax probabilities [male, female].
import { OnnxGraph } from '../onnx/graph.ts';
import { relu } from '../onnx/layers.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { convWithBias, FACEAPI_MEAN_RGB, fullyConnected, maxPoolSame, separableConv, type Feature } from './layers.ts';
import { Weights } from './weights.ts';

export const AGE_GENDER_INPUT_SIZE = 112;
export const AGE_GENDER_MEAN_RGB: readonly [number, number, number] = FACEAPI_MEAN_RGB;
/** Order of the 'gender' output's probabilities. */
export const GENDER_LABELS = ['male', 'female'] as const;

const reluF = (g: OnnxGraph, x: Feature): Feature => ({ value: relu(g, x.value), channels: x.channels });

/** TF separableConv2d (3x3 depthwise, 'SAME', stride 1; 1x1 pointwise) plus bias. */
const separable = (g: OnnxGraph, x: Feature, w: Weights, prefix: string): Feature => separableConv(g, x, w, prefix, { padding: 'SAME' });

function reductionBlock(g: OnnxGraph, x: Feature, w: Weights, prefix: string, activateInput: boolean): Feature {
  let out = activateInput ? reluF(g, x) : x;
  out = separable(g, out, w, `${prefix}/separable_conv0`);
  out = separable(g, reluF(g, out), w, `${prefix}/separable_conv1`);
  const pooled = maxPoolSame(g, out.value, 3, 2);
  const expansion = convWithBias(g, x, w, `${prefix}/expansion_conv`, 1, { stride: 2, padding: 'SAME' });
  return { value: g.node('Add', [pooled, expansion.value], {}, `${prefix}/add`), channels: out.channels };
}

function mainBlock(g: OnnxGraph, x: Feature, w: Weights, prefix: string): Feature {
  let out = separable(g, reluF(g, x), w, `${prefix}/separable_conv0`);
  out = separable(g, reluF(g, out), w, `${prefix}/separable_conv1`);
  out = separable(g, reluF(g, out), w, `${prefix}/separable_conv2`);
  return { value: g.node('Add', [out.value, x.value], {}, `${prefix}/add`), channels: out.channels };
}

export function convertAgeGenderNet(weights: WeightMap): ConvertedGraph {
  const w = new Weights(weights, 'age-gender');
  const g = new OnnxGraph('faceapi_age_gender');
  const input = g.input('input', ['batch', 3, AGE_GENDER_INPUT_SIZE, AGE_GENDER_INPUT_SIZE]);

  let x = reluF(g, convWithBias(g, { value: input, channels: 3 }, w, 'entry_flow/conv_in', 3, { stride: 2, padding: 'SAME' })); // 56x56x32
  x = reductionBlock(g, x, w, 'entry_flow/reduction_block_0', false); // 28x28x64
  x = reductionBlock(g, x, w, 'entry_flow/reduction_block_1', true); // 14x14x128
  x = mainBlock(g, x, w, 'middle_flow/main_block_0');
  x = mainBlock(g, x, w, 'middle_flow/main_block_1');
  x = reductionBlock(g, x, w, 'exit_flow/reduction_block', true); // 7x7x256
  x = reluF(g, separable(g, x, w, 'exit_flow/separable_conv')); // 7x7x512
  if (x.channels !== 512) throw new Error(`age-gender: feature extractor ends with ${x.channels} channels, expected 512`);

  // avgPool 7x7 'VALID' over the 7x7 map is a global average.
  const pooled: Feature = { value: g.node('Flatten', [g.node('GlobalAveragePool', [x.value])], { axis: 1 }, 'pooled'), channels: 512 };
  const age = fullyConnected(g, pooled, w, 'fc/age', 1);
  const gender = g.node('Softmax', [fullyConnected(g, pooled, w, 'fc/gender', 2)], { axis: 1 }, 'gender_softmax');
  w.finish();

  return {
    graph: g,
    input,
    outputs: [g.output(age, 'age', ['batch', 1]), g.output(gender, 'gender', ['batch', 2])],
  };
}
