// npm run bench:engine [-- --json] [--models id,id] [--runs N]
// Milliseconds per inference of every converted model on onnxruntime-node (all cores) and of
// the original on TensorFlow.js-WASM (one core: TF.js-WASM has no threads in Node), in one run,
// on real images; then cold start (convert + load the default models) and warm start (from cache).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Engine } from '../src/runtime/engine.ts';
import { MODELS, getModelSpec } from '../src/models/registry.ts';
import { packageDir, sourceEntryPath } from '../src/models/store.ts';
import { pixelsToInput } from '../src/models/input.ts';
import type { ModelSpec } from '../src/models/types.ts';
import { tf, initTf, loadGraphModelFromDisk } from '../test/helpers/tfjs-reference.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    models: { type: 'string' },
    runs: { type: 'string', default: '10' },
    threads: { type: 'string' },
  },
});
const runs = Math.max(3, Number(args.runs));
const threads = args.threads ? Number(args.threads) : os.availableParallelism();
const require = createRequire(import.meta.url);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The tiny face detector accepts any multiple of 32; face-api's default is 416. */
const sizeOf = (spec: ModelSpec): [number, number] => spec.input.size ?? [416, 416];

/** Eight real photos from face-api's demo folder (shipped in the npm package), at the model's size. */
async function samplePixels(spec: ModelSpec): Promise<Uint8Array[]> {
  const [h, w] = sizeOf(spec);
  const demo = path.join(packageDir('@vladmandic/face-api'), 'demo');
  return Promise.all(Array.from({ length: 8 }, async (_, i) => {
    const { data } = await sharp(path.join(demo, `sample${(i % 6) + 1}.jpg`))
      .resize(w, h, { fit: 'cover' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeIt(fn: () => Promise<unknown>, count: number): Promise<number> {
  await fn(); // warm-up: first runs allocate and pick kernels
  await fn();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Waits for every tensor in a model's result, then frees them. */
async function settle(result: unknown): Promise<void> {
  const tensors: any[] = [];
  const collect = (v: any) => {
    if (!v) return;
    if (v instanceof tf.Tensor) tensors.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(result);
  await Promise.all(tensors.map((t) => t.data()));
  tf.dispose(tensors);
}

let faceapi: any;
/** Runs the original model on TF.js on NHWC inputs already normalised the registry's way (Human) or as raw pixels (face-api nets normalise themselves). */
async function tfjsRunner(spec: ModelSpec): Promise<(images: Uint8Array[]) => Promise<void>> {
  const [h, w] = sizeOf(spec);
  if (spec.source.format === 'tfjs-graph') {
    const model = await loadGraphModelFromDisk(sourceEntryPath(spec));
    return async (images) => {
      const c = spec.input.channels;
      const batch = new Float32Array(images.length * h * w * c);
      images.forEach((img, b) => {
        const nchw = pixelsToInput(img, w, h, 3, spec.input);
        for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) batch[(b * h * w + i) * c + k] = nchw[k * h * w + i]!;
      });
      const input = tf.tensor4d(batch, [images.length, h, w, c]);
      await settle(model.execute(input));
      input.dispose();
    };
  }
  faceapi ??= require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const modelDir = path.join(packageDir('@vladmandic/face-api'), 'model');
  const nets: Record<string, [any, (net: any, inputs: any[]) => Promise<unknown>]> = {
    'faceapi-ssd-mobilenetv1': [faceapi.nets.ssdMobilenetv1, async (net, inputs) => net.forwardInput(await faceapi.toNetInput(inputs))],
    'faceapi-tiny-face-detector': [faceapi.nets.tinyFaceDetector, async (net, inputs) => net.forwardInput(await faceapi.toNetInput(inputs), w)],
    'faceapi-landmark68': [faceapi.nets.faceLandmark68Net, async (net, inputs) => net.runNet(await faceapi.toNetInput(inputs))],
    'faceapi-landmark68-tiny': [faceapi.nets.faceLandmark68TinyNet, async (net, inputs) => net.runNet(await faceapi.toNetInput(inputs))],
    'faceapi-recognition': [faceapi.nets.faceRecognitionNet, (net, inputs) => net.forward(inputs)],
    'faceapi-age-gender': [faceapi.nets.ageGenderNet, async (net, inputs) => net.forwardInput(await faceapi.toNetInput(inputs))],
    'faceapi-expression': [faceapi.nets.faceExpressionNet, (net, inputs) => net.forward(inputs)],
  };
  const [net, forward] = nets[spec.id]!;
  if (!net.isLoaded) await net.loadFromDisk(modelDir);
  return async (images) => {
    const inputs = images.map((img) => tf.tensor3d(Float32Array.from(img), [h, w, 3]));
    await settle(await forward(net, inputs));
    tf.dispose(inputs);
  };
}

interface Row {
  id: string;
  ort_ms: number;
  tfjs_ms: number;
  speedup: number;
  ort_ms_per_item_b8: number | null;
  tfjs_ms_per_item_b8: number | null;
  speedup_b8: number | null;
  transposes: number;
}

async function benchModel(engine: Engine, spec: ModelSpec): Promise<Row> {
  const [h, w] = sizeOf(spec);
  const images = await samplePixels(spec);
  const c = spec.input.channels;
  const itemSize = c * h * w;
  const toBatch = (n: number) => {
    const out = new Float32Array(n * itemSize);
    for (let b = 0; b < n; b++) pixelsToInput(images[b]!, w, h, 3, spec.input, out, b * itemSize);
    return out;
  };
  const one = toBatch(1);
  const eight = toBatch(8);
  const dynamic = spec.input.batch === 'dynamic';
  const ort1 = await timeIt(() => engine.run(spec.id, one, [1, c, h, w]), runs);
  const ort8 = dynamic ? await timeIt(() => engine.run(spec.id, eight, [8, c, h, w]), Math.ceil(runs / 2)) / 8 : null;
  const reference = await tfjsRunner(spec);
  const tf1 = await timeIt(() => reference(images.slice(0, 1)), Math.ceil(runs / 2));
  const tf8 = dynamic ? await timeIt(() => reference(images), Math.ceil(runs / 4)) / 8 : null;
  const info = await engine.store.ensure(spec);
  return {
    id: spec.id,
    ort_ms: ort1,
    tfjs_ms: tf1,
    speedup: tf1 / ort1,
    ort_ms_per_item_b8: ort8,
    tfjs_ms_per_item_b8: tf8,
    speedup_b8: ort8 && tf8 ? tf8 / ort8 : null,
    transposes: info.transposes,
  };
}

/** Loads the default models in a fresh process; returns its own timing and the wall time. */
function startChild(dir: string): Promise<{ importMs: number; loadMs: number; totalMs: number; wallMs: number }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'start.ts');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, dir], (error, stdout, stderr) => {
      if (error) reject(new Error(`start benchmark failed: ${stderr || error.message}`));
      else resolve({ ...JSON.parse(stdout), wallMs: performance.now() - started });
    });
  });
}

const fmt = (v: number | null, digits = 2) => (v === null ? 'n/a' : v.toFixed(digits));

async function main(): Promise<void> {
  await initTf();
  const specs = args.models ? args.models.split(',').map((id) => getModelSpec(id.trim())) : [...MODELS];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-bench-'));
  const engine = await Engine.create({ modelDir: dir, threads });
  const rows: Row[] = [];
  try {
    for (const spec of specs) {
      log(`benchmarking ${spec.id} ...`);
      try {
        rows.push(await benchModel(engine, spec));
      } catch (error) {
        log(`  ${spec.id} failed: ${(error as Error).message}`);
      }
    }
    await engine.close();
    log('cold start (convert + load default models) ...');
    const startDir = await mkdtemp(path.join(os.tmpdir(), 'visage-start-'));
    const cold = await startChild(startDir);
    const warm = [await startChild(startDir), await startChild(startDir), await startChild(startDir)];
    const warmMedian = { loadMs: median(warm.map((x) => x.loadMs)), totalMs: median(warm.map((x) => x.totalMs)), wallMs: median(warm.map((x) => x.wallMs)) };
    await rm(startDir, { recursive: true, force: true });

    if (args.json) {
      process.stdout.write(`${JSON.stringify({ threads, tfjs_backend: tf.getBackend(), models: rows, start: { cold, warm: warmMedian } }, null, 2)}\n`);
      return;
    }
    const header = ['model', 'ORT b1 ms', 'TF.js b1 ms', 'speed-up b1', 'ORT b8 ms/item', 'TF.js b8 ms/item', 'speed-up b8', 'Transposes'];
    const body = rows.map((r) => [r.id, fmt(r.ort_ms), fmt(r.tfjs_ms), `${fmt(r.speedup, 1)}x`, fmt(r.ort_ms_per_item_b8), fmt(r.tfjs_ms_per_item_b8), r.speedup_b8 ? `${fmt(r.speedup_b8, 1)}x` : 'n/a', String(r.transposes)]);
    const widths = header.map((_, i) => Math.max(header[i]!.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
    console.log(`onnxruntime-node with ${threads} threads vs TensorFlow.js ${tf.version.tfjs} (${tf.getBackend()}), medians of ${runs} runs, ${os.cpus()[0]?.model ?? 'cpu'}`);
    console.log(line(header));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const b of body) console.log(line(b));
    console.log('');
    console.log(`cold start, default models (${['faceapi-ssd-mobilenetv1', 'faceapi-landmark68', 'faceapi-recognition'].join(' + ')}): convert + load ${fmt(cold.loadMs, 0)} ms (process wall ${fmt(cold.wallMs, 0)} ms)`);
    console.log(`warm start from the cache (median of 3 fresh processes): load ${fmt(warmMedian.loadMs, 0)} ms, with imports ${fmt(warmMedian.totalMs, 0)} ms (process wall ${fmt(warmMedian.wallMs, 0)} ms)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
