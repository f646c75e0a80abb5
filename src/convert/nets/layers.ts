// Pieces shared by the face-api network converters: the common input normalisation, TF padding
// arithmetic, and face-api's layers as ONNX nodes (conv + bias, separable conv, fully connected,
// 'SAME' max pool, folding a per-channel scale into a filter). Everything works on NCHW values;
// activations are left to the callers.
import { OnnxGraph } from '../onnx/graph.ts';
import { conv2d, depthwiseConv2d, type Padding } from '../onnx/layers.ts';
import type { Weights } from './weights.ts';

/**
 * face-api normalises the input of most of its networks (recognition, landmarks, expression,
 * age/gender) as (pixel - meanRgb) / 255, pixels in 0-255 RGB. The converted graphs expect that
 * value; the runtime computes it.
 */
export const FACEAPI_MEAN_RGB: readonly [number, number, number] = [122.782, 117.001, 104.298];
export const FACEAPI_STD = 255;

/** A value with its channel count, tracked while building. */
export interface Feature {
  value: string;
  channels: number;
}

/** A feature with its (square) spatial size. */
export interface SizedFeature extends Feature {
  size: number;
}

/** Output size and [begin, end] padding of TF 'SAME' along one axis (the odd pixel goes at the end). */
export function samePadding(inSize: number, kernel: number, stride: number): { out: number; begin: number; end: number } {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  const begin = Math.floor(total / 2);
  return { out, begin, end: total - begin };
}

/** ONNX `pads` ([top, left, bottom, right]) for TF 'SAME' on a square input. */
export function samePads(inSize: number, kernel: number, stride: number): number[] {
  const { begin, end } = samePadding(inSize, kernel, stride);
  return [begin, begin, end, end];
}

/** Output size of a 'VALID' window. */
export function validSize(inSize: number, kernel: number, stride: number): number {
  return Math.floor((inSize - kernel) / stride) + 1;
}

export interface LayerOptions {
  /** Stride along both axes; 1 unless given. */
  stride?: number;
  padding: Padding;
  /** Expected output channels; -1 (the default) takes them from the weight. */
  outChannels?: number;
}

/** A kxk conv from `${prefix}/filters` ([k, k, in, out]) with `${prefix}/bias`. */
export function convWithBias(g: OnnxGraph, x: Feature, w: Weights, prefix: string, kernel: number, options: LayerOptions): Feature {
  const { stride = 1, padding, outChannels = -1 } = options;
  const filters = w.take(`${prefix}/filters`, [kernel, kernel, x.channels, outChannels]);
  const channels = filters.shape[3]!;
  const bias = w.take(`${prefix}/bias`, [channels]);
  const value = conv2d(g, x.value, filters.data, filters.shape, { strides: [stride, stride], padding, bias: bias.data, name: prefix });
  return { value, channels };
}

/**
 * TF's separableConv2d (3x3 depthwise from `${prefix}/depthwise_filter`, multiplier 1; then 1x1
 * pointwise from `${prefix}/pointwise_filter`) plus `${prefix}/bias`, as a grouped Conv followed by
 * a 1x1 Conv carrying the bias. `stride` and `padding` are the depthwise step's.
 */
export function separableConv(g: OnnxGraph, x: Feature, w: Weights, prefix: string, options: LayerOptions): Feature {
  const { stride = 1, padding, outChannels = -1 } = options;
  const dw = w.take(`${prefix}/depthwise_filter`, [3, 3, x.channels, 1]);
  const pw = w.take(`${prefix}/pointwise_filter`, [1, 1, x.channels, outChannels]);
  const channels = pw.shape[3]!;
  const bias = w.take(`${prefix}/bias`, [channels]);
  const depthwise = depthwiseConv2d(g, x.value, dw.data, dw.shape, { strides: [stride, stride], padding, name: `${prefix}/depthwise` });
  const pointwise = conv2d(g, depthwise, pw.data, pw.shape, { bias: bias.data, name: `${prefix}/pointwise` });
  return { value: pointwise, channels };
}

/** face-api's fullyConnectedLayer: x @ `${prefix}/weights` + `${prefix}/bias`, on [batch, in]. */
export function fullyConnected(g: OnnxGraph, x: Feature, w: Weights, prefix: string, outChannels: number): string {
  const weights = w.take(`${prefix}/weights`, [x.channels, outChannels]);
  const bias = w.take(`${prefix}/bias`, [outChannels]);
  return g.node('Gemm', [
    x.value,
    g.constant(`${prefix}/weights`, weights.data, weights.shape),
    g.constant(`${prefix}/bias`, bias.data, bias.shape),
  ], {}, prefix);
}

/** TF maxPool kxk 'SAME': the odd pixel's padding goes at the end, as ONNX's SAME_UPPER does. */
export function maxPoolSame(g: OnnxGraph, x: string, kernel: number, stride: number): string {
  return g.node('MaxPool', [x], { kernel_shape: [kernel, kernel], strides: [stride, stride], auto_pad: 'SAME_UPPER' });
}

/**
 * A TF filter (output channels innermost: [kh, kw, in, out] or depthwise [kh, kw, channels, 1])
 * with output channel c multiplied by scale[c]: folds a per-channel scale after a conv into it.
 */
export function scaleOutputChannels(filter: Float32Array, scale: ArrayLike<number>): Float32Array {
  const channels = scale.length;
  const folded = new Float32Array(filter.length);
  for (let i = 0; i < filter.length; i++) folded[i] = filter[i]! * scale[i % channels]!;
  return folded;
}
