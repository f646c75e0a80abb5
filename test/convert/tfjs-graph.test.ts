// The generic TF.js graph converter on small hand-written graphs, run on onnxruntime and
// checked against TF.js executing the same ops: padding, strides and pools on odd sizes,
// axis remapping of reductions/squeeze/concat/pad/slices on NCHW values, broadcasting
// constants, flatten + dense, output order and the unsupported-op error.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { convertGraphModel } from '../../src/convert/tfjs-graph.ts';
import { permute } from '../../src/convert/onnx/layers.ts';
import type { TfjsGraphModel, TfjsGraphNode, WeightMap } from '../../src/convert/tfjs/weights.ts';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { tf, initTf, compareOutputs } from '../helpers/tfjs-reference.ts';

before(() => initTf());

// --- building TF.js graph-model topologies by hand -------------------------------------------

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const attr = {
  i: (v: number) => ({ i: String(v) }),
  ints: (v: number[]) => ({ list: { i: v.map(String) } }),
  s: (v: string) => ({ s: b64(v) }),
  strs: (v: string[]) => ({ list: { s: v.map(b64) } }),
  b: (v: boolean) => ({ b: v }),
  f: (v: number) => ({ f: v }),
  float: { type: 'DT_FLOAT' },
};

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

class GraphBuilder {
  readonly nodes: TfjsGraphNode[] = [];
  readonly weights: WeightMap = new Map();
  private seed = 1;

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: attr.float, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } });
    return name;
  }

  /** A float constant (random values unless given). */
  const(name: string, shape: number[], data?: ArrayLike<number>): string {
    const size = shape.reduce((a, b) => a * b, 1);
    this.weights.set(name, { shape, data: data ? Float32Array.from(data) : values(size, this.seed++) });
    this.nodes.push({ name, op: 'Const', attr: { dtype: attr.float } });
    return name;
  }

  ints(name: string, shape: number[], data: number[]): string {
    this.weights.set(name, { shape, data: Int32Array.from(data) });
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: 'DT_INT32' } } });
    return name;
  }

  op(op: string, name: string, input: string[], attrs: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: attr.float, ...attrs } });
    return name;
  }

  /** The model, with a signature listing `outputs` in order (none: terminal nodes). */
  model(outputs?: string[]): TfjsGraphModel {
    const signature = outputs && { outputs: Object.fromEntries(outputs.map((o) => [`${o}:0`, { name: `${o}:0` }])) };
    return { topology: { node: this.nodes }, weights: this.weights, signature, files: [] };
  }

  data(name: string): Tensor {
    const w = this.weights.get(name)!;
    return tf.tensor(Array.from(w.data), w.shape);
  }
}

const NHWC_TO_NCHW = [0, 3, 1, 2];

/** Converts and runs a model on an NHWC input; returns each output (TF order) with its dims. */
async function runConverted(model: TfjsGraphModel, input: Float32Array, shape: number[]) {
  const converted = convertGraphModel(model, { name: 'test' });
  const session = await ort.InferenceSession.create(converted.graph.toBytes());
  const nchw = permute(input, shape, NHWC_TO_NCHW);
  const feeds = { [converted.input]: new ort.Tensor('float32', nchw, NHWC_TO_NCHW.map((p) => shape[p]!)) };
  const results = await session.run(feeds);
  await session.release();
  return { converted, outputs: converted.outputs.map((name) => results[name]!) };
}

function assertClose(actual: ort.Tensor, expected: Tensor, label: string, tolerance = 1e-5) {
  assert.deepEqual(actual.dims, expected.shape, `${label}: shape`);
  const cmp = compareOutputs(actual.data as Float32Array, expected.dataSync());
  assert.ok(cmp.maxDiff <= tolerance * Math.max(cmp.range, 1), `${label}: max diff ${cmp.maxDiff} (range ${cmp.range})`);
}

const pad = (type: string) => ({ padding: attr.s(type) });
const stride = (s: number) => ({ strides: attr.ints([1, s, s, 1]) });

// --- tests ----------------------------------------------------------------------------------

test('convolutions and pools with SAME padding on odd sizes and stride 2 run NCHW and match TF.js', async () => {
  const g = new GraphBuilder();
  const shape = [1, 7, 9, 3];
  const x = g.placeholder('x', shape);
  const f = g.const('f', [3, 3, 3, 4]);
  const bias = g.const('bias', [4]);
  const f4 = g.const('f4', [4, 4, 3, 2]); // even kernel: SAME pads more at the end
  const dw = g.const('dw', [3, 3, 3, 2]); // depthwise, channel multiplier 2
  const dwBias = g.const('dw_bias', [6]);
  const alpha = g.const('alpha', [1, 1, 4]);
  g.op('_FusedConv2D', 'conv', [x, f, bias], { ...stride(2), ...pad('SAME'), fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: attr.i(1) });
  g.op('_FusedConv2D', 'conv_prelu', [x, f, bias, alpha], { ...stride(1), ...pad('SAME'), fused_ops: attr.strs(['BiasAdd', 'Prelu']), num_args: attr.i(2) });
  g.op('Conv2D', 'conv_even', [x, f4], { ...stride(2), ...pad('SAME') });
  g.op('Conv2D', 'conv_valid', [x, f4], { ...stride(2), ...pad('VALID') });
  g.op('FusedDepthwiseConv2dNative', 'depthwise', [x, dw, dwBias], { ...stride(2), ...pad('SAME'), fused_ops: attr.strs(['BiasAdd', 'Relu6']), num_args: attr.i(1) });
  const window = { ksize: attr.ints([1, 3, 3, 1]), ...stride(2), ...pad('SAME') };
  g.op('MaxPool', 'maxpool', [x], window);
  g.op('AvgPool', 'avgpool', [x], window);
  g.op('AvgPool', 'avgpool_valid', [x], { ksize: attr.ints([1, 2, 2, 1]), ...stride(2), ...pad('VALID') });
  const names = ['conv', 'conv_prelu', 'conv_even', 'conv_valid', 'depthwise', 'maxpool', 'avgpool', 'avgpool_valid'];
  const input = values(7 * 9 * 3, 99);
  const { converted, outputs } = await runConverted(g.model(names), input, shape);

  assert.deepEqual(converted.outputs, names);
  const ops = converted.graph.opCounts();
  assert.equal(ops.Conv, 5);
  // The only Transposes are the rank-4 outputs going back to NHWC.
  assert.equal(converted.transposes, names.length);

  const t = tf.tensor4d(input, shape as [number, number, number, number]);
  const f4d = g.data('f') as Tensor4D;
  const convOut = tf.conv2d(t, f4d, 2, 'same').add(g.data('bias'));
  const preluOut = tf.conv2d(t, f4d, 1, 'same').add(g.data('bias'));
  const expected = [
    tf.relu(convOut),
    tf.prelu(preluOut, g.data('alpha')),
    tf.conv2d(t, g.data('f4') as Tensor4D, 2, 'same'),
    tf.conv2d(t, g.data('f4') as Tensor4D, 2, 'valid'),
    tf.relu6(tf.depthwiseConv2d(t, g.data('dw') as Tensor4D, 2, 'same').add(g.data('dw_bias'))),
    tf.maxPool(t, 3, 2, 'same'),
    tf.avgPool(t, 3, 2, 'same'),
    tf.avgPool(t, 2, 2, 'valid'),
  ];
  names.forEach((n, i) => assertClose(outputs[i]!, expected[i]!, n));
});

test('reductions, Squeeze and Softmax map TF axes onto the NCHW layout', async () => {
  const g = new GraphBuilder();
  const shape = [2, 5, 6, 3];
  const x = g.placeholder('x', shape);
  const f = g.const('f', [1, 1, 3, 4]);
  const conv = g.op('Conv2D', 'conv', [x, f], { ...stride(1), ...pad('VALID') }); // NCHW inside
  const hw = g.ints('axes_hw', [2], [1, 2]);
  const h = g.ints('axis_h', [], [1]);
  const c = g.ints('axis_c', [], [-1]);
  const wc = g.ints('axes_wc', [2], [2, 3]);
  g.op('Mean', 'mean_hw', [conv, hw], { keep_dims: attr.b(false) });
  g.op('Mean', 'mean_h', [conv, h], { keep_dims: attr.b(false) });
  g.op('Sum', 'sum_c_keep', [conv, c], { keep_dims: attr.b(true) });
  g.op('Max', 'max_wc', [conv, wc], { keep_dims: attr.b(false) });
  const rowSlice = g.op('MaxPool', 'pool_rows', [conv], { ksize: attr.ints([1, 5, 1, 1]), ...stride(1), ...pad('VALID') }); // [2,1,6,4]
  g.op('Squeeze', 'squeeze_h', [rowSlice], { squeeze_dims: attr.ints([1]) });
  g.op('Softmax', 'softmax', [conv]);
  g.op('ExpandDims', 'expand_w', [g.op('Relu', 'relu', [conv]), g.ints('axis_w', [], [2])]);
  const names = ['mean_hw', 'mean_h', 'sum_c_keep', 'max_wc', 'squeeze_h', 'softmax', 'expand_w'];
  const input = values(2 * 5 * 6 * 3, 7);
  const { converted, outputs } = await runConverted(g.model(names), input, shape);

  const t = tf.tensor4d(input, shape as [number, number, number, number]);
  const y = tf.conv2d(t, g.data('f') as Tensor4D, 1, 'valid');
  const expected = [
    tf.mean(y, [1, 2]),
    tf.mean(y, 1),
    tf.sum(y, -1, true),
    tf.max(y, [2, 3]),
    tf.squeeze(tf.maxPool(y, [5, 1], 1, 'valid'), [1]),
    tf.softmax(y),
    tf.expandDims(tf.relu(y), 2),
  ];
  names.forEach((n, i) => assertClose(outputs[i]!, expected[i]!, n));
  // mean_hw and max_wc end in TF order without a Transpose, and sum_c_keep ([N,H,W,1]) only
  // moves a size-1 axis (a Reshape); mean_h and squeeze_h ([N,W,C] held as [N,C,W]) and the
  // rank-4 softmax and the rank-5 expand_w need one each to come back to TF order.
  assert.equal(converted.transposes, 4);
  assert.equal(converted.graph.opCounts().Reshape, 1);
});

test('Pad, ConcatV2 and broadcasting constants are remapped, not transposed', async () => {
  const g = new GraphBuilder();
  const shape = [1, 5, 4, 3];
  const x = g.placeholder('x', shape);
  const f = g.const('f', [3, 3, 3, 2]);
  const conv = g.op('Conv2D', 'conv', [x, f], { ...stride(1), ...pad('SAME') }); // [1,5,4,2]
  const paddings = g.ints('paddings', [4, 2], [0, 0, 1, 2, 0, 3, 1, 1]);
  const padded = g.op('Pad', 'pad', [conv, paddings]); // [1,8,7,4]
  const perChannel = g.const('per_channel', [4]);
  const scale = g.const('scale', [1, 1, 1, 4]);
  const full = g.const('full', [1, 8, 7, 4]);
  const scalar = g.const('scalar', [], [0.5]);
  const added = g.op('AddV2', 'add', [padded, perChannel]);
  const scaled = g.op('Mul', 'mul', [scale, added]);
  const diff = g.op('Sub', 'sub', [scaled, full]);
  const halved = g.op('RealDiv', 'div', [diff, scalar]);
  const clipped = g.op('Minimum', 'min', [g.op('Maximum', 'max', [halved, g.const('lo', [], [-0.8])]), g.const('hi', [1], [0.9])]);
  const axis3 = g.ints('axis3', [], [3]);
  const axisNeg3 = g.ints('axis_neg3', [], [-3]);
  g.op('ConcatV2', 'concat_c', [clipped, padded, axis3], { N: attr.i(2) });
  const extra = g.const('extra', [1, 2, 7, 4]);
  g.op('ConcatV2', 'concat_h', [clipped, extra, axisNeg3], { N: attr.i(2) });
  const bnParams = ['bn/scale', 'bn/offset', 'bn/mean', 'bn/variance'].map((n, i) => g.const(n, [4], i === 3 ? [0.5, 1, 1.5, 2] : undefined));
  g.op('FusedBatchNormV3', 'bn', [padded, ...bnParams], { epsilon: attr.f(0.001), data_format: attr.s('NHWC'), is_training: attr.b(false) });
  const names = ['concat_c', 'concat_h', 'bn'];
  const input = values(5 * 4 * 3, 3);
  const { converted, outputs } = await runConverted(g.model(names), input, shape);

  const t = tf.tensor4d(input, shape as [number, number, number, number]);
  const y = tf.conv2d(t, g.data('f') as Tensor4D, 1, 'same');
  const p = tf.pad(y, [[0, 0], [1, 2], [0, 3], [1, 1]]);
  const e = tf.minimum(tf.maximum(tf.div(tf.sub(tf.mul(g.data('scale'), tf.add(p, g.data('per_channel'))), g.data('full')), 0.5), -0.8), 0.9);
  assertClose(outputs[0]!, tf.concat([e, p], 3), 'concat_c');
  assertClose(outputs[1]!, tf.concat([e, g.data('extra')], 1), 'concat_h');
  const [bnScale, bnOffset, bnMean, bnVariance] = bnParams.map((n) => g.data(n));
  assertClose(outputs[2]!, tf.batchNorm(p, bnMean!, bnVariance!, bnOffset!, bnScale!, 0.001), 'bn');
  assert.equal(converted.transposes, 3); // the rank-4 outputs
});

test('StridedSlice: begin/end masks, strides, negative stride, ellipsis, new and shrink axes', async () => {
  const g = new GraphBuilder();
  const shape = [2, 6, 5, 4];
  const x = g.placeholder('x', shape);
  const f = g.const('f', [1, 1, 4, 4]);
  const conv = g.op('Conv2D', 'conv', [x, f], { ...stride(1), ...pad('VALID') }); // NCHW inside
  interface Spec { begin: number[]; end: number[]; strides: number[]; begin_mask?: number; end_mask?: number; ellipsis_mask?: number; new_axis_mask?: number; shrink_axis_mask?: number }
  const specs: Record<string, Spec> = {
    // x[:, 1:5:2, :, 0:3]
    strided: { begin: [0, 1, 0, 0], end: [0, 5, 0, 3], strides: [1, 2, 1, 1], begin_mask: 0b0101, end_mask: 0b0101 },
    // x[:, 2] (shrinks H)
    shrink_h: { begin: [0, 2], end: [0, 3], strides: [1, 1], begin_mask: 1, end_mask: 1, shrink_axis_mask: 2 },
    // x[..., ::-1] (reverses channels)
    reverse_c: { begin: [0, 0], end: [0, 0], strides: [1, -1], ellipsis_mask: 1, begin_mask: 2, end_mask: 2 },
    // x[:, :, -1, 1:] (shrinks W with a negative index)
    last_w: { begin: [0, 0, -1, 1], end: [0, 0, 0, 0], strides: [1, 1, 1, 1], begin_mask: 3, end_mask: 0b1011, shrink_axis_mask: 4 },
    // x[:, newaxis, 1:3] (adds an axis)
    new_axis: { begin: [0, 0, 1], end: [0, 0, 3], strides: [1, 1, 1], begin_mask: 1, end_mask: 1, new_axis_mask: 2 },
    // x[1:, ..., 4:0:-2] (ellipsis in the middle, negative stride with bounds)
    mixed: { begin: [1, 0, 4], end: [0, 0, 0], strides: [1, 1, -2], end_mask: 1, ellipsis_mask: 2 },
  };
  const names = Object.keys(specs);
  for (const [name, s] of Object.entries(specs)) {
    const n = s.begin.length;
    g.op('StridedSlice', name, [conv, g.ints(`${name}/begin`, [n], s.begin), g.ints(`${name}/end`, [n], s.end), g.ints(`${name}/strides`, [n], s.strides)], {
      Index: { type: 'DT_INT32' },
      begin_mask: attr.i(s.begin_mask ?? 0), end_mask: attr.i(s.end_mask ?? 0), ellipsis_mask: attr.i(s.ellipsis_mask ?? 0),
      new_axis_mask: attr.i(s.new_axis_mask ?? 0), shrink_axis_mask: attr.i(s.shrink_axis_mask ?? 0),
    });
  }
  // A rank-2 slice like SSR-Net's: dense[:, 0] after a flatten and MatMul.
  const flat = g.op('Reshape', 'flatten', [conv, g.ints('flat_shape', [2], [-1, 6 * 5 * 4])]);
  const dense = g.op('_FusedMatMul', 'dense', [flat, g.const('w', [120, 3]), g.const('b', [3])], {
    fused_ops: attr.strs(['BiasAdd', 'Tanh']), num_args: attr.i(1), transpose_a: attr.b(false), transpose_b: attr.b(false),
  });
  g.op('StridedSlice', 'column0', [dense, g.ints('c0/begin', [2], [0, 0]), g.ints('c0/end', [2], [0, 1]), g.ints('c0/strides', [2], [1, 1])], {
    begin_mask: attr.i(1), end_mask: attr.i(1), shrink_axis_mask: attr.i(2),
  });
  const expanded = g.op('ExpandDims', 'expand', ['column0', g.ints('expand/axis', [], [-1])]);
  names.push('column0', expanded);

  const input = values(2 * 6 * 5 * 4, 5);
  const { outputs } = await runConverted(g.model(names), input, shape);
  const t = tf.tensor4d(input, shape as [number, number, number, number]);
  const y = tf.conv2d(t, g.data('f') as Tensor4D, 1, 'valid');
  Object.entries(specs).forEach(([name, s], i) => {
    const expected = tf.stridedSlice(y, s.begin, s.end, s.strides, s.begin_mask, s.end_mask, s.ellipsis_mask, s.new_axis_mask, s.shrink_axis_mask);
    assertClose(outputs[i]!, expected, name);
  });
  const d = tf.tanh(tf.matMul(tf.reshape(y, [-1, 120]), g.data('w')).add(g.data('b')));
  const col = tf.stridedSlice(d, [0, 0], [0, 1], [1, 1], 1, 1, 0, 0, 2);
  assertClose(outputs[names.length - 2]!, col, 'column0');
  assertClose(outputs[names.length - 1]!, tf.expandDims(col, -1), 'expand');
});

test('flatten of an NCHW value transposes once; a 1x1 flatten and elementwise tails do not', async () => {
  const g = new GraphBuilder();
  const shape = [-1, 4, 4, 2];
  const x = g.placeholder('x', shape);
  const conv = g.op('Conv2D', 'conv', [x, g.const('f', [3, 3, 2, 3])], { ...stride(1), ...pad('SAME') }); // [N,4,4,3]
  const flat = g.op('Reshape', 'flatten', [conv, g.ints('shape', [2], [-1, 48])]);
  const square = g.op('Square', 'square', [flat]);
  const dense = g.op('MatMul', 'dense', [square, g.const('w', [48, 5])], { transpose_a: attr.b(false), transpose_b: attr.b(false) });
  const pooled = g.op('AvgPool', 'gap', [conv], { ksize: attr.ints([1, 4, 4, 1]), ...stride(4), ...pad('VALID') }); // [N,1,1,3]
  const flat1 = g.op('Reshape', 'flatten1', [pooled, g.ints('shape1', [2], [-1, 3])]);
  const sum = g.op('Sum', 'sumsq', [g.op('Square', 'sq1', [flat1]), g.ints('one', [], [1])], { keep_dims: attr.b(true) });
  const norm = g.op('Mul', 'l2norm', [flat1, g.op('Rsqrt', 'rsqrt', [g.op('Maximum', 'eps', [sum, g.const('eps_c', [], [1e-10])])])]);
  const names = [dense, norm];
  const input = values(3 * 4 * 4 * 2, 11);
  const { converted, outputs } = await runConverted(g.model(names), input, [3, 4, 4, 2]); // dynamic batch, fed 3
  assert.equal(converted.transposes, 1);
  const t = tf.tensor4d(input, [3, 4, 4, 2]);
  const y = tf.conv2d(t, g.data('f') as Tensor4D, 1, 'same');
  const p = tf.reshape(tf.avgPool(y, 4, 4, 'valid'), [-1, 3]);
  assertClose(outputs[0]!, tf.matMul(tf.square(tf.reshape(y, [-1, 48])), g.data('w')), 'dense');
  assertClose(outputs[1]!, tf.mul(p, tf.rsqrt(tf.maximum(tf.sum(tf.square(p), 1, true), 1e-10))), 'l2norm');
});

test('outputs: signature order and names, or terminal nodes without a signature', () => {
  const g = new GraphBuilder();
  const x = g.placeholder('x', [-1, 4]);
  g.op('Relu', 'b', [x]);
  g.op('Sigmoid', 'a', [x]);
  g.op('Identity', 'Identity_1', ['a']);
  g.op('Identity', 'Identity', ['b']);
  const withSignature = convertGraphModel(g.model(['Identity_1', 'Identity']), { name: 's' });
  assert.deepEqual(withSignature.outputs, ['Identity_1', 'Identity']);
  const without = convertGraphModel(g.model(), { name: 's' });
  assert.deepEqual(without.outputs, ['Identity_1', 'Identity']); // topology order of terminal nodes
  assert.equal(without.input, 'x');
});

test('an unsupported op fails naming the op and the node', () => {
  const g = new GraphBuilder();
  const x = g.placeholder('x', [1, 4, 4, 3]);
  const y = g.op('Relu', 'a/relu', [x]);
  g.op('Foo', 'a/b/c', [y]);
  assert.throws(() => convertGraphModel(g.model(['a/b/c']), { name: 'bad' }), /unsupported TF op "Foo" at node "a\/b\/c"/);
});
