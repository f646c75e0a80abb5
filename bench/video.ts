// npm run bench:video [-- --quick] [-- --gaps 0.5,1.5]
//
// Speed: the labelled clip (720p, built by bench/video/make-clip.ts into a temporary folder) and
// ../shared/datasets/media/street.mp4 (1080p) and hamilton_clip.mp4 (360p), at --fps 5 and every
// frame: times real time (wall clock), CPU seconds per video second (this process and ffmpeg's),
// what two idle cores would give at best (video seconds over half the CPU seconds), and CPU
// milliseconds per analysed frame in each stage. The labelled clip runs first, so models and the
// detector's lanes are loaded before the media clips are timed.
// Identity: on the labelled clip, with its people enrolled from other photos, tracks judged
// against the ground truth (accuracy per track, segments per appearance, tracks per person after
// re-identification, identity switches, strangers named, strangers' labels; also without
// re-identification and without the quality gate), beside the same frames judged one at a time
// without tracking (recognizer.identify on each frame), the baseline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRecognizer, type Recognizer } from '../src/recognition/recognizer.ts';
import { openVideo } from '../src/video/source.ts';
import type { VideoOptions, VideoSummary } from '../src/video/video.ts';
import { videoSummary } from '../src/video/video.ts';
import { makeLabelledClip } from './video/make-clip.ts';
import { scoreFrames, scoreTracks, type FrameFace } from './video/evaluate.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, gaps: { type: 'string', default: '0.3,1.5' }, keep: { type: 'string' } } });
const media = path.resolve('../shared/datasets/media');
const dir = values.keep ? path.resolve(values.keep) : await mkdtemp(path.join(tmpdir(), 'visage-bench-video-'));

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('');
}

async function run(recognizer: Recognizer, source: string, options: VideoOptions): Promise<VideoSummary> {
  return videoSummary(recognizer.video(source, options));
}

const speedRows: string[][] = [];
/** Speed columns: wall clock, CPU (this process and ffmpeg), what two idle cores would give. */
function speedCells(seconds: number, frames: number, elapsedMs: number, cpuMs: number, ffmpegCpuMs: number | undefined): string[] {
  const totalCpu = (cpuMs + (ffmpegCpuMs ?? 0)) / 1000;
  return [
    String(frames), seconds.toFixed(1), (elapsedMs / 1000).toFixed(1), `${(seconds / (elapsedMs / 1000)).toFixed(2)}x`,
    (cpuMs / 1000).toFixed(2), ffmpegCpuMs === undefined ? '?' : (ffmpegCpuMs / 1000).toFixed(2),
    (totalCpu / seconds).toFixed(3), `${(seconds / (totalCpu / 2)).toFixed(2)}x`,
  ];
}

function speedRow(name: string, summary: VideoSummary): void {
  const per = (ms: number) => (ms / Math.max(1, summary.frames)).toFixed(0);
  const t = summary.cpuTimings;
  speedRows.push([
    name, `${summary.info.width}x${summary.info.height}`, summary.info.fps === null ? '?' : `${+summary.info.fps.toFixed(2)}`,
    ...speedCells(summary.seconds, summary.frames, summary.elapsedMs, summary.cpuMs, summary.source.ffmpegCpuMs),
    per(t.decode), per(t.detect), per(t.check), per(t.embed), per(t.identify), per(t.track),
    `${summary.facesDetected}/${summary.facesEmbedded}/${summary.facesMirrored}`, String(summary.tracks.length),
  ]);
}

const started = Date.now();
console.log(`bench:video: building the labelled clip in ${dir}`);
const clip = await makeLabelledClip(dir);
const recognizer = await createRecognizer({ db: path.join(dir, 'gallery.db') });
try {
  for (const [name, photos] of Object.entries(clip.enrol)) {
    for (const photo of photos) {
      const outcome = await recognizer.enroll(photo, name, { largest: true });
      if (outcome.status !== 'added' && outcome.reason !== 'already-enrolled') console.log(`  not enrolled: ${photo} (${outcome.reason})`);
    }
  }
  console.log(`enrolled ${Object.keys(clip.enrol).length} people (${recognizer.modelId}, threshold ${recognizer.threshold}, ${recognizer.strategy}); load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);

  // Identity on the labelled clip, with tracking, at each gap.
  const accuracyRows: string[][] = [];
  const people = new Set(clip.truth.appearances.map((a) => a.person)).size;
  let main: VideoSummary | undefined;
  const variants: [string, number, VideoOptions][] = [
    ...values.gaps.split(',').map(Number).map((gap): [string, number, VideoOptions] => [`tracking, gap ${gap} s`, gap, {}]),
    ['tracking, gap 1.5 s, no re-identification', 1.5, { reidentify: false }],
    ['tracking, gap 1.5 s, no quality gate', 1.5, { quality: false }],
  ];
  for (const [name, gap, extra] of variants) {
    const summary = await run(recognizer, clip.video, { fps: 5, maxGap: gap, ...extra });
    const plain = Object.keys(extra).length === 0;
    if ((gap === 1.5 && plain) || !main) main = summary;
    if (gap === 1.5 && plain) speedRow('labelled clip, --fps 5', summary);
    const score = scoreTracks(summary.tracks, clip.truth);
    const labelsPerPerson = new Map<string, Set<string>>();
    for (const t of score.tracks) if (t.person) labelsPerPerson.set(t.person, (labelsPerPerson.get(t.person) ?? new Set()).add(t.label));
    accuracyRows.push([
      name, String(summary.tracks.length), String(summary.tracks.filter((t) => t.subject).length), `${summary.facesRefused}/${summary.facesEmbedded}`, `${score.correct}/${score.matched} = ${(score.accuracy * 100).toFixed(1)}%`,
      score.tracksPerAppearance.toFixed(2), (score.matched / people).toFixed(2),
      ([...labelsPerPerson.values()].reduce((n, s) => n + s.size, 0) / labelsPerPerson.size).toFixed(2),
      String(score.switches), String(score.strangersNamed), `${score.unlisted} (${score.unlistedNamed} named)`,
      Object.entries(score.strangerLabels).map(([p, l]) => `${p}: ${l.join('+')}`).join('; '),
    ]);
    const wrong = score.tracks.filter((t) => t.correct === false);
    if (wrong.length) console.log(`  ${name}: wrong tracks ${wrong.map((t) => `#${t.id} ${t.label} (truth ${t.person})`).join(', ')}`);
  }

  // The baseline: every sampled frame judged alone.
  const frames = await openVideo(clip.video, { fps: 5 });
  const faces: FrameFace[] = [];
  const baselineStart = Date.now();
  const baselineCpuStart = process.cpuUsage();
  let baselineFrames = 0;
  for await (const frame of frames.frames()) {
    const result = await recognizer.identify({ data: frame.data, width: frame.width, height: frame.height, channels: 3 }, { k: 1 });
    for (const f of result.faces) faces.push({ time: frame.time, box: f.box, name: f.name });
    baselineFrames++;
  }
  const baselineSeconds = (Date.now() - baselineStart) / 1000;
  const baselineCpuUsage = process.cpuUsage(baselineCpuStart);
  const baselineCpu = (baselineCpuUsage.user + baselineCpuUsage.system) / 1000;
  const base = scoreFrames(faces, clip.truth);
  accuracyRows.push([
    'each frame alone (baseline)', `${base.faces} faces`, '-', '-', `${base.correct}/${base.matched} = ${(base.accuracy * 100).toFixed(1)}%`,
    '-', '-', base.namesPerAppearance.toFixed(2), '-', `${base.strangersNamed} faces`, '-', `known faces left UNKNOWN: ${base.knownUnknown}`,
  ]);
  speedRows.push(['labelled clip, baseline (identify per frame)', '1280x720', '5', ...speedCells(baselineFrames / 5, baselineFrames, baselineSeconds * 1000, baselineCpu, frames.stats.ffmpegCpuMs), '-', '-', '-', '-', '-', '-', `${base.faces}/${base.faces}/${base.faces}`, '-']);

  // Speed on the media clips; their people are not enrolled, so any track named is a stranger named.
  const namedRows: string[][] = [];
  for (const [file, label] of [['street.mp4', 'street.mp4'], ['hamilton_clip.mp4', 'hamilton_clip.mp4']] as const) {
    const summary = await run(recognizer, path.join(media, file), { fps: 5 });
    speedRow(`${label}, --fps 5`, summary);
    const open = await run(recognizer, path.join(media, file), { fps: 5, quality: false });
    const cells = (s: VideoSummary) => `${s.tracks.length} / ${s.tracks.filter((t) => t.subject).length} / ${s.tracks.filter((t) => t.reason === 'low-quality').length} / ${s.facesRefused} of ${s.facesEmbedded}`;
    namedRows.push([label, cells(open), cells(summary)]);
    if (!values.quick) speedRow(`${label}, every frame`, await run(recognizer, path.join(media, file), { fps: 'all' }));
  }
  if (!values.quick) speedRow('street.mp4, --fps 5, tiles every frame', await run(recognizer, path.join(media, 'street.mp4'), { fps: 5, tiledEvery: 0 }));
  // The settings before settled tracks were embedded less often and tracks' missed faces looked for:
  // tiles every second, every track embedded again every second.
  const before = { tiledEvery: 1, trackSearch: false, settledRefreshSeconds: 1 };
  speedRow('street.mp4, --fps 5, tiles 1 s, no track search, refresh 1 s', await run(recognizer, path.join(media, 'street.mp4'), { fps: 5, ...before }));
  {
    const summary = await run(recognizer, clip.video, { fps: 5, ...before });
    speedRow('labelled clip, --fps 5, tiles 1 s, no track search, refresh 1 s', summary);
    const score = scoreTracks(summary.tracks, clip.truth);
    console.log(`  tiles 1 s, no track search, refresh 1 s on the labelled clip: ${score.correct}/${score.matched} tracks right, ${score.switches} switches, ${score.strangersNamed} strangers named`);
  }
  // The mirror: for every face (as photos are; the default before flipMargin), and for none.
  speedRow('street.mp4, --fps 5, mirror every face', await run(recognizer, path.join(media, 'street.mp4'), { fps: 5, flipMargin: Infinity }));
  speedRow('street.mp4, --fps 5, --no-flip', await run(recognizer, path.join(media, 'street.mp4'), { fps: 5, flip: false }));
  for (const [name, options] of [['mirror every face', { flipMargin: Infinity }], ['--no-flip', { flip: false }]] as const) {
    const summary = await run(recognizer, clip.video, { fps: 5, ...options });
    speedRow(`labelled clip, --fps 5, ${name}`, summary);
    const score = scoreTracks(summary.tracks, clip.truth);
    console.log(`  ${name} on the labelled clip: ${score.correct}/${score.matched} tracks right, ${score.switches} switches, ${score.strangersNamed} strangers named`);
  }

  console.log(`Identity on the labelled clip (${clip.truth.appearances.length} appearances of ${people} people, ${clip.truth.appearances.filter((a) => !a.enrolled).length} of them strangers' appearances; --fps 5):\n`);
  table(['method', 'tracks', 'named', 'faces refused', 'identity accuracy', 'tracks/appearance (segments per stay)', 'tracks/person', 'labels/person', 'switches', 'strangers named', 'tracks not in truth', 'strangers grouped'], accuracyRows);
  console.log('Media clips, none of their people enrolled (tracks / named / UNKNOWN for low quality / faces refused by the gate):\n');
  table(['video', 'no quality gate', 'quality gate (default)'], namedRows);
  console.log('Speed (speed: video seconds per wall-clock second on this machine, at the load below; node / ffmpeg cpu s: CPU seconds of this');
  console.log('process (every thread) and of ffmpeg; 2 idle cores: video seconds over half of all that CPU time, the best two idle cores');
  console.log('would give; decode ... track: CPU milliseconds per analysed frame in each stage; faces: detected / embedded / embedded with the mirror too):\n');
  table(['video', 'size', 'fps', 'frames', 'video s', 'wall s', 'speed', 'node cpu s', 'ffmpeg cpu s', 'cpu s per video s', '2 idle cores', 'decode', 'detect', 'check', 'embed', 'identify', 'track', 'faces', 'tracks'], speedRows);
  console.log(`settings: ${JSON.stringify(main!.settings)}; load average now ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
} finally {
  await recognizer.close();
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}
