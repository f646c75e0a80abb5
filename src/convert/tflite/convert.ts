// TFLite -> ONNX. Each TFLite operator is restated as the TensorFlow op it was converted from
// (CONV_2D as Conv2D + BiasAdd, FULLY_CONNECTED as MatMul, ...) and handed to the same op
// translators as TF.js graphs (../ops), so layouts follow the same rules: activations stay NCHW,
// constants are re-laid out at conversion, and a Transpose is made only where a value must be
// seen in TF's order (a flatten before a fully-connected layer, for instance).
//
// Input. The subgraph's single input becomes the ONNX input, float32 NCHW, taking exactly the
// values the TFLite model takes (no normalisation in the graph; the registry says what the
// runtime feeds). TFLite files fix every dimension; `dynamicBatch` and `dynamicSpatial` free the
// batch and the height and width (a reshape target that names the file's batch gets -1).
//
// Transposed images. MTCNN's nets come from Caffe, whose MATLAB front end stored images
// column-major: their NHWC input is [N, width, height, C]. With `transposedImage` the ONNX input
// is the image as it is, [N, C, height, width], and rank-4 outputs come out [N, C, height, width]
// in the image's orientation; inside, the graph computes exactly what the TFLite model computes
// on the transposed image.
//
// Outputs. The subgraph's outputs in their order, named after their tensors, in TFLite's shape
// and axis order (rank-4 outputs of transposed-image nets: see above).
import { OnnxGraph } from '../onnx/graph.ts';
import { permute } from '../onnx/layers.ts';
import { ConvertContext, declaredDims, identityPerm, type Perm, type TfValue } from '../ops/context.ts';
import { tfOps } from '../ops/index.ts';
import type { TfjsGraphNode } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { foldPrelu } from './fuse.ts';
import { readTflite, type TfliteModel, type TfliteOperator } from './model.ts';

export interface ConvertTfliteOptions {
  /** The ONNX graph's name. */
  name: string;
  /** Any batch size instead of the file's fixed one. */
  dynamicBatch?: boolean;
  /** Any height and width (fully convolutional nets only). */
  dynamicSpatial?: boolean;
  /** The net takes images transposed, [N, W, H, C] (see the file comment). */
  transposedImage?: boolean;
}

export interface ConvertedTflite extends ConvertedGraph {
  /** Transpose nodes in the graph (layout changes the converter could not avoid). */
  transposes: number;
  /** Constants stored quantised or as float16 in the file, converted to float32, by type. */
  dequantised: Record<string, number>;
  /** PReLUs written out in elementary ops that were folded back into PRelu nodes (see fuse.ts). */
  preluFolded: number;
}

/** The ops these converters handle (anything else is refused with its name). */
export const TFLITE_OPS = [
  'ADD', 'SUB', 'MUL', 'DIV', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE',
  'RELU', 'RELU6', 'NEG', 'EXP', 'ABS', 'LOGISTIC', 'TANH', 'SQRT', 'RSQRT', 'PRELU', 'LEAKY_RELU',
  'CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'MAX_POOL_2D', 'AVERAGE_POOL_2D',
  'SOFTMAX', 'REDUCE_MAX', 'SUM', 'MEAN', 'RESHAPE', 'SQUEEZE', 'CONCATENATION', 'PAD', 'DEQUANTIZE',
] as const;

/** Padding enum: SAME = 0, VALID = 1. */
const padding = (code: number) => (code === 0 ? 'SAME' : 'VALID');
/** ActivationFunctionType: NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT. */
const ACTIVATIONS: Record<number, string | undefined> = { 0: undefined, 1: 'Relu', 3: 'Relu6', 4: 'Tanh' };

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const ints = (values: number[]) => ({ list: { i: values.map(String) } });
const strs = (values: string[]) => ({ list: { s: values.map(b64) } });

/** Index of the fused-activation field in each op's options table. */
const ACTIVATION_FIELD: Record<string, number> = {
  CONV_2D: 3, DEPTHWISE_CONV_2D: 4, FULLY_CONNECTED: 0, MAX_POOL_2D: 5, AVERAGE_POOL_2D: 5,
  ADD: 0, SUB: 0, MUL: 0, DIV: 0, CONCATENATION: 1,
};

class TfliteConverter {
  readonly graph: OnnxGraph;
  readonly ctx: ConvertContext;
  private fileBatch = -1;
  private batchFreed = false;
  private synthetic = 0;

  constructor(private readonly model: TfliteModel, private readonly options: ConvertTfliteOptions) {
    this.graph = new OnnxGraph(options.name);
    this.ctx = new ConvertContext(this.graph, new Set(model.outputs.map((i) => this.tensorName(i))));
  }

  tensorName(index: number): string {
    return this.model.tensors[index]!.name.replace(/[^A-Za-z0-9_./:-]/g, '_');
  }

  ref(index: number): string {
    return `t${index}`;
  }

  /** Registers a constant made at conversion (a re-laid-out filter, an axis) and returns its reference. */
  constant(shape: number[], data: Float32Array | Int32Array): string {
    const ref = `c${this.synthetic++}`;
    this.ctx.set(`${ref}:0`, { name: '', shape, perm: identityPerm(shape.length), constant: { shape, data } });
    return ref;
  }

  constantData(op: TfliteOperator, at: number): { shape: number[]; data: Float32Array | Int32Array } {
    const t = this.model.tensors[op.inputs[at]!];
    if (!t?.data) throw new Error(`${op.op} "${this.tensorName(op.outputs[0]!)}": input ${at} must be a constant`);
    return { shape: t.shape, data: t.data };
  }

  /** Runs one TF op translator on a synthetic node; returns its first value. */
  tf(op: string, name: string, inputs: string[], attr: Record<string, unknown> = {}): TfValue {
    const handler = tfOps[op];
    if (!handler) throw new Error(`no translator for TF op ${op}`);
    const node: TfjsGraphNode = { name, op, input: inputs, attr };
    const result = handler(this.ctx, node);
    return Array.isArray(result) ? result[0]! : result;
  }

  declareInput(): string {
    const { tensors, inputs } = this.model;
    if (inputs.length !== 1) throw new Error(`the model has ${inputs.length} inputs; only one is supported`);
    const t = tensors[inputs[0]!]!;
    if (t.type !== 'float32') throw new Error(`input "${t.name}" has type ${t.type}; only float32 inputs are supported`);
    const shape = [...t.signature];
    if (this.options.dynamicBatch) { this.fileBatch = shape[0]!; shape[0] = -1; this.batchFreed = true; }
    if (this.options.dynamicSpatial) {
      if (shape.length !== 4) throw new Error('dynamicSpatial needs a rank-4 input');
      shape[1] = -1; shape[2] = -1;
    }
    let perm: Perm = identityPerm(shape.length);
    let dims: (number | string)[];
    if (shape.length === 4) {
      perm = this.options.transposedImage ? [0, 3, 2, 1] : [0, 3, 1, 2];
      const named = ['batch', 'channels', 'height', 'width'];
      dims = perm.map((axis, i) => (shape[axis]! < 0 ? named[i]! : shape[axis]!));
    } else {
      if (this.options.transposedImage) throw new Error('transposedImage needs a rank-4 input');
      dims = declaredDims(shape, 'input');
    }
    const name = this.graph.input(this.ctx.hint(this.tensorName(inputs[0]!)), dims);
    this.ctx.set(`${this.ref(inputs[0]!)}:0`, { name, shape, perm });
    return name;
  }

  convertOperator(op: TfliteOperator): void {
    const name = this.tensorName(op.outputs[0]!);
    const o = op.options;
    const x = () => this.ref(op.inputs[0]!);
    const hasBias = () => op.inputs.length > 2 && op.inputs[2]! >= 0;
    let y: TfValue;
    switch (op.op) {
      case 'CONV_2D': case 'DEPTHWISE_CONV_2D': {
        const depthwise = op.op === 'DEPTHWISE_CONV_2D';
        const f = this.constantData(op, 1);
        if (!(f.data instanceof Float32Array)) throw new Error(`${op.op} "${name}": integer filter`);
        const [first, kh, kw, last] = f.shape as [number, number, number, number];
        const field = depthwise ? { sw: 1, sh: 2, dw: 5, dh: 6 } : { sw: 1, sh: 2, dw: 4, dh: 5 };
        let filter: string;
        if (depthwise) {
          // [1, kh, kw, C*M] holds the same values in the same order as TF's [kh, kw, C, M].
          // The multiplier follows from the channels (newer files leave depth_multiplier unset).
          const channels = this.ctx.value(x()).shape[3]!;
          if (!(channels > 0) || last % channels !== 0) throw new Error(`${op.op} "${name}": ${last} filters for ${channels} input channels`);
          filter = this.constant([kh, kw, channels, last / channels], f.data);
        } else {
          // TFLite's OHWI -> TF's HWIO.
          filter = this.constant([kh, kw, last, first], permute(f.data, f.shape, [1, 2, 3, 0]));
        }
        const attr: Record<string, unknown> = {
          strides: ints([1, o?.int32(field.sh, 1) ?? 1, o?.int32(field.sw, 1) ?? 1, 1]),
          dilations: ints([1, o?.int32(field.dh, 1) ?? 1, o?.int32(field.dw, 1) ?? 1, 1]),
          padding: { s: b64(padding(o?.int8(0, 0) ?? 0)) },
        };
        const inputs = [x(), filter];
        if (hasBias()) {
          inputs.push(this.ref(op.inputs[2]!));
          Object.assign(attr, { fused_ops: strs(['BiasAdd']), num_args: { i: '1' } });
        }
        const tfOp = depthwise ? (hasBias() ? 'FusedDepthwiseConv2dNative' : 'DepthwiseConv2dNative') : (hasBias() ? '_FusedConv2D' : 'Conv2D');
        y = this.tf(tfOp, name, inputs, attr);
        break;
      }
      case 'FULLY_CONNECTED': {
        if (o?.bool(2, false)) throw new Error(`FULLY_CONNECTED "${name}": keep_num_dims is not supported`);
        const w = this.model.tensors[op.inputs[1]!]!;
        const inner = w.shape[1]!;
        let input = x();
        const xv = this.ctx.value(input);
        if (xv.shape.length !== 2 || xv.shape[1] !== inner) {
          // TFLite flattens the input to [-1, in] first.
          this.ctx.set(`${name}/flatten:0`, this.tf('Reshape', `${name}/flatten`, [input, this.constant([2], Int32Array.from([-1, inner]))]));
          input = `${name}/flatten`;
        }
        const attr: Record<string, unknown> = { transpose_b: { b: true } };
        const inputs = [input, this.ref(op.inputs[1]!)];
        if (hasBias()) {
          inputs.push(this.ref(op.inputs[2]!));
          Object.assign(attr, { fused_ops: strs(['BiasAdd']), num_args: { i: '1' } });
        }
        y = this.tf(hasBias() ? '_FusedMatMul' : 'MatMul', name, inputs, attr);
        break;
      }
      case 'MAX_POOL_2D': case 'AVERAGE_POOL_2D':
        y = this.tf(op.op === 'MAX_POOL_2D' ? 'MaxPool' : 'AvgPool', name, [x()], {
          ksize: ints([1, o?.int32(4, 1) ?? 1, o?.int32(3, 1) ?? 1, 1]),
          strides: ints([1, o?.int32(2, 1) ?? 1, o?.int32(1, 1) ?? 1, 1]),
          padding: { s: b64(padding(o?.int8(0, 0) ?? 0)) },
        });
        break;
      case 'ADD': case 'SUB': case 'MUL': case 'DIV': case 'MAXIMUM': case 'MINIMUM': case 'SQUARED_DIFFERENCE': {
        const tfOp = { ADD: 'AddV2', SUB: 'Sub', MUL: 'Mul', DIV: 'RealDiv', MAXIMUM: 'Maximum', MINIMUM: 'Minimum', SQUARED_DIFFERENCE: 'SquaredDifference' }[op.op];
        y = this.tf(tfOp, name, [x(), this.ref(op.inputs[1]!)]);
        break;
      }
      case 'RELU': case 'RELU6': case 'NEG': case 'EXP': case 'ABS': case 'LOGISTIC': case 'TANH': case 'SQRT': case 'RSQRT': {
        const tfOp = { RELU: 'Relu', RELU6: 'Relu6', NEG: 'Neg', EXP: 'Exp', ABS: 'Abs', LOGISTIC: 'Sigmoid', TANH: 'Tanh', SQRT: 'Sqrt', RSQRT: 'Rsqrt' }[op.op];
        y = this.tf(tfOp, name, [x()]);
        break;
      }
      case 'LEAKY_RELU':
        y = this.tf('LeakyRelu', name, [x()], { alpha: { f: o?.float32(0, 0) ?? 0 } });
        break;
      case 'PRELU':
        y = this.tf('Prelu', name, [x(), this.ref(op.inputs[1]!)]);
        break;
      case 'SOFTMAX': {
        const beta = o?.float32(0, 0) ?? 0; // the schema's default
        let input = x();
        if (beta !== 1) {
          this.ctx.set(`${name}/beta:0`, this.tf('Mul', `${name}/beta`, [input, this.constant([], Float32Array.of(beta))]));
          input = `${name}/beta`;
        }
        y = this.tf('Softmax', name, [input]);
        break;
      }
      case 'REDUCE_MAX': case 'SUM': case 'MEAN': {
        const tfOp = { REDUCE_MAX: 'Max', SUM: 'Sum', MEAN: 'Mean' }[op.op];
        y = this.tf(tfOp, name, [x(), this.ref(op.inputs[1]!)], { keep_dims: { b: o?.bool(0, false) ?? false } });
        break;
      }
      case 'RESHAPE': {
        let target = op.inputs.length > 1 && op.inputs[1]! >= 0 ? Array.from(this.constantData(op, 1).data) : (o?.int32s(0) ?? []);
        if (this.batchFreed && target[0] === this.fileBatch && !target.includes(-1) && this.ctx.value(x()).shape[0] === -1) {
          target = [-1, ...target.slice(1)];
        }
        y = this.tf('Reshape', name, [x(), this.constant([target.length], Int32Array.from(target))]);
        break;
      }
      case 'SQUEEZE':
        y = this.tf('Squeeze', name, [x()], { squeeze_dims: ints(o?.int32s(0) ?? []) });
        break;
      case 'CONCATENATION':
        y = this.tf('ConcatV2', name, [...op.inputs.map((i) => this.ref(i)), this.constant([], Int32Array.of(o?.int32(0, 0) ?? 0))]);
        break;
      case 'PAD':
        y = this.tf('Pad', name, [x(), this.ref(op.inputs[1]!)]);
        break;
      case 'DEQUANTIZE':
        // Constants were dequantised when the file was read.
        y = this.ctx.value(x());
        break;
      default:
        throw new Error(`unsupported TFLite op ${op.op} (producing "${name}")`);
    }
    const field = ACTIVATION_FIELD[op.op];
    if (field !== undefined && o) {
      const code = o.int8(field, 0);
      if (code !== 0) {
        const activation = ACTIVATIONS[code];
        if (!activation) throw new Error(`${op.op} "${name}": fused activation ${code} is not supported`);
        this.ctx.set(`${name}/pre:0`, y);
        y = this.tf(activation, `${name}/${activation.toLowerCase()}`, [`${name}/pre`]);
      }
    }
    this.ctx.set(`${this.ref(op.outputs[0]!)}:0`, y);
  }

  /** Declares the subgraph's outputs (see the file comment for their layout). */
  declareOutputs(): string[] {
    return this.model.outputs.map((index) => {
      const v = this.ctx.value(this.ref(index));
      const name = this.tensorName(index);
      if (v.shape.length === 4 && this.options.transposedImage) {
        const perm = [0, 3, 2, 1];
        const dims = perm.map((axis, i) => (v.shape[axis]! >= 0 ? v.shape[axis]! : ['batch', 'channels', 'height', 'width'][i]!));
        return this.graph.output(this.ctx.inLayout(v, perm), name, dims);
      }
      return this.graph.output(this.ctx.tf(v), name, declaredDims(v.shape, name));
    });
  }

  convert(): Omit<ConvertedTflite, 'preluFolded'> {
    for (const t of this.model.tensors) {
      if (t.data) this.ctx.set(`${this.ref(t.index)}:0`, { name: '', shape: t.shape, perm: identityPerm(t.shape.length), constant: { shape: t.shape, data: t.data } });
    }
    const input = this.declareInput();
    for (const op of this.model.operators) this.convertOperator(op);
    const outputs = this.declareOutputs();
    const dequantised: Record<string, number> = {};
    for (const t of this.model.tensors) if (t.dequantised) dequantised[t.dequantised] = (dequantised[t.dequantised] ?? 0) + 1;
    return { graph: this.graph, input, outputs, transposes: this.graph.opCounts().Transpose ?? 0, dequantised };
  }
}

/** Converts a parsed TFLite model (see the file comment for the contract). */
export function convertTfliteModel(model: TfliteModel, options: ConvertTfliteOptions): ConvertedTflite {
  const unsupported = [...new Set(model.operators.map((o) => o.op).filter((op) => !(TFLITE_OPS as readonly string[]).includes(op)))];
  if (unsupported.length) throw new Error(`unsupported TFLite ops: ${unsupported.join(', ')}`);
  const { model: folded, folded: preluFolded } = foldPrelu(model);
  return { ...new TfliteConverter(folded, options).convert(), preluFolded };
}

/** Converts the bytes of a .tflite file. */
export function convertTflite(bytes: Uint8Array, options: ConvertTfliteOptions): ConvertedTflite {
  return convertTfliteModel(readTflite(bytes), options);
}

