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
import { conv2d, depthwiseConv2d, relu } from '../onnx/layers.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';

export const AGE_GENDER_INPUT_SIZE = 112;
export const AGE_GENDER_MEAN_RGB: readonly [number, number, number] = [122.782, 117.001, 104.298];
/** Order of the 'gender' output's probabilities. */
export const GENDER_LABELS = ['male', 'female'] as const;

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

/** A value with its channel count. */
interface Feature { value: string; channels: number }

/** TF separableConv2d (3x3 depthwise, 'SAME', stride 1; 1x1 pointwise) plus bias. */
function separableConv(g: OnnxGraph, x: Feature, w: Weights, prefix: string): Feature {
  const dw = w.take(`${prefix}/depthwise_filter`, [3, 3, x.channels, 1]);
  const pw = w.take(`${prefix}/pointwise_filter`, [1, 1, x.channels, -1]);
  const cout = pw.length / x.channels;
  const bias = w.take(`${prefix}/bias`, [cout]);
  const d = depthwiseConv2d(g, x.value, dw, [3, 3, x.channels, 1], { padding: 'SAME', name: `${prefix}/depthwise` });
  return { value: conv2d(g, d, pw, [1, 1, x.channels, cout], { bias, name: `${prefix}/pointwise` }), channels: cout };
}

function conv(g: OnnxGraph, x: Feature, w: Weights, prefix: string, k: number, stride: number): Feature {
  const filter = w.take(`${prefix}/filters`, [k, k, x.channels, -1]);
  const cout = filter.length / (k * k * x.channels);
  const bias = w.take(`${prefix}/bias`, [cout]);
  return { value: conv2d(g, x.value, filter, [k, k, x.channels, cout], { strides: [stride, stride], padding: 'SAME', bias, name: prefix }), channels: cout };
}

const reluF = (g: OnnxGraph, x: Feature): Feature => ({ value: relu(g, x.value), channels: x.channels });

function reductionBlock(g: OnnxGraph, x: Feature, w: Weights, prefix: string, activateInput: boolean): Feature {
  let out = activateInput ? reluF(g, x) : x;
  out = separableConv(g, out, w, `${prefix}/separable_conv0`);
  out = separableConv(g, reluF(g, out), w, `${prefix}/separable_conv1`);
  // TF maxPool 3x3 stride 2 'SAME': the odd pixel's padding goes at the end (SAME_UPPER).
  const pooled = g.node('MaxPool', [out.value], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' });
  const expansion = conv(g, x, w, `${prefix}/expansion_conv`, 1, 2);
  return { value: g.node('Add', [pooled, expansion.value], {}, `${prefix}/add`), channels: out.channels };
}

function mainBlock(g: OnnxGraph, x: Feature, w: Weights, prefix: string): Feature {
  let out = separableConv(g, reluF(g, x), w, `${prefix}/separable_conv0`);
  out = separableConv(g, reluF(g, out), w, `${prefix}/separable_conv1`);
  out = separableConv(g, reluF(g, out), w, `${prefix}/separable_conv2`);
  return { value: g.node('Add', [out.value, x.value], {}, `${prefix}/add`), channels: out.channels };
}

function dense(g: OnnxGraph, x: string, w: Weights, prefix: string, cin: number, cout: number): string {
  const weights = w.take(`${prefix}/weights`, [cin, cout]);
  const bias = w.take(`${prefix}/bias`, [cout]);
  return g.node('Gemm', [x, g.constant(`${prefix}/W`, weights, [cin, cout]), g.constant(`${prefix}/B`, bias, [cout])], {}, prefix);
}

export function convertAgeGenderNet(weights: WeightMap): ConvertedGraph {
  const w = new Weights(weights, 'age-gender');
  const g = new OnnxGraph('faceapi_age_gender');
  const input = g.input('input', ['batch', 3, AGE_GENDER_INPUT_SIZE, AGE_GENDER_INPUT_SIZE]);

  let x = reluF(g, conv(g, { value: input, channels: 3 }, w, 'entry_flow/conv_in', 3, 2)); // 56x56x32
  x = reductionBlock(g, x, w, 'entry_flow/reduction_block_0', false); // 28x28x64
  x = reductionBlock(g, x, w, 'entry_flow/reduction_block_1', true); // 14x14x128
  x = mainBlock(g, x, w, 'middle_flow/main_block_0');
  x = mainBlock(g, x, w, 'middle_flow/main_block_1');
  x = reductionBlock(g, x, w, 'exit_flow/reduction_block', true); // 7x7x256
  x = reluF(g, separableConv(g, x, w, 'exit_flow/separable_conv')); // 7x7x512
  if (x.channels !== 512) throw new Error(`age-gender: feature extractor ends with ${x.channels} channels, expected 512`);

  // avgPool 7x7 'VALID' over the 7x7 map is a global average.
  const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [x.value])], { axis: 1 }, 'pooled');
  const age = dense(g, pooled, w, 'fc/age', 512, 1);
  const gender = g.node('Softmax', [dense(g, pooled, w, 'fc/gender', 512, 2)], { axis: 1 }, 'gender_softmax');
  w.finish();

  return {
    graph: g,
    input,
    outputs: [g.output(age, 'age', ['batch', 1]), g.output(gender, 'gender', ['batch', 2])],
  };
}
