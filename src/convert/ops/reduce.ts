// Reductions (Mean, Sum, Max, Min, Prod) over constant axes. TF axes are mapped through the
// input's layout; without keep_dims the remaining axes keep their relative ONNX order, so
// e.g. a global average pool of an NCHW value (TF axes [1,2]) gives [N,C] in TF order.
import { attrBool } from './attrs.ts';
import { dropAxes, normaliseAxis } from './context.ts';
import type { OpHandler } from './elementwise.ts';

function reduce(onnxOp: string): OpHandler {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const rank = x.shape.length;
    const axes = [...new Set(ctx.intsInput(node, 1).map((a) => normaliseAxis(a, rank, node)))].sort((a, b) => a - b);
    const keep = attrBool(node, 'keep_dims') || attrBool(node, 'keepdims');
    if (axes.length === 0) return x; // TF reduces nothing when given no axes
    const onnxAxes = axes.map((a) => x.perm.indexOf(a)).sort((a, b) => a - b);
    const keepdims = keep ? 1 : 0;
    // Opset 13: ReduceSum takes its axes as an input, the others as an attribute.
    const y = onnxOp === 'ReduceSum'
      ? ctx.node(onnxOp, [ctx.onnx(x), ctx.int64s('axes', onnxAxes)], { keepdims }, node.name)
      : ctx.node(onnxOp, [ctx.onnx(x)], { axes: onnxAxes, keepdims }, node.name);
    if (keep) return { name: y, shape: x.shape.map((d, i) => (axes.includes(i) ? 1 : d)), perm: x.perm };
    return { name: y, shape: x.shape.filter((_, i) => !axes.includes(i)), perm: dropAxes(x.perm, axes) };
  };
}

export const reduceOps: Record<string, OpHandler> = {
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
};
