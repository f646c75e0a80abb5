// PReLU written out in elementary ops, as TF's converter leaves it, folded back into one op so
// onnxruntime runs a single PRelu node instead of five element-wise passes:
//   MTCNN:         relu(x) + alpha * neg(relu(neg(x)))   = prelu(x, alpha)
//   MobileFaceNet: relu(x) + c * (x - abs(x))            = prelu(x, 2c)
// A pattern is folded only when its inner tensors feed nothing else and are no graph outputs.
import type { TfliteModel, TfliteOperator, TfliteTensor } from './model.ts';

export function foldPrelu(model: TfliteModel): { model: TfliteModel; folded: number } {
  const producer = new Map<number, TfliteOperator>();
  const uses = new Map<number, number>();
  for (const op of model.operators) {
    for (const o of op.outputs) producer.set(o, op);
    for (const i of op.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  for (const o of model.outputs) uses.set(o, (uses.get(o) ?? 0) + 1);
  const tensors: TfliteTensor[] = [...model.tensors];
  const removed = new Set<TfliteOperator>();
  const replaced = new Map<TfliteOperator, TfliteOperator>();

  /** The op producing tensor `t` if it is `name` and `t` feeds only the pattern. */
  const inner = (t: number | undefined, name: string): TfliteOperator | undefined => {
    if (t === undefined) return undefined;
    const op = producer.get(t);
    return op && op.op === name && uses.get(t) === 1 && !removed.has(op) ? op : undefined;
  };
  const constant = (t: number | undefined) => (t === undefined ? undefined : model.tensors[t]?.data);

  for (const add of model.operators) {
    if (add.op !== 'ADD' || (add.options?.int8(0, 0) ?? 0) !== 0) continue;
    for (const [reluAt, mulAt] of [[0, 1], [1, 0]] as const) {
      const relu = inner(add.inputs[reluAt], 'RELU');
      const mul = inner(add.inputs[mulAt], 'MUL');
      if (!relu || !mul || (mul.options?.int8(0, 0) ?? 0) !== 0) continue;
      const x = relu.inputs[0]!;
      const alphaAt = constant(mul.inputs[0]) ? 0 : constant(mul.inputs[1]) ? 1 : -1;
      if (alphaAt < 0) continue;
      const alpha = constant(mul.inputs[alphaAt])!;
      const other = mul.inputs[1 - alphaAt];
      let pattern: TfliteOperator[] | undefined;
      let factor = 1;
      const neg2 = inner(other, 'NEG');
      const relu2 = inner(neg2?.inputs[0], 'RELU');
      const neg1 = inner(relu2?.inputs[0], 'NEG');
      if (neg2 && relu2 && neg1 && neg1.inputs[0] === x) pattern = [neg1, relu2, neg2];
      const sub = inner(other, 'SUB');
      const abs = inner(sub?.inputs[1], 'ABS');
      if (!pattern && sub && abs && sub.inputs[0] === x && abs.inputs[0] === x && (sub.options?.int8(0, 0) ?? 0) === 0) {
        pattern = [abs, sub];
        factor = 2;
      }
      // relu(x) is used only by the ADD; x itself feeds the pattern's ops and may feed others.
      if (!pattern) continue;
      const slope: TfliteTensor = {
        index: tensors.length,
        name: `${model.tensors[add.outputs[0]!]!.name}/prelu_alpha`,
        shape: model.tensors[mul.inputs[alphaAt]!]!.shape,
        signature: model.tensors[mul.inputs[alphaAt]!]!.shape,
        type: 'float32',
        data: Float32Array.from(alpha, (v) => v * factor),
      };
      tensors.push(slope);
      for (const op of [relu, mul, ...pattern]) removed.add(op);
      replaced.set(add, { op: 'PRELU', inputs: [x, slope.index], outputs: add.outputs });
      break;
    }
  }
  const operators = model.operators.filter((op) => !removed.has(op)).map((op) => replaced.get(op) ?? op);
  return { model: { ...model, tensors, operators }, folded: replaced.size };
}
