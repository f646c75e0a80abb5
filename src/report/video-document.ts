// A video's result as a JSON document: what `visage video --json` prints and timeline.json holds,
// and what a video job (POST /v1/videos) keeps as its result. One writer for both, so the CLI and
// the server say the same thing.
import type { VideoEvent, VideoSummary, VideoTrack } from '../video/video.ts';
import type { TimelineTrack } from './video-timeline.ts';

/** The file name of a track's best-face thumbnail, relative to the timeline (as --out writes it). */
export const thumbnailName = (trackId: number): string => `thumbs/track-${trackId}.jpg`;

/** A track as printed and written: its thumbnail as a file name (or null), its boxes only when asked. */
export function trackRecord(track: VideoTrack, thumbnail: string | null, boxes: boolean) {
  const { thumbnail: _bytes, boxes: list, ...rest } = track;
  return { ...rest, thumbnail, ...(boxes && list ? { boxes: list } : {}) };
}

/**
 * A track event as `visage video --events` prints it (one JSON line), a webhook receives it and
 * GET /v1/videos/{id}/events sends it: track-start with the track's id and first box, track-end
 * with the whole track as in the result (no thumbnail, no boxes). Other events: null.
 */
export function videoEventRecord(event: VideoEvent) {
  if (event.type === 'track-start') return { type: event.type, time: event.time, track: event.track };
  if (event.type === 'track-end') return { type: event.type, time: event.time, track: trackRecord(event.track, null, false) };
  return null;
}

export type VideoEventRecord = NonNullable<ReturnType<typeof videoEventRecord>>;

export interface VideoDocumentContext {
  /** The video as the user named it (a path, an upload's name, a URL without credentials). */
  source: string;
  /** The gallery's location (the CLI's file; left out by the server). */
  gallery?: string;
  modelId: string;
  threshold: number;
  strategy: string;
  /** Thumbnail file names by track id. */
  thumbnails: ReadonlyMap<number, string>;
  /** Each track's box per sampled frame (timeline.json). */
  boxes: boolean;
}

export function videoDocument(result: VideoSummary, context: VideoDocumentContext) {
  return {
    source: context.source, ...(context.gallery === undefined ? {} : { gallery: context.gallery }),
    modelId: context.modelId, threshold: context.threshold, strategy: context.strategy,
    video: result.info, frames: result.frames, seconds: result.seconds, elapsedMs: Math.round(result.elapsedMs), speed: result.speed,
    stopped: result.stopped, decodeErrors: result.source.decodeErrors, truncatedFrames: result.source.truncatedFrames, endedEarly: result.source.error ?? null,
    tracks: result.tracks.map((t) => trackRecord(t, context.thumbnails.get(t.id) ?? null, context.boxes)),
    people: result.people,
    faces: { detected: result.facesDetected, embedded: result.facesEmbedded, mirrored: result.facesMirrored, rejected: result.facesRejected, refused: result.facesRefused },
    searches: { tiledFrames: result.tiledFrames, regions: result.regionSearches },
    timingsMs: Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, Math.round(v)])),
    cpuMs: { ...Object.fromEntries(Object.entries(result.cpuTimings).map(([k, v]) => [k, Math.round(v)])), total: Math.round(result.cpuMs), ffmpeg: result.source.ffmpegCpuMs === undefined ? null : Math.round(result.source.ffmpegCpuMs) },
    settings: result.settings,
  };
}

export type VideoDocument = ReturnType<typeof videoDocument>;

/** The rows of timeline.csv and of the HTML summary, from the tracks of a document: one per segment (stay on screen). */
export function timelineRows(tracks: readonly { id: number; label: string; subject: string | null; start: number; end: number; frames: number; confidence: number; similarity: number | null; thumbnail?: string | null; segments?: readonly { start: number; end: number; frames: number }[] }[]): TimelineTrack[] {
  return tracks.flatMap((t) => (t.segments?.length ? t.segments : [{ start: t.start, end: t.end, frames: t.frames }]).map((s, i) => ({
    id: t.id, segment: i + 1, label: t.label, subject: t.subject, start: s.start, end: s.end, frames: s.frames, confidence: t.confidence, similarity: t.similarity, thumbnail: t.thumbnail ?? null,
  })));
}

const fixed = (s: number) => s.toFixed(2);

/** The lines under the HTML summary's title. `gallery` says which gallery named the people. */
export function timelineFacts(document: Pick<VideoDocument, 'source' | 'video' | 'seconds' | 'frames' | 'speed' | 'people' | 'tracks' | 'modelId' | 'threshold' | 'strategy'>, gallery: string): [string, string][] {
  const info = document.video;
  return [
    ['video', `${document.source} (${info.width}x${info.height}, ${info.codec ?? '?'})`],
    ['analysed', `${fixed(document.seconds)} s, ${document.frames} frames at ${info.fps?.toFixed(2) ?? '?'} frames/s, ${document.speed.toFixed(2)}x real time`],
    ['gallery', `${gallery} (${document.modelId}, threshold ${document.threshold.toFixed(4)}, ${document.strategy})`],
    ['people', `${document.people.filter((p) => p.subject).length} known, ${document.people.filter((p) => !p.subject).length} strangers, ${document.tracks.length} tracks`],
  ];
}
