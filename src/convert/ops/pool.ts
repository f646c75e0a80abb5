// MaxPool and AvgPool on NCHW values. TF's SAME padding is written as explicit pads; padded
// cells are ignored by both (ONNX MaxPool ignores pads, AveragePool's count_include_pad=0
// leaves them out of the mean as TF does).
import { attrInts } from './attrs.ts';
import { NCHW } from './context.ts';
import { window2d } from './conv.ts';
import type { OpHandler } from './elementwise.ts';

function pool(onnxOp: 'MaxPool' | 'AveragePool'): OpHandler {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const k = attrInts(node, 'ksize');
    if (k[0] !== 1 || k[3] !== 1) throw new Error(`node "${node.name}" (${node.op}): pooling over batch or channels is not supported`);
    const win = window2d(node, x, [k[1]!, k[2]!], false);
    const attrs = {
      kernel_shape: win.kernel,
      strides: win.strides,
      ...(win.pads ? { pads: win.pads } : { auto_pad: 'SAME_UPPER' }),
    };
    const y = ctx.node(onnxOp, [ctx.nchw(x)], attrs, node.name);
    return { name: y, shape: [x.shape[0]!, win.outH, win.outW, x.shape[3]!], perm: NCHW };
  };
}

export const poolOps: Record<string, OpHandler> = {
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
};
