// npm run bench:liveness: the active liveness check (a blink or a head turn, checkLiveness's
// `active` part) and the passive model on NUAA's webcam sessions, as the web page's check would
// see them: runs of consecutive frames of one session (live people, or a printed photo held and
// moved in the hand), each run judged as one check. NUAA's frames are a sample of each recording
// (frame numbers with gaps), so a run spans more time than the page's 10 frames 300 ms apart;
// nobody in the live sessions was asked to blink or turn, so the live rows say how often a check
// is met by chance, the spoof rows how often a print gets through.
//
// Every frame is analysed once (the largest face: 68 landmarks, the eye net, the liveness model);
// runs are judged by activeLiveness() and the passive model's median call, as checkLiveness does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createVisage } from '../src/visage.ts';
import { eyeModelAvailable } from '../src/face/quality/eyes.ts';
import { activeLiveness, type ActiveChallenge, type LandmarkFrame } from '../src/face/liveness/active.ts';
import { largestFaceIndex } from '../src/recognition/enrolment.ts';
import { datasetsRoot } from '../test/helpers/datasets.ts';

const { values: args } = parseArgs({ options: {
  window: { type: 'string', default: '5' },
  'closed-probability': { type: 'string' },
} });
const W = Number(args.window);
const root = path.join(datasetsRoot, 'nuaa');
const rows = readFileSync(path.join(root, 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((line) => {
  const [file, label, subject, glasses, pos, session] = line.split(',');
  return { file: file!, label: label!, subject: subject!, session: `${label}/${subject}_${glasses}_${pos}_${session}`, frame: Number(/_(\d+)\.jpg$/.exec(file!)![1]) };
});

const eyes = eyeModelAvailable();
if (!eyes) console.error('faceplugin-face-recognition-js is not installed: blinks are read from the eye aspect ratio');
const visage = await createVisage({});
interface Frame { session: string; label: string; subject: string; frame: number; landmarks: LandmarkFrame; live: number | null; liveCall: boolean | null }
const frames: Frame[] = [];
const cpu0 = process.cpuUsage();
let done = 0;
for (const row of rows) {
  const { faces } = await visage.analyze(path.join(root, row.file), { embed: false, landmarks68: true, ...(eyes ? { eyes } : {}), attributes: ['liveness'] });
  const i = largestFaceIndex(faces);
  const face = i >= 0 ? faces[i]! : null;
  const liveness = face?.attributes?.liveness;
  frames.push({
    session: row.session, label: row.label, subject: row.subject, frame: row.frame,
    landmarks: face ? { points: face.landmarks.points68!, ...(face.quality.eyesClosed !== undefined ? { eyesClosed: face.quality.eyesClosed } : {}) } : { points: null },
    live: liveness ? liveness.score : null, liveCall: liveness ? liveness.value === 'live' : null,
  });
  if (++done % 50 === 0) process.stderr.write(`\r${done}/${rows.length} frames`);
}
process.stderr.write('\n');
const cpuMs = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
await visage.close();

// Frames read by the eye net as closed.
const closedAt = args['closed-probability'] ? Number(args['closed-probability']) : 0.5;
for (const label of ['live', 'spoof']) {
  const read = frames.filter((f) => f.label === label && f.landmarks.eyesClosed !== undefined);
  const closed = read.filter((f) => f.landmarks.eyesClosed! > closedAt).length;
  console.log(`${label}: ${closed} of ${read.length} frames read "eyes closed" (> ${closedAt}) by the eye net`);
}

const sessions = new Map<string, Frame[]>();
for (const f of frames) sessions.set(f.session, [...(sessions.get(f.session) ?? []), f]);
const runs: Frame[][] = [];
for (const list of sessions.values()) {
  list.sort((a, b) => a.frame - b.frame);
  for (let i = 0; i + W <= list.length; i++) runs.push(list.slice(i, i + W));
}

const held = (subject: string) => Number(subject) % 2 === 0; // bench:attributes reports NUAA on the even subjects
const challenges: ActiveChallenge[] = ['blink', 'turn', 'either'];
const header = ['frames', 'subjects', 'runs', 'blink', 'turn', 'either', 'passive live', 'blink + passive', 'turn + passive', 'either + passive (checkLiveness)'];
const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
for (const label of ['live', 'spoof']) {
  for (const part of ['held-back (even)', 'all'] as const) {
    const chosen = runs.filter((r) => r[0]!.label === label && (part === 'all' || held(r[0]!.subject)));
    const count = { blink: 0, turn: 0, either: 0, passive: 0, 'blink+': 0, 'turn+': 0, 'either+': 0 };
    for (const run of chosen) {
      const scores = run.filter((f) => f.live !== null).map((f) => f.liveCall ? 1 : 0).sort((a, b) => a - b);
      const passive = scores.length > 0 && scores[Math.floor(scores.length / 2)] === 1;
      if (passive) count.passive++;
      for (const challenge of challenges) {
        const r = activeLiveness(run.map((f) => f.landmarks), { challenge, ...(args['closed-probability'] ? { closedProbability: closedAt } : {}) });
        if (r.passed) { count[challenge]++; if (passive) count[`${challenge}+`]++; }
      }
    }
    const pct = (n: number) => `${n} (${chosen.length ? ((100 * n) / chosen.length).toFixed(1) : '-'}%)`;
    const subjects = new Set(chosen.map((r) => r[0]!.subject)).size;
    lines.push(`| ${label} | ${part}: ${subjects} | ${chosen.length} | ${pct(count.blink)} | ${pct(count.turn)} | ${pct(count.either)} | ${pct(count.passive)} | ${pct(count['blink+'])} | ${pct(count['turn+'])} | ${pct(count['either+'])} |`);
  }
}
console.log(`\nRuns of ${W} consecutive frames of one NUAA session, judged as one check each (a pass on a spoof run is a print let through):\n`);
console.log(lines.join('\n'));
console.log(`\n${frames.length} frames analysed, ${(cpuMs / frames.length).toFixed(0)} ms CPU per frame`);
