// face-api's FaceRecognitionNet (a dlib-style ResNet-34 variant, 150x150 -> 128-d) as an ONNX graph.
//
// Input: 'input' [batch, 3, 150, 150] RGB, value = (pixel - [122.782, 117.001, 104.298]) / 255,
// taken from the face crop zero-padded (black, before normalisation) to a centred square and
// resized to 150x150 bilinearly.
// Output: 'descriptor' [batch, 128], the fully connected layer's output exactly as face-api returns
// it: NOT L2-normalised (face-api compares descriptors by plain Euclidean distance).
//
// Each face-api conv layer is conv + bias followed by a per-channel scale layer (x * w + b); the
// scale is folded into the convolution's filter and bias here.
import { OnnxGraph } from '../onnx/graph.ts';
import { conv2d } from '../onnx/layers.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { samePads, scaleOutputChannels, validSize, type SizedFeature } from './layers.ts';
import { Weights } from './weights.ts';

export const RECOGNITION_INPUT_SIZE = 150;
export const DESCRIPTOR_SIZE = 128;

interface ConvLayerOptions {
  kernel: number;
  stride: number;
  padding: 'same' | 'valid';
  relu: boolean;
}

/** face-api's convLayer: conv (+bias), scale layer, optional ReLU; the scale folded into the conv. */
function convLayer(g: OnnxGraph, x: SizedFeature, w: Weights, prefix: string, options: ConvLayerOptions): SizedFeature {
  const { kernel, stride } = options;
  const filters = w.take(`${prefix}/conv/filters`, [kernel, kernel, x.channels, -1]);
  const channels = filters.shape[3]!;
  const bias = w.take(`${prefix}/conv/bias`, [channels]).data;
  const scale = w.take(`${prefix}/scale/weights`, [channels]).data;
  const shift = w.take(`${prefix}/scale/biases`, [channels]).data;

  // (conv(x, F) + b) * s + t == conv(x, F * s) + (b * s + t).
  const folded = scaleOutputChannels(filters.data, scale);
  const foldedBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) foldedBias[c] = bias[c]! * scale[c]! + shift[c]!;

  const same = options.padding === 'same';
  if (same && stride !== 1) throw new Error(`${prefix}: 'same' convs of this net all have stride 1`);
  let value = conv2d(g, x.value, folded, filters.shape, {
    strides: [stride, stride],
    padding: same ? samePads(x.size, kernel, stride) : 'VALID',
    bias: foldedBias,
    name: prefix,
  });
  if (options.relu) value = g.node('Relu', [value], {}, `${prefix}/relu`);
  const size = same ? x.size : validSize(x.size, kernel, stride);
  return { value, size, channels };
}

/** relu(conv2(relu(conv1(x))) + x), 3x3 'same' convs. */
function residual(g: OnnxGraph, x: SizedFeature, w: Weights, prefix: string): SizedFeature {
  const c1 = convLayer(g, x, w, `${prefix}/conv1`, { kernel: 3, stride: 1, padding: 'same', relu: true });
  const c2 = convLayer(g, c1, w, `${prefix}/conv2`, { kernel: 3, stride: 1, padding: 'same', relu: false });
  if (c2.channels !== x.channels || c2.size !== x.size) throw new Error(`${prefix}: residual shape mismatch`);
  const sum = g.node('Add', [c2.value, x.value], {}, `${prefix}/add`);
  return { ...x, value: g.node('Relu', [sum], {}, `${prefix}/relu`) };
}

/**
 * The downsampling residual: conv1 is 3x3 stride 2 'valid'; the shortcut is a 2x2 stride-2 average
 * pool, zero-padded with extra channels when the block widens. When the valid conv comes out one
 * pixel smaller than the pool, face-api appends a row and a column of zeros to the conv branch.
 */
function residualDown(g: OnnxGraph, x: SizedFeature, w: Weights, prefix: string): SizedFeature {
  const c1 = convLayer(g, x, w, `${prefix}/conv1`, { kernel: 3, stride: 2, padding: 'valid', relu: true });
  const c2 = convLayer(g, c1, w, `${prefix}/conv2`, { kernel: 3, stride: 1, padding: 'same', relu: false });

  let pooled = g.node('AveragePool', [x.value], { kernel_shape: [2, 2], strides: [2, 2] }, `${prefix}/shortcut_pool`);
  const pooledSize = validSize(x.size, 2, 2);
  if (c2.channels < x.channels) throw new Error(`${prefix}: block narrows from ${x.channels} to ${c2.channels} channels`);
  if (c2.channels !== x.channels) {
    // face-api concatenates zeros of the pooled shape, so the block must exactly double the width.
    if (c2.channels !== 2 * x.channels) throw new Error(`${prefix}: channel padding from ${x.channels} to ${c2.channels} is not a doubling`);
    const pads = g.constInt64('pads', [0, 0, 0, 0, 0, c2.channels - x.channels, 0, 0]);
    pooled = g.node('Pad', [pooled, pads], { mode: 'constant' }, `${prefix}/shortcut_pad`);
  }

  let main = c2.value;
  if (c2.size !== pooledSize) {
    if (c2.size + 1 !== pooledSize) throw new Error(`${prefix}: conv branch ${c2.size} vs shortcut ${pooledSize}`);
    const pads = g.constInt64('pads', [0, 0, 0, 0, 0, 0, 1, 1]);
    main = g.node('Pad', [main, pads], { mode: 'constant' }, `${prefix}/pad_end`);
  }
  const sum = g.node('Add', [pooled, main], {}, `${prefix}/add`);
  return { value: g.node('Relu', [sum], {}, `${prefix}/relu`), size: pooledSize, channels: c2.channels };
}

/** FaceRecognitionNet (face_recognition_model). */
export function convertFaceRecognitionNet(weights: WeightMap): ConvertedGraph {
  const name = 'face_recognition';
  const g = new OnnxGraph(name);
  const w = new Weights(weights, name);
  const size = RECOGNITION_INPUT_SIZE;
  const input = g.input('input', ['batch', 3, size, size]);

  let x: SizedFeature = { value: input, size, channels: 3 };
  x = convLayer(g, x, w, 'conv32_down', { kernel: 7, stride: 2, padding: 'valid', relu: true });
  x = { ...x, value: g.node('MaxPool', [x.value], { kernel_shape: [3, 3], strides: [2, 2] }, 'pool'), size: validSize(x.size, 3, 2) };

  for (const block of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(g, x, w, block);
  x = residualDown(g, x, w, 'conv64_down');
  for (const block of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(g, x, w, block);
  x = residualDown(g, x, w, 'conv128_down');
  for (const block of ['conv128_1', 'conv128_2']) x = residual(g, x, w, block);
  x = residualDown(g, x, w, 'conv256_down');
  for (const block of ['conv256_1', 'conv256_2']) x = residual(g, x, w, block);
  x = residualDown(g, x, w, 'conv256_down_out');

  // Mean over the spatial axes, then the bias-free fully connected layer [256, 128].
  const mean = g.node('ReduceMean', [x.value], { axes: [2, 3], keepdims: 0 }, 'global_mean');
  const fc = w.take('fc', [x.channels, DESCRIPTOR_SIZE]);
  const descriptor = g.node('MatMul', [mean, g.constant('fc', fc.data, fc.shape)], {}, 'fc');
  w.finish();
  const output = g.output(descriptor, 'descriptor', ['batch', DESCRIPTOR_SIZE]);
  return { graph: g, input, outputs: [output] };
}
