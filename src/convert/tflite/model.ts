// Reads a TFLite flatbuffer (schema.fbs of tensorflow/lite/schema, version 3) into plain
// records: tensors with their constant data decoded to float32 or int32, operators with their
// builtin op names and option tables. Quantised constants (uint8/int8/int16 with scale and zero
// point) are dequantised here; float16 constants are widened. The field numbers below are the
// schema's field order.
import { FlatTable, flatIdentifier, flatRoot } from './flatbuffer.ts';
import { halfToFloat } from '../half.ts';

/** TensorType enum values the converter can meet. */
const TENSOR_TYPES = ['float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8', 'float64'] as const;
export type TfliteTensorType = (typeof TENSOR_TYPES)[number];

/** BuiltinOperator names by code (the ones these converters handle, plus a few for messages). */
const BUILTIN_OPS: Record<number, string> = {
  0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 6: 'DEQUANTIZE',
  9: 'FULLY_CONNECTED', 11: 'L2_NORMALIZATION', 14: 'LOGISTIC', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU',
  21: 'RELU6', 22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 25: 'SOFTMAX', 28: 'TANH', 32: 'CUSTOM', 34: 'PAD',
  39: 'TRANSPOSE', 40: 'MEAN', 41: 'SUB', 42: 'DIV', 43: 'SQUEEZE', 45: 'STRIDED_SLICE', 47: 'EXP',
  49: 'SPLIT', 53: 'CAST', 54: 'PRELU', 55: 'MAXIMUM', 56: 'ARG_MAX', 57: 'MINIMUM', 59: 'NEG', 65: 'SLICE',
  58: 'LESS', 61: 'GREATER', 62: 'GREATER_EQUAL', 70: 'EXPAND_DIMS', 74: 'SUM', 75: 'SQRT', 76: 'RSQRT',
  77: 'SHAPE', 82: 'REDUCE_MAX', 83: 'PACK', 88: 'UNPACK', 92: 'SQUARE', 98: 'LEAKY_RELU', 99: 'SQUARED_DIFFERENCE',
  101: 'ABS', 114: 'QUANTIZE', 117: 'HARD_SWISH', 126: 'BATCH_MATMUL',
};

export interface TfliteQuantisation {
  scale: number[];
  zeroPoint: number[];
  /** The axis the per-channel scales run along. */
  axis: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  /** The shape with -1 where the model allows any size (shape_signature), else `shape`. */
  signature: number[];
  type: TfliteTensorType;
  /** Constant contents, decoded (dequantised when quantised); undefined for activations. */
  data?: Float32Array | Int32Array;
  /** Set when the stored constant was quantised or float16 and has been converted to float32. */
  dequantised?: TfliteTensorType;
  quantisation?: TfliteQuantisation;
}

export interface TfliteOperator {
  /** Builtin op name (e.g. 'CONV_2D'), 'BUILTIN_<code>' for codes not named here, or the custom code. */
  op: string;
  inputs: number[];
  outputs: number[];
  /** The builtin options table; read by the converter per op (its layout depends on the op). */
  options?: FlatTable;
}

export interface TfliteModel {
  version: number;
  description?: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

function quantisationOf(t: FlatTable): TfliteQuantisation | undefined {
  const q = t.table(4);
  if (!q) return undefined;
  const scale = q.float32s(2);
  if (scale.length === 0) return undefined;
  const zeroPoint = q.int64s(3).map(Number);
  return { scale, zeroPoint, axis: q.int32(6, 0) };
}

/** Decodes a constant's bytes; quantised integers become (q - zero point) * scale per channel. */
function decodeConstant(bytes: Uint8Array, type: TfliteTensorType, shape: number[], q: TfliteQuantisation | undefined, name: string): Pick<TfliteTensor, 'data' | 'dequantised'> {
  const count = shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (size: number) => {
    if (bytes.byteLength < count * size) throw new Error(`tensor "${name}": ${bytes.byteLength} bytes for ${count} ${type} values`);
  };
  const dequantise = (read: (i: number) => number): Float32Array => {
    if (!q) throw new Error(`tensor "${name}": ${type} constant without quantisation parameters`);
    const out = new Float32Array(count);
    // Per-channel scales run along `axis`; per-tensor has one scale.
    const inner = shape.slice(q.axis + 1).reduce((a, b) => a * b, 1);
    const channels = q.scale.length;
    for (let i = 0; i < count; i++) {
      const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
      out[i] = (read(i) - (q.zeroPoint[c] ?? 0)) * q.scale[c]!;
    }
    return out;
  };
  switch (type) {
    case 'float32': need(4); return { data: Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true)) };
    case 'float16': need(2); return { data: Float32Array.from({ length: count }, (_, i) => halfToFloat(view.getUint16(2 * i, true))), dequantised: 'float16' };
    case 'int32':
      need(4);
      if (q && q.scale.some((s) => s !== 0)) return { data: dequantise((i) => view.getInt32(4 * i, true)), dequantised: 'int32' };
      return { data: Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true)) };
    case 'int64': need(8); return { data: Int32Array.from({ length: count }, (_, i) => Number(view.getBigInt64(8 * i, true))) };
    case 'uint8': need(1); return { data: dequantise((i) => view.getUint8(i)), dequantised: 'uint8' };
    case 'int8': need(1); return { data: dequantise((i) => view.getInt8(i)), dequantised: 'int8' };
    case 'int16': need(2); return { data: dequantise((i) => view.getInt16(2 * i, true)), dequantised: 'int16' };
    default: throw new Error(`tensor "${name}": constants of type ${type} are not supported`);
  }
}

/** Parses a TFLite flatbuffer; throws on anything that is not one (wrong identifier, bad offsets). */
export function readTflite(bytes: Uint8Array): TfliteModel {
  if (bytes.byteLength < 8 || flatIdentifier(bytes) !== 'TFL3') throw new Error('not a TFLite model (no "TFL3" identifier)');
  const root = flatRoot(bytes);
  const codes = root.tables(1).map((c) => {
    // builtin_code (field 3) replaced deprecated_builtin_code (field 0, a byte) from code 127 on.
    const code = Math.max(c.int8(0, 0), c.int32(3, 0));
    return code === 32 ? (c.string(1) ?? 'CUSTOM') : (BUILTIN_OPS[code] ?? `BUILTIN_${code}`);
  });
  const buffers = root.tables(4);
  const subgraphs = root.tables(2);
  if (subgraphs.length !== 1) throw new Error(`the model has ${subgraphs.length} subgraphs; only one is supported`);
  const sg = subgraphs[0]!;

  const tensors = sg.tables(0).map((t, index): TfliteTensor => {
    const name = t.string(3) ?? `tensor_${index}`;
    const shape = t.int32s(0);
    const sig = t.int32s(7);
    const type = TENSOR_TYPES[t.int8(1, 0)];
    if (!type) throw new Error(`tensor "${name}": unknown type ${t.int8(1, 0)}`);
    const quantisation = quantisationOf(t);
    const tensor: TfliteTensor = { index, name, shape, signature: sig.length === shape.length ? sig : shape, type, quantisation };
    const buffer = buffers[t.uint32(2, 0)];
    if (buffer?.has(2) || buffer?.has(1)) throw new Error(`tensor "${name}": data outside the flatbuffer (large-model offsets) is not supported`);
    const data = buffer?.vectorBytes(0, 1);
    if (data && data.byteLength > 0) Object.assign(tensor, decodeConstant(data, type, shape, quantisation, name));
    return tensor;
  });

  const operators = sg.tables(3).map((o): TfliteOperator => {
    const op = codes[o.uint32(0, 0)];
    if (op === undefined) throw new Error(`operator with an unknown opcode index ${o.uint32(0, 0)}`);
    return { op, inputs: o.int32s(1), outputs: o.int32s(2), options: o.table(4) };
  });

  return {
    version: root.uint32(0, 0),
    description: root.string(3),
    tensors,
    inputs: sg.int32s(1),
    outputs: sg.int32s(2),
    operators,
  };
}
