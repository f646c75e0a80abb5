// Generic TF.js graph-model -> ONNX converter.
//
// Input. The model's single Placeholder becomes the ONNX input, named after it. A rank-4
// placeholder (an NHWC image in TF) is declared NCHW, [batch, C, H, W], float32, and takes
// exactly the values the TF model takes: no transpose and no normalisation in the graph (the
// runtime normalises). A batch of -1 in TF becomes the symbolic dimension 'batch'.
//
// Layout. Activations stay NCHW through convolutions, pools, element-wise ops, pads, concats
// and reductions; see ops/context.ts for how layouts are tracked and when a Transpose is made.
//
// Outputs. In the order TF.js's GraphModel.execute() returns them: the model signature's
// outputs in the order the signature lists them, or, without a signature, the graph's terminal
// (unconsumed, non-Const) nodes in topology order. Each is named after its signature key with
// a trailing ":0" dropped (the node name when there is no signature), and has TF's shape and
// axis order: a rank-4 output comes out NHWC, like the original.
import { OnnxGraph } from './onnx/graph.ts';
import type { TfjsGraphModel, TfjsGraphNode } from './tfjs/weights.ts';
import type { ConvertedGraph } from './types.ts';
import { attrShape, attrType } from './ops/attrs.ts';
import { ConvertContext, NCHW, declaredDims, identityPerm } from './ops/context.ts';
import { tfOps } from './ops/index.ts';

export interface ConvertGraphOptions {
  /** The ONNX graph's name. */
  name: string;
}

export interface GraphOutput {
  /** ONNX output name. */
  name: string;
  /** TF tensor it comes from ("node" or "node:1"). */
  tensor: string;
}

/** Strips a control-input marker and an output index: "^a/b:1" -> "a/b". */
function nodeOf(ref: string): string {
  const clean = ref.startsWith('^') ? ref.slice(1) : ref;
  return clean.replace(/:\d+$/, '');
}

/** The graph's outputs in the documented order (see the file comment). */
export function graphOutputs(model: TfjsGraphModel): GraphOutput[] {
  const nodes = model.topology.node;
  const names = new Set(nodes.map((n) => n.name));
  const sig = model.signature?.outputs as Record<string, { name?: string }> | undefined;
  let outputs: GraphOutput[];
  if (sig && Object.keys(sig).length > 0) {
    outputs = Object.entries(sig)
      .map(([key, spec]) => ({ name: key.replace(/:0$/, ''), tensor: spec?.name ?? key }))
      .filter((o) => names.has(nodeOf(o.tensor)));
  } else {
    const consumed = new Set(nodes.flatMap((n) => (n.input ?? []).map(nodeOf)));
    outputs = nodes
      .filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp')
      .map((n) => ({ name: n.name, tensor: n.name }));
  }
  if (outputs.length === 0) throw new Error('the graph has no outputs');
  // Output names must be distinct.
  const seen = new Set<string>();
  return outputs.map((o) => {
    const base = o.name.replace(/[^A-Za-z0-9_./:-]/g, '_');
    let name = base;
    for (let i = 1; seen.has(name); i++) name = `${base}_${i}`;
    seen.add(name);
    return { ...o, name };
  });
}

/** Nodes needed for the outputs, each after its inputs. */
function executionOrder(nodes: TfjsGraphNode[], outputs: GraphOutput[]): TfjsGraphNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const order: TfjsGraphNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of outputs.map((o) => nodeOf(o.tensor))) {
    const stack: { name: string; expanded: boolean }[] = [{ name: root, expanded: false }];
    while (stack.length) {
      const top = stack.pop()!;
      if (top.expanded) { state.set(top.name, 'done'); order.push(byName.get(top.name)!); continue; }
      const s = state.get(top.name);
      if (s === 'done') continue;
      if (s === 'visiting') throw new Error(`the graph has a cycle through node "${top.name}"`);
      const node = byName.get(top.name);
      if (!node) throw new Error(`node "${top.name}" is used but not defined`);
      state.set(top.name, 'visiting');
      stack.push({ name: top.name, expanded: true });
      for (const input of [...(node.input ?? [])].reverse()) {
        const dep = nodeOf(input);
        if (state.get(dep) !== 'done') stack.push({ name: dep, expanded: false });
      }
    }
  }
  return order;
}

/** Converts a TF.js graph model (see the file comment for the contract). */
export function convertGraphModel(model: TfjsGraphModel, options: ConvertGraphOptions): ConvertedGraph & { transposes: number } {
  const outputs = graphOutputs(model);
  const order = executionOrder(model.topology.node, outputs);
  for (const node of order) {
    if (node.op !== 'Placeholder' && node.op !== 'Const' && !tfOps[node.op]) {
      throw new Error(`unsupported TF op "${node.op}" at node "${node.name}"`);
    }
  }

  const graph = new OnnxGraph(options.name);
  const ctx = new ConvertContext(graph, new Set(outputs.map((o) => o.name)));
  let input: string | undefined;

  for (const node of order) {
    if (node.op === 'Const') {
      const constant = model.weights.get(node.name);
      if (!constant) throw new Error(`Const node "${node.name}" has no value in the weights`);
      ctx.set(`${node.name}:0`, { name: '', shape: constant.shape, perm: identityPerm(constant.shape.length), constant });
    } else if (node.op === 'Placeholder') {
      if (input) throw new Error(`the graph has more than one input ("${input}", "${node.name}"); only one is supported`);
      const dtype = attrType(node, 'dtype');
      if (dtype && dtype !== 'DT_FLOAT') throw new Error(`input "${node.name}" has type ${dtype}; only float inputs are supported`);
      const shape = attrShape(node);
      if (!shape) throw new Error(`input "${node.name}" has no known rank`);
      if (shape.length === 4) {
        const [n, h, w, c] = shape as [number, number, number, number];
        const dims = [n < 0 ? 'batch' : n, c < 0 ? 'channels' : c, h < 0 ? 'height' : h, w < 0 ? 'width' : w];
        input = graph.input(ctx.hint(node.name), dims);
        ctx.set(`${node.name}:0`, { name: input, shape, perm: NCHW });
      } else {
        input = graph.input(ctx.hint(node.name), declaredDims(shape, node.name));
        ctx.set(`${node.name}:0`, { name: input, shape, perm: identityPerm(shape.length) });
      }
    } else {
      const result = tfOps[node.op]!(ctx, node);
      const values = Array.isArray(result) ? result : [result];
      values.forEach((v, i) => ctx.set(`${node.name}:${i}`, v));
    }
  }
  if (!input) throw new Error('the graph has no Placeholder input');

  const names = outputs.map((o) => {
    const v = ctx.value(o.tensor);
    return graph.output(ctx.tf(v), o.name, declaredDims(v.shape, o.name));
  });
  return { graph, input, outputs: names, transposes: graph.opCounts().Transpose ?? 0 };
}
