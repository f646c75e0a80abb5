// Shape and layout ops: Identity, Reshape, Squeeze, ExpandDims, ConcatV2, Pad and
// StridedSlice. Their TF axes, paddings and slice specs are mapped through the input's
// layout; only Reshape needs TF order, and only when the reshape would reorder memory.
import type { TfjsGraphNode } from '../tfjs/weights.ts';
import { attrInt, attrInts, attrString } from './attrs.ts';
import { dropAxes, identityPerm, isIdentity, normaliseAxis, sameMemoryOrder, samePerm, type Perm, type TfValue } from './context.ts';
import type { OpHandler } from './elementwise.ts';

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

const identity: OpHandler = (ctx, node) => ctx.input(node, 0);

/** Resolves TF's -1 in a reshape target when the input's size is known. */
function reshapeShape(input: readonly number[], target: readonly number[], node: TfjsGraphNode): number[] {
  const size = input.every((d) => d >= 0) ? input.reduce((a, b) => a * b, 1) : -1;
  const known = target.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  if (target.filter((d) => d < 0).length > 1) throw new Error(`node "${node.name}" (Reshape): more than one -1 in [${target.join(',')}]`);
  return target.map((d) => (d >= 0 ? d : size >= 0 && known > 0 ? size / known : -1));
}

const reshape: OpHandler = (ctx, node) => {
  const x = ctx.input(node, 0);
  const target = ctx.intsInput(node, 1);
  if (target.includes(0)) throw new Error(`node "${node.name}" (Reshape): zero-sized dimensions are not supported`);
  const shape = reshapeShape(x.shape, target, node);
  if (x.constant) return { name: '', shape, perm: identityPerm(shape.length), constant: { shape, data: x.constant.data } };
  const tfOrder = identityPerm(x.shape.length);
  // A layout that differs from TF order only by size-1 axes has TF's memory order already.
  const source = sameMemoryOrder(x.shape, x.perm, tfOrder) ? x.name : ctx.tf(x);
  const name = ctx.node('Reshape', [source, ctx.int64s('shape', target)], {}, node.name);
  return { name, shape, perm: identityPerm(shape.length) };
};

const squeeze: OpHandler = (ctx, node) => {
  const x = ctx.input(node, 0);
  const rank = x.shape.length;
  let dims = attrInts(node, 'squeeze_dims', attrInts(node, 'axis', []));
  if (dims.length === 0) {
    if (x.shape.some((d) => d < 0)) throw new Error(`node "${node.name}" (Squeeze): no squeeze_dims and unknown dimensions`);
    dims = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  }
  const axes = [...new Set(dims.map((d) => normaliseAxis(d, rank, node)))].sort((a, b) => a - b);
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  if (x.constant) return { name: '', shape, perm: identityPerm(shape.length), constant: { shape, data: x.constant.data } };
  if (axes.length === 0) return x;
  const onnxAxes = axes.map((a) => x.perm.indexOf(a)).sort((a, b) => a - b);
  const name = ctx.node('Squeeze', [x.name, ctx.int64s('axes', onnxAxes)], {}, node.name);
  return { name, shape, perm: dropAxes(x.perm, axes) };
};

const expandDims: OpHandler = (ctx, node) => {
  const x = ctx.input(node, 0);
  const rank = x.shape.length;
  const [raw] = ctx.intsInput(node, 1);
  const axis = normaliseAxis(raw!, rank + 1, node);
  const shape = [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)];
  if (x.constant) return { name: '', shape, perm: identityPerm(shape.length), constant: { shape, data: x.constant.data } };
  // Put the new axis next to its TF neighbour in the ONNX layout.
  const renumbered = x.perm.map((t) => (t >= axis ? t + 1 : t));
  const at = axis === 0 ? 0 : x.perm.indexOf(axis - 1) + 1;
  const perm = [...renumbered.slice(0, at), axis, ...renumbered.slice(at)];
  const name = ctx.node('Unsqueeze', [x.name, ctx.int64s('axes', [at])], {}, node.name);
  return { name, shape, perm };
};

const concat: OpHandler = (ctx, node) => {
  const all = ctx.inputs(node);
  const parts = all.slice(0, all.length - 1);
  const [rawAxis] = ctx.intsInput(node, all.length - 1);
  const rank = parts[0]!.shape.length;
  const axis = normaliseAxis(rawAxis!, rank, node);
  if (parts.some((p) => p.shape.length !== rank)) throw new Error(`node "${node.name}" (${node.op}): inputs of different ranks`);
  const lead = parts.find((p) => !p.constant && !isIdentity(p.perm)) ?? parts.find((p) => !p.constant);
  const perm: Perm = lead ? lead.perm : identityPerm(rank);
  const names = parts.map((p, i) => ctx.inLayout(p, perm, `${node.name}/input${i}`));
  const shape = parts[0]!.shape.map((d, i) => {
    if (i !== axis) return parts.map((p) => p.shape[i]!).find((v) => v >= 0) ?? -1;
    return parts.some((p) => p.shape[i]! < 0) ? -1 : parts.reduce((s, p) => s + p.shape[i]!, 0);
  });
  if (names.length === 1) return { ...parts[0]!, shape };
  const name = ctx.node('Concat', names, { axis: perm.indexOf(axis) }, node.name);
  return { name, shape, perm };
};

function pad(mode: 'constant' | 'mirror'): OpHandler {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const rank = x.shape.length;
    const p = ctx.intsInput(node, 1);
    if (p.length !== rank * 2) throw new Error(`node "${node.name}" (${node.op}): paddings do not match rank ${rank}`);
    const before = x.perm.map((t) => p[t * 2]!);
    const after = x.perm.map((t) => p[t * 2 + 1]!);
    const inputs = [ctx.onnx(x), ctx.int64s('pads', [...before, ...after])];
    let onnxMode = 'constant';
    if (mode === 'constant' && node.op === 'PadV2') {
      const value = ctx.input(node, 2);
      inputs.push(value.constant ? ctx.scalar('pad_value', value.constant.data[0]!) : ctx.onnx(value));
    } else if (mode === 'mirror') {
      const m = attrString(node, 'mode');
      if (m !== 'REFLECT') throw new Error(`node "${node.name}" (MirrorPad): mode ${m} is not supported`);
      onnxMode = 'reflect';
    }
    const name = ctx.node('Pad', inputs, { mode: onnxMode }, node.name);
    const shape = x.shape.map((d, i) => (d < 0 ? -1 : d + p[i * 2]! + p[i * 2 + 1]!));
    return { name, shape, perm: x.perm };
  };
}

/** Length of a Python-style slice of a dimension of known size. */
function sliceLength(size: number, start: number, end: number, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + size : start;
  let e = end < 0 ? end + size : end;
  if (step > 0) {
    s = clamp(s, 0, size); e = clamp(e, 0, size);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, -1, size - 1); e = clamp(e, -1, size - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}

interface SliceAxis { axis: number; start: number; end: number; step: number; shrink: boolean }

/**
 * StridedSlice: TF's sparse spec (begin/end/strides with begin, end, ellipsis, new-axis and
 * shrink-axis masks) expanded over the input's axes, then Slice on the mapped ONNX axes,
 * Squeeze for shrunk axes and Unsqueeze for new ones.
 */
const stridedSlice: OpHandler = (ctx, node) => {
  let x = ctx.input(node, 0);
  const begin = ctx.intsInput(node, 1);
  const end = ctx.intsInput(node, 2);
  const strides = ctx.intsInput(node, 3);
  const beginMask = attrInt(node, 'begin_mask', 0);
  const endMask = attrInt(node, 'end_mask', 0);
  const ellipsisMask = attrInt(node, 'ellipsis_mask', 0);
  const newAxisMask = attrInt(node, 'new_axis_mask', 0);
  const shrinkMask = attrInt(node, 'shrink_axis_mask', 0);
  const rank = x.shape.length;
  const n = begin.length;
  const bit = (mask: number, i: number) => ((mask >> i) & 1) === 1;
  if ([...Array(n).keys()].filter((i) => bit(ellipsisMask, i)).length > 1) {
    throw new Error(`node "${node.name}" (StridedSlice): more than one ellipsis`);
  }

  // Output items in order: input axes kept (sliced or whole) and new axes; shrunk axes vanish.
  const out: ({ kind: 'axis'; axis: number } | { kind: 'new' })[] = [];
  const slices: SliceAxis[] = [];
  let inputAxis = 0;
  for (let i = 0; i < n; i++) {
    if (bit(ellipsisMask, i)) {
      const consumingAfter = [...Array(n).keys()].filter((j) => j > i && !bit(newAxisMask, j)).length;
      const count = rank - inputAxis - consumingAfter;
      for (let k = 0; k < count; k++) out.push({ kind: 'axis', axis: inputAxis++ });
    } else if (bit(newAxisMask, i)) {
      out.push({ kind: 'new' });
    } else {
      const axis = inputAxis++;
      if (axis >= rank) throw new Error(`node "${node.name}" (StridedSlice): spec longer than rank ${rank}`);
      const step = strides[i]!;
      if (step === 0) throw new Error(`node "${node.name}" (StridedSlice): zero stride`);
      if (bit(shrinkMask, i)) {
        const b = begin[i]!;
        slices.push({ axis, start: b, end: b === -1 ? INT_MAX : b + 1, step: 1, shrink: true });
      } else {
        const start = bit(beginMask, i) ? (step > 0 ? 0 : INT_MAX) : begin[i]!;
        const stop = bit(endMask, i) ? (step > 0 ? INT_MAX : INT_MIN) : end[i]!;
        slices.push({ axis, start, end: stop, step, shrink: false });
        out.push({ kind: 'axis', axis });
      }
    }
  }
  while (inputAxis < rank) out.push({ kind: 'axis', axis: inputAxis++ });

  const length = (s: SliceAxis) => {
    const size = x.shape[s.axis]!;
    return size < 0 ? -1 : sliceLength(size, s.start, s.end, s.step);
  };
  const sliced = x.shape.map((d, i) => {
    const s = slices.find((sl) => sl.axis === i);
    return s ? length(s) : d;
  });
  const shrunk = slices.filter((s) => s.shrink).map((s) => s.axis);
  const shape = out.map((o) => (o.kind === 'new' ? 1 : sliced[o.axis]!));

  const hasNew = out.some((o) => o.kind === 'new');
  // New axes are placed in TF order, so work in TF order when there are any.
  if (hasNew && !isIdentity(x.perm)) x = { name: ctx.tf(x), shape: x.shape, perm: identityPerm(rank) };
  let name = ctx.onnx(x, `${node.name}/input`);
  const active = slices.filter((s) => !(s.step === 1 && s.start === 0 && (s.end === INT_MAX || s.end === x.shape[s.axis])));
  if (active.length > 0) {
    const axes = active.map((s) => x.perm.indexOf(s.axis));
    name = ctx.node('Slice', [
      name,
      ctx.int64s('starts', active.map((s) => s.start)),
      ctx.int64s('ends', active.map((s) => s.end)),
      ctx.int64s('axes', axes),
      ctx.int64s('steps', active.map((s) => s.step)),
    ], {}, shrunk.length || hasNew ? `${node.name}/slice` : node.name);
  }
  let perm: Perm = x.perm;
  if (shrunk.length > 0) {
    const onnxAxes = shrunk.map((a) => x.perm.indexOf(a)).sort((a, b) => a - b);
    name = ctx.node('Squeeze', [name, ctx.int64s('axes', onnxAxes)], {}, hasNew ? `${node.name}/squeeze` : node.name);
    perm = dropAxes(x.perm, shrunk);
  }
  if (hasNew) {
    const positions = out.flatMap((o, i) => (o.kind === 'new' ? [i] : []));
    name = ctx.node('Unsqueeze', [name, ctx.int64s('axes', positions)], {}, node.name);
    perm = identityPerm(shape.length);
  }
  if (name === x.name && samePerm(perm, x.perm)) return x;
  return { name, shape, perm } satisfies TfValue;
};

export const shapeOps: Record<string, OpHandler> = {
  Identity: identity,
  Snapshot: identity,
  StopGradient: identity,
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDims,
  ConcatV2: concat,
  Pad: pad('constant'),
  PadV2: pad('constant'),
  MirrorPad: pad('mirror'),
  StridedSlice: stridedSlice,
};
