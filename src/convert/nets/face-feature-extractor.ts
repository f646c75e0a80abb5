// Shared pieces of the face-api networks written as ONNX graphs: strict weight access,
// TF 'SAME' padding as explicit pads, separable convolutions, the dense-block feature
// extractors used by the 68-point landmark nets (full and tiny) and the expression net,
// and the fully connected head. Everything works on NCHW values.
import { OnnxGraph } from '../onnx/graph.ts';
import { conv2d, depthwiseConv2d } from '../onnx/layers.ts';
import type { WeightMap } from '../tfjs/weights.ts';

/**
 * face-api normalises every input of these networks as (pixel - meanRgb) / 255, pixels in 0-255 RGB.
 * The converted graphs expect that value; the runtime computes it.
 */
export const FACEAPI_MEAN_RGB: readonly [number, number, number] = [122.782, 117.001, 104.298];
export const FACEAPI_STD = 255;

/**
 * Hands out the weights of one network by name, checking shapes, and rejects a weight map
 * that lacks a name (on first use) or holds names the network does not use (on `finish`).
 */
export class FaceApiWeights {
  private readonly used = new Set<string>();

  constructor(private readonly weights: WeightMap, private readonly netName: string) {}

  /** The weight's values; `shape` entries of -1 match any size. */
  take(name: string, shape?: readonly number[]): { data: Float32Array; shape: number[] } {
    const entry = this.weights.get(name);
    if (!entry) throw new Error(`${this.netName}: missing weight '${name}'`);
    if (!(entry.data instanceof Float32Array)) throw new Error(`${this.netName}: weight '${name}' is not float32`);
    if (shape) {
      const ok = entry.shape.length === shape.length && shape.every((d, i) => d < 0 || d === entry.shape[i]);
      if (!ok) throw new Error(`${this.netName}: weight '${name}' has shape [${entry.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    this.used.add(name);
    return { data: entry.data, shape: [...entry.shape] };
  }

  /** Throws when the weight map holds names this network never read. */
  finish(): void {
    const unknown = [...this.weights.keys()].filter((n) => !this.used.has(n));
    if (unknown.length) throw new Error(`${this.netName}: unknown weight${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}`);
  }
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

/** A value with its (square) spatial size and channel count, tracked while building. */
export interface Feature {
  value: string;
  size: number;
  channels: number;
}

/**
 * TF's separableConv2d (3x3 depthwise, multiplier 1, 'SAME', stride s; then 1x1 pointwise) plus bias,
 * as a grouped Conv followed by a 1x1 Conv carrying the bias.
 */
export function separableConv(g: OnnxGraph, x: Feature, w: FaceApiWeights, prefix: string, stride: number): Feature {
  const dw = w.take(`${prefix}/depthwise_filter`, [3, 3, x.channels, 1]);
  const pw = w.take(`${prefix}/pointwise_filter`, [1, 1, x.channels, -1]);
  const outChannels = pw.shape[3]!;
  const bias = w.take(`${prefix}/bias`, [outChannels]);
  const depthwise = depthwiseConv2d(g, x.value, dw.data, dw.shape, {
    strides: [stride, stride],
    padding: samePads(x.size, 3, stride),
    name: `${prefix}/depthwise`,
  });
  const pointwise = conv2d(g, depthwise, pw.data, pw.shape, { bias: bias.data, name: `${prefix}/pointwise` });
  return { value: pointwise, size: samePadding(x.size, 3, stride).out, channels: outChannels };
}

/**
 * One of face-api's dense blocks (3 or 4 convolutions, each fed the ReLU of the sum of all earlier
 * outputs; the first one strides by 2). The first block of a network opens with a plain 3x3 conv.
 */
export function denseBlock(g: OnnxGraph, x: Feature, w: FaceApiWeights, prefix: string, convCount: 3 | 4, isFirst: boolean): Feature {
  let first: Feature;
  if (isFirst) {
    const filters = w.take(`${prefix}/conv0/filters`, [3, 3, x.channels, -1]);
    const channels = filters.shape[3]!;
    const bias = w.take(`${prefix}/conv0/bias`, [channels]);
    const value = conv2d(g, x.value, filters.data, filters.shape, {
      strides: [2, 2],
      padding: samePads(x.size, 3, 2),
      bias: bias.data,
      name: `${prefix}/conv0`,
    });
    first = { value, size: samePadding(x.size, 3, 2).out, channels };
  } else {
    first = separableConv(g, x, w, `${prefix}/conv0`, 2);
  }
  const out1: Feature = { ...first, value: g.node('Relu', [first.value], {}, `${prefix}/conv0/relu`) };

  // sum = out1 + out2 + ... ; the next conv sees relu(sum); the block returns relu(sum of all).
  let sum = out1.value;
  for (let i = 1; i < convCount; i++) {
    const input = i === 1 ? out1 : { ...out1, value: g.node('Relu', [sum], {}, `${prefix}/in${i + 1}`) };
    const out = separableConv(g, input, w, `${prefix}/conv${i}`, 1);
    if (out.channels !== out1.channels || out.size !== out1.size) throw new Error(`${prefix}/conv${i}: shape mismatch in dense block`);
    sum = g.node('Add', [sum, out.value], {}, `${prefix}/sum${i + 1}`);
  }
  return { ...out1, value: g.node('Relu', [sum], {}, `${prefix}/out`) };
}

export type FeatureExtractorKind = 'full' | 'tiny';

/** face-api's input size for the feature-extractor nets. */
export const FEATURE_EXTRACTOR_INPUT_SIZE = 112;

/**
 * FaceFeatureExtractor (4 dense blocks of 4 convs, then 7x7 average pool, stride 2) or
 * TinyFaceFeatureExtractor (3 dense blocks of 3 convs, then 14x14 average pool, stride 2),
 * on a [batch, 3, 112, 112] input. Returns the bottleneck flattened to [batch, channels]
 * (the pool leaves 1x1, so NHWC and NCHW flatten alike).
 */
export function faceFeatureExtractor(g: OnnxGraph, input: string, w: FaceApiWeights, kind: FeatureExtractorKind): Feature {
  const blocks = kind === 'full' ? 4 : 3;
  const convCount = kind === 'full' ? 4 : 3;
  const pool = kind === 'full' ? 7 : 14;
  let x: Feature = { value: input, size: FEATURE_EXTRACTOR_INPUT_SIZE, channels: 3 };
  for (let b = 0; b < blocks; b++) x = denseBlock(g, x, w, `dense${b}`, convCount, b === 0);
  const size = validSize(x.size, pool, 2);
  if (size !== 1) throw new Error(`feature extractor: expected a 1x1 bottleneck, got ${size}x${size}`);
  const pooled = g.node('AveragePool', [x.value], { kernel_shape: [pool, pool], strides: [2, 2] }, 'bottleneck/avgpool');
  const flat = g.node('Flatten', [pooled], { axis: 1 }, 'bottleneck/flatten');
  return { value: flat, size: 1, channels: x.channels };
}

/** face-api's fullyConnectedLayer: x @ fc/weights + fc/bias, on [batch, in]. */
export function fullyConnected(g: OnnxGraph, x: Feature, w: FaceApiWeights, prefix: string, outChannels: number): string {
  const weights = w.take(`${prefix}/weights`, [x.channels, outChannels]);
  const bias = w.take(`${prefix}/bias`, [outChannels]);
  return g.node('Gemm', [
    x.value,
    g.constant(`${prefix}/weights`, weights.data, weights.shape),
    g.constant(`${prefix}/bias`, bias.data, bias.shape),
  ], {}, prefix);
}
