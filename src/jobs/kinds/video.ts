// The video job: one item, one video (an upload's bytes, a file the runner can read, or an
// http(s)/rtsp URL), tracked and named by Recognizer.video() as `visage video` does it. Progress in
// the video's own time is written about once a second; the answer to that write says whether the
// job was cancelled, and a cancelled video stops at the next frame with what it saw kept as its
// result. The result is the document `visage video --json` prints, the best-face thumbnails files
// of the job (thumbs/track-N.jpg).
//
// An upload reaches a worker as bytes (kept in the job tables until its item is done): ffmpeg needs
// a file it can seek in (an MP4's index may sit at its end), so the worker writes it to a
// temporary folder first and removes it after.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VisageError } from '../../errors.ts';
import { DECISION_STRATEGIES } from '../../face/match/index.ts';
import { QUALITY_GATE_KEYS, resolveGate, VIDEO_GATE, type QualityGate } from '../../face/quality/gate.ts';
import { thumbnailName, videoDocument, videoEventRecord } from '../../report/video-document.ts';
import type { VideoEvent, VideoSummary } from '../../video/video.ts';
import { WebhookPoster, type WebhookCounts } from '../../video/webhook.ts';
import type { JobFile, JobKindSpec } from '../kind.ts';
import type { VideoJobOptions, VideoProgress } from '../types.ts';

const OPTION_KEYS = ['fps', 'from', 'to', 'maxGap', 'tiledEvery', 'maxHeight', 'threshold', 'strategy', ...QUALITY_GATE_KEYS, 'qualityGate', 'reidentify', 'reidSimilarity'] as const;

/** A video job's options checked (VISAGE_ERR_BAD_INPUT naming the option), undefined ones left out. */
export function checkVideoJobOptions(options: Record<string, unknown>): VideoJobOptions {
  const bad = (message: string): never => { throw new VisageError('VISAGE_ERR_BAD_INPUT', message); };
  for (const key of Object.keys(options)) if (!(OPTION_KEYS as readonly string[]).includes(key)) bad(`unknown video option ${JSON.stringify(key)} (known: ${OPTION_KEYS.join(', ')})`);
  const number = (key: string, min: number, max: number, integer = false): number | undefined => {
    const v = options[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) bad(`${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const checked: VideoJobOptions = {};
  if (options.fps === 'all') checked.fps = 'all';
  else {
    const fps = number('fps', 0.01, 1000);
    if (fps !== undefined) checked.fps = fps;
  }
  for (const [key, min, max, integer] of [['from', 0, 1e7, false], ['to', 0, 1e7, false], ['maxGap', 0.01, 3600, false], ['tiledEvery', 0, 3600, false], ['maxHeight', 16, 10_000, true], ['threshold', -1, 1, false]] as const) {
    const v = number(key, min, max, integer);
    if (v !== undefined) (checked as Record<string, number>)[key] = v;
  }
  if (checked.to !== undefined && !(checked.to > (checked.from ?? 0))) bad(`to (${checked.to}) must come after from (${checked.from ?? 0})`);
  if (options.strategy !== undefined) {
    if (!DECISION_STRATEGIES.includes(options.strategy as never)) bad(`strategy must be ${DECISION_STRATEGIES.join(' or ')}, got ${JSON.stringify(options.strategy)}`);
    checked.strategy = options.strategy as VideoJobOptions['strategy'];
  }
  // The vote's quality gate (VIDEO_GATE's limits changed, or none) and re-identification, as `visage video` takes them.
  const limits: Partial<QualityGate> = {};
  for (const key of QUALITY_GATE_KEYS) if (options[key] !== undefined) limits[key] = options[key] as number;
  try {
    resolveGate(VIDEO_GATE, limits, 'video option');
  } catch (error) {
    bad((error as Error).message.replace('video option: ', ''));
  }
  Object.assign(checked, limits);
  for (const key of ['qualityGate', 'reidentify'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean') bad(`${key} must be true or false, got ${JSON.stringify(v)}`);
  }
  if (options.qualityGate === false) {
    if (Object.keys(limits).length) bad(`qualityGate false cannot be given with quality limits (${Object.keys(limits).join(', ')})`);
    checked.qualityGate = false;
  }
  if (options.reidentify !== undefined) checked.reidentify = options.reidentify as boolean;
  const reidSimilarity = number('reidSimilarity', -1, 1);
  if (reidSimilarity !== undefined) checked.reidSimilarity = reidSimilarity;
  return checked;
}

/** A video job's options as Recognizer.video() takes them (the gate's limits as `quality`). */
export function videoRunOptions(options: VideoJobOptions): Omit<VideoJobOptions, QualityGateKey | 'qualityGate'> & { quality?: Partial<QualityGate> | false } {
  const { qualityGate, ...rest } = options;
  const limits: Partial<QualityGate> = {};
  for (const key of QUALITY_GATE_KEYS) {
    if (rest[key] !== undefined) limits[key] = rest[key];
    delete rest[key];
  }
  if (qualityGate === false) return { ...rest, quality: false };
  return Object.keys(limits).length ? { ...rest, quality: limits } : rest;
}

type QualityGateKey = keyof QualityGate;

/** A URL as shown (results, logs): without its user name and password (rtsp://user:pass@camera). */
export function urlForDisplay(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** Where a video job stands, from the tracker's progress event (`from`: where the analysis began). */
export function videoProgressOf(event: Extract<VideoEvent, { type: 'progress' }>, from: number): VideoProgress {
  const seconds = Math.max(0, event.time - from);
  const speed = event.elapsedMs > 0 ? seconds / (event.elapsedMs / 1000) : null;
  return {
    seconds: round(seconds), duration: event.duration === null ? null : round(event.duration), frames: event.frames,
    percent: event.duration ? Math.min(100, Math.round((seconds / event.duration) * 1000) / 10) : null,
    framesPerSecond: round(event.framesPerSecond), speed: speed === null ? null : round(speed),
    etaSeconds: event.duration && speed ? Math.max(0, Math.round((event.duration - seconds) / speed)) : null,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Progress once the video is done: its whole length covered (unless it was stopped). */
function finalProgress(summary: VideoSummary): VideoProgress {
  const duration = summary.info.duration;
  const seconds = summary.stopped || duration === null ? summary.seconds : duration;
  return {
    seconds: round(seconds), duration: duration === null ? null : round(duration), frames: summary.frames,
    percent: duration ? Math.min(100, Math.round((seconds / duration) * 1000) / 10) : null,
    framesPerSecond: summary.elapsedMs > 0 ? round(summary.frames / (summary.elapsedMs / 1000)) : null, speed: round(summary.speed), etaSeconds: summary.stopped ? null : 0,
  };
}

/** How often progress is written (and a cancel noticed), milliseconds. */
const PROGRESS_INTERVAL_MS = 1000;

export const VIDEO_KIND: JobKindSpec = {
  queue: 'visage-video',
  async run(context, job, item) {
    const options = checkVideoJobOptions((job.params.options ?? {}) as Record<string, unknown>);
    const name = typeof item.input.name === 'string' ? item.input.name : 'video';
    let source: string;
    let temp: string | null = null;
    if (typeof item.input.url === 'string') source = item.input.url;
    else if (typeof item.input.file === 'string') source = item.input.file;
    else if (item.data && item.data.length > 0) {
      temp = await mkdtemp(path.join(tmpdir(), 'visage-video-'));
      source = path.join(temp, `upload${path.extname(name).replace(/[^.\w]/g, '').slice(0, 10)}`);
      await writeFile(source, item.data);
    } else {
      return { state: 'failed', reason: 'VISAGE_ERR_BAD_INPUT', message: 'the video\'s bytes are gone (the job was submitted without them)' };
    }
    // A time limit (the queue hands the chunk to another worker past its expiry): the video stops
    // there, and the item fails with what was seen kept.
    const limitSeconds = typeof job.params.timeLimitSeconds === 'number' ? job.params.timeLimitSeconds : null;
    const deadline = limitSeconds ? Date.now() + limitSeconds * 1000 : Infinity;
    // Messages name the video as the client did: never a temporary path, nor a URL's credentials.
    const named = (text: string) => text.split(source).join(name);
    try {
      const recognizer = await context.recognizer();
      const { threshold, strategy, ...videoOptions } = videoRunOptions(options);
      const abort = new AbortController();
      let from = options.from ?? 0;
      let last = 0;
      let cancelled = false;
      let summary: VideoSummary | undefined;
      // A webhook (params.webhook, set by an admin): each track event POSTed from wherever the job runs.
      const webhook = typeof job.params.webhook === 'string' ? new WebhookPoster(job.params.webhook) : null;
      for await (const event of recognizer.video(source, { ...videoOptions, threshold, strategy, thumbnails: true, boxes: false, signal: abort.signal })) {
        const record = videoEventRecord(event);
        if (record) {
          context.store.videoEvent?.(item.jobId, item.seq, record);
          webhook?.post(record);
        }
        if (event.type === 'start') from = event.info.from;
        else if (event.type === 'summary') summary = event.summary;
        else if (event.type === 'progress' && Date.now() - last >= PROGRESS_INTERVAL_MS) {
          last = Date.now();
          if (await context.store.videoProgress(item.jobId, item.seq, videoProgressOf(event, from))) { cancelled = true; abort.abort(); }
          if (Date.now() > deadline) abort.abort();
        }
      }
      if (!summary) throw new VisageError('VISAGE_ERR_VIDEO_DECODE', 'the video ended without a summary');
      const thumbnails = new Map<number, string>();
      const files: JobFile[] = [];
      for (const track of summary.tracks) {
        if (!track.thumbnail) continue;
        thumbnails.set(track.id, thumbnailName(track.id));
        files.push({ name: thumbnailName(track.id), type: 'image/jpeg', data: track.thumbnail });
      }
      // Named as the client named it: never the worker's temporary path, nor a URL's credentials.
      const delivered: (WebhookCounts & { url: string }) | null = webhook ? { url: urlForDisplay(webhook.url), ...await webhook.settle() } : null;
      const document = videoDocument({ ...summary, info: { ...summary.info, source: name }, source: { ...summary.source, ...(summary.source.error ? { error: { ...summary.source.error, message: named(summary.source.error.message) } } : {}) } }, {
        source: name, modelId: recognizer.modelId, threshold: threshold ?? recognizer.threshold, strategy: strategy ?? recognizer.strategy, thumbnails, boxes: false,
      });
      await context.store.videoProgress(item.jobId, item.seq, finalProgress(summary));
      await context.store.videoResult(item.jobId, item.seq, { ...document, ...(delivered ? { webhook: delivered } : {}) }, files);
      const known = summary.people.filter((p) => p.subject).length;
      const said = `${summary.tracks.length} track(s) in ${summary.seconds.toFixed(2)} s of video: ${known} known people, ${summary.people.length - known} stranger(s)`;
      if (summary.stopped && !cancelled) {
        return { state: 'failed', reason: 'VISAGE_ERR_BUSY', message: `stopped after ${limitSeconds} s, the job's time limit (${said})` };
      }
      if (summary.source.error) return { state: 'failed', reason: summary.source.error.code, message: `${named(summary.source.error.message)} (${said} before it)` };
      return { state: 'added', message: cancelled ? `cancelled: ${said}` : said };
    } catch (error) {
      if (error instanceof VisageError && error.message.includes(source)) throw new VisageError(error.code, named(error.message), { cause: error });
      throw error;
    } finally {
      if (temp) await rm(temp, { recursive: true, force: true });
    }
  },
};

/**
 * Seconds a queue's worker may hold a video before the queue hands it to another (pg-boss keeps a
 * job at most a day): ten times the video's length plus five minutes, so a worker four to ten times
 * slower than real time still finishes; null when the length is unknown.
 */
export function videoExpirySeconds(seconds: number | null): number | null {
  if (seconds === null || !Number.isFinite(seconds)) return null;
  return Math.min(23 * 3600, Math.ceil(seconds * 10) + 300);
}
