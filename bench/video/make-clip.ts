// The labelled test clip: photos of known people and of strangers from ../shared/datasets (LFW View 1
// people with several photos, a Big Bang Theory face crop), composed by one ffmpeg command into a
// 1280x720, 25 fps, 36 s H.264 clip in six shots separated by cuts: people moving, zooming in and
// out, two at once, two crossing (the lower photo covering the upper one's chin as they pass), one
// hidden for 0.4 s and back, and two strangers, one of them seen twice (different photos). The
// ground truth (who is on screen when, and where) is written beside it as JSON.
//
// Enrolment uses other photos of the same people (`enrol` in the result): the clip never shows an
// enrolled photo. Built at test or bench time into a temporary folder, never committed.
//
//   node --import tsx bench/video/make-clip.ts [OUT_DIR]
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CLIP = Object.freeze({ width: 1280, height: 720, fps: 25, duration: 36 });

export interface Appearance {
  id: number;
  /** The person's name as enrolled, or stranger-N. */
  person: string;
  enrolled: boolean;
  photo: string;
  /** Side of the square shown at scale 1, in clip pixels. */
  size: number;
  /** The square cut from the photo's centre first (LFW photos: 160 of 250 px, leaving out most bystanders). */
  crop?: number;
  start: number;
  end: number;
  /** Seconds during which the photo is not shown (a face hidden for a moment), if any. */
  hidden?: [number, number];
  /** The photo's centre and scale move linearly from `from` to `to` between t0 and t1, and stay. */
  t0: number;
  t1: number;
  from: { x: number; y: number; scale: number };
  to: { x: number; y: number; scale: number };
  /** Drawn after (over) the appearances listed before it. */
}

export interface ClipTruth {
  video: string;
  width: number;
  height: number;
  fps: number;
  duration: number;
  /** Shot boundaries (cuts), seconds. */
  cuts: number[];
  appearances: Appearance[];
}

export interface LabelledClip {
  video: string;
  truthFile: string;
  truth: ClipTruth;
  /** The photos to enrol, by name (none of them is shown in the clip). */
  enrol: Record<string, string[]>;
}

/** The i-th photo (0-based, in file-name order) of an LFW View 1 person (View 1 keeps only some of each person's photos). */
const lfw = (root: string, name: string, i: number) => {
  const dir = path.join(root, 'lfw-view1/images', name);
  return path.join(dir, readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort()[i]!);
};

/** The photo of an appearance at time t: its box (the whole photo) in clip pixels. */
export function photoBox(a: Appearance, t: number): { x: number; y: number; width: number; height: number } {
  const k = a.t1 > a.t0 ? Math.min(1, Math.max(0, (t - a.t0) / (a.t1 - a.t0))) : 1;
  const scale = a.from.scale + (a.to.scale - a.from.scale) * k;
  const side = 2 * Math.trunc((a.size * scale) / 2);
  const cx = a.from.x + (a.to.x - a.from.x) * k, cy = a.from.y + (a.to.y - a.from.y) * k;
  return { x: Math.trunc(cx - side / 2), y: Math.trunc(cy - side / 2), width: side, height: side };
}

/** Whether the appearance is on screen at time t. */
export function visible(a: Appearance, t: number): boolean {
  return t >= a.start && t < a.end && !(a.hidden && t >= a.hidden[0] && t < a.hidden[1]);
}

function appearances(datasets: string): Appearance[] {
  const L = (name: string, n: number) => lfw(datasets, name, n);
  const still = (x: number, y: number, scale: number) => ({ x, y, scale });
  const list: Omit<Appearance, 'id'>[] = [
    // Shot 1, 0-6 s: one person walks across, hidden 3.0-3.4 s.
    { person: 'Jennifer Lopez', enrolled: true, photo: L('Jennifer_Lopez', 4), size: 240, start: 0, end: 6, hidden: [3, 3.4], t0: 0.5, t1: 5.5, from: still(200, 330, 1), to: still(1080, 390, 1) },
    // Shot 2, 6-12 s: one zooms in at the centre while another stands at the left.
    { person: 'Paul Wolfowitz', enrolled: true, photo: L('Paul_Wolfowitz', 4), size: 240, start: 6, end: 12, t0: 6.5, t1: 11.5, from: still(760, 360, 0.6), to: still(760, 360, 1.8) },
    { person: 'Ricardo Lagos', enrolled: true, photo: L('Ricardo_Lagos', 4), size: 240, start: 6, end: 12, t0: 6, t1: 12, from: still(230, 300, 1), to: still(260, 320, 1) },
    // Shot 3, 12-18 s: two people cross, the lower one passing over the upper one's chin.
    { person: 'Hans Blix', enrolled: true, photo: L('Hans_Blix', 4), size: 240, start: 12, end: 18, t0: 12.5, t1: 17.5, from: still(180, 250, 1), to: still(1100, 250, 1) },
    { person: 'Angelina Jolie', enrolled: true, photo: L('Angelina_Jolie', 4), size: 240, start: 12, end: 18, t0: 12.5, t1: 17.5, from: still(1100, 400, 1), to: still(180, 400, 1) },
    // Shot 4, 18-24 s: a stranger moves diagonally while a known person (another photo) stands.
    { person: 'stranger-1', enrolled: false, photo: L('John_Bolton', 0), size: 240, start: 18, end: 24, t0: 18.5, t1: 23.5, from: still(250, 200, 0.9), to: still(650, 480, 1.1) },
    { person: 'Jennifer Lopez', enrolled: true, photo: L('Jennifer_Lopez', 5), size: 240, start: 18, end: 24, t0: 18, t1: 24, from: still(1050, 330, 1.1), to: still(1050, 330, 1.1) },
    // Shot 5, 24-30 s: a grey face crop zooms out; another stranger drifts.
    { person: 'penny', enrolled: true, photo: path.join(datasets, 'bbt/people/penny/penny5.png'), size: 150, start: 24, end: 30, t0: 24.5, t1: 29.5, from: still(900, 360, 2), to: still(900, 360, 1.2) },
    { person: 'stranger-2', enrolled: false, photo: L('Amelie_Mauresmo', 0), size: 240, start: 24, end: 30, t0: 24, t1: 30, from: still(300, 350, 1), to: still(420, 330, 1) },
    // Shot 6, 30-36 s: a fast move (900 px in 1.5 s), and the first stranger again (another photo).
    { person: 'Donald Rumsfeld', enrolled: true, photo: L('Donald_Rumsfeld', 4), size: 240, start: 30, end: 36, t0: 31, t1: 32.5, from: still(1100, 300, 1), to: still(200, 360, 1) },
    { person: 'stranger-1', enrolled: false, photo: L('John_Bolton', 1), size: 240, start: 30, end: 36, t0: 30, t1: 36, from: still(800, 420, 0.9), to: still(760, 420, 1) },
  ];
  return list.map((a, i) => ({ id: i + 1, ...a, ...(a.photo.includes('lfw-view1') ? { crop: 160 } : {}) }));
}

/** The photos each known person is enrolled with: other photos than the clip's. */
function enrolment(datasets: string): Record<string, string[]> {
  const L = (name: string, ns: number[]) => ns.map((n) => lfw(datasets, name, n));
  return {
    'Jennifer Lopez': L('Jennifer_Lopez', [0, 1, 2, 3]),
    'Paul Wolfowitz': L('Paul_Wolfowitz', [0, 1, 2, 3]),
    'Ricardo Lagos': L('Ricardo_Lagos', [0, 1, 2, 3]),
    'Hans Blix': L('Hans_Blix', [0, 1, 2, 3]),
    'Angelina Jolie': L('Angelina_Jolie', [0, 1, 2, 3]),
    'Donald Rumsfeld': L('Donald_Rumsfeld', [0, 1, 2, 3]),
    penny: [1, 2, 3, 4].map((n) => path.join(datasets, `bbt/people/penny/penny${n}.png`)),
  };
}

/** ffmpeg's arguments for the clip (pure). */
export function clipArgs(list: readonly Appearance[], out: string): string[] {
  const { width, height, fps, duration } = CLIP;
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=0x3c4650:s=${width}x${height}:r=${fps}:d=${duration}`];
  // Each photo is read for its own appearance only (its frames shifted to start there).
  for (const a of list) args.push('-loop', '1', '-framerate', String(fps), '-t', String(a.end - a.start), '-i', a.photo);
  const filters: string[] = [];
  let last = '0:v';
  list.forEach((a, i) => {
    const k = `clip((t-${a.t0})/${Math.max(1e-3, a.t1 - a.t0)},0,1)`;
    const scale = `(${a.from.scale}+${a.to.scale - a.from.scale}*${k})`;
    const side = `2*trunc(${a.size}*${scale}/2)`;
    const crop = a.crop ? `crop=${a.crop}:${a.crop},` : '';
    filters.push(`[${i + 1}:v]setpts=PTS+${a.start}/TB,${crop}format=rgb24,scale=w='${side}':h='${side}':eval=frame[p${i}]`);
    const cx = `(${a.from.x}+${a.to.x - a.from.x}*${k})`, cy = `(${a.from.y}+${a.to.y - a.from.y}*${k})`;
    const shown = a.hidden ? `between(t,${a.start},${a.end - 0.001})*not(between(t,${a.hidden[0]},${a.hidden[1] - 0.001}))` : `between(t,${a.start},${a.end - 0.001})`;
    filters.push(`[${last}][p${i}]overlay=x='trunc(${cx}-overlay_w/2)':y='trunc(${cy}-overlay_h/2)':eval=frame:eof_action=pass:enable='${shown}'[v${i}]`);
    last = `v${i}`;
  });
  filters.push(`[${last}]format=yuv420p[out]`);
  args.push('-filter_complex', filters.join(';'), '-map', '[out]', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-t', String(duration), '-movflags', '+faststart', out);
  return args;
}

/** Builds the clip and its ground truth in `dir` (about 10-20 s on 2 cores). */
export async function makeLabelledClip(dir: string, datasets = path.resolve('../shared/datasets')): Promise<LabelledClip> {
  await mkdir(dir, { recursive: true });
  const list = appearances(datasets);
  const video = path.join(dir, 'labelled-clip.mp4');
  await run(process.env.VISAGE_FFMPEG || 'ffmpeg', clipArgs(list, video), { maxBuffer: 1 << 24 });
  const truth: ClipTruth = { video: path.basename(video), width: CLIP.width, height: CLIP.height, fps: CLIP.fps, duration: CLIP.duration, cuts: [6, 12, 18, 24, 30], appearances: list };
  const truthFile = path.join(dir, 'labelled-clip.truth.json');
  const enrol = enrolment(datasets);
  await writeFile(truthFile, `${JSON.stringify({ ...truth, enrol }, null, 2)}\n`);
  return { video, truthFile, truth, enrol };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = path.resolve(process.argv[2] ?? 'labelled-clip');
  const started = Date.now();
  const clip = await makeLabelledClip(dir);
  process.stdout.write(`${clip.video}\n${clip.truthFile}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
