// Convolutions: Conv2D, DepthwiseConv2dNative and Grappler's fused forms (_FusedConv2D,
// FusedDepthwiseConv2dNative: conv + BiasAdd + activation). They run on NCHW values with
// filters re-laid out to OIHW at conversion time.
import { conv2d, depthwiseConv2d } from '../onnx/layers.ts';
import type { TfjsGraphNode } from '../tfjs/weights.ts';
import { attrInt, attrInts, attrString, attrStrings } from './attrs.ts';
import { NCHW, type ConvertContext, type TfValue } from './context.ts';
import { fusedActivation, type OpHandler } from './elementwise.ts';

/** Output size and [before, after] padding of one spatial axis, TF rules. */
export function spatialPadding(
  size: number, kernel: number, stride: number, dilation: number, padding: string, explicit?: [number, number],
): { out: number; before: number; after: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'SAME') {
    if (size < 0) return { out: -1, before: -1, after: -1 };
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + effective - size, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before };
  }
  const [before, after] = padding === 'EXPLICIT' ? explicit! : [0, 0];
  if (padding !== 'VALID' && padding !== 'EXPLICIT') throw new Error(`unknown padding "${padding}"`);
  const out = size < 0 ? -1 : Math.floor((size + before + after - effective) / stride) + 1;
  return { out, before, after };
}

export interface Window2d {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** ONNX pads [top, left, bottom, right], or undefined for auto_pad SAME_UPPER (unknown size). */
  pads?: number[];
  outH: number;
  outW: number;
}

/** Reads strides/dilations/padding of an NHWC conv or pool node and works out ONNX pads. */
export function window2d(node: TfjsGraphNode, x: TfValue, kernel: [number, number], withDilations: boolean): Window2d {
  const format = attrString(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw new Error(`node "${node.name}" (${node.op}): data_format ${format} is not supported`);
  if (x.shape.length !== 4) throw new Error(`node "${node.name}" (${node.op}): expected a rank-4 input, got [${x.shape.join(',')}]`);
  const s = attrInts(node, 'strides', [1, 1, 1, 1]);
  const d = withDilations ? attrInts(node, 'dilations', [1, 1, 1, 1]) : [1, 1, 1, 1];
  if (d.length === 0) d.push(1, 1, 1, 1);
  const padding = attrString(node, 'padding');
  const explicit = attrInts(node, 'explicit_paddings', []);
  const strides: [number, number] = [s[1]!, s[2]!];
  const dilations: [number, number] = [d[1] ?? 1, d[2] ?? 1];
  const h = spatialPadding(x.shape[1]!, kernel[0], strides[0], dilations[0], padding, [explicit[2] ?? 0, explicit[3] ?? 0]);
  const w = spatialPadding(x.shape[2]!, kernel[1], strides[1], dilations[1], padding, [explicit[4] ?? 0, explicit[5] ?? 0]);
  const pads = h.before < 0 || w.before < 0 ? undefined : [h.before, w.before, h.after, w.after];
  return { kernel, strides, dilations, pads, outH: h.out, outW: w.out };
}

function convolution(depthwise: boolean, fused: boolean): OpHandler {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const filter = ctx.floatConstInput(node, 1);
    const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
    const win = window2d(node, x, [kh, kw], true);
    const outChannels = depthwise ? cin * cout : cout;
    const fusedOps = fused ? attrStrings(node, 'fused_ops') : [];
    let arg = 2;
    const nextArg = () => {
      if (arg >= 2 + attrInt(node, 'num_args', 0)) throw new Error(`node "${node.name}" (${node.op}): fused_ops [${fusedOps}] need more arguments than num_args`);
      return ctx.input(node, arg++);
    };
    let bias: Float32Array | undefined;
    let rest = fusedOps;
    if (fusedOps[0] === 'BiasAdd') {
      bias = ctx.floatConstInput(node, arg++).data;
      rest = fusedOps.slice(1);
    }
    const options = {
      strides: win.strides,
      dilations: win.dilations,
      padding: win.pads ?? ('SAME' as const),
      bias,
      name: ctx.hint(node.name),
    };
    const input = ctx.nchw(x);
    let y = depthwise
      ? depthwiseConv2d(ctx.g, input, filter.data, filter.shape, options)
      : conv2d(ctx.g, input, filter.data, filter.shape, options);
    const shape = [x.shape[0]!, win.outH, win.outW, outChannels];
    for (const op of rest) y = fusedActivation(ctx, node, op, { name: y, shape, perm: NCHW }, y, nextArg);
    return { name: y, shape, perm: NCHW };
  };
}

export const convOps: Record<string, OpHandler> = {
  Conv2D: convolution(false, false),
  _FusedConv2D: convolution(false, true),
  DepthwiseConv2dNative: convolution(true, false),
  FusedDepthwiseConv2dNative: convolution(true, true),
};
