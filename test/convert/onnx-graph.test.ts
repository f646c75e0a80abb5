import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { OnnxGraph, float, floats } from '../../src/convert/onnx/graph.ts';
import { permute, conv2d, depthwiseConv2d } from '../../src/convert/onnx/layers.ts';
import { initTf, tf } from '../helpers/tfjs-reference.ts';

test('a built graph loads in onnxruntime and computes what its nodes say', async () => {
  const g = new OnnxGraph('affine');
  const x = g.input('x', ['batch', 3]);
  const scaled = g.node('Mul', [x, g.constFloat('scale', [2, 3, 4])]);
  const shifted = g.node('Add', [scaled, g.constFloat('shift', [0.5, 0.5, 0.5])]);
  g.output(g.node('LeakyRelu', [shifted], { alpha: float(0.25) }), 'y');
  const session = await ort.InferenceSession.create(g.toBytes());
  const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, -1, 2, -2, 0, 1]), [2, 3]) });
  assert.deepEqual(y!.dims, [2, 3]);
  assert.deepEqual(Array.from(y!.data as Float32Array), [2.5, -0.625, 8.5, -0.875, 0.5, 4.5]);
  await session.release();
});

test('equal small constants are stored once; integer attributes refuse fractions', () => {
  const g = new OnnxGraph('c');
  assert.equal(g.constInt64('a', [1, 2]), g.constInt64('b', [1, 2]));
  assert.notEqual(g.constInt64('a', [1, 2]), g.constInt64('a', [2, 1]));
  const x = g.input('x', [1]);
  g.node('Foo', [x], { bad: 0.5 });
  assert.throws(() => g.toBytes(), /not an integer/);
  const h = new OnnxGraph('d');
  h.node('Foo', [h.input('x', [1])], { ok: floats([0.5, 1.5]) });
  assert.ok(h.toBytes().length > 0);
});

test('permute matches TF.js transpose', async () => {
  await initTf();
  const shape = [2, 3, 4, 5];
  const data = Float32Array.from({ length: 120 }, (_, i) => i);
  for (const perm of [[3, 2, 0, 1], [0, 3, 1, 2], [2, 3, 0, 1]]) {
    const expected = await tf.transpose(tf.tensor(data, shape), perm).data();
    assert.deepEqual(Array.from(permute(data, shape, perm)), Array.from(expected));
  }
});

test('conv2d and depthwiseConv2d from TF filters match TF.js in NCHW, SAME padding, stride 2', async () => {
  await initTf();
  const [h, w, cin] = [7, 9, 3];
  const input = Float32Array.from({ length: h * w * cin }, (_, i) => Math.sin(i * 0.37));
  const filter = Float32Array.from({ length: 3 * 3 * cin * 4 }, (_, i) => Math.cos(i * 0.11));
  const dwFilter = Float32Array.from({ length: 3 * 3 * cin * 2 }, (_, i) => Math.cos(i * 0.23));
  const bias = Float32Array.from([0.1, -0.2, 0.3, 0.05]);

  const g = new OnnxGraph('convs');
  const x = g.input('x', [1, cin, h, w]);
  const c = conv2d(g, x, filter, [3, 3, cin, 4], { strides: [2, 2], padding: 'SAME', bias, name: 'c' });
  const d = depthwiseConv2d(g, x, dwFilter, [3, 3, cin, 2], { strides: [2, 2], padding: 'SAME', name: 'd' });
  g.output(c, 'conv');
  g.output(d, 'depthwise');
  const session = await ort.InferenceSession.create(g.toBytes());
  const nchw = permute(input, [1, h, w, cin], [0, 3, 1, 2]);
  const out = await session.run({ x: new ort.Tensor('float32', nchw, [1, cin, h, w]) });

  const tfInput = tf.tensor4d(input, [1, h, w, cin]);
  const expectedConv = tf.add(tf.conv2d(tfInput, tf.tensor4d(filter, [3, 3, cin, 4]), 2, 'same'), tf.tensor1d(bias));
  const expectedDw = tf.depthwiseConv2d(tfInput, tf.tensor4d(dwFilter, [3, 3, cin, 2]), 2, 'same');
  for (const [name, expected] of [['conv', expectedConv], ['depthwise', expectedDw]] as const) {
    const actual = out[name]!;
    const nhwc = permute(actual.data as Float32Array, actual.dims as number[], [0, 2, 3, 1]);
    assert.deepEqual([...actual.dims], [1, expected.shape[3], expected.shape[1], expected.shape[2]]);
    const reference = await expected.data();
    for (let i = 0; i < reference.length; i++) assert.ok(Math.abs(nhwc[i]! - reference[i]!) < 1e-4, `${name}[${i}]`);
  }
  await session.release();
});
