// An annotated copy of a video: boxes, names and track ids drawn over every frame, encoded as
// H.264 MP4 by a second ffmpeg reading raw frames on its stdin. The video is decoded again at its
// full frame rate (from/to as analysed); between two sampled frames a track's box is interpolated.
import { spawn } from 'node:child_process';
import sharp from 'sharp';
import { VisageError } from '../errors.ts';
import { annotationSvg, type Annotation } from '../report/annotate.ts';
import type { Box } from '../types.ts';
import { ffmpegBinary, openVideo, type VideoSourceOptions } from './source.ts';
import type { VideoSummary, VideoTrack } from './video.ts';

/** A track's box at time t: interpolated between its sampled boxes, null outside them or across a gap. */
export function boxAt(track: Pick<VideoTrack, 'boxes'>, t: number, maxGap: number): Box | null {
  const boxes = track.boxes ?? [];
  if (boxes.length === 0 || t < boxes[0]!.time - 1e-6 || t > boxes.at(-1)!.time + 1e-6) return null;
  let lo = 0, hi = boxes.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (boxes[mid]!.time <= t) lo = mid; else hi = mid;
  }
  const a = boxes[lo]!, b = boxes[hi]!;
  if (t <= a.time || hi === lo) return a.box;
  if (t >= b.time) return b.box;
  // A face missing for a while is not drawn across its gap.
  if (b.time - a.time > Math.min(maxGap, 0.5)) return Math.abs(t - a.time) < 0.1 ? a.box : null;
  const k = (t - a.time) / (b.time - a.time);
  const mix = (p: number, q: number) => p + (q - p) * k;
  return { x: mix(a.box.x, b.box.x), y: mix(a.box.y, b.box.y), width: mix(a.box.width, b.box.width), height: mix(a.box.height, b.box.height) };
}

export interface AnnotateVideoOptions extends Pick<VideoSourceOptions, 'ffmpeg' | 'maxHeight' | 'timeoutMs'> {
  /** x264 quality (default 23; lower is better and larger). */
  crf?: number;
  onFrame?: (frame: number, time: number) => void;
}

/**
 * Writes `output` (MP4, H.264): `source` with the summary's tracks drawn (known people green with
 * name, strangers red with unknown-k, each with its track id). The summary must carry boxes.
 */
export async function writeAnnotatedVideo(source: string, summary: VideoSummary, output: string, options: AnnotateVideoOptions = {}): Promise<{ frames: number }> {
  if (summary.tracks.some((t) => !t.boxes)) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'annotating a video needs the tracks\' boxes (video option boxes: true)');
  const video = await openVideo(source, {
    fps: 'all', from: summary.info.from || undefined, to: summary.info.duration !== null && summary.info.kind === 'file' ? summary.info.from + summary.info.duration : undefined,
    ffmpeg: options.ffmpeg, maxHeight: options.maxHeight, timeoutMs: options.timeoutMs,
  });
  const { width, height } = video.info;
  // The analysed frames may have been shrunk (maxHeight); draw in this pass's pixels.
  const sx = width / summary.info.width, sy = height / summary.info.height;
  const rate = video.info.sourceFps ?? summary.info.fps ?? 25;
  const encoder = spawn(ffmpegBinary(options.ffmpeg), [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(rate), '-i', 'pipe:0',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(options.crf ?? 23), '-pix_fmt', 'yuv420p', '-movflags', '+faststart', output,
  ], { stdio: ['pipe', 'ignore', 'pipe'] });
  let log = '';
  encoder.stderr.setEncoding('utf8');
  encoder.stderr.on('data', (text: string) => { log = (log + text).slice(-2000); });
  const finished = new Promise<number | null>((resolve, reject) => {
    encoder.once('error', (error) => reject(new VisageError('VISAGE_ERR_FFMPEG_MISSING', `ffmpeg could not be started to encode ${output}: ${error.message}`)));
    encoder.once('close', resolve);
  });
  finished.catch(() => undefined);
  const write = (chunk: Uint8Array) => new Promise<void>((resolve, reject) => {
    encoder.stdin.write(chunk, (error) => (error ? reject(new VisageError('VISAGE_ERR_VIDEO_DECODE', `encoding ${output} failed: ${log.trim().split('\n').at(-1) ?? error.message}`)) : resolve()));
  });
  const gap = summary.settings.maxGap;
  let frames = 0;
  try {
    for await (const frame of video.frames()) {
      const annotations: Annotation[] = [];
      for (const track of summary.tracks) {
        const box = boxAt(track, frame.time, gap);
        if (!box) continue;
        annotations.push({
          box: { x: box.x * sx, y: box.y * sy, width: box.width * sx, height: box.height * sy },
          label: `#${track.id} ${track.label}`,
          kind: track.subject ? 'known' : 'unknown',
        });
      }
      let pixels: Uint8Array = frame.data;
      if (annotations.length) {
        const drawn = await sharp(frame.data, { raw: { width, height, channels: 3 } })
          .composite([{ input: Buffer.from(annotationSvg(width, height, annotations)), top: 0, left: 0 }])
          .removeAlpha().raw().toBuffer();
        pixels = new Uint8Array(drawn.buffer, drawn.byteOffset, drawn.length);
      }
      await write(pixels);
      frames++;
      options.onFrame?.(frame.index, frame.time);
    }
  } catch (error) {
    encoder.kill('SIGKILL');
    await finished.catch(() => undefined);
    throw error;
  }
  encoder.stdin.end();
  const code = await finished;
  if (code !== 0) throw new VisageError('VISAGE_ERR_VIDEO_DECODE', `encoding ${output} failed: ${log.trim().split('\n').at(-1) ?? `ffmpeg exit ${code}`}`);
  return { frames };
}
