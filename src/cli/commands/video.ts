// visage video <file | URL | /dev/videoN>: the faces of a video as tracks, one identity per track
// (a vote of its faces against the gallery), strangers grouped as unknown-1, unknown-2, ...
// Progress on stderr; a table, --json, or JSON lines per event (--events) on stdout; with --out,
// timeline.json / timeline.csv / index.html with thumbnails, and with --annotate an MP4.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { DECISION_STRATEGIES, type DecisionStrategy } from '../../face/match/index.ts';
import { timelineCsv, timelineHtml } from '../../report/video-timeline.ts';
import { thumbnailName, timelineFacts, timelineRows, videoDocument, videoEventRecord } from '../../report/video-document.ts';
import { writeAnnotatedVideo } from '../../video/annotate.ts';
import { WebhookPoster } from '../../video/webhook.ts';
import { DEFAULT_FPS, DEFAULT_TIMEOUT_MS, FFMPEG_ENV } from '../../video/source.ts';
import type { VideoEvent, VideoOptions, VideoSummary, VideoTrack } from '../../video/video.ts';
import { EMBEDDER_HELP, EYES_OPTION, PIPELINE_HELP, PIPELINE_OPTIONS, QUALITY_OPTIONS, numberFlag, pipelineConfig, qualityFlags, qualityHelp } from '../options.ts';
import { VIDEO_GATE } from '../../face/quality/gate.ts';
import { DB_HELP, dbPath, openGallery, recognizerFor } from '../gallery-file.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';

export const videoHelp = `Usage: visage video <file | http(s):// or rtsp:// URL | /dev/videoN> [options]

Finds the faces of a video, follows each across frames as a track, and names each track once:
a vote of its faces, weighted by quality, against the gallery (the same threshold as identify),
or unknown-1, unknown-2, ... for strangers (tracks of one stranger grouped within the video).
With no gallery (no --db, $VISAGE_DATABASE_URL or $VISAGE_DB, and no ./visage.db) nobody is named.
Frames are decoded by ffmpeg ($${FFMPEG_ENV}, else ffmpeg on PATH).

Options:
  --fps N              frames analysed per second of video (default ${DEFAULT_FPS})
  --every-frame        analyse every frame
  --from T, --to T     seconds into the video to start and stop at
${DB_HELP}
  --threshold T        similarity a face's match needs (default: identify's, see visage identify --help)
  --strategy S         mean-template (default) or best-face
  --max-gap S          a track ends when its face is unseen for S seconds (default 1.5)
  --no-reid            do not join a track to an earlier one of the same person (after an
                       absence or a cut): each stay on screen its own track
${qualityHelp(VIDEO_GATE, true)}
                       (faces under these limits are tracked but do not vote)
  --no-quality-gate    every embedded face votes, whatever its quality
  --tiled-every S      search a frame with tiles (small faces) every S seconds, the frames between
                       whole and around the tracks' faces that missed (default 2; 0: every frame)
  --max-height PX      shrink taller frames to PX before analysis (faster, loses small faces)
  --timeout S          give up when the source sends no frame for S seconds (default ${DEFAULT_TIMEOUT_MS / 1000})
  --out DIR            write timeline.json, timeline.csv, index.html and thumbs/ (best face per track)
  --annotate           with --out: also annotated.mp4 (H.264; boxes, names and track ids)
  --json               print the result as JSON
  --events             print each track as it starts and ends, as JSON lines (streams, cameras)
  --webhook URL        POST each of those events as JSON to URL (failures are counted, not fatal)
${EMBEDDER_HELP}
${PIPELINE_HELP}
  -h, --help           this help

Exit status: 0 done; 1 the video could not be read, or it failed part way (what came before is
still reported and written, with the reason on stderr); 2 bad command line.
`;

const fmt = (s: number) => s.toFixed(2);

/** Progress on stderr: frames analysed, frames per second, video time, ETA (files). */
function videoProgress(stream: NodeJS.WriteStream = process.stderr) {
  let lastLine = 0;
  return {
    update(event: Extract<VideoEvent, { type: 'progress' }>, from: number) {
      const now = Date.now();
      const done = event.time - from;
      const rate = done / (event.elapsedMs / 1000);
      const eta = event.duration && rate > 0 ? Math.max(0, (event.duration - done) / rate) : null;
      const bar = event.duration ? (() => { const w = 24, f = Math.min(w, Math.round((done / event.duration) * w)); return `[${'#'.repeat(f)}${'-'.repeat(w - f)}] `; })() : '';
      const line = `video ${bar}${fmt(event.time)} s${event.duration ? ` of ${fmt(from + event.duration)}` : ''}, ${event.frames} frames, ${event.framesPerSecond.toFixed(1)} frames/s${eta === null ? '' : `, ETA ${eta.toFixed(0)} s`}`;
      if (stream.isTTY) stream.write(`\r\x1b[K${line}`);
      else if (now - lastLine > 5000) { stream.write(`${line}\n`); lastLine = now; }
    },
    done() { if (stream.isTTY) stream.write('\r\x1b[K'); },
  };
}

export async function videoCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      fps: { type: 'string' },
      'every-frame': { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      db: { type: 'string' },
      threshold: { type: 'string' },
      strategy: { type: 'string' },
      'max-gap': { type: 'string' },
      'no-reid': { type: 'boolean', default: false },
      ...QUALITY_OPTIONS, ...EYES_OPTION,
      'no-quality-gate': { type: 'boolean', default: false },
      'tiled-every': { type: 'string' },
      'max-height': { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string' },
      annotate: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      events: { type: 'boolean', default: false },
      webhook: { type: 'string' },
      ...PIPELINE_OPTIONS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(videoHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new VisageError('VISAGE_ERR_USAGE', `give one video (got ${positionals.length}; try: visage video --help)`);
  const source = positionals[0]!;
  if (values.fps !== undefined && values['every-frame']) throw new VisageError('VISAGE_ERR_USAGE', 'give --fps or --every-frame, not both');
  if (values.annotate && !values.out) throw new VisageError('VISAGE_ERR_USAGE', '--annotate needs --out DIR');
  if (values.json && values.events) throw new VisageError('VISAGE_ERR_USAGE', 'give --json or --events, not both');
  if (values.webhook !== undefined && !/^https?:\/\/./i.test(values.webhook)) throw new VisageError('VISAGE_ERR_USAGE', `--webhook takes an http(s) URL, got "${values.webhook}"`);
  const fps = numberFlag('fps', values.fps);
  if (fps !== undefined && !(fps > 0 && fps <= 1000)) throw new VisageError('VISAGE_ERR_USAGE', `--fps takes a number above 0, got ${values.fps}`);
  const threshold = numberFlag('threshold', values.threshold);
  if (threshold !== undefined && !(threshold >= -1 && threshold <= 1)) throw new VisageError('VISAGE_ERR_USAGE', `--threshold takes a similarity from -1 to 1, got ${values.threshold}`);
  if (values.strategy !== undefined && !DECISION_STRATEGIES.includes(values.strategy as DecisionStrategy)) {
    throw new VisageError('VISAGE_ERR_USAGE', `--strategy takes ${DECISION_STRATEGIES.join(' or ')}, got "${values.strategy}"`);
  }
  const seconds = (flag: string, value: string | undefined) => {
    const n = numberFlag(flag, value);
    if (n !== undefined && !(n >= 0)) throw new VisageError('VISAGE_ERR_USAGE', `--${flag} takes seconds >= 0, got ${value}`);
    return n;
  };
  const timeout = seconds('timeout', values.timeout);
  const qualityChanges = qualityFlags(values, VIDEO_GATE);
  if (values['no-quality-gate'] && Object.keys(qualityChanges).length) throw new VisageError('VISAGE_ERR_USAGE', '--no-quality-gate cannot be given with quality limits');
  const maxHeight = numberFlag('max-height', values['max-height']);
  const options: VideoOptions = {
    fps: values['every-frame'] ? 'all' : fps,
    from: seconds('from', values.from),
    to: seconds('to', values.to),
    maxGap: seconds('max-gap', values['max-gap']),
    tiledEvery: seconds('tiled-every', values['tiled-every']),
    maxHeight,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    thumbnails: values.out !== undefined,
    // Each track's box per frame only for what writes it (timeline.json, annotated.mp4).
    boxes: values.out !== undefined,
    quality: values['no-quality-gate'] ? false : Object.keys(qualityChanges).length ? qualityChanges : undefined,
    reidentify: values['no-reid'] ? false : undefined,
  };
  for (const key of Object.keys(options) as (keyof VideoOptions)[]) if (options[key] === undefined) delete options[key];

  const file = dbPath(values.db);
  // No gallery asked for and none at the default place: the video is still tracked, nobody named.
  const chosen = values.db !== undefined || process.env.VISAGE_DATABASE_URL || process.env.VISAGE_DB;
  const scratch = !chosen && !existsSync(file) ? await mkdtemp(path.join(os.tmpdir(), 'visage-video-')) : null;
  if (scratch) process.stderr.write(`visage: no gallery at ${file}: every track is unknown-k (to name people: visage enroll <folder> --db ${file})\n`);
  const gallery = await openGallery(scratch ? path.join(scratch, 'empty.db') : file, scratch ? { create: true } : {}).catch(async (error) => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    throw error;
  });
  const shownGallery = scratch ? '(none)' : file;
  const recognizer = await recognizerFor(gallery, { visageOptions: pipelineConfig(values), threshold, strategy: values.strategy as DecisionStrategy | undefined }).catch(async (error) => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    throw error;
  });
  const out = values.out;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  let summary: VideoSummary | undefined;
  const webhook = values.webhook ? new WebhookPoster(values.webhook) : null;
  const bar = values.events ? null : videoProgress();
  try {
    const usedThreshold = recognizer.threshold;
    const coverage = await recognizer.coverage();
    if (coverage.indexed === 0) process.stderr.write(`visage: warning: ${file} holds no ${coverage.modelId} faces; every track is a stranger\n`);
    let from = options.from ?? 0;
    for await (const event of recognizer.video(source, { ...options, signal: abort.signal })) {
      if (event.type === 'start') from = event.info.from;
      else if (event.type === 'progress') bar?.update(event, from);
      else if (event.type === 'summary') summary = event.summary;
      const record = videoEventRecord(event);
      if (record && values.events) process.stdout.write(`${JSON.stringify(record)}\n`);
      if (record) webhook?.post(record);
    }
    bar?.done();
    if (webhook) {
      const sent = await webhook.settle();
      const lost = sent.failed + sent.dropped;
      if (lost) process.stderr.write(`visage: warning: ${lost} of ${sent.posted + lost} webhook POSTs to ${values.webhook} failed (${sent.failed} failed or timed out, ${sent.dropped} never sent)\n`);
    }
    const result = summary!;
    let thumbs: Map<number, string> = new Map();
    if (out) {
      await mkdir(path.join(out, 'thumbs'), { recursive: true });
      for (const track of result.tracks) {
        if (!track.thumbnail) continue;
        const name = thumbnailName(track.id);
        await writeFile(path.join(out, name), track.thumbnail);
        thumbs.set(track.id, name);
      }
    } else thumbs = new Map();
    const document = (boxes: boolean) => videoDocument(result, {
      source, gallery: shownGallery, modelId: recognizer.modelId, threshold: usedThreshold, strategy: recognizer.strategy, thumbnails: thumbs, boxes,
    });
    if (out) {
      await writeFile(path.join(out, 'timeline.json'), formatJson(document(true)));
      const summaryDocument = document(false);
      const rows = timelineRows(summaryDocument.tracks);
      await writeFile(path.join(out, 'timeline.csv'), timelineCsv(rows));
      await writeFile(path.join(out, 'index.html'), timelineHtml({
        title: `Faces in ${path.basename(source)}`, from: result.info.from, duration: result.seconds, facts: timelineFacts(summaryDocument, shownGallery), tracks: rows,
      }));
      if (values.annotate) {
        const target = path.join(out, 'annotated.mp4');
        const written = await writeAnnotatedVideo(source, result, target, { maxHeight, timeoutMs: options.timeoutMs, onFrame: (_, time) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kannotating ${fmt(time)} s`); } });
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        process.stderr.write(`annotated.mp4: ${written.frames} frames\n`);
      }
    }
    if (values.json) process.stdout.write(formatJson(document(false)));
    else if (!values.events) {
      printTable(['track', 'person', 'first seen', 'last seen', 'segments', 'frames', 'vote', 'similarity', 'refused'],
        result.tracks.map((t) => [String(t.id), t.reason === 'low-quality' ? `${t.label} (low quality)` : t.label, `${fmt(t.start)} s`, `${fmt(t.end)} s`, String(t.segments.length), String(t.frames), `${(t.confidence * 100).toFixed(0)}%`, t.similarity === null ? '' : t.similarity.toFixed(3), t.facesRefused ? `${t.facesRefused} of ${t.embedded}` : '']));
    }
    const known = result.people.filter((p) => p.subject).length;
    const damaged = result.source.decodeErrors || result.source.truncatedFrames ? `; ffmpeg reported ${result.source.decodeErrors} damaged-data line(s) and ${result.source.truncatedFrames} truncated frame(s)` : '';
    if (result.source.error) process.stderr.write(`visage: the video ended early: ${result.source.error.message}\n`);
    process.stderr.write(`${result.tracks.length} track(s) in ${fmt(result.seconds)} s of video (${result.frames} frames, ${result.speed.toFixed(2)}x real time): ${known} known people, ${result.people.length - known} stranger(s)${result.stopped ? '; stopped early' : ''}${damaged}${out ? `; written to ${out}` : ''}\n`);
  } finally {
    bar?.done();
    process.removeListener('SIGINT', onSignal);
    await recognizer.close();
    await gallery.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  return summary?.source.error ? 1 : 0;
}
