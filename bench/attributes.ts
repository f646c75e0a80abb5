// npm run bench:attributes: face attributes and liveness on three labelled sets, every candidate
// model with its own crop and normalisation (src/attributes/heads.ts) and the anchors' own
// pipelines (face-api withAgeAndGender().withFaceExpressions(), Human) on the same images, in one run.
//
//   UTKFace (../shared/datasets/utkface): age MAE, gender accuracy, both per age bin
//   FER-2013 (fer2013): 7-class accuracy, recall per class, a confusion matrix PNG per model
//   NUAA (nuaa): APCER, BPCER, ACER on the held-back subjects (0002, 0004, 0006, 0008, 0010) at
//     the threshold with the lowest ACER on the calibration subjects (0001, 0003, 0005, 0007, 0009)
//
// Visage's faces: its detector (default configuration), the largest face; where it finds none
// (FER's 48x48 crops often), the whole image is the face box and the landmark model places the
// five points in it. Each head's time is its crop, normalisation and inference per face, on one
// thread; the anchors' time is their whole pipeline per image (detection included), on one
// thread (TF.js WASM). Anchor faces not found count as wrong answers (age: excluded from MAE,
// counted in "found"), and as "not live" for liveness.
//
// Ensembles (src/attributes/ensembles.ts) are rows too, combined from their members' readings; their
// weights were fitted on the rows of even index of UTKFace's and FER-2013's labels.csv, so every
// UTKFace and FER-2013 figure is given on the rows of odd index (the report half) only.
//
// Options: --limit N (each set, evenly spaced: a quick look), --no-anchors, --sets utkface,fer2013,nuaa
// (default all three), --out DIR (PNGs; default out/attributes).
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { createVisage } from '../src/visage.ts';
import { Engine } from '../src/runtime/engine.ts';
import { loadImage } from '../src/face/image/decode.ts';
import { AttributeRunner } from '../src/attributes/attributes.ts';
import { EMOTIONS, HEADS, type AttributeHead, type FaceGeometry, type HeadReading } from '../src/attributes/heads.ts';
import { combine, ENSEMBLES, mirrorMean } from '../src/attributes/ensembles.ts';
import { packageDir } from '../src/models/store.ts';
import { confusionPng } from '../src/report/confusion.ts';
import { createHuman } from './anchors/human.ts';
import { readRgb } from './lfw/pixels.ts';
import { initTf, tf } from '../test/helpers/tfjs-reference.ts';

const require = createRequire(import.meta.url);
const DATA = path.resolve('../shared/datasets');
const { values } = parseArgs({
  options: {
    limit: { type: 'string' },
    'no-anchors': { type: 'boolean', default: false },
    out: { type: 'string', default: 'out/attributes' },
    sets: { type: 'string', default: 'utkface,fer2013,nuaa' },
  },
});
const limit = values.limit === undefined ? Infinity : Number(values.limit);
if (!(limit > 0)) throw new Error('--limit must be a positive number');

function readCsv(file: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const names = head!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

/** At most `n` rows, evenly spaced over the list. */
function spread<T>(rows: T[], n: number): T[] {
  if (rows.length <= n) return rows;
  return Array.from({ length: n }, (_, i) => rows[Math.floor((i * rows.length) / n)]!);
}

interface Sample { row: number; file: string; age?: number; male?: boolean; bin?: string; emotion?: string; live?: boolean; subject?: string }

/** The report half of a set: rows of odd index (ensembles are fitted on the even ones). */
const reportHalf = (rows: Record<string, string>[]) => rows.map((r, row) => ({ r, row })).filter(({ row }) => row % 2 === 1).map(({ r, row }) => Object.assign(r, { row: String(row) }));
const utk: Sample[] = spread(reportHalf(readCsv(path.join(DATA, 'utkface/labels.csv'))), limit)
  .map((r) => ({ row: Number(r['row']), file: path.join(DATA, 'utkface/images', r['file']!), age: Number(r['age']), male: r['gender'] === '0', bin: r['age_bin']! }));
const fer: Sample[] = spread(reportHalf(readCsv(path.join(DATA, 'fer2013/labels.csv'))), limit)
  .map((r) => ({ row: Number(r['row']), file: path.join(DATA, 'fer2013', r['file']!), emotion: r['emotion']! }));
const nuaa: Sample[] = spread(readCsv(path.join(DATA, 'nuaa/labels.csv')), limit)
  .map((r, row) => ({ row, file: path.join(DATA, 'nuaa', r['file']!), live: r['label'] === 'live', subject: r['subject_id']! }));
const CALIBRATION = new Set(['0001', '0003', '0005', '0007', '0009']);

/** Per system (a head or an anchor): its answers, one per sample (null: no face), and its time. */
interface Run { id: string; answers: (HeadReading | null)[]; ms: number[] }

// ---------------------------------------------------------------- Visage's heads
const visage = await createVisage({ threads: 1 });
const engine = await Engine.create({ threads: 1 });
const runner = new AttributeRunner(engine);

async function visageFace(file: string): Promise<{ image: Awaited<ReturnType<typeof loadImage>>; face: FaceGeometry; found: boolean }> {
  const image = await loadImage(file);
  let analysis = await visage.analyze(file, { embed: false, landmarks68: true });
  const found = analysis.faces.length > 0;
  if (!found) analysis = await visage.analyze(file, { embed: false, landmarks68: true, faces: [{ box: { x: 0, y: 0, width: image.width, height: image.height } }] });
  const face = analysis.faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
  return { image, face: { box: face.box, five: face.landmarks.five, points68: face.landmarks.points68! }, found };
}

/** Heads that some ensemble reads mirrored too. */
const MIRRORED = new Set(ENSEMBLES.flatMap((e) => e.members.filter((m) => m.mirror).map((m) => m.head)));

async function runHeads(samples: Sample[], heads: AttributeHead[], label: string): Promise<{ runs: Run[]; found: number; detectMs: number }> {
  const runs: Run[] = heads.map((h) => ({ id: h.id, answers: [], ms: [] }));
  const mirrored = new Map<string, Run>(heads.filter((h) => MIRRORED.has(h.id)).map((h) => [h.id, { id: `${h.id} + mirror`, answers: [], ms: [] }]));
  let found = 0, detectMs = 0;
  for (const [n, sample] of samples.entries()) {
    const t0 = performance.now();
    const { image, face, found: ok } = await visageFace(sample.file);
    detectMs += performance.now() - t0;
    if (ok) found++;
    for (const [k, head] of heads.entries()) {
      const t = performance.now();
      const [reading] = await runner.readings(image, [face], head);
      runs[k]!.ms.push(performance.now() - t);
      runs[k]!.answers.push(reading!);
      const mirror = mirrored.get(head.id);
      if (mirror) {
        const tm = performance.now();
        const [flipped] = await runner.readings(image, [face], head, true);
        // The mirror row's time is both runs (what a user of it pays).
        mirror.ms.push(performance.now() - tm + runs[k]!.ms.at(-1)!);
        mirror.answers.push(mirrorMean(reading!, flipped!));
      }
    }
    if ((n + 1) % 100 === 0) process.stderr.write(`${label}: ${n + 1}/${samples.length}\n`);
  }
  // Each ensemble whose members all ran: its reading per sample, its time the sum of its members' runs.
  const ensembles: Run[] = [];
  const attributes = new Set(heads.flatMap((h) => h.provides));
  for (const ensemble of ENSEMBLES.filter((e) => attributes.has(e.attribute))) {
    const members = ensemble.members.map((m) => (m.mirror ? mirrored.get(m.head) : runs.find((r) => r.id === m.head)));
    if (members.some((m) => !m)) continue;
    // Each head is paid once: with its mirror run where some member reads it mirrored.
    const paid = [...new Set(ensemble.members.map((m) => m.head))]
      .map((head) => (ensemble.members.some((m) => m.head === head && m.mirror) ? mirrored.get(head)! : runs.find((r) => r.id === head)!));
    ensembles.push({
      id: ensemble.id,
      answers: samples.map((_, i) => combine(ensemble, members.map((m) => m!.answers[i]!))),
      ms: samples.map((_, i) => paid.reduce((sum, m) => sum + m.ms[i]!, 0)),
    });
  }
  return { runs: [...runs, ...mirrored.values(), ...ensembles], found, detectMs: detectMs / samples.length };
}

// ---------------------------------------------------------------- anchors
async function faceApiAnchor(samples: Sample[]): Promise<Run> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await initTf();
  const modelDir = path.join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.ageGenderNet.loadFromDisk(modelDir);
  await faceapi.nets.faceExpressionNet.loadFromDisk(modelDir);
  const options = new faceapi.SsdMobilenetv1Options();
  const run: Run = { id: 'face-api (anchor)', answers: [], ms: [] };
  for (const sample of samples) {
    const { data, width, height } = await readRgb(sample.file);
    const input = tf.tensor3d(data, [height, width, 3], 'int32');
    const t = performance.now();
    const found = await faceapi.detectSingleFace(input, options).withFaceLandmarks().withAgeAndGender().withFaceExpressions();
    run.ms.push(performance.now() - t);
    input.dispose();
    if (!found) { run.answers.push(null); continue; }
    const e = found.expressions;
    run.answers.push({
      age: found.age,
      male: found.gender === 'male' ? found.genderProbability : 1 - found.genderProbability,
      emotion: [e.angry, e.disgusted, e.fearful, e.happy, e.sad, e.surprised, e.neutral],
    });
  }
  return run;
}

let humanInstance: { human: any; close(): void } | null = null;
async function humanAnchor(samples: Sample[]): Promise<Run> {
  humanInstance ??= await createHuman({
    face: {
      enabled: true,
      detector: { rotation: true, maxDetected: 1 },
      iris: { enabled: false },
      description: { enabled: true },
      emotion: { enabled: true },
      antispoof: { enabled: true },
      liveness: { enabled: true },
    },
  });
  const { human } = humanInstance;
  const run: Run = { id: 'Human (anchor)', answers: [], ms: [] };
  for (const sample of samples) {
    const { data, width, height } = await readRgb(sample.file);
    const input = human.tf.tensor4d(data, [1, height, width, 3], 'int32');
    const t = performance.now();
    const result = await human.detect(input);
    run.ms.push(performance.now() - t);
    input.dispose();
    const face = result.face[0];
    if (!face) { run.answers.push(null); continue; }
    const emotion = EMOTIONS.map((name) => face.emotion?.find((x: { emotion: string }) => x.emotion === name)?.score ?? 0);
    run.answers.push({
      age: face.age,
      male: face.gender === 'male' ? face.genderScore : face.gender === 'female' ? 1 - face.genderScore : undefined,
      emotion,
      // Human's antispoof "real" score is the liveness reading compared with the heads'.
      live: face.real,
    });
  }
  return run;
}

async function anchors(samples: Sample[]): Promise<Run[]> {
  if (values['no-anchors']) return [];
  return [await faceApiAnchor(samples), await humanAnchor(samples)];
}

// ---------------------------------------------------------------- metrics and tables
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const f1 = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(1));
function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
const found = (run: Run) => run.answers.filter((a) => a !== null).length;

async function utkReport(): Promise<void> {
  const heads = HEADS.filter((h) => h.provides.includes('age') || h.provides.includes('gender'));
  const { runs, found: detected, detectMs } = await runHeads(utk, heads, 'utkface');
  const all = [...runs, ...(await anchors(utk))];
  const bins = [...new Set(utk.map((s) => s.bin!))].sort((a, b) => parseInt(a) - parseInt(b));
  const rows = all.map((run) => {
    const ages: number[] = [], genders: boolean[] = [];
    const byBin = new Map<string, { ages: number[]; genders: boolean[] }>(bins.map((b) => [b, { ages: [], genders: [] }]));
    run.answers.forEach((a, i) => {
      const s = utk[i]!, bin = byBin.get(s.bin!)!;
      if (a?.age !== undefined) { ages.push(Math.abs(a.age - s.age!)); bin.ages.push(Math.abs(a.age - s.age!)); }
      // Gender: no face, or no gender, is a wrong answer.
      const right = a?.male !== undefined && (a.male >= 0.5) === s.male;
      if (a === null || a.male !== undefined) { genders.push(right); bin.genders.push(right); }
    });
    return {
      run, mae: mean(ages), gender: genders.length ? mean(genders.map(Number)) : NaN,
      bins: bins.map((b) => `${f1(mean(byBin.get(b)!.ages))} / ${byBin.get(b)!.genders.length ? pct(mean(byBin.get(b)!.genders.map(Number))) : '-'}`),
    };
  });
  console.log(`\n## UTKFace: ${utk.length} images of the report half (Visage's detector found a face in ${detected}; detection + landmarks ${detectMs.toFixed(1)} ms per image)\n`);
  console.log(table(['model', 'age MAE (years)', 'gender accuracy', 'faces', 'ms per face'],
    rows.map((r) => [r.run.id, f1(r.mae), pct(r.gender), `${found(r.run)}/${utk.length}`, mean(r.run.ms).toFixed(1)])));
  console.log('\nPer age bin: age MAE / gender accuracy\n');
  console.log(table(['model', ...bins], rows.map((r) => [r.run.id, ...r.bins])));
}

async function ferReport(out: string): Promise<void> {
  const heads = HEADS.filter((h) => h.provides.includes('emotion'));
  const { runs, found: detected, detectMs } = await runHeads(fer, heads, 'fer2013');
  const all = [...runs, ...(await anchors(fer))];
  const rows: string[][] = [];
  for (const run of all) {
    const matrix = EMOTIONS.map(() => EMOTIONS.map(() => 0));
    let right = 0;
    run.answers.forEach((a, i) => {
      const truth = EMOTIONS.indexOf(fer[i]!.emotion as typeof EMOTIONS[number]);
      if (!a?.emotion) return;
      let best = 0;
      for (let k = 1; k < a.emotion.length; k++) if (a.emotion[k]! > a.emotion[best]!) best = k;
      matrix[truth]![best]!++;
      if (best === truth) right++;
    });
    const counts = EMOTIONS.map((e) => fer.filter((s) => s.emotion === e).length);
    rows.push([run.id, pct(right / fer.length), ...EMOTIONS.map((_, k) => pct(matrix[k]![k]! / counts[k]!)), `${found(run)}/${fer.length}`, mean(run.ms).toFixed(1)]);
    const name = run.id.replace(/[^a-z0-9-]+/gi, '-').replace(/-+$/, '').toLowerCase();
    await writeFile(path.join(out, `fer2013-confusion-${name}.png`), await confusionPng({ labels: EMOTIONS, matrix, title: `FER-2013, ${run.id}: ${pct(right / fer.length)}` }));
  }
  console.log(`\n## FER-2013: ${fer.length} images of the report half (Visage's detector found a face in ${detected}; detection + landmarks ${detectMs.toFixed(1)} ms per image)\n`);
  console.log(table(['model', 'accuracy', ...EMOTIONS.map((e) => `recall ${e}`), 'faces', 'ms per face'], rows));
  console.log(`\nConfusion matrices: ${out}/fer2013-confusion-*.png`);
}

/** APCER (spoofs taken as live), BPCER (live faces refused), ACER (their mean) at `threshold`. */
function errorRates(scores: (number | null)[], live: boolean[], threshold: number) {
  let spoofs = 0, accepted = 0, lives = 0, refused = 0;
  scores.forEach((score, i) => {
    const pass = score !== null && score >= threshold;
    if (live[i]) { lives++; if (!pass) refused++; } else { spoofs++; if (pass) accepted++; }
  });
  const apcer = accepted / spoofs, bpcer = refused / lives;
  return { apcer, bpcer, acer: (apcer + bpcer) / 2 };
}

async function nuaaReport(): Promise<void> {
  const heads = HEADS.filter((h) => h.provides.includes('liveness'));
  const { runs, found: detected, detectMs } = await runHeads(nuaa, heads, 'nuaa');
  const all = [...runs, ...(await anchors(nuaa)).filter((r) => r.answers.some((a) => a?.live !== undefined))];
  const calibration = nuaa.map((s) => CALIBRATION.has(s.subject!));
  const rows = all.map((run) => {
    const scores = run.answers.map((a) => (a?.live === undefined ? null : a.live));
    const pick = <T>(xs: T[], cal: boolean) => xs.filter((_, i) => calibration[i] === cal);
    const calScores = pick(scores, true), calLive = pick(nuaa.map((s) => s.live!), true);
    // The threshold: every midpoint between calibration scores; lowest calibration ACER, then the middle one of ties.
    const sorted = [...new Set(calScores.filter((s): s is number => s !== null))].sort((a, b) => a - b);
    const candidates = [sorted[0]! - 1e-6, ...sorted.slice(1).map((s, i) => (s + sorted[i]!) / 2), sorted[sorted.length - 1]! + 1e-6];
    let best = Infinity, ties: number[] = [];
    for (const t of candidates) {
      const { acer } = errorRates(calScores, calLive, t);
      if (acer < best - 1e-12) { best = acer; ties = [t]; } else if (Math.abs(acer - best) <= 1e-12) ties.push(t);
    }
    const threshold = ties[Math.floor(ties.length / 2)]!;
    const test = errorRates(pick(scores, false), pick(nuaa.map((s) => s.live!), false), threshold);
    return [run.id, threshold.toPrecision(4), pct(best), pct(test.apcer), pct(test.bpcer), pct(test.acer), `${found(run)}/${nuaa.length}`, mean(run.ms).toFixed(1)];
  });
  const held = nuaa.filter((s) => !CALIBRATION.has(s.subject!));
  console.log(`\n## NUAA: ${nuaa.length} frames; threshold chosen on subjects ${[...CALIBRATION].join(', ')} (${nuaa.length - held.length} frames), reported on the other five (${held.length} frames: ${held.filter((s) => s.live).length} live, ${held.filter((s) => !s.live).length} spoof). Visage's detector found a face in ${detected}; detection + landmarks ${detectMs.toFixed(1)} ms per image\n`);
  console.log(table(['model', 'threshold (live score >=)', 'calibration ACER', 'APCER', 'BPCER', 'ACER', 'faces', 'ms per face'], rows));
}

await mkdir(values.out!, { recursive: true });
const started = performance.now();
console.log(`# bench:attributes (${new Date().toISOString()}), one thread per system`);
const sets = values.sets!.split(',');
for (const set of sets) if (!['utkface', 'fer2013', 'nuaa'].includes(set)) throw new Error(`--sets takes utkface, fer2013, nuaa; got ${set}`);
if (sets.includes('utkface')) await utkReport();
if (sets.includes('fer2013')) await ferReport(values.out!);
if (sets.includes('nuaa')) await nuaaReport();
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s in all`);
(humanInstance as { close(): void } | null)?.close();
await visage.close();
await engine.close();
