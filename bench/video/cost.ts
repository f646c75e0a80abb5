// npm run bench:video-cost [-- --video PATH] [-- --runs N]
//
// Where a 1080p video's CPU goes at --fps 5 (default ../shared/datasets/media/street.mp4), piece by
// piece, so the distance to a speed goal can be read stage by stage:
// - decoding: ffmpeg's own CPU (its -benchmark line, median of --runs) with each way of skipping
//   work in the decoder, and whether the frames it still decodes are bit-identical to a full decode
//   (framemd5 by timestamp) on the video and on a default-x264 encode of it (3 references,
//   B-pyramid), where skipping every B-frame also skips frames that P-frames refer to;
// - node, per call on the video's own frames: the 256 px letterbox of a whole frame (sharp), one
//   BlazeFace run, a whole-frame and a tiled detection, the face check, and analyze() per face
//   without embedding (68 landmarks, alignment, quality), with the ResNet alone, with the fusion;
// - what a run of the video does (faces found and embedded, tiled frames, crops searched) and the
//   CPU per stage, beside what those counts cost at the per-call figures above.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { createVisage, type Visage } from '../../src/visage.ts';
import { letterbox } from '../../src/face/image/transform.ts';
import { unsharedPixels } from '../../src/face/image/decode.ts';
import { openVideo, type VideoFrame } from '../../src/video/source.ts';
import { videoSummary } from '../../src/video/video.ts';

const run = promisify(execFile);
const { values } = parseArgs({ options: { video: { type: 'string' }, runs: { type: 'string', default: '3' } } });
const video = path.resolve(values.video ?? '../shared/datasets/media/street.mp4');
const runs = Math.max(1, Number(values.runs));
const ffmpeg = process.env.VISAGE_FFMPEG || 'ffmpeg';
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ffmpeg's CPU seconds decoding `file` at 5 fps to raw RGB, with `skip` before the input. */
async function decodeCpu(file: string, skip: string[]): Promise<number> {
  const { stderr } = await run(ffmpeg, ['-hide_banner', '-nostdin', '-benchmark', ...skip, '-i', file, '-map', '0:v:0', '-vf', 'fps=5', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', '/dev/null'], { maxBuffer: 1 << 24 });
  const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : NaN;
}

/** Each decoded frame's MD5 by timestamp (every frame the decoder outputs, no sampling). */
async function frameHashes(file: string, skip: string[]): Promise<Map<string, string>> {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', ...skip, '-i', file, '-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'], { maxBuffer: 1 << 26 });
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    out.set(cells[2]!, cells[5]!);
  }
  return out;
}

const skips: [string, string[]][] = [
  ['every frame decoded', []],
  ['-skip_frame noref (Visage at <= 5 fps)', ['-skip_frame', 'noref']],
  ['-skip_frame noref -skip_loop_filter all', ['-skip_frame', 'noref', '-skip_loop_filter', 'all']],
  ['-skip_frame bidir', ['-skip_frame', 'bidir']],
];

const dir = await mkdtemp(path.join(tmpdir(), 'visage-video-cost-'));
try {
  console.log(`bench:video-cost on ${path.basename(video)}; load average ${load()}\n`);
  const x264 = path.join(dir, 'x264-default.mp4');
  await run(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-i', video, '-t', '4', '-an', '-vf', 'scale=-2:540', '-c:v', 'libx264', '-preset', 'medium', '-x264-params', 'ref=3:bframes=3:b-pyramid=normal', '-y', x264]);
  const full = { video: await frameHashes(video, []), x264: await frameHashes(x264, []) };
  console.log('| decoding (5 fps to raw RGB) | ffmpeg CPU s (median) | frames decoded: same as a full decode / differing | the same on a default-x264 encode (540p, 4 s) |');
  console.log('|---|---|---|---|');
  for (const [name, skip] of skips) {
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) cpu.push(await decodeCpu(video, skip));
    const compare = async (file: string, reference: Map<string, string>) => {
      const hashes = await frameHashes(file, skip);
      let same = 0, differ = 0;
      for (const [pts, hash] of hashes) if (reference.get(pts) === hash) same++; else differ++;
      return `${same} / ${differ} (of ${reference.size})`;
    };
    console.log(`| ${name} | ${median(cpu).toFixed(2)} | ${await compare(video, full.video)} | ${await compare(x264, full.x264)} |`);
  }

  // Node, per call, on the video's own frames.
  const frames: VideoFrame[] = [];
  const source = await openVideo(video, { fps: 5 });
  for await (const frame of source.frames()) frames.push(frame);
  const pixels = (f: VideoFrame) => unsharedPixels({ data: f.data, width: f.width, height: f.height, channels: 3 as const });
  const fusion = await createVisage();
  const resnet = await createVisage({ embedders: ['faceapi-recognition'] });
  await fusion.warmUp();
  await resnet.warmUp();
  const cpuPer = async (calls: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number> => {
    const samples: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = process.cpuUsage();
      for (let i = 0; i < calls; i++) await fn(i);
      const used = process.cpuUsage(start);
      samples.push((used.user + used.system) / 1000 / calls);
    }
    return median(samples);
  };
  const faces = (await fusion.detect(pixels(frames[Math.min(5, frames.length - 1)]!), { faceCheck: 'off', retryPadded: false })).faces.slice(0, 2);
  const faceFrame = pixels(frames[Math.min(5, frames.length - 1)]!);
  const n = frames.length;
  const per = {
    letterbox: await cpuPer(n, (i) => letterbox(frames[i]!, 256)),
    whole: await cpuPer(n, (i) => fusion.detect(pixels(frames[i]!), { faceCheck: 'off', retryPadded: false, tiling: 'off' })),
    tiled: await cpuPer(Math.min(n, 6), (i) => fusion.detect(pixels(frames[i]!), { faceCheck: 'off', retryPadded: false })),
    check: await cpuPer(10, () => fusion.checkFaces(faceFrame, faces)) / Math.max(1, faces.length),
    geometry: await cpuPer(10, () => fusion.analyze(faceFrame, { faces, embed: false })) / Math.max(1, faces.length),
    resnet: await cpuPer(10, () => resnet.analyze(faceFrame, { faces, flip: false })) / Math.max(1, faces.length),
    fusion: await cpuPer(10, () => fusion.analyze(faceFrame, { faces, flip: false })) / Math.max(1, faces.length),
  };
  console.log(`\nnode CPU ms per call (median of ${runs}; load average ${load()}), ${frames[0]!.width}x${frames[0]!.height} frames:\n`);
  console.log('| piece | CPU ms |');
  console.log('|---|---|');
  console.log(`| 256 px letterbox of a whole frame (sharp) | ${per.letterbox.toFixed(1)} |`);
  console.log(`| whole-frame detection (letterbox, one BlazeFace run, decoding) | ${per.whole.toFixed(1)} |`);
  console.log(`| tiled detection (the whole frame and its tiles) | ${per.tiled.toFixed(1)} |`);
  console.log(`| face check, per face | ${per.check.toFixed(1)} |`);
  console.log(`| a face without embedding (68 landmarks, alignment, quality) | ${per.geometry.toFixed(1)} |`);
  console.log(`| a face embedded by the ResNet alone | ${per.resnet.toFixed(1)} |`);
  console.log(`| a face embedded by the fusion (the default: the ResNet and Faceplugin's network) | ${per.fusion.toFixed(1)} |`);

  // What a run does, and what that costs at the figures above.
  const summary = await videoSummary(fusion.video(video, { fps: 5 }));
  const c = summary.cpuTimings;
  const ffmpegS = (summary.source.ffmpegCpuMs ?? 0) / 1000;
  console.log(`\nA run (visage.video, no gallery; load average ${load()}): ${summary.frames} frames, ${summary.seconds.toFixed(1)} s of video; faces found ${summary.facesDetected}, embedded ${summary.facesEmbedded}, checked ~${summary.facesRejected} rejected; ${summary.tiledFrames} tiled frames, ${summary.regionSearches} crops searched around tracks\n`);
  console.log('| stage | CPU s measured | CPU s from the counts x per-call figures |');
  console.log('|---|---|---|');
  console.log(`| decoding (ffmpeg) | ${ffmpegS.toFixed(2)} | |`);
  const frameSearches = ((summary.frames - summary.tiledFrames) * per.whole + summary.tiledFrames * per.tiled) / 1000;
  console.log(`| detection | ${(c.detect / 1000).toFixed(2)} | ${frameSearches.toFixed(2)} whole and tiled frames; the other ${(c.detect / 1000 - frameSearches).toFixed(2)}: the ${summary.regionSearches} crops around tracks, and the same work dearer beside ffmpeg and the garbage collector |`);
  console.log(`| face check | ${(c.check / 1000).toFixed(2)} | |`);
  console.log(`| embedding | ${(c.embed / 1000).toFixed(2)} | ${(summary.facesEmbedded * per.fusion / 1000).toFixed(2)} (of which Faceplugin's network ${(summary.facesEmbedded * (per.fusion - per.resnet) / 1000).toFixed(2)}) |`);
  console.log(`| tracking, reading frames, the rest | ${((summary.cpuMs - c.detect - c.check - c.embed) / 1000).toFixed(2)} | |`);
  const total = summary.cpuMs / 1000 + ffmpegS;
  console.log(`| all | ${total.toFixed(2)} (${(total / summary.seconds).toFixed(3)} per video second: ${(summary.seconds / (total / 2)).toFixed(2)}x on two idle cores at best; 3x needs ${(summary.seconds * 2 / 3).toFixed(2)}) | |`);
  await fusion.close();
  await resnet.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
