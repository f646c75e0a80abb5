// An inference lane: a worker thread with its own onnxruntime sessions (one intra-op thread
// each), so that several small model runs go side by side on several cores. Plain JavaScript:
// a worker starts without the TypeScript loader the rest of Visage runs under.
//
// Messages in:  { job, path, options, input: Float32Array, dims: number[] }
// Messages out: { job, outputs: { [name]: { data: Float32Array, dims: number[] } } } or { job, error }
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';

/** Session per model file, created on first use. */
const sessions = new Map();

function session(path, options) {
  let s = sessions.get(path);
  if (!s) {
    s = ort.InferenceSession.create(path, options);
    s.catch(() => sessions.delete(path));
    sessions.set(path, s);
  }
  return s;
}

parentPort.on('message', async ({ job, path, options, input, dims }) => {
  try {
    const s = await session(path, options);
    const results = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    const outputs = {};
    const transfer = [];
    for (const name of s.outputNames) {
      const tensor = results[name];
      // A copy of its own, so that the buffer can be handed over whole.
      const data = Float32Array.from(tensor.data);
      outputs[name] = { data, dims: [...tensor.dims] };
      transfer.push(data.buffer);
      tensor.dispose?.();
    }
    parentPort.postMessage({ job, outputs }, transfer);
  } catch (error) {
    parentPort.postMessage({ job, error: error instanceof Error ? error.message : String(error) });
  }
});
