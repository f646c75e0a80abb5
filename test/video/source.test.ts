// The ffmpeg source: real videos from ../shared/datasets/media, sampling, from/to, and bad input
// (missing file, not a video, a still image, ffmpeg absent, a closed port, a server that never
// answers, damaged and cut-off files): one clear error or counted damage, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ffmpegArgs, openVideo, parseFfmpegLog, sourceKind, type VideoSource } from '../../src/video/source.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../helpers/cli.ts';

const skip = skipUnless('media', 'street.mp4') || skipUnless('media', 'hamilton_clip.mp4') || skipUnless('media', 'tiny5frames.mp4');

async function readAll(video: VideoSource): Promise<{ count: number; times: number[]; sizes: Set<number> }> {
  const times: number[] = [];
  const sizes = new Set<number>();
  for await (const frame of video.frames()) { times.push(frame.time); sizes.add(frame.data.length); }
  return { count: times.length, times, sizes };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  assert.fail('expected an error');
}

test('ffmpeg log parsing and command line (pure)', () => {
  const log = [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'street.mp4':",
    '  Duration: 00:00:04.20, start: 0.000000, bitrate: 4593 kb/s',
    '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 4591 kb/s, 25 fps, 25 tbr, 12800 tbn (default)',
    "Output #0, rawvideo, to 'pipe:1':",
    '  Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 960x540 [SAR 1:1 DAR 16:9], q=2-31, 1244160 kb/s, 5 fps, 5 tbn (default)',
  ].join('\n');
  assert.deepEqual(parseFfmpegLog(log), { inputFormat: 'mov,mp4,m4a,3gp,3g2,mj2', duration: 4.2, codec: 'h264', sourceFps: 25, width: 960, height: 540 });
  assert.equal(sourceKind('rtsp://cam/1'), 'stream');
  assert.equal(sourceKind('/dev/video0'), 'camera');
  assert.equal(sourceKind('clip.mp4'), 'file');
  const args = ffmpegArgs('clip.mp4', { fps: 5, from: 2, to: 4, maxHeight: 720 });
  assert.ok(args.join(' ').includes('-ss 2 -i clip.mp4 -t 2'));
  assert.ok(args.includes("fps=5,scale=-2:'min(ih,720)'"));
  assert.ok(ffmpegArgs('x.mp4', { fps: 'all' }).includes('passthrough'));
  // Sampling at 5 fps or fewer skips decoding the frames nothing refers to; every frame, or 10 fps, does not.
  assert.ok(args.join(' ').includes('-skip_frame noref -ss 2 -i'));
  assert.ok(ffmpegArgs('x.mp4').includes('noref'));
  assert.ok(!ffmpegArgs('x.mp4', { fps: 'all' }).includes('noref'));
  assert.ok(!ffmpegArgs('x.mp4', { fps: 10 }).includes('noref'));
  assert.ok(args.includes('-benchmark'));
  assert.ok(ffmpegArgs('rtsp://cam/1', { timeoutMs: 1000 }).join(' ').includes('-rtsp_transport tcp -timeout 1000000'));
  // A file named like an option is read as a file.
  assert.ok(ffmpegArgs('-x.mp4').includes('file:-x.mp4'));
});

test('street.mp4 at 5 fps: 1080p frames, 0.2 s apart; every frame of tiny5frames.mp4; from/to on hamilton_clip.mp4', { skip }, async () => {
  const street = await openVideo(dataset('media', 'street.mp4'), { fps: 5 });
  assert.deepEqual([street.info.width, street.info.height, street.info.sourceFps, street.info.fps, street.info.codec], [1920, 1080, 25, 5, 'h264']);
  assert.equal(street.info.duration, 4.2);
  const all = await readAll(street);
  assert.ok(all.count >= 20 && all.count <= 22, `${all.count} frames`);
  assert.deepEqual([...all.sizes], [1920 * 1080 * 3]);
  assert.ok(Math.abs(all.times[5]! - 1) < 1e-9);
  assert.equal(street.stats.decodeErrors, 0);
  // ffmpeg's own CPU time, from its -benchmark line.
  assert.ok(street.stats.ffmpegCpuMs! > 0 && street.stats.ffmpegCpuMs! < 60_000, `${street.stats.ffmpegCpuMs} ms`);

  const tiny = await openVideo(dataset('media', 'tiny5frames.mp4'), { fps: 'all' });
  assert.equal((await readAll(tiny)).count, 5);

  const part = await openVideo(dataset('media', 'hamilton_clip.mp4'), { fps: 10, from: 2, to: 3.5, maxHeight: 180 });
  assert.deepEqual([part.info.width, part.info.height, part.info.duration], [320, 180, 1.5]);
  const partFrames = await readAll(part);
  assert.ok(partFrames.count >= 14 && partFrames.count <= 16, `${partFrames.count} frames`);
  assert.ok(Math.abs(partFrames.times[0]! - 2) < 1e-9, 'times count from the video start');
});

test('bad input: missing file, not a video, a still image, ffmpeg absent, bad options', { skip }, async () => {
  assert.equal((await failure(openVideo('/nonexistent/clip.mp4'))).code, 'VISAGE_ERR_VIDEO_NOT_FOUND');
  const text = await failure(openVideo(path.resolve('package.json')));
  assert.equal(text.code, 'VISAGE_ERR_VIDEO_DECODE');
  assert.match(text.message, /could not be read as a video: .*Invalid data/);
  const still = await failure(openVideo(dataset('media', 'group1.jpg')));
  assert.equal(still.code, 'VISAGE_ERR_VIDEO_DECODE');
  assert.match(still.message, /still image/);
  const saved = process.env.VISAGE_FFMPEG;
  process.env.VISAGE_FFMPEG = '/nonexistent';
  try {
    const missing = await failure(openVideo(dataset('media', 'tiny5frames.mp4')));
    assert.equal(missing.code, 'VISAGE_ERR_FFMPEG_MISSING');
    assert.match(missing.message, /^ffmpeg not found \(\/nonexistent\): install it/);
  } finally {
    if (saved === undefined) delete process.env.VISAGE_FFMPEG; else process.env.VISAGE_FFMPEG = saved;
  }
  assert.equal((await failure(openVideo(dataset('media', 'tiny5frames.mp4'), { fps: -1 }))).code, 'VISAGE_ERR_BAD_OPTION');
  assert.equal((await failure(openVideo(dataset('media', 'tiny5frames.mp4'), { from: 3, to: 2 }))).code, 'VISAGE_ERR_BAD_OPTION');
});

test('streams: a closed local port fails at once; a server that never answers times out', { skip }, async () => {
  // A port that was just free: nothing listens there.
  const probe = await listen(createServer());
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  let started = Date.now();
  const refused = await failure(openVideo(`http://127.0.0.1:${port}/live.mp4`, { timeoutMs: 5000 }));
  assert.equal(refused.code, 'VISAGE_ERR_VIDEO_DECODE');
  assert.match(refused.message, /Connection refused/);
  assert.ok(Date.now() - started < 5000);

  // Accepts the connection, reads the request, never answers.
  const sockets: import('node:net').Socket[] = [];
  const silent = await listen(createServer((socket) => { sockets.push(socket); socket.on('data', () => undefined); }));
  started = Date.now();
  const timeout = await failure(openVideo(`http://127.0.0.1:${(silent.address() as { port: number }).port}/live.mp4`, { timeoutMs: 1500 }));
  const took = Date.now() - started;
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
  assert.ok(['VISAGE_ERR_VIDEO_TIMEOUT', 'VISAGE_ERR_VIDEO_DECODE'].includes(timeout.code), timeout.message);
  assert.ok(took < 6000, `took ${took} ms`);
});

test('a damaged file: bytes overwritten in the middle are concealed and counted; a file cut short ends early; never a hang', { skip }, async () => {
  const temp = await tempDir('visage-video-');
  try {
    const bytes = await readFile(dataset('media', 'street.mp4'));
    const damaged = Buffer.from(bytes);
    // 40 KB of noise in the middle of the media data (the moov box is at the front: faststart).
    let seed = 7;
    for (let i = Math.floor(bytes.length * 0.5); i < Math.floor(bytes.length * 0.5) + 40_000; i++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; damaged[i] = seed & 0xff; }
    const damagedFile = path.join(temp.dir, 'damaged.mp4');
    await writeFile(damagedFile, damaged);
    const video = await openVideo(damagedFile, { fps: 'all', timeoutMs: 10_000 });
    const frames = await readAll(video);
    assert.ok(frames.count >= 90, `${frames.count} frames`);
    assert.ok(video.stats.decodeErrors > 0, 'the damage is counted');

    // With its index moved to the front (ffmpeg -c copy -movflags +faststart) and cut at 60%: the
    // frames before the cut come.
    const front = path.join(temp.dir, 'front.mp4');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-i', dataset('media', 'street.mp4'), '-c', 'copy', '-movflags', '+faststart', front]);
    const cut = path.join(temp.dir, 'cut.mp4');
    const whole = await readFile(front);
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const shortVideo = await openVideo(cut, { fps: 'all', timeoutMs: 10_000 });
    let count = 0;
    for await (const _ of shortVideo.frames()) count++;
    assert.ok(count > 0 && count < 105, `${count} frames`);
    // ffmpeg either ends quietly at the cut or says why: then it is kept, the frames before it too.
    if (shortVideo.stats.error) assert.equal(shortVideo.stats.error.code, 'VISAGE_ERR_VIDEO_DECODE');
    // Without its index (at the end of these files), a cut file is no video any more: one clear line.
    const headless = path.join(temp.dir, 'headless.mp4');
    await writeFile(headless, (await readFile(dataset('media', 'hamilton_clip.mp4'))).subarray(0, 300_000));
    const refused = await failure(openVideo(headless));
    assert.equal(refused.code, 'VISAGE_ERR_VIDEO_DECODE');
    assert.match(refused.message, /could not be read as a video/);
  } finally {
    await temp.remove();
  }
});

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
