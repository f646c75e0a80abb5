// An ONNX graph builder: nodes, initializers, inputs and outputs, serialised to a
// ModelProto with our own protobuf writer (no protobuf library needed for one schema).
import { ProtoWriter } from './protobuf.ts';

export const OPSET = 13;
const IR_VERSION = 8;

/** ONNX TensorProto.DataType values used here. */
export const DataType = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 } as const;
export type ElementType = keyof typeof DataType;

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

/** A dimension is a fixed size or a symbolic name such as 'batch'. */
export type Dim = number | string;

class FloatAttr { constructor(readonly value: number) {} }
class FloatsAttr { constructor(readonly value: readonly number[]) {} }

/** Marks an attribute value as FLOAT (plain numbers are INT). */
export const float = (value: number): FloatAttr => new FloatAttr(value);
/** Marks an attribute value as FLOATS (plain number arrays are INTS). */
export const floats = (value: readonly number[]): FloatsAttr => new FloatsAttr(value);

export type AttrValue = number | readonly number[] | string | FloatAttr | FloatsAttr;
export type Attrs = Record<string, AttrValue | undefined>;

interface NodeRecord {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: Attrs;
}

interface Initializer {
  name: string;
  dims: number[];
  type: ElementType;
  data: TensorData;
}

interface ValueInfo {
  name: string;
  type: ElementType;
  shape?: Dim[];
}

function elementTypeOf(data: TensorData): ElementType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'uint8';
}

export interface ModelOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export class OnnxGraph {
  private readonly nodes: NodeRecord[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly usedNames = new Set<string>();
  private readonly constCache = new Map<string, string>();

  constructor(readonly name: string) {}

  /** A name not used yet in this graph, derived from a hint. */
  uniqueName(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let candidate = base;
    for (let i = 1; this.usedNames.has(candidate); i++) candidate = `${base}_${i}`;
    this.usedNames.add(candidate);
    return candidate;
  }

  input(name: string, shape: Dim[], type: ElementType = 'float32'): string {
    const unique = this.uniqueName(name);
    this.inputs.push({ name: unique, type, shape });
    return unique;
  }

  /** Declares an existing value as a graph output; renames it with an Identity when a name is given. */
  output(value: string, name?: string, shape?: Dim[], type: ElementType = 'float32'): string {
    let outName = value;
    if (name && name !== value) {
      outName = this.uniqueName(name);
      this.nodes.push({ op: 'Identity', inputs: [value], outputs: [outName], name: outName, attrs: {} });
    }
    this.outputs.push({ name: outName, type, shape });
    return outName;
  }

  /** Adds an initializer (a constant tensor stored in the model). */
  constant(hint: string, data: TensorData, dims: readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`constant ${hint}: ${data.length} values for dims [${dims.join(',')}]`);
    const name = this.uniqueName(hint);
    this.initializers.push({ name, dims: [...dims], type: elementTypeOf(data), data });
    return name;
  }

  /** A float32 constant; small ones with equal contents are shared. */
  constFloat(hint: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    if (data.length <= 16) {
      const key = `f:${dims.join(',')}:${Array.from(data).join(',')}`;
      const cached = this.constCache.get(key);
      if (cached) return cached;
      const name = this.constant(hint, data, dims);
      this.constCache.set(key, name);
      return name;
    }
    return this.constant(hint, data, dims);
  }

  /** An int64 constant (shapes, axes, pads); equal ones are shared. */
  constInt64(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join(',')}:${values.join(',')}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const name = this.constant(hint, BigInt64Array.from(values.map((v) => BigInt(v))), dims);
    this.constCache.set(key, name);
    return name;
  }

  /** Adds a node and returns its single output's name. */
  node(op: string, inputs: string[], attrs: Attrs = {}, hint?: string): string {
    return this.nodeMulti(op, inputs, 1, attrs, hint)[0]!;
  }

  /** Adds a node with several outputs. An empty input name means "omitted optional input". */
  nodeMulti(op: string, inputs: string[], outputCount: number, attrs: Attrs = {}, hint?: string): string[] {
    const name = this.uniqueName(hint ?? op);
    const outputs = outputCount === 1 ? [name] : Array.from({ length: outputCount }, (_, i) => this.uniqueName(`${name}:${i}`));
    this.nodes.push({ op, inputs, outputs, name, attrs });
    return outputs;
  }

  /** How many nodes of each op type the graph holds. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
    return counts;
  }

  toBytes(options: ModelOptions = {}): Uint8Array {
    const graph = new ProtoWriter();
    for (const n of this.nodes) graph.message(1, encodeNode(n));
    graph.string(2, this.name);
    for (const init of this.initializers) graph.message(5, encodeTensor(init));
    for (const v of this.inputs) graph.message(11, encodeValueInfo(v));
    for (const v of this.outputs) graph.message(12, encodeValueInfo(v));

    const model = new ProtoWriter();
    model.int(1, IR_VERSION);
    model.string(2, options.producerName ?? 'visage');
    model.string(3, options.producerVersion ?? '0');
    if (options.docString) model.string(6, options.docString);
    model.message(7, graph);
    model.message(8, new ProtoWriter().string(1, '').int(2, OPSET));
    for (const [key, value] of Object.entries(options.metadata ?? {})) {
      model.message(14, new ProtoWriter().string(1, key).string(2, value));
    }
    return model.finish();
  }
}

function encodeNode(n: NodeRecord): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [key, value] of Object.entries(n.attrs)) {
    if (value !== undefined) w.message(5, encodeAttr(key, value));
  }
  return w;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_FLOATS = 6, ATTR_INTS = 7;

function encodeAttr(name: string, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (value instanceof FloatAttr) return w.float(2, value.value).int(20, ATTR_FLOAT);
  if (value instanceof FloatsAttr) return w.packedFloats(7, value.value).int(20, ATTR_FLOATS);
  if (typeof value === 'string') return w.string(4, value).int(20, ATTR_STRING);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer; wrap floats with float()`);
    return w.int(3, value).int(20, ATTR_INT);
  }
  for (const v of value) {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; wrap floats with floats()`);
  }
  return w.packedInts(8, value).int(20, ATTR_INTS);
}

function encodeTensor(t: Initializer): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, DataType[t.type]);
  w.string(8, t.name);
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return w;
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const tensorType = new ProtoWriter().int(1, DataType[v.type]);
  if (v.shape) {
    const shape = new ProtoWriter();
    for (const d of v.shape) {
      const dim = new ProtoWriter();
      if (typeof d === 'number' && d >= 0) dim.int(1, d);
      else dim.string(2, typeof d === 'string' ? d : 'unk');
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}
