// npm run bench:quality: how many normal enrolment photos the enrolment quality gate refuses, and
// which. The largest face of every image of LFW View 1, bbt/people and celeb5 (train and val),
// analysed as enrolment analyses it (default pipeline, with the eye net), against ENROLMENT_GATE;
// the eye limit is also shown at other values (--eye-limits). --sheet FILE writes a PNG contact
// sheet of every face refused, labelled with its reasons, to look at.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createVisage } from '../src/visage.ts';
import { chooseEnrolmentFace } from '../src/recognition/enrolment.ts';
import { checkQuality, ENROLMENT_GATE, type QualityRefusal } from '../src/face/quality/gate.ts';
import { eyeModelAvailable } from '../src/face/quality/eyes.ts';
import type { Box } from '../src/types.ts';
import { datasetsRoot } from '../test/helpers/datasets.ts';

const { values: args } = parseArgs({ options: {
  sets: { type: 'string', default: 'lfw,bbt,celeb5-train,celeb5-val' },
  'eye-limits': { type: 'string', default: '0.99,0.999,0.9999' },
  sheet: { type: 'string' },
} });

function images(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? images(file) : /\.(jpe?g|png)$/i.test(name) ? [file] : [];
  });
}
const SETS: Record<string, string> = {
  lfw: 'lfw-view1/images', bbt: 'bbt/people', 'celeb5-train': 'celeb5/train', 'celeb5-val': 'celeb5/val',
};

if (!eyeModelAvailable()) console.error('faceplugin-face-recognition-js is not installed: the eyes are not checked');
const visage = await createVisage({});
const refusedFaces: { file: string; box: Box; refusals: QualityRefusal[] }[] = [];
const eyeLimits = args['eye-limits']!.split(',').map(Number);
const rows: string[][] = [];
const cpu0 = process.cpuUsage();
let analysed = 0;
for (const set of args.sets!.split(',')) {
  const files = images(path.join(datasetsRoot, SETS[set] ?? set));
  const counts: Record<string, number> = { refused: 0, noFace: 0, small: 0, blurred: 0, 'turned-away': 0, 'low-score': 0, 'eyes-closed': 0 };
  const eyesAt = eyeLimits.map(() => 0);
  for (const file of files) {
    const { faces } = await visage.analyze(file, { embed: false, eyes: eyeModelAvailable() });
    analysed++;
    const choice = chooseEnrolmentFace(faces, { largest: true });
    if (!('reason' in choice)) {
      const closed = choice.face.quality.eyesClosed;
      eyeLimits.forEach((limit, i) => { if (closed !== undefined && closed > limit) eyesAt[i]!++; });
      continue;
    }
    if (choice.reason === 'no-face') { counts.noFace++; continue; }
    const face = faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
    const closed = face.quality.eyesClosed;
    eyeLimits.forEach((limit, i) => { if (closed !== undefined && closed > limit) eyesAt[i]!++; });
    const refusals = checkQuality(face, ENROLMENT_GATE);
    counts.refused++;
    for (const r of refusals) counts[r.reason]++;
    refusedFaces.push({ file, box: face.box, refusals });
  }
  rows.push([set, String(files.length), String(counts.noFace), `${counts.refused} (${(100 * counts.refused / files.length).toFixed(1)}%)`,
    String(counts.small), String(counts.blurred), String(counts['turned-away']), String(counts['eyes-closed']), ...eyesAt.map(String)]);
  console.error(`${set}: ${files.length} images`);
}
const cpu = process.cpuUsage(cpu0);
await visage.close();

const header = ['set', 'images', 'no face', 'refused', 'small', 'blurred', 'turned away', `eyes closed (> ${ENROLMENT_GATE.maxEyesClosed})`, ...eyeLimits.map((l) => `eyes > ${l}`)];
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\n${((cpu.user + cpu.system) / 1e6 / analysed * 1000).toFixed(0)} ms CPU per image`);
for (const face of refusedFaces) {
  console.log(`${path.relative(datasetsRoot, face.file)}: ${face.refusals.map((r) => `${r.reason} ${r.value.toFixed(r.reason === 'eyes-closed' ? 4 : 1)}`).join(', ')}`);
}

if (args.sheet) {
  // Tiles of 128 px: the face box grown by a fifth, its reasons above it.
  const size = 128, columns = 8;
  const tiles = await Promise.all(refusedFaces.map(async ({ file, box, refusals }, i) => {
    const meta = await sharp(file).metadata();
    const side = Math.max(box.width, box.height) * 1.2;
    const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2)), top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
    const width = Math.max(1, Math.min(Math.round(side), meta.width! - left)), height = Math.max(1, Math.min(Math.round(side), meta.height! - top));
    const face = await sharp(file).extract({ left, top, width, height }).resize(size, size, { fit: 'contain' }).png().toBuffer();
    const text = refusals.map((r) => `${r.reason} ${r.value.toFixed(r.reason === 'eyes-closed' ? 4 : 1)}`).join(', ').replace(/[<>&]/g, '');
    const label = Buffer.from(`<svg width="${size}" height="16"><rect width="${size}" height="16" fill="black"/><text x="2" y="12" font-size="10" fill="yellow" font-family="sans-serif">${text}</text></svg>`);
    const tile = await sharp({ create: { width: size, height: size + 16, channels: 3, background: 'black' } }).composite([{ input: face, top: 16, left: 0 }, { input: label, top: 0, left: 0 }]).png().toBuffer();
    return { input: tile, left: (i % columns) * size, top: Math.floor(i / columns) * (size + 16) };
  }));
  const rowsOfTiles = Math.max(1, Math.ceil(tiles.length / columns));
  await sharp({ create: { width: columns * size, height: rowsOfTiles * (size + 16), channels: 3, background: 'grey' } }).composite(tiles).png().toFile(args.sheet);
  console.error(`contact sheet of the ${tiles.length} refused faces: ${args.sheet}`);
}
