// npm run bench:speed [-- --runs N] [--threads N] [--systems a,b] [--json]
// End-to-end face analysis speed, one run, the same images for every system: a file path in,
// every face with its identity descriptor out (decoding included). Images: the six 1920-px photos
// in @vladmandic/face-api's demo/ folder and media/group1.jpg from the shared datasets.
//   visage            createVisage({ threads }).analyze(path), defaults (tiling 'auto'); threads: every core
//   visage-tiling-off the same with tiling: 'off' (the whole image only)
//   faceapi           detectAllFaces(SSD MobileNetV1).withFaceLandmarks().withFaceDescriptors(), TF.js-WASM
//   human             human.detect(): BlazeFace, FaceMesh, FaceRes descriptor, TF.js-WASM
// Each system runs in its own child process of this script (engines never share a process) and is
// warmed up with one pass over the images; then every image is timed --runs times, the systems
// taking turns image by image, so that changes in the machine's load fall on all of them alike.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { packageDir } from '../src/models/store.ts';
import { createHuman } from './anchors/human.ts';
import { dataset } from '../test/helpers/datasets.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const usage = () => `usage: npm run bench:speed -- [--runs N] [--threads N] [--systems a,b] [--json]
  --runs N     timed runs of every image per system, after one warm-up pass (default 5)
  --threads N  onnxruntime threads for Visage (default: every core, ${os.availableParallelism()} here); 1 compares
               core for core with the single-threaded TF.js-WASM anchors, robust on a busy machine
  --systems    comma-separated (default: all): ${SYSTEMS.map((s) => s.id).join(',')}
  --json       {"results":[...],"speedup":{...}} on stdout instead of the table; progress goes to stderr`;
const require = createRequire(import.meta.url);
const THIS_FILE = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Systems: each loads in its worker process and analyses one image file at a time.

interface Analyser {
  /** Number of faces found, each with a descriptor. */
  analyze(imagePath: string): Promise<number>;
  /** Intra-op threads the system computes with. */
  readonly threads: number;
  close(): Promise<void>;
}

interface SystemSpec {
  readonly id: string;
  readonly description: string;
  /** Visage's own rows; the others are the anchors the speed-up is measured against. */
  readonly visage: boolean;
  /** `threads`: onnxruntime threads for Visage (TF.js-WASM has one thread in Node). */
  load(threads: number): Promise<Analyser>;
}

const SYSTEMS: readonly SystemSpec[] = [
  {
    id: 'visage',
    description: 'Visage analyze(), defaults (BlazeFace, tiling auto, 68 landmarks, the default embedder with flip: the fusion of the ResNet and faceplugin-feature where installed), onnxruntime',
    visage: true,
    load: (threads) => loadVisage({ threads }),
  },
  {
    id: 'visage-resnet',
    description: "Visage analyze() with embedders: ['faceapi-recognition'] (the ResNet alone, the default without faceplugin-face-recognition-js), otherwise defaults",
    visage: true,
    load: (threads) => loadVisage({ threads, embedders: ['faceapi-recognition'] }),
  },
  {
    id: 'visage-fusion3',
    description: "Visage analyze() with embedders: ['fusion3'] (the ResNet, faceplugin-feature and expo's MobileFaceNet), otherwise defaults",
    visage: true,
    load: (threads) => loadVisage({ threads, embedders: ['fusion3'] }),
  },
  {
    id: 'visage-tiling-off',
    description: "Visage analyze() with tiling: 'off', otherwise defaults",
    visage: true,
    load: (threads) => loadVisage({ threads, tiling: 'off' }),
  },
  {
    id: 'faceapi',
    description: 'face-api detectAllFaces(SsdMobilenetv1Options()).withFaceLandmarks().withFaceDescriptors(), TF.js-WASM',
    visage: false,
    load: loadFaceApi,
  },
  {
    id: 'human',
    description: 'Human detect(): BlazeFace, FaceMesh, FaceRes descriptor (iris, emotion, body, hand, object, gesture, segmentation off), TF.js-WASM',
    visage: false,
    load: loadHuman,
  },
];

async function loadVisage(options: { threads: number; tiling?: 'off'; embedders?: import('../src/config.ts').EmbedderId[] }): Promise<Analyser> {
  const { createVisage } = await import('../src/visage.ts');
  const visage = await createVisage(options);
  await visage.warmUp();
  return {
    threads: visage.config.threads ?? options.threads,
    async analyze(imagePath) {
      const { faces } = await visage.analyze(imagePath);
      return faces.filter((f) => Object.keys(f.embeddings).length > 0).length;
    },
    close: () => visage.close(),
  };
}

/** The anchors decode with sharp (their Node demos use tfjs-node, which does not install offline). */
async function decodeRgb(imagePath: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(imagePath).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${imagePath}: decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

async function loadFaceApi(): Promise<Analyser> {
  // face-api's node-wasm build requires @tensorflow/tfjs and the WASM backend from node_modules;
  // without setWasmPaths() the backend finds its .wasm files itself.
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js WASM backend did not initialise');
  await tf.ready();
  const modelDir = path.join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const options = new faceapi.SsdMobilenetv1Options();
  return {
    threads: 1, // TF.js-WASM has no threads in Node
    async analyze(imagePath) {
      const { data, width, height } = await decodeRgb(imagePath);
      const input = tf.tensor3d(data, [height, width, 3], 'int32');
      try {
        const results = await faceapi.detectAllFaces(input, options).withFaceLandmarks().withFaceDescriptors();
        return results.filter((r: { descriptor?: Float32Array }) => r.descriptor?.length).length;
      } finally {
        input.dispose();
      }
    },
    async close() {
      for (const net of [faceapi.nets.ssdMobilenetv1, faceapi.nets.faceLandmark68Net, faceapi.nets.faceRecognitionNet]) net.dispose();
    },
  };
}

async function loadHuman(): Promise<Analyser> {
  const { human, close } = await createHuman({
    face: {
      enabled: true,
      // Human finds one face by default; every face, as the others do (face-api's SSD keeps up to 100).
      detector: { maxDetected: 100 },
      mesh: { enabled: true },
      description: { enabled: true }, // FaceRes
      iris: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
  });
  return {
    threads: 1,
    async analyze(imagePath) {
      const { data, width, height } = await decodeRgb(imagePath);
      const input = human.tf.tensor4d(data, [1, height, width, 3], 'int32');
      try {
        const result = await human.detect(input);
        if (result.error) throw new Error(`Human: ${result.error}`);
        return result.face.filter((f: { embedding?: number[] }) => f.embedding?.length).length;
      } finally {
        input.dispose();
      }
    },
    async close() {
      close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Worker: one system per process, analysing the image the parent names, one at a time.

type ToWorker = { type: 'analyze'; path: string } | { type: 'stop' };
type FromWorker =
  | { type: 'ready'; loadMs: number; threads: number }
  | { type: 'done'; ms: number; cpuMs: number; faces: number }
  | { type: 'error'; message: string };

function workerMain(systemId: string, threads: number): void {
  const send = (message: FromWorker, then?: () => void): void => {
    process.send!(message, undefined, undefined, then);
  };
  const fail = (error: unknown): void => send({ type: 'error', message: `${(error as Error)?.stack ?? error}` }, () => process.exit(1));
  const spec = SYSTEMS.find((s) => s.id === systemId);
  if (!spec) return fail(new Error(`unknown system ${systemId}`));
  const started = performance.now();
  spec.load(threads).then((analyser) => {
    process.on('message', (message: ToWorker) => {
      if (message.type === 'stop') {
        analyser.close().finally(() => process.exit(0)); // TF.js and Human keep handles open
        return;
      }
      const cpu = process.cpuUsage();
      const t = performance.now();
      analyser.analyze(message.path).then((faces) => {
        const ms = performance.now() - t;
        const used = process.cpuUsage(cpu);
        send({ type: 'done', ms, cpuMs: (used.user + used.system) / 1000, faces });
      }, fail);
    });
    send({ type: 'ready', loadMs: performance.now() - started, threads: analyser.threads });
  }, fail);
}

/** A system loaded in a child process of this script. */
class SystemProcess {
  readonly ready: Promise<{ loadMs: number; threads: number }>;
  private readonly child: ChildProcess;
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;

  constructor(readonly spec: SystemSpec, threads: number) {
    // stdout ignored: --json output stays clean whatever the libraries print.
    this.child = fork(THIS_FILE, ['--worker', spec.id, '--threads', String(threads)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let settle: { resolve: (m: FromWorker) => void; reject: (e: Error) => void };
    const first = new Promise<FromWorker>((resolve, reject) => { settle = { resolve, reject }; });
    this.pending = settle!;
    this.child.on('message', (message: FromWorker) => {
      const pending = this.pending;
      this.pending = undefined;
      if (message.type === 'error') pending?.reject(new Error(`${spec.id}: ${message.message}`));
      else pending?.resolve(message);
    });
    this.child.on('exit', (code) => {
      this.pending?.reject(new Error(`${spec.id}: worker exited with code ${code}`));
      this.pending = undefined;
    });
    this.ready = first.then((m) => {
      if (m.type !== 'ready') throw new Error(`${spec.id}: unexpected message ${m.type}`);
      return { loadMs: m.loadMs, threads: m.threads };
    });
  }

  /** Analyses one image in the worker: its own timing of analyze(), CPU time, faces. */
  analyze(imagePath: string): Promise<{ ms: number; cpuMs: number; faces: number }> {
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send({ type: 'analyze', path: imagePath } satisfies ToWorker);
    }).then((m) => {
      if (m.type !== 'done') throw new Error(`${this.spec.id}: unexpected message ${m.type}`);
      return m;
    });
  }

  stop(): void {
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToWorker);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

interface Sample {
  image: number;
  ms: number;
  cpuMs: number;
  faces: number;
}

// ---------------------------------------------------------------------------------------------
// Parent: images, systems, figures, table.

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** For the JSON: figures to a sensible precision. */
function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

interface ImageEntry {
  name: string;
  path: string;
  width: number;
  height: number;
}

interface Result {
  system: string;
  description: string;
  ms_median: number;
  faces_per_image: number;
  faces_per_second: number;
  threads: number;
  /** Process CPU time over wall time while timing: how many cores the system kept busy. */
  cores_busy: number;
  load_ms: number;
  per_image: { image: string; ms_median: number; faces: number }[];
}

function summarise(spec: SystemSpec, samples: Sample[], loaded: { loadMs: number; threads: number }, images: ImageEntry[]): Result {
  const totalMs = samples.reduce((sum, s) => sum + s.ms, 0);
  const totalCpuMs = samples.reduce((sum, s) => sum + s.cpuMs, 0);
  const totalFaces = samples.reduce((sum, s) => sum + s.faces, 0);
  return {
    system: spec.id,
    description: spec.description,
    ms_median: round(median(samples.map((s) => s.ms)), 1),
    faces_per_image: median(samples.map((s) => s.faces)),
    faces_per_second: round(totalFaces / (totalMs / 1000), 2),
    threads: loaded.threads,
    cores_busy: round(totalCpuMs / totalMs, 2),
    load_ms: round(loaded.loadMs, 0),
    per_image: images.map((image, i) => {
      const mine = samples.filter((s) => s.image === i);
      return { image: image.name, ms_median: round(median(mine.map((s) => s.ms)), 1), faces: median(mine.map((s) => s.faces)) };
    }),
  };
}

/** Ratio of the medians of per-image medians, anchor over Visage, over the images selected by `which`. */
function speedupOn(visage: Result, anchor: Result, which: (name: string) => boolean): number {
  const ms = (r: Result) => median(r.per_image.filter((p) => which(p.image)).map((p) => p.ms_median));
  return ms(anchor) / ms(visage);
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string', default: '5' },
        threads: { type: 'string' },
        systems: { type: 'string' },
        json: { type: 'boolean', default: false },
        worker: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    log(`bench:speed: ${(error as Error).message}\n${usage()}`);
    process.exit(2);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    log(`bench:speed: --runs must be a whole number >= 1, got ${values.runs}`);
    process.exit(2);
  }
  const threads = values.threads === undefined ? os.availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) {
    log(`bench:speed: --threads must be a whole number >= 1, got ${values.threads}`);
    process.exit(2);
  }
  if (values.worker) return workerMain(values.worker, threads);
  if (values.help) {
    log(usage());
    return;
  }
  const systemIds = values.systems ? values.systems.split(',').map((s) => s.trim()).filter(Boolean) : SYSTEMS.map((s) => s.id);
  const unknown = systemIds.filter((id) => !SYSTEMS.some((s) => s.id === id));
  if (unknown.length > 0 || systemIds.length === 0) {
    log(`bench:speed: unknown system ${unknown.join(', ') || '(none given)'}; known: ${SYSTEMS.map((s) => s.id).join(', ')}`);
    process.exit(2);
  }
  const systems = SYSTEMS.filter((s) => systemIds.includes(s.id));

  const demo = path.join(packageDir('@vladmandic/face-api'), 'demo');
  const paths = Array.from({ length: 6 }, (_, i) => path.join(demo, `sample${i + 1}.jpg`));
  const group = dataset('media', 'group1.jpg');
  const notes: string[] = [];
  if (existsSync(group)) paths.push(group);
  else notes.push(`skipped ${group}: not found (set VISAGE_DATASETS)`);
  const images: ImageEntry[] = await Promise.all(paths.map(async (p) => {
    const { width = 0, height = 0 } = await sharp(p).metadata();
    return { name: path.basename(p), path: p, width, height };
  }));
  notes.forEach((n) => log(`bench:speed: ${n}`));
  log(`bench:speed: ${images.length} images, ${runs} timed run(s) each after one warm-up pass; ${os.availableParallelism()} cores`);

  // The machine may be shared: a busy machine slows multi-threaded systems more than single-threaded ones.
  const loadBefore = os.loadavg()[0]!;
  // Every system is loaded in its own process first (one at a time), then warmed up with one pass
  // over the images; then the timed runs go image by image, every system in turn (the order
  // rotating each run), so a change in the machine's load hits all of them alike.
  const workers: SystemProcess[] = [];
  const stopAll = () => workers.forEach((w) => w.kill());
  process.on('exit', stopAll);
  const loaded: { loadMs: number; threads: number }[] = [];
  for (const spec of systems) {
    log(`bench:speed: loading ${spec.id} ...`);
    const worker = new SystemProcess(spec, threads);
    workers.push(worker);
    loaded.push(await worker.ready);
  }
  for (const worker of workers) {
    log(`bench:speed: warm-up ${worker.spec.id} ...`);
    for (const image of images) await worker.analyze(image.path);
  }
  const samples: Sample[][] = workers.map(() => []);
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (let i = 0; i < images.length; i++) {
      for (let k = 0; k < workers.length; k++) {
        const w = (k + run) % workers.length;
        samples[w]!.push({ image: i, ...(await workers[w]!.analyze(images[i]!.path)) });
      }
    }
    log(`bench:speed: run ${run + 1}/${runs} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  workers.forEach((w) => w.stop());
  const results = systems.map((spec, k) => summarise(spec, samples[k]!, loaded[k]!, images));
  for (const r of results) log(`bench:speed: ${r.system}: ${r.ms_median.toFixed(0)} ms per image, ${r.faces_per_image} faces per image`);

  const loadAfter = os.loadavg()[0]!;
  const loadNote = `load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${os.availableParallelism()} cores`;
  log(`bench:speed: ${loadNote}`);

  // Speed-up of each Visage row over each anchor: ratio of medians (all images, and the 1920-px photos alone).
  const is1920 = (name: string) => images.find((i) => i.name === name)!.width >= 1920;
  const speedups: Record<string, Record<string, number>> = {};
  const speedups1920: Record<string, Record<string, number>> = {};
  for (const visage of results.filter((r) => SYSTEMS.find((s) => s.id === r.system)!.visage)) {
    for (const anchor of results.filter((r) => !SYSTEMS.find((s) => s.id === r.system)!.visage)) {
      (speedups[visage.system] ??= {})[anchor.system] = round(anchor.ms_median / visage.ms_median, 2);
      (speedups1920[visage.system] ??= {})[anchor.system] = round(speedupOn(visage, anchor, is1920), 2);
    }
  }

  if (values.json) {
    process.stdout.write(`${JSON.stringify({
      images: images.map(({ name, width, height }) => ({ name, width, height })),
      runs,
      cores: os.availableParallelism(),
      load_average: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
      results,
      speedup: speedups,
      speedup_1920px: speedups1920,
      notes,
    }, null, 2)}\n`);
    return;
  }

  const anchors = results.filter((r) => !SYSTEMS.find((s) => s.id === r.system)!.visage).map((r) => r.system);
  const fixed = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
  const out: string[] = [];
  out.push(`End-to-end analysis (decode, detect, landmarks, align, embed every face), ${images.length} images x ${runs} runs, `
    + `${os.availableParallelism()} cores`);
  out.push('');
  out.push(table(
    ['system', 'ms/image (median)', 'faces/image (median)', 'faces/s', 'threads', 'cores busy', ...anchors.map((a) => `vs ${a}`)],
    results.map((r) => [
      r.system, fixed(r.ms_median, 0), r.faces_per_image, fixed(r.faces_per_second), r.threads, fixed(r.cores_busy, 2),
      ...anchors.map((a) => (speedups[r.system]?.[a] !== undefined ? `${fixed(speedups[r.system]![a]!, 2)}x` : '')),
    ]),
  ));
  out.push('');
  out.push('Per image: median ms (faces found)');
  out.push(table(
    ['image', 'size', ...results.map((r) => r.system)],
    images.map((image, i) => [image.name, `${image.width}x${image.height}`,
      ...results.map((r) => `${fixed(r.per_image[i]!.ms_median, 0)} (${r.per_image[i]!.faces})`)]),
  ));
  const lines1920 = Object.entries(speedups1920).flatMap(([v, byAnchor]) =>
    Object.entries(byAnchor).map(([a, x]) => `${v} vs ${a}: ${fixed(x, 2)}x`));
  if (lines1920.length > 0) {
    out.push('');
    out.push(`Speed-up on the 1920-px photos alone (ratio of the medians of per-image medians): ${lines1920.join('; ')}`);
  }
  out.push('');
  out.push('Speed-up: the anchor\'s median ms per image over Visage\'s. cores busy: process CPU time / wall time while timing.');
  for (const r of results) out.push(`  ${r.system}: ${r.description}`);
  out.push(`Machine: ${loadNote} (other processes compete for the cores when it is above 0).`);
  notes.forEach((n) => out.push(`Note: ${n}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error) => {
  log(`bench:speed: ${(error as Error)?.stack ?? error}`);
  process.exit(1);
});
