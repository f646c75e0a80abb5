// Video frames from ffmpeg, run as a subprocess: Debian's `ffmpeg` on PATH, or $VISAGE_FFMPEG. Raw
// RGB frames come on its stdout (no temporary images); what the source is (size, frame rate,
// duration) is read from ffmpeg's own log on stderr, so one process both probes and decodes (a
// stream is connected to once). Files, http(s)/rtsp/rtmp/udp URLs and V4L2 cameras (/dev/videoN)
// are read the same way.
//
// Nothing here waits forever: a source that sends no frame within `timeoutMs` (while Visage is
// waiting for one) is killed and reported (VISAGE_ERR_VIDEO_TIMEOUT). Decoder complaints about
// damaged data (ffmpeg conceals and goes on) are counted; a frame cut short at the end is
// dropped and counted. A failure after some frames ends the video there, kept in `stats.error`
// (the frames before it are worth their faces); before any frame it is thrown.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { VisageError } from '../errors.ts';

export const FFMPEG_ENV = 'VISAGE_FFMPEG';

export interface VideoSourceOptions {
  /** Frames sampled per second of video (default 5); 0 or 'all': every frame the source has. */
  fps?: number | 'all';
  /** Start at this many seconds into the video (files). */
  from?: number;
  /** Stop at this many seconds into the video. */
  to?: number;
  /** Shrink frames whose height is above this (pixels; default: full size). */
  maxHeight?: number;
  /**
   * Give up when no frame arrives for this long while one is awaited (default 20 s): a stream
   * that never answers, a camera that never starts. The first frame may take up to twice this.
   */
  timeoutMs?: number;
  /** The ffmpeg binary (default $VISAGE_FFMPEG, else `ffmpeg` on PATH). */
  ffmpeg?: string;
}

export interface VideoInfo {
  /** What was given: a path, a URL or a device. */
  source: string;
  kind: 'file' | 'stream' | 'camera';
  /** The frames Visage receives (after --max-height). */
  width: number;
  height: number;
  /** The source's own frame rate (null when ffmpeg does not say). */
  sourceFps: number | null;
  /** Frames per second delivered: the sampling rate, or the source's with every frame. */
  fps: number | null;
  /** Seconds of video to be read (after from/to), null for a live source or an unknown length. */
  duration: number | null;
  /** The container's duration in seconds, when known. */
  sourceDuration: number | null;
  codec: string | null;
  from: number;
}

export interface VideoFrame {
  /** 0, 1, 2, ... in the order delivered. */
  index: number;
  /** Seconds from the start of the video (not from `from`). */
  time: number;
  width: number;
  height: number;
  channels: 3;
  /** Interleaved RGB; a fresh buffer per frame. */
  data: Uint8Array;
}

export interface SourceStats {
  frames: number;
  /** Lines in which ffmpeg's decoder reported damaged data (it conceals and goes on). */
  decodeErrors: number;
  /** A last frame that came short (a file cut off mid-frame): dropped. */
  truncatedFrames: number;
  /** ffmpeg's CPU time (user + system, every thread), milliseconds, when it ended by itself. */
  ffmpegCpuMs?: number;
  /**
   * Why the video ended early, when it failed after some frames had come (ffmpeg stopped with an
   * error, or the source went silent): those frames are kept and the video ends there.
   */
  error?: { code: string; message: string };
}

/** The ffmpeg binary to run: the option, else $VISAGE_FFMPEG, else `ffmpeg` on PATH. */
export function ffmpegBinary(option?: string): string {
  return option ?? (process.env[FFMPEG_ENV] || 'ffmpeg');
}

export function sourceKind(source: string): VideoInfo['kind'] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return 'stream';
  if (/^\/dev\/video\d+$/.test(source)) return 'camera';
  return 'file';
}

function checkOptions(options: VideoSourceOptions): void {
  const bad = (message: string): never => { throw new VisageError('VISAGE_ERR_BAD_OPTION', message); };
  const { fps, from, to, maxHeight, timeoutMs } = options;
  if (fps !== undefined && fps !== 'all' && !(typeof fps === 'number' && Number.isFinite(fps) && fps >= 0 && fps <= 1000)) bad(`video option fps must be a number from 0 to 1000 or 'all', got ${String(fps)}`);
  if (from !== undefined && !(typeof from === 'number' && Number.isFinite(from) && from >= 0)) bad(`video option from must be seconds >= 0, got ${String(from)}`);
  if (to !== undefined && !(typeof to === 'number' && Number.isFinite(to) && to > (from ?? 0))) bad(`video option to must be seconds after from, got ${String(to)}`);
  if (maxHeight !== undefined && !(Number.isInteger(maxHeight) && maxHeight >= 16)) bad(`video option maxHeight must be a whole number of pixels >= 16, got ${String(maxHeight)}`);
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) bad(`video option timeoutMs must be a positive number, got ${String(timeoutMs)}`);
}

/** ffmpeg's command line for a source and options (pure; for tests). */
export function ffmpegArgs(source: string, options: VideoSourceOptions = {}): string[] {
  const kind = sourceKind(source);
  // -benchmark: ffmpeg's own CPU time, printed as it ends (SourceStats.ffmpegCpuMs).
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'info', '-benchmark'];
  const timeoutUs = String(Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) * 1000));
  if (kind === 'stream') {
    // Socket timeouts, where the protocol has them; the watchdog below holds in any case.
    if (/^rtsps?:/i.test(source)) args.push('-rtsp_transport', 'tcp', '-timeout', timeoutUs);
    else if (/^(https?|tcp|rtmp):/i.test(source)) args.push('-rw_timeout', timeoutUs);
  }
  // A stream or camera is analysed for 0.5 s before its first frame, not ffmpeg's 5 s: the first
  // events come seconds sooner (a live HTTP stream in test/video/live.test.ts: the first track-start
  // at 3.1 s instead of 7.4, with model loading). '-fflags nobuffer' was tried too: it broke an MP4 served over HTTP.
  if (kind !== 'file') args.push('-analyzeduration', '500000');
  if (kind === 'camera') args.push('-f', 'v4l2');
  const fps = options.fps ?? DEFAULT_FPS;
  // Sampling 5 frames a second or fewer: the frames no other frame refers to (most B-frames) are
  // not decoded, and the fps filter takes its samples from the rest. The decoder's CPU time falls by
  // a third on street.mp4 (25 fps, 78 of 105 frames B), and a sample is at most a frame or two
  // (40-80 ms at 25 fps) from the instant it stands for. Reference frames come at least every
  // 0.2 s in any source of 15 fps and more with up to two B-frames in a row (x264's default).
  if (fps !== 'all' && fps > 0 && fps <= SKIP_NONREF_MAX_FPS) args.push('-skip_frame', 'noref');
  if (options.from) args.push('-ss', String(options.from));
  args.push('-i', kind === 'file' && source.startsWith('-') ? `file:${source}` : source);
  if (options.to !== undefined) args.push('-t', String(options.to - (options.from ?? 0)));
  const filters: string[] = [];
  if (fps !== 'all' && fps > 0) filters.push(`fps=${fps}`);
  if (options.maxHeight) filters.push(`scale=-2:'min(ih,${options.maxHeight})'`);
  args.push('-map', '0:v:0', '-an', '-sn', '-dn');
  if (filters.length) args.push('-vf', filters.join(','));
  if (fps === 'all' || fps === 0) args.push('-fps_mode', 'passthrough');
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return args;
}

export const DEFAULT_FPS = 5;
/** Sampling rates at or under this skip the decoding of frames nothing refers to (ffmpegArgs). */
export const SKIP_NONREF_MAX_FPS = 5;
export const DEFAULT_TIMEOUT_MS = 20_000;

/** Seconds from ffmpeg's "HH:MM:SS.ss". */
function seconds(text: string): number {
  const [h, m, s] = text.split(':').map(Number);
  return h! * 3600 + m! * 60 + s!;
}

/** What ffmpeg's log says about the input and the raw output (pure; for tests). */
export function parseFfmpegLog(log: string): { inputFormat: string | null; duration: number | null; codec: string | null; sourceFps: number | null; width: number | null; height: number | null } {
  const inputFormat = /^Input #0, ([^,]+(?:,[^,\s]+)*), from/m.exec(log)?.[1] ?? null;
  const durationText = /Duration: (\d+:\d+:\d+(?:\.\d+)?)/.exec(log)?.[1];
  const inputVideo = /^\s*Stream #0:\d+[^:]*: Video: ([^\s,]+).*$/m.exec(log.split(/^Output #0/m)[0]!);
  const fpsText = inputVideo ? /([\d.]+) (?:fps|tbr)/.exec(inputVideo[0])?.[1] : undefined;
  const output = log.split(/^Output #0/m)[1] ?? '';
  const size = /Video: rawvideo.*?, (\d+)x(\d+)/.exec(output);
  return {
    inputFormat,
    duration: durationText ? seconds(durationText) : null,
    codec: inputVideo?.[1] ?? null,
    sourceFps: fpsText ? Number(fpsText) : null,
    width: size ? Number(size[1]) : null,
    height: size ? Number(size[2]) : null,
  };
}

/** A decoder line reporting damaged data (ffmpeg conceals it and goes on). */
const DECODE_ERROR = /^\[[a-z0-9_]+ @ 0x[0-9a-f]+\] .*(error|corrupt|invalid|missing|concealing|overread|out of range|non-existing)/i;

/** The line of ffmpeg's log that best says why it failed. */
function failureLine(lines: readonly string[]): string {
  const picked = [...lines].reverse().find((l) => /No such file|Invalid data|Connection refused|timed out|Permission denied|not found|Server returned|does not contain any stream|Cannot|Could not|Unknown|unable|Error/i.test(l))
    ?? lines.at(-1) ?? 'no output';
  return picked.replace(/^\[[^\]]+\]\s*/, '').trim().slice(0, 200);
}

/**
 * An open video: `info` once ffmpeg has said what it decodes, then `frames()` in order. Close it
 * (or read to the end) to end the ffmpeg process.
 */
export class VideoSource {
  readonly info: VideoInfo;
  readonly stats: SourceStats = { frames: 0, decodeErrors: 0, truncatedFrames: 0 };
  private readonly process: ChildProcessByStdio<null, Readable, Readable>;
  private readonly log: string[];
  private readonly exited: Promise<number | null>;
  private readonly timeoutMs: number;
  private closed = false;

  private constructor(info: VideoInfo, child: ChildProcessByStdio<null, Readable, Readable>, log: string[], exited: Promise<number | null>, timeoutMs: number) {
    this.info = info;
    this.process = child;
    this.log = log;
    this.exited = exited;
    this.timeoutMs = timeoutMs;
  }

  /** Starts ffmpeg and waits until it has said what it decodes (or failed, or timed out). */
  static async open(source: string, options: VideoSourceOptions = {}): Promise<VideoSource> {
    if (typeof source !== 'string' || !source) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'video source must be a file path, a URL or a device');
    checkOptions(options);
    const kind = sourceKind(source);
    if (kind !== 'stream') {
      const found = await stat(source).catch(() => null);
      if (!found) throw new VisageError('VISAGE_ERR_VIDEO_NOT_FOUND', `${kind === 'camera' ? 'camera' : 'video'} not found: ${source}`);
      if (found.isDirectory()) throw new VisageError('VISAGE_ERR_VIDEO_DECODE', `${source} is a folder, not a video`);
    }
    const binary = ffmpegBinary(options.ffmpeg);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const child = spawn(binary, ffmpegArgs(source, options), { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    let decodeErrors = 0;
    let ffmpegCpuMs: number | undefined;
    let pending = '';
    const spawnError = new Promise<never>((_, reject) => child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' || error.code === 'EACCES'
        ? new VisageError('VISAGE_ERR_FFMPEG_MISSING', `ffmpeg not found (${binary}): install it (Debian: apt-get install ffmpeg) or set $${FFMPEG_ENV} to its path`)
        : new VisageError('VISAGE_ERR_VIDEO_DECODE', `ffmpeg could not be started: ${error.message}`));
    }));
    spawnError.catch(() => undefined);
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    // The log: header lines until the output is described, then decoder complaints (counted).
    const headerDone = new Promise<void>((resolve) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        pending += text;
        const parts = pending.split(/\r?\n|\r/);
        pending = parts.pop()!;
        for (const line of parts) {
          if (/^frame=|^\s*$/.test(line)) continue;
          if (DECODE_ERROR.test(line)) decodeErrors++;
          const cpu = /^bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(line);
          if (cpu) ffmpegCpuMs = (Number(cpu[1]) + Number(cpu[2])) * 1000;
          if (log.length < 400) log.push(line);
          else log.splice(200, 1), log.push(line);
          // The output stream's line: its size is now known.
          if (/^\s*Stream #0:0.*Video: rawvideo/.test(line) && log.some((l) => l.startsWith('Output #0'))) resolve();
        }
      });
      child.stderr.once('end', () => resolve());
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    try {
      const first = await Promise.race([headerDone.then(() => 'header' as const), timeout, spawnError]);
      if (first === 'timeout') {
        child.kill('SIGKILL');
        throw new VisageError('VISAGE_ERR_VIDEO_TIMEOUT', `${source} sent nothing in ${(timeoutMs / 1000).toFixed(1)} s: no video stream answered`);
      }
    } finally {
      clearTimeout(timer);
    }
    const parsed = parseFfmpegLog(log.join('\n'));
    if (parsed.width === null || parsed.height === null) {
      const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 2000))]);
      if (code === null) child.kill('SIGKILL');
      throw new VisageError('VISAGE_ERR_VIDEO_DECODE', `${source} could not be read as a video: ${failureLine(log)}`);
    }
    if (parsed.inputFormat && /^(image2|\w+_pipe)$/.test(parsed.inputFormat) && kind === 'file') {
      child.kill('SIGKILL');
      throw new VisageError('VISAGE_ERR_VIDEO_DECODE', `${source} is a still image, not a video (visage identify reads images)`);
    }
    const fps = options.fps ?? DEFAULT_FPS;
    const from = options.from ?? 0;
    const end = options.to ?? parsed.duration;
    const duration = kind === 'file' && end !== null ? Math.max(0, Math.min(end, parsed.duration ?? end) - from) : options.to !== undefined ? options.to - from : null;
    const info: VideoInfo = {
      source, kind, width: parsed.width, height: parsed.height, sourceFps: parsed.sourceFps,
      fps: fps === 'all' || fps === 0 ? parsed.sourceFps : fps,
      duration, sourceDuration: parsed.duration, codec: parsed.codec, from,
    };
    const video = new VideoSource(info, child, log, exited, timeoutMs);
    Object.defineProperty(video.stats, 'decodeErrors', { get: () => decodeErrors, enumerable: true });
    Object.defineProperty(video.stats, 'ffmpegCpuMs', { get: () => ffmpegCpuMs, enumerable: true });
    return video;
  }

  /** The frames, in order. Ends at the end of the video; throws on a failure or a timeout. */
  async *frames(): AsyncGenerator<VideoFrame> {
    const { width, height } = this.info;
    const frameBytes = width * height * 3;
    const perFrame = this.info.fps ? 1 / this.info.fps : 0;
    const stdout = this.process.stdout;
    // ffmpeg's output is copied into frames as it comes ('data' events), at most two frames ahead
    // of the caller: then the pipe fills and ffmpeg waits. One timer per frame awaited, none per
    // chunk of the pipe (a 1080p frame comes in about 95 of them).
    const newFrame = () => { const b = Buffer.allocUnsafeSlow(frameBytes); return new Uint8Array(b.buffer, b.byteOffset, frameBytes); };
    const ready: Uint8Array[] = [];
    let frame = newFrame();
    let filled = 0;
    let ended = false;
    let wake: (() => void) | null = null;
    const notify = () => { const w = wake; wake = null; w?.(); };
    const onData = (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - at);
        frame.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === frameBytes) { ready.push(frame); frame = newFrame(); filled = 0; }
      }
      if (ready.length >= 2) stdout.pause();
      if (ready.length > 0) notify();
    };
    const onEnd = () => { ended = true; notify(); };
    stdout.on('data', onData);
    stdout.once('end', onEnd);
    stdout.once('close', onEnd);
    stdout.once('error', onEnd);
    let index = 0;
    try {
      for (;;) {
        if (ready.length === 0 && !ended) {
          // The first frame may need a connection and a seek: twice the time.
          const wait = index === 0 && filled === 0 ? this.timeoutMs * 2 : this.timeoutMs;
          let timer: NodeJS.Timeout | undefined;
          const arrived = await new Promise<boolean>((resolve) => {
            wake = () => resolve(true);
            timer = setTimeout(() => resolve(false), wait);
            stdout.resume();
          });
          clearTimeout(timer);
          wake = null;
          if (!arrived) {
            this.process.kill('SIGKILL');
            const error = new VisageError('VISAGE_ERR_VIDEO_TIMEOUT', `${this.info.source} sent no frame for ${(wait / 1000).toFixed(1)} s (after ${index} frames)`);
            if (index === 0) throw error;
            this.stats.error = { code: error.code, message: error.message };
            return;
          }
          continue;
        }
        const data = ready.shift();
        if (!data) break;
        if (ready.length < 2 && !ended) stdout.resume();
        this.stats.frames++;
        yield { index, time: this.info.from + index * perFrame, width, height, channels: 3, data };
        index++;
      }
      if (filled > 0) this.stats.truncatedFrames++;
      const code = await this.exited;
      if (code !== 0 && !this.closed) {
        const error = new VisageError('VISAGE_ERR_VIDEO_DECODE', `${this.info.source}: ffmpeg stopped after ${index} frames: ${failureLine(this.log)}`);
        if (index === 0) throw error;
        this.stats.error = { code: error.code, message: error.message };
      }
    } finally {
      stdout.off('data', onData);
      stdout.off('end', onEnd);
      stdout.off('close', onEnd);
      stdout.off('error', onEnd);
      await this.close();
    }
  }

  /** Stops ffmpeg (when still running). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.stdout.destroy();
      this.process.kill('SIGKILL');
    }
    await this.exited;
  }
}

/** Opens a video source: see VideoSource. */
export function openVideo(source: string, options: VideoSourceOptions = {}): Promise<VideoSource> {
  return VideoSource.open(source, options);
}
