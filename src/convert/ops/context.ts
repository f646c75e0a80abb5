// State shared by the TF.js graph op translators: the TF tensors converted so far and the
// layout each one has in the ONNX graph.
//
// Layouts. A TF tensor of rank R is held in ONNX as a transposition of itself, described by
// `perm`: ONNX axis i holds TF axis perm[i]. The identity is TF's own order; [0,3,1,2] (NCHW)
// is what rank-4 activations get, so convolutions and pools run in ONNX's native layout.
// Ops that care about axes (Concat, Mean, Squeeze, Softmax, Pad, StridedSlice, ...) map their
// TF axes through perm instead of transposing; constants that broadcast against a permuted
// value are permuted when they are written. A Transpose is only made where a value must be
// seen in another order (for instance a flatten of an NCHW value whose spatial size is not
// 1x1), and at most once per value and order. When a transposition only moves axes of size 1
// it does not reorder memory, and a Reshape is emitted instead.
import { OnnxGraph, type Attrs } from '../onnx/graph.ts';
import { permute } from '../onnx/layers.ts';
import type { DecodedTensor, TfjsGraphNode } from '../tfjs/weights.ts';

export type Perm = readonly number[];

/** Layout of rank-4 activations: TF's NHWC seen as ONNX's NCHW. */
export const NCHW: Perm = [0, 3, 1, 2];

export function identityPerm(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

export function isIdentity(perm: Perm): boolean {
  return perm.every((p, i) => p === i);
}

export function samePerm(a: Perm, b: Perm): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** A TF tensor as converted so far. */
export interface TfValue {
  /** ONNX value name; '' for a constant that has not been written into the graph yet. */
  name: string;
  /** Shape in TF's order; -1 where unknown (a dynamic batch). */
  shape: number[];
  /** ONNX axis i holds TF axis perm[i]. */
  perm: Perm;
  /** The value of a Const node (TF order). */
  constant?: DecodedTensor;
}

/** Drops axes from a layout and renumbers the TF axes that remain. */
export function dropAxes(perm: Perm, tfAxes: readonly number[]): number[] {
  const dropped = new Set(tfAxes);
  return perm.filter((t) => !dropped.has(t)).map((t) => t - tfAxes.filter((a) => a < t).length);
}

/** True when laying a value out in `to` instead of `from` leaves its memory order unchanged. */
export function sameMemoryOrder(shape: readonly number[], from: Perm, to: Perm): boolean {
  const order = (perm: Perm) => perm.filter((t) => shape[t] !== 1);
  return samePerm(order(from), order(to));
}

/** Numpy-style broadcast of two TF shapes (-1 = unknown). */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === -1) out.push(y);
    else if (y === -1 || x === y) out.push(x);
    else throw new Error(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
  }
  return out;
}

export function normaliseAxis(axis: number, rank: number, node: TfjsGraphNode): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`node "${node.name}" (${node.op}): axis ${axis} out of range for rank ${rank}`);
  return a;
}

export class ConvertContext {
  private readonly values = new Map<string, TfValue>();
  /** `${onnx name}|${perm}` -> ONNX value holding that layout. */
  private readonly layouts = new Map<string, string>();
  /** Materialised constants: `${constant id}|${perm}|${dims}` -> ONNX initializer. */
  private readonly consts = new Map<string, string>();

  /**
   * @param reserved names kept free for graph outputs: hints that could collide with them
   *   (exactly, or via the `_N` suffixes OnnxGraph.uniqueName adds) are given a suffix.
   */
  constructor(readonly g: OnnxGraph, private readonly reserved: ReadonlySet<string> = new Set()) {}

  /** A node-name hint that can never turn into one of the reserved output names. */
  hint(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_./:-]/g, '_'); // as OnnxGraph.uniqueName does
    for (const r of this.reserved) {
      if (r === base || (r.startsWith(`${base}_`) && /^\d+$/.test(r.slice(base.length + 1)))) return `${base}/tf`;
    }
    return name;
  }

  /** Adds an ONNX node; the hint is usually the TF node's name. */
  node(op: string, inputs: string[], attrs: Attrs = {}, hint?: string): string {
    return this.g.node(op, inputs, attrs, this.hint(hint ?? op));
  }

  /** A shared int64 constant (shapes, axes, pads). */
  int64s(hint: string, values: readonly number[]): string {
    return this.g.constInt64(this.hint(hint), values);
  }

  /** A shared float32 scalar. */
  scalar(hint: string, value: number): string {
    return this.g.constFloat(this.hint(hint), [value], []);
  }

  set(ref: string, value: TfValue): void {
    this.values.set(ref, value);
  }

  /** Looks up a TF tensor reference: "node", "node:0", "node:1", ... */
  value(ref: string): TfValue {
    const clean = ref.startsWith('^') ? ref.slice(1) : ref;
    const key = /:\d+$/.test(clean) ? clean : `${clean}:0`;
    const v = this.values.get(key);
    if (!v) throw new Error(`tensor "${ref}" is used before it is defined`);
    return v;
  }

  /** The data inputs of a node (control inputs "^x" are dropped). */
  inputs(node: TfjsGraphNode): TfValue[] {
    return (node.input ?? []).filter((i) => !i.startsWith('^')).map((i) => this.value(i));
  }

  input(node: TfjsGraphNode, index: number): TfValue {
    const v = this.inputs(node)[index];
    if (!v) throw new Error(`node "${node.name}" (${node.op}): missing input ${index}`);
    return v;
  }

  /** The value of an input that must be a constant (filters, axes, shapes, paddings). */
  constInput(node: TfjsGraphNode, index: number): DecodedTensor {
    const v = this.input(node, index);
    if (!v.constant) throw new Error(`node "${node.name}" (${node.op}): input ${index} must be a constant`);
    return v.constant;
  }

  /** A constant input as plain numbers (axes, shapes, paddings). */
  intsInput(node: TfjsGraphNode, index: number): number[] {
    return Array.from(this.constInput(node, index).data);
  }

  floatConstInput(node: TfjsGraphNode, index: number): { shape: number[]; data: Float32Array } {
    const c = this.constInput(node, index);
    return { shape: c.shape, data: c.data instanceof Float32Array ? c.data : Float32Array.from(c.data) };
  }

  /** Writes a constant into the graph, permuted by `perm` and given the ONNX dims `dims`. */
  private writeConst(v: TfValue, perm: Perm, dims: readonly number[], hint: string): string {
    const c = v.constant!;
    const key = `${this.idOf(c)}|${perm.join(',')}|${dims.join(',')}`;
    const cached = this.consts.get(key);
    if (cached) return cached;
    let data = c.data;
    if (!isIdentity(perm)) {
      // Expand the TF shape to perm's rank (leading 1s), then permute.
      const full = [...new Array(perm.length - c.shape.length).fill(1), ...c.shape];
      data = permute(data, full, perm);
    }
    const name = data instanceof Float32Array
      ? this.g.constFloat(this.hint(hint), data, dims)
      : this.g.constant(this.hint(hint), data, dims);
    this.consts.set(key, name);
    return name;
  }

  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) { id = this.nextId++; this.ids.set(o, id); }
    return id;
  }

  /** The ONNX value of `v` laid out as `perm` (same rank as v). Transposes are cached. */
  inLayout(v: TfValue, perm: Perm, hint = 'const'): string {
    if (perm.length !== v.shape.length) throw new Error(`layout of rank ${perm.length} for a value of rank ${v.shape.length}`);
    if (v.constant) return this.writeConst(v, perm, perm.map((t) => v.shape[t]!), hint);
    if (samePerm(perm, v.perm)) return v.name;
    const key = `${v.name}|${perm.join(',')}`;
    const cached = this.layouts.get(key);
    if (cached) return cached;
    const dims = perm.map((t) => v.shape[t]!);
    let out: string | undefined;
    if (sameMemoryOrder(v.shape, v.perm, perm)) {
      // Only size-1 axes move: a Reshape does it without copying.
      const target = reshapeTarget(dims, v.perm.map((t) => v.shape[t]!));
      if (target) out = this.node('Reshape', [v.name, this.int64s('shape', target)], {}, `${v.name}/relayout`);
    }
    if (!out) {
      const transpose = perm.map((t) => v.perm.indexOf(t));
      out = this.node('Transpose', [v.name], { perm: transpose }, `${v.name}/transpose`);
    }
    this.layouts.set(key, out);
    return out;
  }

  /** `v` in TF's own order. */
  tf(v: TfValue): string {
    return this.inLayout(v, identityPerm(v.shape.length));
  }

  /** A rank-4 `v` as NCHW. */
  nchw(v: TfValue): string {
    if (v.shape.length !== 4) throw new Error(`expected a rank-4 value, got shape [${v.shape.join(',')}]`);
    return this.inLayout(v, NCHW);
  }

  /** `v` in its current layout (writes constants on first use). */
  onnx(v: TfValue, hint?: string): string {
    return this.inLayout(v, v.perm, hint);
  }

  /**
   * A constant that broadcasts (numpy rules, in TF order) against a value of rank `rank`
   * laid out as `perm`, rewritten so it broadcasts the same way against the ONNX layout:
   * e.g. a per-channel [C] or [1,1,1,C] against NCHW becomes [C,1,1].
   */
  broadcastConst(c: TfValue, rank: number, perm: Perm, hint = 'const'): string {
    const r = c.shape.length;
    if (r > rank) throw new Error(`constant of rank ${r} broadcast against rank ${rank}`);
    if (isIdentity(perm)) return this.writeConst(c, identityPerm(r), c.shape, hint);
    const full = [...new Array(rank - r).fill(1), ...c.shape];
    let dims = perm.map((t) => full[t]!);
    while (dims.length > 0 && dims[0] === 1) dims = dims.slice(1);
    return this.writeConst(c, perm, dims, hint);
  }

  /**
   * A non-constant value of lower rank expanded (leading 1s, as broadcasting would) to
   * `rank` and laid out as `perm`.
   */
  expandTo(v: TfValue, rank: number, perm: Perm): string {
    if (v.shape.length === rank) return this.inLayout(v, perm);
    const extra = rank - v.shape.length;
    const base = this.tf(v);
    const key = `${base}|expand${rank}`;
    let expanded = this.layouts.get(key);
    if (!expanded) {
      expanded = this.node('Unsqueeze', [base, this.int64s('axes', identityPerm(extra))], {}, `${v.name}/expand`);
      this.layouts.set(key, expanded);
    }
    const shape = [...new Array(extra).fill(1), ...v.shape];
    return this.inLayout({ name: expanded, shape, perm: identityPerm(rank) }, perm);
  }
}

/**
 * ONNX Reshape target for `from` -> `to` dims (same elements, unknowns as -1): unknown
 * dims become -1 when there is one, or 0 ("copy") when they stay at the same index.
 */
export function reshapeTarget(to: readonly number[], from: readonly number[]): number[] | undefined {
  const unknown = to.filter((d) => d < 0).length;
  if (unknown <= 1) return to.map((d) => (d < 0 ? -1 : d));
  if (to.every((d, i) => d >= 0 || from[i] === d)) return to.map((d) => (d < 0 ? 0 : d));
  return undefined;
}

/** ONNX dims for an output or input declaration. */
export function declaredDims(shape: readonly number[], prefix: string): (number | string)[] {
  return shape.map((d, i) => (d >= 0 ? d : i === 0 ? 'batch' : `${prefix}_d${i}`));
}
