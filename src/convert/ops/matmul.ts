// MatMul, BatchMatMul and Grappler's _FusedMatMul (MatMul + BiasAdd + activation). A rank-2
// product with a constant right-hand side becomes one Gemm (bias included).
import type { TfjsGraphNode } from '../tfjs/weights.ts';
import { attrBool, attrInt, attrStrings } from './attrs.ts';
import { identityPerm, type ConvertContext, type TfValue } from './context.ts';
import { fusedActivation, type OpHandler } from './elementwise.ts';

/** Swaps the last two axes of a value given in TF order. */
function swapLast(ctx: ConvertContext, name: string, rank: number, hint: string): string {
  const perm = identityPerm(rank);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return ctx.node('Transpose', [name], { perm }, hint);
}

/** The bias in TF order: it broadcasts over the product's last axis. */
function biasName(ctx: ConvertContext, bias: TfValue, node: TfjsGraphNode): string {
  return ctx.inLayout(bias, identityPerm(bias.shape.length), `${node.name}/bias`);
}

function matmul(fused: boolean, flags: [string, string]): OpHandler {
  return (ctx, node: TfjsGraphNode) => {
    const a = ctx.input(node, 0);
    const b = ctx.input(node, 1);
    const transA = attrBool(node, flags[0]);
    const transB = attrBool(node, flags[1]);
    const fusedOps = fused ? attrStrings(node, 'fused_ops') : [];
    let arg = 2;
    const nextArg = (): TfValue => {
      if (arg >= 2 + attrInt(node, 'num_args', 0)) throw new Error(`node "${node.name}" (${node.op}): fused_ops [${fusedOps}] need more arguments than num_args`);
      return ctx.input(node, arg++);
    };
    let bias: TfValue | undefined;
    let rest = fusedOps;
    if (fusedOps[0] === 'BiasAdd') {
      bias = nextArg();
      rest = fusedOps.slice(1);
    }
    const ra = a.shape.length, rb = b.shape.length;
    const m = a.shape[transA ? ra - 1 : ra - 2]!;
    const n = b.shape[transB ? rb - 2 : rb - 1]!;
    const batch = ra > 2 ? a.shape.slice(0, ra - 2) : b.shape.slice(0, rb - 2);
    const shape = [...batch, m, n];

    let y: string;
    if (ra === 2 && rb === 2 && b.constant) {
      const inputs = [ctx.tf(a), ctx.tf(b)];
      if (bias) inputs.push(biasName(ctx, bias, node));
      y = ctx.node('Gemm', inputs, { transA: transA ? 1 : 0, transB: transB ? 1 : 0 }, node.name);
    } else {
      let an = ctx.tf(a), bn = ctx.tf(b);
      if (transA) an = swapLast(ctx, an, ra, `${node.name}/transpose_a`);
      if (transB) bn = swapLast(ctx, bn, rb, `${node.name}/transpose_b`);
      y = ctx.node('MatMul', [an, bn], {}, bias ? `${node.name}/matmul` : node.name);
      if (bias) {
        y = ctx.node('Add', [y, biasName(ctx, bias, node)], {}, node.name);
      }
    }
    const perm = identityPerm(shape.length);
    for (const op of rest) y = fusedActivation(ctx, node, op, { name: y, shape, perm }, y, nextArg);
    return { name: y, shape, perm };
  };
}

export const matmulOps: Record<string, OpHandler> = {
  MatMul: matmul(false, ['transpose_a', 'transpose_b']),
  _FusedMatMul: matmul(true, ['transpose_a', 'transpose_b']),
  BatchMatMul: matmul(false, ['adj_x', 'adj_y']),
  BatchMatMulV2: matmul(false, ['adj_x', 'adj_y']),
};
