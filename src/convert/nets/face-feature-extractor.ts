// face-api's dense-block feature extractors (FaceFeatureExtractor and TinyFaceFeatureExtractor,
// used by the 68-point landmark nets and the expression net) as ONNX graphs, and the converter
// those nets share: feature extractor, fully connected head, one output. Everything works on
// NCHW values.
import { OnnxGraph } from '../onnx/graph.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { convWithBias, fullyConnected, samePadding, samePads, separableConv, validSize, type SizedFeature } from './layers.ts';
import { Weights } from './weights.ts';

export { FACEAPI_MEAN_RGB, FACEAPI_STD } from './layers.ts';

/** TF separableConv2d, 'SAME' padding (as explicit pads) and stride s, tracking the size. */
function separableConvSame(g: OnnxGraph, x: SizedFeature, w: Weights, prefix: string, stride: number): SizedFeature {
  const out = separableConv(g, x, w, prefix, { stride, padding: samePads(x.size, 3, stride) });
  return { ...out, size: samePadding(x.size, 3, stride).out };
}

/**
 * One of face-api's dense blocks (3 or 4 convolutions, each fed the ReLU of the sum of all earlier
 * outputs; the first one strides by 2). The first block of a network opens with a plain 3x3 conv.
 */
function denseBlock(g: OnnxGraph, x: SizedFeature, w: Weights, prefix: string, convCount: 3 | 4, isFirst: boolean): SizedFeature {
  const first: SizedFeature = isFirst
    ? { ...convWithBias(g, x, w, `${prefix}/conv0`, 3, { stride: 2, padding: samePads(x.size, 3, 2) }), size: samePadding(x.size, 3, 2).out }
    : separableConvSame(g, x, w, `${prefix}/conv0`, 2);
  const out1: SizedFeature = { ...first, value: g.node('Relu', [first.value], {}, `${prefix}/conv0/relu`) };

  // sum = out1 + out2 + ... ; the next conv sees relu(sum); the block returns relu(sum of all).
  let sum = out1.value;
  for (let i = 1; i < convCount; i++) {
    const input = i === 1 ? out1 : { ...out1, value: g.node('Relu', [sum], {}, `${prefix}/in${i + 1}`) };
    const out = separableConvSame(g, input, w, `${prefix}/conv${i}`, 1);
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
export function faceFeatureExtractor(g: OnnxGraph, input: string, w: Weights, kind: FeatureExtractorKind): SizedFeature {
  const blocks = kind === 'full' ? 4 : 3;
  const convCount = kind === 'full' ? 4 : 3;
  const pool = kind === 'full' ? 7 : 14;
  let x: SizedFeature = { value: input, size: FEATURE_EXTRACTOR_INPUT_SIZE, channels: 3 };
  for (let b = 0; b < blocks; b++) x = denseBlock(g, x, w, `dense${b}`, convCount, b === 0);
  const size = validSize(x.size, pool, 2);
  if (size !== 1) throw new Error(`feature extractor: expected a 1x1 bottleneck, got ${size}x${size}`);
  const pooled = g.node('AveragePool', [x.value], { kernel_shape: [pool, pool], strides: [2, 2] }, 'bottleneck/avgpool');
  const flat = g.node('Flatten', [pooled], { axis: 1 }, 'bottleneck/flatten');
  return { value: flat, size: 1, channels: x.channels };
}

/**
 * A feature-extractor net: graph `name` with input 'input' [batch, 3, 112, 112], the extractor,
 * the fully connected layer 'fc' to `outChannels` values, then `head` (if any) on its output,
 * as the one output `outputName` [batch, outChannels].
 */
export function convertFeatureExtractorNet(
  weights: WeightMap, name: string, kind: FeatureExtractorKind, outChannels: number, outputName: string,
  head?: (g: OnnxGraph, fc: string) => string,
): ConvertedGraph {
  const g = new OnnxGraph(name);
  const w = new Weights(weights, name);
  const size = FEATURE_EXTRACTOR_INPUT_SIZE;
  const input = g.input('input', ['batch', 3, size, size]);
  const features = faceFeatureExtractor(g, input, w, kind);
  const fc = fullyConnected(g, features, w, 'fc', outChannels);
  w.finish();
  const output = g.output(head ? head(g, fc) : fc, outputName, ['batch', outChannels]);
  return { graph: g, input, outputs: [output] };
}
