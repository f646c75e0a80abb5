// Element-wise ops: broadcasting binaries (Add, Mul, ...), unaries and activations
// (Relu, Sigmoid, Prelu, ...) and Softmax. They keep the layout of their main input; constant
// operands are permuted to match it rather than the activation being transposed.
import { float } from '../onnx/graph.ts';
import type { TfjsGraphNode } from '../tfjs/weights.ts';
import { attrFloat, attrString } from './attrs.ts';
import { ConvertContext, broadcastShapes, identityPerm, isIdentity, type Perm, type TfValue } from './context.ts';

export type OpHandler = (ctx: ConvertContext, node: TfjsGraphNode) => TfValue | TfValue[];

/**
 * Brings values that broadcast together into one layout. The layout is that of the first
 * highest-rank non-constant value with a non-TF layout (e.g. an NCHW activation), else TF order.
 */
export function align(ctx: ConvertContext, values: TfValue[], hint: string): { names: string[]; perm: Perm; shape: number[] } {
  const rank = Math.max(...values.map((v) => v.shape.length));
  const lead = values.find((v) => !v.constant && v.shape.length === rank && !isIdentity(v.perm));
  const perm = lead ? lead.perm : identityPerm(rank);
  const names = values.map((v) => {
    if (v.constant) return ctx.broadcastConst(v, rank, perm, `${hint}/const`);
    return v.shape.length === rank ? ctx.inLayout(v, perm) : ctx.expandTo(v, rank, perm);
  });
  const shape = values.map((v) => v.shape).reduce((a, b) => broadcastShapes(a, b));
  return { names, perm, shape };
}

function binary(onnxOp: string): OpHandler {
  return (ctx, node) => {
    const { names, perm, shape } = align(ctx, ctx.inputs(node).slice(0, 2), node.name);
    return { name: ctx.node(onnxOp, names, {}, node.name), shape, perm };
  };
}

/** Variadic ops with broadcasting (AddN). */
function variadic(onnxOp: string): OpHandler {
  return (ctx, node) => {
    const { names, perm, shape } = align(ctx, ctx.inputs(node), node.name);
    return { name: ctx.node(onnxOp, names, {}, node.name), shape, perm };
  };
}

/** An element-wise function of one value, written as ONNX nodes. */
type UnaryWriter = (ctx: ConvertContext, x: string, hint: string, node: TfjsGraphNode) => string;

const simple = (op: string): UnaryWriter => (ctx, x, hint) => ctx.node(op, [x], {}, hint);

const unaryWriters: Record<string, UnaryWriter> = {
  Relu: simple('Relu'),
  Sigmoid: simple('Sigmoid'),
  Tanh: simple('Tanh'),
  Abs: simple('Abs'),
  Neg: simple('Neg'),
  Exp: simple('Exp'),
  Log: simple('Log'),
  Sqrt: simple('Sqrt'),
  Reciprocal: simple('Reciprocal'),
  Floor: simple('Floor'),
  Ceil: simple('Ceil'),
  Softplus: simple('Softplus'),
  Elu: simple('Elu'),
  Square: (ctx, x, hint) => ctx.node('Mul', [x, x], {}, hint),
  Rsqrt: (ctx, x, hint) => ctx.node('Reciprocal', [ctx.node('Sqrt', [x], {}, `${hint}/sqrt`)], {}, hint),
  Relu6: (ctx, x, hint) => ctx.node('Clip', [x, ctx.scalar('zero', 0), ctx.scalar('six', 6)], {}, hint),
  LeakyRelu: (ctx, x, hint, node) => ctx.node('LeakyRelu', [x], { alpha: float(attrFloat(node, 'alpha', 0.2)) }, hint),
};

function unary(tfOp: string): OpHandler {
  const write = unaryWriters[tfOp]!;
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    return { name: write(ctx, ctx.onnx(x), node.name, node), shape: x.shape, perm: x.perm };
  };
}

/** PReLU with TF's alpha (broadcasting against x in TF order, e.g. [C] or [1,1,C]). */
export function prelu(ctx: ConvertContext, x: TfValue, xName: string, alpha: TfValue, hint: string): string {
  const slope = alpha.constant
    ? ctx.broadcastConst(alpha, x.shape.length, x.perm, `${hint}/alpha`)
    : ctx.expandTo(alpha, x.shape.length, x.perm);
  return ctx.node('PRelu', [xName, slope], {}, hint);
}

/**
 * Applies a fused activation (from _FusedConv2D / _FusedMatMul's fused_ops) to `xName`,
 * which holds `x` (shape and layout) before activation. `args` yields the op's next extra input.
 */
export function fusedActivation(ctx: ConvertContext, node: TfjsGraphNode, op: string, x: TfValue, xName: string, nextArg: () => TfValue): string {
  const hint = `${node.name}/${op.toLowerCase()}`;
  switch (op) {
    case 'Prelu': return prelu(ctx, x, xName, nextArg(), hint);
    case 'LeakyRelu': return ctx.node('LeakyRelu', [xName], { alpha: float(attrFloat(node, 'leakyrelu_alpha', 0.2)) }, hint);
    default: {
      const write = unaryWriters[op];
      if (!write || !['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh'].includes(op)) {
        throw new Error(`unsupported fused op "${op}" in TF op "${node.op}" at node "${node.name}"`);
      }
      return write(ctx, xName, hint, node);
    }
  }
}

const preluOp: OpHandler = (ctx, node) => {
  const x = ctx.input(node, 0);
  return { name: prelu(ctx, x, ctx.onnx(x), ctx.input(node, 1), node.name), shape: x.shape, perm: x.perm };
};

/** TF's Softmax normalises over the last axis, wherever that sits in the ONNX layout. */
const softmax = (onnxOp: string): OpHandler => (ctx, node) => {
  const x = ctx.input(node, 0);
  const axis = x.perm.indexOf(x.shape.length - 1);
  return { name: ctx.node(onnxOp, [ctx.onnx(x)], { axis }, node.name), shape: x.shape, perm: x.perm };
};

const squaredDifference: OpHandler = (ctx, node) => {
  const { names, perm, shape } = align(ctx, ctx.inputs(node).slice(0, 2), node.name);
  const diff = ctx.node('Sub', names, {}, `${node.name}/sub`);
  return { name: ctx.node('Mul', [diff, diff], {}, node.name), shape, perm };
};

/**
 * Inference-mode batch normalisation over the last (channel) axis, folded into one
 * per-channel scale and shift: y = x * scale / sqrt(variance + epsilon) + (offset - mean * that).
 */
const fusedBatchNorm: OpHandler = (ctx, node) => {
  if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') throw new Error(`node "${node.name}" (${node.op}): only NHWC is supported`);
  const x = ctx.input(node, 0);
  const [scale, offset, mean, variance] = [1, 2, 3, 4].map((i) => ctx.floatConstInput(node, i).data);
  const epsilon = attrFloat(node, 'epsilon', 0.001);
  const a = scale!.map((s, c) => s / Math.sqrt(variance![c]! + epsilon));
  const b = offset!.map((o, c) => o - mean![c]! * a[c]!);
  const channelValue = (data: Float32Array): TfValue => ({ name: '', shape: [data.length], perm: [0], constant: { shape: [data.length], data } });
  const rank = x.shape.length;
  const scaled = ctx.node('Mul', [ctx.onnx(x), ctx.broadcastConst(channelValue(a), rank, x.perm, `${node.name}/scale`)], {}, `${node.name}/mul`);
  const y = ctx.node('Add', [scaled, ctx.broadcastConst(channelValue(b), rank, x.perm, `${node.name}/shift`)], {}, node.name);
  return { name: y, shape: x.shape, perm: x.perm };
};

export const elementwiseOps: Record<string, OpHandler> = {
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
  Add: binary('Add'),
  AddV2: binary('Add'),
  BiasAdd: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Div: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  SquaredDifference: squaredDifference,
  AddN: variadic('Sum'),
  Prelu: preluOp,
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  ...Object.fromEntries(Object.keys(unaryWriters).map((op) => [op, unary(op)])),
};
