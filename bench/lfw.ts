// npm run bench:lfw -- [--pairs FILE] [--train-pairs FILE] [--images DIR] [--systems a,b] [--json]
//                      [--limit N] [--processes N]
// The LFW verification protocol for every system in one run, on the same images.
//   View 2 pairs file ("10 300"): ten folds, threshold fitted on nine, accuracy on the tenth.
//   View 1 (--pairs pairsDevTest.txt --train-pairs pairsDevTrain.txt, the default): threshold
//   fitted on DevTrain, accuracy on DevTest.
// Each distinct image is embedded once per system (nothing is cached on disk), in child processes
// (bench/lfw/embed-worker.ts; one per core for single-threaded TF.js-WASM systems; systems that
// share a pass, such as Visage's embedders with and without flip, in one pass over the images);
// then pairs are scored and evaluated with src/eval. Systems are listed in bench/lfw/systems.ts.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  distinctImages, evaluateVerification, tarAtFar, imageKey, imagePath, readPairsFile,
  type FoldedScoredPair, type Pair, type PairsFile, type VerificationReport,
} from '../src/eval/index.ts';
import { dataset } from '../test/helpers/datasets.ts';
import type { FromWorker, ToWorker, WorkItem } from './lfw/embed-worker.ts';
import { SYSTEMS, getSystem, passesOf, type SystemSpec } from './lfw/systems.ts';

const USAGE = `usage: npm run bench:lfw -- [--pairs FILE] [--train-pairs FILE] [--images DIR] [--systems a,b]
                          [--json] [--limit N] [--processes N]
  --pairs        pairs to report on (default: lfw-view1/pairsDevTest.txt under $VISAGE_DATASETS
                 or ../shared/datasets); a View 2 file ("10 300") runs the 10-fold protocol
  --train-pairs  pairs the threshold is fitted on (default: pairsDevTrain.txt when --pairs is not given)
  --images       LFW image root: <root>/<name>/<name>_NNNN.jpg (default: lfw-view1/images)
  --systems      comma-separated (default: ${SYSTEMS.filter((s) => !s.optional).map((s) => s.id).join(',')})
                 known: ${SYSTEMS.map((s) => s.id).join(', ')}
  --limit N      only the first N same-person and N different-person pairs of each fold of each file
  --processes N  embedding processes for single-threaded (TF.js-WASM) systems (default: cores)
  --json         {"results":[...]} on stdout instead of the table; progress always goes to stderr`;

const TARGET_FAR = 0.001;
const CHUNK = 8;

const log = (line: string) => process.stderr.write(`${line}\n`);

function fail(message: string): never {
  log(`bench:lfw: ${message}`);
  process.exit(2);
}

interface Options {
  pairs: string;
  trainPairs?: string;
  images: string;
  systems: SystemSpec[];
  /** --systems was given. */
  explicitSystems: boolean;
  json: boolean;
  limit?: number;
  processes: number;
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        pairs: { type: 'string' },
        'train-pairs': { type: 'string' },
        images: { type: 'string' },
        systems: { type: 'string' },
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
        processes: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) { console.log(USAGE); process.exit(0); }
  const positive = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < 1) fail(`--${name} must be a positive whole number, got "${value}"`);
    return Number(value);
  };
  let systems: SystemSpec[];
  try {
    systems = values.systems ? values.systems.split(',').map((id) => getSystem(id.trim())) : SYSTEMS.filter((s) => !s.optional);
  } catch (error) {
    fail((error as Error).message);
  }
  const defaultView1 = values.pairs === undefined;
  return {
    pairs: values.pairs ?? dataset('lfw-view1', 'pairsDevTest.txt'),
    trainPairs: values['train-pairs'] ?? (defaultView1 ? dataset('lfw-view1', 'pairsDevTrain.txt') : undefined),
    images: values.images ?? dataset('lfw-view1', 'images'),
    systems,
    explicitSystems: values.systems !== undefined,
    json: values.json,
    limit: positive('limit', values.limit),
    processes: positive('processes', values.processes) ?? os.availableParallelism(),
  };
}

/** The first `limit` pairs of each kind in each fold. */
function limitPairs(file: PairsFile, limit: number | undefined): Pair[] {
  if (limit === undefined) return [...file.pairs];
  const taken = new Map<string, number>();
  return file.pairs.filter((pair) => {
    const key = `${pair.fold}:${pair.same}`;
    const count = taken.get(key) ?? 0;
    taken.set(key, count + 1);
    return count < limit;
  });
}

interface Embedded {
  /** [system of the pass][image] */
  embeddings: (Float32Array | null)[][];
  noFace: boolean[][];
  loadSeconds: number;
  wallSeconds: number;
  /** Median time of one embed() call in one process. */
  medianMs: number;
  /** Median CPU time of one embed() call (all threads of the process): the cost on a shared machine. */
  medianCpuMs: number;
  /** Mean 1-minute load average while embedding (sampled at start, every progress line, end). */
  loadAverage: number;
  processes: number;
}

const workerFile = fileURLToPath(new URL('./lfw/embed-worker.ts', import.meta.url));

/** Embeds every image for the systems of one pass, in `processes` child processes fed chunk by chunk. */
function embedAll(pass: SystemSpec[], paths: string[], processes: number): Promise<Embedded> {
  const name = passName(pass);
  const started = performance.now();
  const embeddings = pass.map(() => new Array<Float32Array | null>(paths.length).fill(null));
  const noFace = pass.map(() => new Array<boolean>(paths.length).fill(false));
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const loads = [os.loadavg()[0]!];
  const children: ChildProcess[] = [];
  let next = 0, done = 0, stopped = 0, loadMs = 0, noFaceCount = 0, lastReport = performance.now();
  const count = Math.max(1, Math.min(processes, Math.ceil(paths.length / CHUNK)));

  return new Promise<Embedded>((resolve, reject) => {
    const abort = (error: Error) => {
      for (const child of children) if (child.exitCode === null) child.kill();
      reject(error);
    };
    const feed = (child: ChildProcess) => {
      if (next >= paths.length) { child.send({ type: 'stop' } satisfies ToWorker); return; }
      const items: WorkItem[] = [];
      for (; next < paths.length && items.length < CHUNK; next++) items.push({ index: next, path: paths[next]! });
      child.send({ type: 'work', items } satisfies ToWorker);
    };
    for (let i = 0; i < count; i++) {
      // Advanced serialisation carries Float32Arrays; the child's stdout goes to our stderr so
      // that whatever the anchors print never mixes with --json output.
      const child = fork(workerFile, [pass.map((s) => s.id).join(',')], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      child.stdout!.pipe(process.stderr);
      children.push(child);
      child.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            loadMs = Math.max(loadMs, message.loadMs);
            feed(child);
            break;
          case 'result':
            message.outcomes.forEach((outcome, k) => {
              embeddings[k]![message.index] = outcome.embedding;
              noFace[k]![message.index] = outcome.noFace;
            });
            if (message.outcomes[0]!.noFace) noFaceCount++;
            times.push(message.ms);
            cpuTimes.push(message.cpuMs);
            done++;
            if (performance.now() - lastReport > 15_000) {
              lastReport = performance.now();
              loads.push(os.loadavg()[0]!);
              const elapsed = (lastReport - started) / 1000;
              const left = done ? (elapsed / done) * (paths.length - done) : NaN;
              log(`  ${name}: ${done}/${paths.length} images, no face in ${noFaceCount}, ${minutes(elapsed)} so far, ~${minutes(left)} left`);
            }
            break;
          case 'idle':
            feed(child);
            break;
          case 'error':
            abort(new Error(`${name} failed in an embedding process: ${message.message}`));
            break;
        }
      });
      child.on('exit', (code) => {
        if (code !== 0) { abort(new Error(`${name}: an embedding process exited with code ${code}`)); return; }
        if (++stopped < count) return;
        if (done !== paths.length) { abort(new Error(`${name}: ${paths.length - done} images were not embedded`)); return; }
        loads.push(os.loadavg()[0]!);
        resolve({
          embeddings, noFace, processes: count,
          loadSeconds: loadMs / 1000,
          wallSeconds: (performance.now() - started) / 1000,
          medianMs: median(times),
          medianCpuMs: median(cpuTimes),
          loadAverage: loads.reduce((sum, x) => sum + x, 0) / loads.length,
        });
      });
    }
  });
}

/** For progress lines: the system, or its pass and how many systems share it. */
function passName(pass: SystemSpec[]): string {
  return pass.length === 1 ? pass[0]!.id : `${pass[0]!.pass!.key} pass (${pass.length} systems)`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

function minutes(seconds: number): string {
  return seconds < 90 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

interface Row {
  system: string;
  accuracy: number;
  accuracy_std: number | null;
  auc: number;
  tar_at_far_0_1: number;
  threshold: number | null;
  no_face: number;
  no_face_policy: string;
  // Beyond the figures the issue names:
  similarity: string;
  protocol: VerificationReport['protocol'];
  images: number;
  test_pairs: number;
  test_pairs_with_no_face: number;
  far_reached: number;
  train_far_threshold: number | null;
  train_far_tar: number | null;
  load_seconds: number;
  embed_seconds: number;
  ms_per_image: number;
  cpu_ms_per_image: number;
  processes: number;
  /** Of the machine while embedding: on a shared machine, wall times are only comparable with it. */
  load_average: number;
  /** The other systems embedded in the same pass (their time is shared). */
  shared_pass_with: string[];
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

async function main(): Promise<void> {
  const options = parseOptions();
  // Before hours of embedding: drop (default selection) or refuse (explicit) systems that cannot run.
  const runnable: SystemSpec[] = [];
  for (const spec of options.systems) {
    const reason = await spec.available?.() ?? null;
    if (reason === null) runnable.push(spec);
    else if (options.explicitSystems) fail(`${spec.id} cannot run: ${reason}`);
    else log(`bench:lfw: skipping ${spec.id}: ${reason}`);
  }
  options.systems = runnable;
  if (runnable.length === 0) fail('no system can run');
  const testFile = await readPairsFile(options.pairs).catch((error) => fail(error.message));
  const trainFile = options.trainPairs ? await readPairsFile(options.trainPairs).catch((error) => fail(error.message)) : undefined;
  if (trainFile && testFile.folds > 1) fail('--train-pairs is for View 1 files; a View 2 file runs the 10-fold protocol on its own');
  const testPairs = limitPairs(testFile, options.limit);
  const trainPairs = trainFile ? limitPairs(trainFile, options.limit) : undefined;

  const images = distinctImages([...(trainPairs ?? []), ...testPairs]);
  const paths = images.map((image) => imagePath(options.images, image));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length) fail(`${missing.length} of ${paths.length} images not found under ${options.images}, e.g. ${missing.slice(0, 3).join(', ')}`);
  const indexOf = new Map(images.map((image, i) => [imageKey(image), i]));
  const protocol = trainPairs ? `threshold fitted on ${trainPairs.length} training pairs, accuracy on ${testPairs.length} test pairs`
    : testFile.folds > 1 ? `${testFile.folds}-fold cross-validation on ${testPairs.length} pairs`
    : `best threshold on the ${testPairs.length} test pairs themselves (optimistic: no training pairs)`;
  log(`bench:lfw: ${protocol}; ${paths.length} distinct images; systems: ${options.systems.map((s) => s.id).join(', ')}`);

  const rows: Row[] = [];
  for (const pass of passesOf(options.systems)) {
    const name = passName(pass);
    const processes = pass.every((s) => s.parallel) ? options.processes : 1;
    log(`${name}: embedding ${paths.length} images in ${Math.min(processes, paths.length)} process(es)...`);
    const embedded = await embedAll(pass, paths, processes);
    log(`${name}: ${minutes(embedded.wallSeconds)} (models loaded in ${embedded.loadSeconds.toFixed(1)} s)`);
    pass.forEach((spec, k) => {
      const embeddings = embedded.embeddings[k]!, noFace = embedded.noFace[k]!;
      const score = (pair: Pair): FoldedScoredPair => {
        const a = embeddings[indexOf.get(imageKey(pair.first))!];
        const b = embeddings[indexOf.get(imageKey(pair.second))!];
        // No embedding (no face and no fallback): below every real score, so always "different".
        return { score: a && b ? spec.similarity(a, b) : -Infinity, same: pair.same, fold: pair.fold };
      };
      const report = evaluateVerification({ test: testPairs.map(score), train: trainPairs?.map(score), far: TARGET_FAR });
      // The open-set threshold: FAR 0.1% on the training pairs (the gallery's default is calibrated so).
      const trainFar = trainPairs ? tarAtFar(trainPairs.map(score), TARGET_FAR) : undefined;
      const usesNoFace = (pair: Pair) => noFace[indexOf.get(imageKey(pair.first))!] || noFace[indexOf.get(imageKey(pair.second))!];
      const row: Row = {
        system: spec.id,
        accuracy: round(report.accuracy * 100, 2),
        accuracy_std: report.accuracyStd === null ? null : round(report.accuracyStd * 100, 2),
        auc: round(report.auc, 5),
        tar_at_far_0_1: round(report.tarAtFar.tar * 100, 2),
        threshold: Number.isFinite(report.threshold) ? round(report.threshold, 6) : null,
        no_face: noFace.filter(Boolean).length,
        no_face_policy: spec.noFacePolicy,
        similarity: spec.similarityName,
        protocol: report.protocol,
        images: paths.length,
        test_pairs: testPairs.length,
        test_pairs_with_no_face: testPairs.filter(usesNoFace).length,
        far_reached: round(report.tarAtFar.far * 100, 3),
        train_far_threshold: trainFar && Number.isFinite(trainFar.threshold) ? round(trainFar.threshold, 6) : null,
        train_far_tar: trainFar ? round(trainFar.tar * 100, 2) : null,
        load_seconds: round(embedded.loadSeconds, 1),
        embed_seconds: round(embedded.wallSeconds, 1),
        ms_per_image: round(embedded.medianMs, 1),
        cpu_ms_per_image: round(embedded.medianCpuMs, 1),
        processes: embedded.processes,
        load_average: round(embedded.loadAverage, 2),
        shared_pass_with: pass.filter((other) => other !== spec).map((other) => other.id),
      };
      rows.push(row);
      log(`${spec.id}: accuracy ${row.accuracy}%, no face in ${row.no_face} images`);
    });
  }

  if (options.json) {
    console.log(JSON.stringify({ protocol, pairs: options.pairs, train_pairs: options.trainPairs ?? null, images: paths.length, results: rows }, null, 2));
    return;
  }
  const diffPairs = testPairs.filter((p) => !p.same).length;
  console.log(`LFW verification: ${protocol}; ${paths.length} distinct images.`);
  console.log(`TAR at FAR 0.1%: at most ${Math.floor(TARGET_FAR * diffPairs + 1e-9)} of the ${diffPairs} different-person test pairs accepted.\n`);
  console.log('| system | accuracy | AUC | TAR @ FAR 0.1% | threshold | no face (images) | when no face | embedding time |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const accuracy = r.accuracy_std === null ? `${r.accuracy.toFixed(2)}%` : `${r.accuracy.toFixed(2)} ± ${r.accuracy_std.toFixed(2)}%`;
    const shared = r.shared_pass_with.length ? `, one pass with ${r.shared_pass_with.length} other system(s)` : '';
    const time = `${minutes(r.embed_seconds)}, ${r.processes} proc., ${r.ms_per_image} ms (CPU ${r.cpu_ms_per_image} ms)/image, load ${r.load_average.toFixed(1)}${shared}`;
    console.log(`| ${r.system} | ${accuracy} | ${r.auc.toFixed(4)} | ${r.tar_at_far_0_1.toFixed(2)}% | ${r.threshold ?? '-'} | ${r.no_face} of ${r.images} | ${r.no_face_policy} | ${time} |`);
  }
  if (rows.some((r) => r.train_far_threshold !== null)) {
    console.log('\nOpen-set thresholds (FAR 0.1% on the training pairs; accept as the same person at or above):');
    for (const r of rows) if (r.train_far_threshold !== null) console.log(`- ${r.system}: ${r.train_far_threshold} (TAR ${r.train_far_tar}% on the training pairs)`);
  }
  console.log(`\nTimes: wall time of the pass; median wall and CPU time of one image in one process; mean 1-minute load average of this ${os.availableParallelism()}-core machine meanwhile.`);
  console.log('\nSimilarity (threshold units):');
  for (const r of rows) console.log(`- ${r.system}: ${r.similarity}`);
  console.log('\nSystems:');
  for (const spec of options.systems) console.log(`- ${spec.id}: ${spec.description}`);
}

main().catch((error) => fail((error as Error).stack ?? String(error)));
