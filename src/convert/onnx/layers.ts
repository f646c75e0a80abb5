// Weight re-layout from TensorFlow's conventions to ONNX's, and small NCHW layer helpers
// shared by the graph converter and the face-api network writers.
import { OnnxGraph, float } from './graph.ts';

/** Permutes a dense tensor: out.shape[i] = shape[perm[i]]. */
export function permute<T extends Float32Array | Int32Array>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) { inStrides[i] = s; s *= shape[i]!; }
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const index = new Array<number>(rank).fill(0);
  const strides = perm.map((p) => inStrides[p]!);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += index[d]! * strides[d]!;
    out[o] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/** TF conv filter [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
export function convFilterToOihw(data: Float32Array, shape: readonly number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  return { data: permute(data, shape, [3, 2, 0, 1]), dims: [cout, cin, kh, kw] };
}

/** TF depthwise filter [kh, kw, in, multiplier] -> ONNX grouped conv weight [in*multiplier, 1, kh, kw]. */
export function depthwiseFilterToOihw(data: Float32Array, shape: readonly number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, mult] = shape as [number, number, number, number];
  // [kh,kw,cin,mult] -> [cin,mult,kh,kw]; output channel c*mult+m matches TF's ordering.
  return { data: permute(data, shape, [2, 3, 0, 1]), dims: [cin * mult, 1, kh, kw] };
}

export type Padding = 'SAME' | 'VALID' | readonly number[];

/** ONNX pads/auto_pad attributes for a TF padding mode. TF's SAME puts the odd pixel at the end: SAME_UPPER. */
export function padAttrs(padding: Padding): { auto_pad?: string; pads?: number[] } {
  if (padding === 'SAME') return { auto_pad: 'SAME_UPPER' };
  if (padding === 'VALID') return { auto_pad: 'VALID' };
  return { pads: [...padding] };
}

export interface ConvOptions {
  strides?: [number, number];
  dilations?: [number, number];
  padding?: Padding;
  /** Bias of length out-channels. */
  bias?: Float32Array;
  name?: string;
}

/** Conv2D from a TF filter ([kh,kw,in,out]) on an NCHW value. */
export function conv2d(g: OnnxGraph, x: string, filter: Float32Array, filterShape: readonly number[], options: ConvOptions = {}): string {
  const w = convFilterToOihw(filter, filterShape);
  return convNode(g, x, w, 1, options);
}

/** Depthwise Conv2D from a TF depthwise filter ([kh,kw,in,mult]) on an NCHW value. */
export function depthwiseConv2d(g: OnnxGraph, x: string, filter: Float32Array, filterShape: readonly number[], options: ConvOptions = {}): string {
  const w = depthwiseFilterToOihw(filter, filterShape);
  return convNode(g, x, w, filterShape[2]!, options);
}

function convNode(g: OnnxGraph, x: string, w: { data: Float32Array; dims: number[] }, group: number, options: ConvOptions): string {
  const name = options.name ?? 'conv';
  const inputs = [x, g.constant(`${name}/W`, w.data, w.dims)];
  if (options.bias) inputs.push(g.constant(`${name}/B`, options.bias, [options.bias.length]));
  return g.node('Conv', inputs, {
    kernel_shape: [w.dims[2]!, w.dims[3]!],
    strides: options.strides ?? [1, 1],
    dilations: options.dilations ?? [1, 1],
    group,
    ...padAttrs(options.padding ?? 'VALID'),
  }, name);
}

/** Reshapes a per-channel vector to [C,1,1] so it broadcasts over an NCHW value. */
export function channelConst(g: OnnxGraph, hint: string, values: Float32Array): string {
  return g.constFloat(hint, values, [values.length, 1, 1]);
}

export function relu(g: OnnxGraph, x: string): string {
  return g.node('Relu', [x]);
}

export function relu6(g: OnnxGraph, x: string): string {
  return g.node('Clip', [x, g.constFloat('zero', [0], []), g.constFloat('six', [6], [])]);
}

export function leakyRelu(g: OnnxGraph, x: string, alpha: number): string {
  return g.node('LeakyRelu', [x], { alpha: float(alpha) });
}
