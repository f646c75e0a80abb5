// A video's faces as tracks, each with one identity: frames from ffmpeg (source.ts), faces from the
// same pipeline as photos (the analyzer: a Visage), linked by the tracker (tracker.ts), named by a
// vote of each track's faces against the gallery (vote.ts). Events come as an async iterator;
// the last is the summary.
//
// This module does not import Visage or the recognizer (they import it): it takes what it needs
// from them as the FrameAnalyzer and IdentifyFace contracts below.
import sharp from 'sharp';
import { VisageError } from '../errors.ts';
import { unsharedPixels, type RawPixels } from '../face/image/decode.ts';
import { mergeDetections } from '../face/detect/nms.ts';
import { defaultThreshold, templateThreshold } from '../face/match/thresholds.ts';
import { checkQuality, gateNeedsEyes, OPEN_GATE, resolveGate, VIDEO_GATE, type QualityGate, type QualityReason } from '../face/quality/gate.ts';
import type { Analysis, Box, Point } from '../types.ts';
import { openVideo, type SourceStats, type VideoFrame, type VideoInfo, type VideoSourceOptions } from './source.ts';
import { FaceTracker, HISTOGRAM_CUT, colourHistogram, faceSignature, histogramDistance, isCut, normalised, thumbnail, type Detection, type EmbeddedFace, type TrackState } from './tracker.ts';
import { Reidentifier, type PersonTrack, type UnknownReason } from './reid.ts';
import { faceWeight, VoteTally, type FaceMatchResult, type Vote } from './vote.ts';
import { trackRegions } from './regions.ts';

/** What video needs of a Visage. */
export interface FrameAnalyzer {
  /** faceCheck: the check in effect ('off', or the one checkFaces runs). */
  readonly config: { readonly embedders: readonly string[]; readonly faceCheck: string; readonly flip?: boolean };
  detect(image: RawPixels, options: { faceCheck: 'on' | 'off'; retryPadded: boolean; tiling?: 'off' }): Promise<{ faces: { box: Box; score: number; keypoints?: Point[] }[] }>;
  checkFaces(image: RawPixels, faces: readonly { box: Box; score?: number; keypoints?: Point[] }[]): Promise<boolean[]>;
  analyze(image: RawPixels, options: { faces: { box: Box; score?: number }[]; flip?: boolean; eyes?: boolean }): Promise<Analysis>;
}

/** The open-set decision for one embedding (the recognizer's identifyEmbedding). */
/** `size`: the face's FaceQuality.size (a small face is held to a stricter default threshold). */
export type IdentifyFace = (embedding: Float32Array, grey: boolean, size: number) => Promise<FaceMatchResult>;

export interface VideoOptions extends VideoSourceOptions {
  /** Seconds a track may go unseen before it ends (default 1.5). */
  maxGap?: number;
  /** A tracked face is embedded again after this many seconds (default 1). */
  refreshSeconds?: number;
  /**
   * A track whose identity is settled is embedded again after this many seconds instead (default
   * 3). Settled: at least `minEmbeddings` faces embedded, none of the last in doubt, and (with a
   * gallery) the vote's winner holding SETTLED_SHARE of its weight with the last three faces
   * voting for it. A face whose picture changed, that grew, or that another track contests is
   * embedded whatever the time.
   */
  settledRefreshSeconds?: number;
  /** Embeddings a track gathers before geometry alone links it (default 3). */
  minEmbeddings?: number;
  /**
   * Embed a face with its mirror image averaged in, as photos are, where that can change who it is
   * taken for (default: the Visage's `flip`, on unless configured off). Each face is embedded as
   * seen and searched in the gallery; one whose similarity lies within `flipMargin` of the
   * threshold is embedded again with its mirror, and the averaged embedding stands for it (in the
   * vote and the track). The thresholds were calibrated with the mirror: without it at all, one
   * known person's track on the labelled clip fell under the threshold (10 of 11 tracks right).
   */
  flip?: boolean;
  /**
   * How near the threshold a face's similarity must be for its mirror to be embedded too (default
   * 0.03; Infinity: every face, as photos are). On the labelled clip and street.mp4 the mirror
   * moved a face's similarity by at most 0.020 (230 faces; median 0.003), so a face further away
   * keeps its decision. Without a gallery no face is mirrored.
   */
  flipMargin?: number;
  /**
   * Similarity at which two faces (or tracks) are the same person: continuing a track by
   * appearance, grouping strangers. Default: the embedder's pair threshold (verify's).
   */
  sameSimilarity?: number;
  /** Similarity under which a face never joins a track (default sameSimilarity - 0.2). */
  vetoSimilarity?: number;
  /** Similarity under which a face casts doubt on its track (default halfway from veto to same). */
  doubtSimilarity?: number;
  /**
   * Seconds between frames searched with the configured tiling (tiles find small faces but cost
   * one detector run each: 7 on a 1080p frame); the frames between are searched whole, and around
   * the tracks that search missed (trackSearch) (default 2; 0: every frame tiled). A cut is always
   * searched with tiles.
   */
  tiledEvery?: number;
  /**
   * On the frames between tiled ones, look for the faces of tracks that the whole-frame search
   * missed in a crop around where each is expected (one detector run per crop; default true).
   * More than MAX_REGIONS such crops and the frame is searched with tiles instead.
   */
  trackSearch?: boolean;
  /** A JPEG of each track's best face (`thumbnail` on the track; default false). */
  thumbnails?: boolean;
  /** Each track's box per sampled frame (`boxes` on the track; default true). */
  boxes?: boolean;
  /** Stops reading when aborted (an AbortSignal); the summary still comes, with what was seen. */
  signal?: { readonly aborted: boolean };
  /**
   * The quality gate of the vote (gate.ts): limits changed from VIDEO_GATE's, or false for none.
   * Faces it refuses are still tracked but neither vote nor shape the template that re-identifies
   * the track; a track none of whose faces passes is UNKNOWN with reason 'low-quality'.
   */
  quality?: Partial<QualityGate> | false;
  /**
   * Join a track that starts after another ended to it when they are the same person (reid.ts):
   * one id, several `segments` (default true).
   */
  reidentify?: boolean;
  /** Template similarity at which two tracks are the same person (default: templateThreshold(), thresholds.ts). */
  reidSimilarity?: number;
}

export interface VideoTrack {
  id: number;
  /** The enrolled person, or null. */
  subject: string | null;
  subjectId: number | null;
  /** The person's name, or unknown-k (strangers grouped within this video). */
  label: string;
  /** First and last seen, seconds from the video's start. */
  start: number;
  end: number;
  /** Sampled frames the face was seen in. */
  frames: number;
  /**
   * Each stay on screen (a tracker track) of this person: a track re-identified after an absence
   * has two or more, in time order; `start`/`end` are the first's start and the last's end.
   */
  segments: { start: number; end: number; frames: number }[];
  /** Faces embedded (those the quality gate refused included). */
  embedded: number;
  /** Faces that passed the quality gate and voted. */
  facesVoted: number;
  /** Faces the gate refused, and how many broke each limit. */
  facesRefused: number;
  refusalReasons: Partial<Record<QualityReason, number>>;
  /** Why it is UNKNOWN (null when named): 'low-quality' (no face passed the gate) or 'no-match'. */
  reason: UnknownReason | null;
  /** The winner's share of the vote (see vote.ts). */
  confidence: number;
  similarity: number | null;
  votes: Vote[];
  bestFace: { time: number; box: Box; quality: { size: number; sharpness: number; frontalness: number }; weight: number } | null;
  /** JPEG of the best face (with the thumbnails option). */
  thumbnail?: Uint8Array;
  /** Its box in each sampled frame it was seen in (with the boxes option). */
  boxes?: { frame: number; time: number; box: Box }[];
  endReason: 'gap' | 'split' | 'end';
}

export interface VideoTimings {
  /** Milliseconds waiting for frames from ffmpeg (in cpuTimings: reading them from its pipe). */
  decode: number;
  detect: number;
  check: number;
  embed: number;
  /** The gallery search of each embedded face. */
  identify: number;
  track: number;
}

export interface VideoSummary {
  info: VideoInfo;
  /** Sampled frames analysed. */
  frames: number;
  /** Seconds of video covered. */
  seconds: number;
  elapsedMs: number;
  /** CPU time of this process meanwhile (every thread; ffmpeg's own not included), milliseconds. */
  cpuMs: number;
  /** Seconds of video per second of work (3: three times faster than real time). */
  speed: number;
  tracks: VideoTrack[];
  /** Each label with its tracks and when it is on screen. */
  people: { label: string; subject: string | null; tracks: number[]; seconds: number; appearances: [number, number][] }[];
  facesDetected: number;
  facesEmbedded: number;
  /** Of those, embedded again with the mirror image (near the threshold, see flipMargin). */
  facesMirrored: number;
  facesRejected: number;
  /** Embedded faces the quality gate kept from the vote. */
  facesRefused: number;
  cuts: number;
  /** Frames searched with tiles (see tiledEvery), and crops searched around tracks' faces (trackSearch). */
  tiledFrames: number;
  regionSearches: number;
  source: SourceStats;
  /** Wall-clock milliseconds in each stage. */
  timings: VideoTimings;
  /** CPU milliseconds of this process (every thread) in each stage. */
  cpuTimings: VideoTimings;
  settings: { modelId: string; sameSimilarity: number; vetoSimilarity: number; doubtSimilarity: number; maxGap: number; refreshSeconds: number; minEmbeddings: number; flip: boolean; flipMargin: number; tiledEvery: number; trackSearch: boolean; settledRefreshSeconds: number; identify: boolean; quality: Readonly<QualityGate> | false; reidentify: boolean; reidSimilarity: number };
  stopped: boolean;
}

export type VideoEvent =
  | { type: 'start'; info: VideoInfo }
  | { type: 'track-start'; time: number; track: { id: number; box: Box } }
  | { type: 'track-end'; time: number; track: VideoTrack }
  | { type: 'progress'; frame: number; time: number; frames: number; duration: number | null; elapsedMs: number; framesPerSecond: number }
  | { type: 'summary'; summary: VideoSummary };

/** See VideoOptions.flipMargin. */
export const DEFAULT_FLIP_MARGIN = 0.03;

/** Whether a face's gallery match lies within `margin` of the threshold it was judged by. */
function nearThreshold(match: FaceMatchResult | null, margin: number): boolean {
  if (!match || match.similarity === null || match.threshold === undefined) return false;
  return Math.abs(match.similarity - match.threshold) < margin;
}

/** Wall-clock and CPU time per stage: start() before a stage, stop(stage) after it. */
class StageClock {
  readonly wall: VideoTimings = { decode: 0, detect: 0, check: 0, embed: 0, identify: 0, track: 0 };
  readonly cpu: VideoTimings = { decode: 0, detect: 0, check: 0, embed: 0, identify: 0, track: 0 };
  private wallAt = 0;
  private cpuAt: NodeJS.CpuUsage = { user: 0, system: 0 };

  start(): void {
    this.wallAt = performance.now();
    this.cpuAt = process.cpuUsage();
  }

  stop(stage: keyof VideoTimings): void {
    this.wall[stage] += performance.now() - this.wallAt;
    const used = process.cpuUsage(this.cpuAt);
    this.cpu[stage] += (used.user + used.system) / 1000;
  }
}

/** One face, as the tracker's input with the vote's: its embedding, weight and gallery match. */
type VotedFace = EmbeddedFace & { match: FaceMatchResult | null; refusals: QualityReason[] };

/** What a finished tracker track keeps for its person's record. */
interface PartData {
  endReason: VideoTrack['endReason'];
  best: { weight: number; time: number; box: Box; quality: VotedFace['quality']; thumbnail?: Promise<Uint8Array> } | undefined;
  boxes: { frame: number; time: number; box: Box }[];
}

const VIDEO_KEYS = new Set(['fps', 'from', 'to', 'maxHeight', 'timeoutMs', 'ffmpeg', 'maxGap', 'refreshSeconds', 'settledRefreshSeconds', 'minEmbeddings', 'flip', 'flipMargin', 'sameSimilarity', 'vetoSimilarity', 'doubtSimilarity', 'tiledEvery', 'trackSearch', 'thumbnails', 'boxes', 'signal', 'quality', 'reidentify', 'reidSimilarity']);

/** A track's vote is settled when its winner holds at least this share of the weight (see settledRefreshSeconds). */
export const SETTLED_SHARE = 0.8;
/** More crops than this around tracks' faces, and the frame is searched with tiles instead (see trackSearch). */
export const MAX_REGIONS = 9;

function checkOptions(options: VideoOptions): void {
  for (const key of Object.keys(options)) {
    if (!VIDEO_KEYS.has(key)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown video option "${key}"; known: ${[...VIDEO_KEYS].join(', ')}`);
  }
  const positive = (key: keyof VideoOptions, max: number) => {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && v <= max)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `video option ${key} must be a number above 0 and at most ${max}, got ${String(v)}`);
  };
  positive('maxGap', 3600);
  positive('refreshSeconds', 3600);
  positive('settledRefreshSeconds', 3600);
  if (options.trackSearch !== undefined && typeof options.trackSearch !== 'boolean') throw new VisageError('VISAGE_ERR_BAD_OPTION', `video option trackSearch must be true or false, got ${String(options.trackSearch)}`);
  positive('minEmbeddings', 1000);
  if (options.flip !== undefined && typeof options.flip !== 'boolean') throw new VisageError('VISAGE_ERR_BAD_OPTION', `video option flip must be true or false, got ${String(options.flip)}`);
  if (options.flipMargin !== undefined && !(typeof options.flipMargin === 'number' && options.flipMargin >= 0)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `video option flipMargin must be a similarity >= 0 (Infinity: every face), got ${String(options.flipMargin)}`);
  if (options.tiledEvery !== undefined && !(typeof options.tiledEvery === 'number' && options.tiledEvery >= 0)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `video option tiledEvery must be seconds >= 0, got ${String(options.tiledEvery)}`);
  if (options.reidentify !== undefined && typeof options.reidentify !== 'boolean') throw new VisageError('VISAGE_ERR_BAD_OPTION', `video option reidentify must be true or false, got ${String(options.reidentify)}`);
  if (options.quality !== undefined && options.quality !== false) resolveGate(VIDEO_GATE, options.quality, 'video option quality');
  for (const key of ['sameSimilarity', 'vetoSimilarity', 'doubtSimilarity', 'reidSimilarity'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v >= -1 && v <= 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `video option ${key} must be a similarity from -1 to 1, got ${String(v)}`);
  }
}

async function faceThumbnail(frame: VideoFrame, box: Box): Promise<Uint8Array> {
  // The box widened by a quarter each way, as the server's face thumbnails are.
  const grow = 0.25;
  const x = Math.max(0, Math.floor(box.x - box.width * grow)), y = Math.max(0, Math.floor(box.y - box.height * grow));
  const right = Math.min(frame.width, Math.ceil(box.x + box.width * (1 + grow))), bottom = Math.min(frame.height, Math.ceil(box.y + box.height * (1 + grow)));
  const jpeg = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .extract({ left: x, top: y, width: Math.max(1, right - x), height: Math.max(1, bottom - y) })
    .resize(128, 128, { fit: 'cover' }).jpeg({ quality: 85 }).toBuffer();
  return new Uint8Array(jpeg);
}

/**
 * The events of one video: start, track-start / track-end as faces come and go, progress after
 * each sampled frame, and last the summary. `identify` names each embedded face (without it every
 * track is a stranger, grouped as unknown-k).
 */
export async function* trackVideo(analyzer: FrameAnalyzer, source: string, options: VideoOptions = {}, identify?: IdentifyFace): AsyncGenerator<VideoEvent, void, undefined> {
  if (options === null || typeof options !== 'object') throw new VisageError('VISAGE_ERR_BAD_OPTION', 'video options must be an object');
  checkOptions(options);
  const modelId = analyzer.config.embedders[0]!;
  const sameSimilarity = options.sameSimilarity ?? defaultThreshold(modelId, 'pair');
  const vetoSimilarity = options.vetoSimilarity ?? sameSimilarity - 0.2;
  const doubtSimilarity = options.doubtSimilarity ?? (sameSimilarity + vetoSimilarity) / 2;
  const maxGap = options.maxGap ?? 1.5;
  const refreshSeconds = options.refreshSeconds ?? 1;
  const minEmbeddings = options.minEmbeddings ?? 3;
  const settledRefreshSeconds = Math.max(refreshSeconds, options.settledRefreshSeconds ?? 3);
  const trackSearch = options.trackSearch ?? true;
  const flip = options.flip ?? analyzer.config.flip ?? true;
  const flipMargin = options.flipMargin ?? DEFAULT_FLIP_MARGIN;
  // Every face mirrored at once (one analysis) when the margin takes in any similarity.
  const mirrorAll = flip && flipMargin >= 2;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const video = await openVideo(source, options);
  // Settled: enough faces, none in doubt, and with a gallery a clear vote that the last faces agree with.
  // Asked for every linked face of every frame: each track's vote is counted as its faces come
  // (VoteTally), not again over all of them, so a long track costs no more per frame than a short one.
  const tallies = new WeakMap<TrackState, VoteTally>();
  const settled = (track: TrackState): boolean => {
    if (track.embedded.length < minEmbeddings || track.doubts > 0) return false;
    if (!identify) return true;
    const faces = track.embedded as unknown as VotedFace[];
    let tally = tallies.get(track);
    if (!tally) tallies.set(track, tally = new VoteTally());
    for (let i = tally.added; i < faces.length; i++) tally.add({ weight: faces[i]!.weight, match: faces[i]!.match });
    const identity = tally.identity();
    return identity.confidence >= SETTLED_SHARE && faces.slice(-3).every((f) => (f.match?.subjectId ?? null) === identity.subjectId);
  };
  const tracker = new FaceTracker({ maxGap, sameSimilarity, vetoSimilarity, doubtSimilarity, refreshSeconds, settledRefreshSeconds, settled, minEmbeddings });
  const gate = options.quality === false ? false : resolveGate(VIDEO_GATE, options.quality, 'video option quality');
  // The eye model reads a face only where the gate asks for it (it costs per face).
  const eyes = gate !== false && gateNeedsEyes(gate);
  const reidentify = options.reidentify ?? true;
  const reidSimilarity = options.reidSimilarity ?? templateThreshold(modelId);
  const people = new Reidentifier<PartData>({ similarity: reidSimilarity, enabled: reidentify });
  const clock = new StageClock();
  /** Each person's record as last emitted, by id. */
  const tracks = new Map<number, VideoTrack>();
  const best = new Map<number, NonNullable<PartData['best']>>();
  let frames = 0, facesDetected = 0, facesEmbedded = 0, facesMirrored = 0, facesRejected = 0, facesRefused = 0, cuts = 0, tiledFrames = 0, regionSearches = 0, lastTime = video.info.from;
  let previous: Uint8Array | null = null;
  let previousColours: Float32Array | null = null;
  const tiledEvery = options.tiledEvery ?? 2;
  let lastTiled = -Infinity;
  let stopped = false;

  // A tracker track that ended joins its person (an earlier track re-identified, or a new one):
  // the record emitted is the person's, under the id of their first track.
  const withBoxes = options.boxes ?? true;
  const finish = async (track: TrackState): Promise<VideoTrack> => {
    const faces = track.embedded as unknown as VotedFace[];
    const first = track.observations[0]!, last = track.observations.at(-1)!;
    const top = best.get(track.id);
    best.delete(track.id);
    const { person } = people.add({
      id: track.id, start: first.time, end: last.time, frames: track.observations.length, faces,
      // The boxes only when asked for: a camera followed for hours would keep one per face per frame.
      data: { endReason: track.endReason ?? 'end', best: top, boxes: withBoxes ? track.observations.map((o) => ({ frame: o.frame, time: o.time, box: o.box })) : [] },
    });
    const result = await personRecord(person, withBoxes);
    tracks.set(result.id, result);
    return result;
  };

  try {
    yield { type: 'start', info: video.info };
    const iterator = video.frames();
    for (;;) {
      if (options.signal?.aborted) { stopped = true; break; }
      clock.start();
      const next = await iterator.next();
      clock.stop('decode');
      if (next.done) break;
      const frame = next.value;
      // A fresh buffer per frame that nothing writes to: read in place, not copied per call.
      const pixels: RawPixels = unsharedPixels({ data: frame.data, width: frame.width, height: frame.height, channels: 3 });
      clock.start();
      const small = thumbnail(frame);
      const colours = colourHistogram(frame);
      // A cut: the grey picture changed wholesale, or its colours did (two dark shots differ little in grey).
      const cut = isCut(previous, small) || histogramDistance(previousColours, colours) >= HISTOGRAM_CUT;
      previous = small;
      previousColours = colours;
      if (cut) cuts++;
      clock.stop('track');
      clock.start();
      let tiled = cut || frame.time - lastTiled >= tiledEvery - 1e-6;
      let detected = (await analyzer.detect(pixels, { faceCheck: 'off', retryPadded: false, ...(tiled ? {} : { tiling: 'off' as const }) })).faces;
      if (!tiled && trackSearch) {
        // Tracks that the whole frame's search missed: looked for where they are expected.
        const missed = tracker.tracks.filter((t) => !t.ended && !detected.some((d) => tracker.geometric(t, d.box, frame.time) > 0));
        const regions = trackRegions(missed.map((t) => ({
          predicted: tracker.predicted(t, frame.time), speed: Math.hypot(t.velocity.x, t.velocity.y), lostFor: frame.time - t.observations.at(-1)!.time,
        })), frame.width, frame.height);
        if (regions.length > MAX_REGIONS) {
          tiled = true;
          detected = (await analyzer.detect(pixels, { faceCheck: 'off', retryPadded: false })).faces;
        } else if (regions.length) {
          regionSearches += regions.length;
          detected = mergeDetections([detected, await searchRegions(analyzer, frame, regions)], { iouThreshold: 0.3, containedThreshold: 1 });
        }
      }
      if (tiled) { lastTiled = frame.time; tiledFrames++; }
      clock.stop('detect');
      facesDetected += detected.length;
      clock.start();
      const detections: (Detection | null)[] = detected.map((f) => ({ box: f.box, score: f.score, signature: faceSignature(frame, f.box), ...(f.keypoints ? { keypoints: f.keypoints } : {}) }));
      const plan = tracker.plan(frame.time, detections as Detection[], cut);
      clock.stop('track');
      // New faces pass the face check once; tracked ones are not checked again.
      if (analyzer.config.faceCheck !== 'off') {
        const fresh = detections.flatMap((d, k) => (plan.isNew[k] ? [k] : []));
        if (fresh.length) {
          clock.start();
          const passed = await analyzer.checkFaces(pixels, fresh.map((k) => detections[k]!));
          clock.stop('check');
          fresh.forEach((k, i) => { if (!passed[i]) { detections[k] = null; facesRejected++; } });
        }
      }
      const toEmbed = detections.flatMap((d, k) => (d && plan.embed[k] ? [k] : []));
      const faces: (VotedFace | null)[] = detections.map(() => null);
      if (toEmbed.length) {
        clock.start();
        const boxes = (list: number[]) => list.map((k) => ({ box: detections[k]!.box, score: detections[k]!.score }));
        const analysis = await analyzer.analyze(pixels, { faces: boxes(toEmbed), flip: mirrorAll, ...(eyes ? { eyes: true } : {}) });
        clock.stop('embed');
        clock.start();
        for (const [i, k] of toEmbed.entries()) {
          const face = analysis.faces[i]!;
          const embedding = normalised(Float32Array.from(face.embeddings[modelId]!));
          const match = identify ? await identify(embedding, analysis.grey, face.quality.size) : null;
          const refusals = gate === false ? [] : checkQuality({ score: face.score, quality: face.quality }, gate).map((r) => r.reason);
          if (refusals.length) facesRefused++;
          faces[k] = { embedding, weight: faceWeight(face.quality, face.score), quality: face.quality, grey: analysis.grey, match, refusals };
        }
        clock.stop('identify');
        if (mirrorAll) facesMirrored += toEmbed.length;
        // Near the threshold the mirror can change the decision: those faces are embedded again with it.
        const near = flip && !mirrorAll ? toEmbed.filter((k) => nearThreshold(faces[k]!.match, flipMargin)) : [];
        if (near.length) {
          clock.start();
          const mirrored = await analyzer.analyze(pixels, { faces: boxes(near), flip: true });
          clock.stop('embed');
          clock.start();
          for (const [i, k] of near.entries()) {
            const embedding = normalised(Float32Array.from(mirrored.faces[i]!.embeddings[modelId]!));
            faces[k] = { ...faces[k]!, embedding, match: await identify!(embedding, mirrored.grey, faces[k]!.quality.size) };
          }
          clock.stop('identify');
          facesMirrored += near.length;
        }
        facesEmbedded += toEmbed.length;
      }
      clock.start();
      const update = tracker.update(frame.index, frame.time, detections, faces);
      clock.stop('track');
      // The best face of each track so far (its thumbnail cut now, while the frame is here).
      faces.forEach((face, k) => {
        if (!face) return;
        const id = update.assigned[k]!;
        const kept = best.get(id);
        if (kept && kept.weight >= face.weight) return;
        const box = detections[k]!.box;
        best.set(id, { weight: face.weight, time: frame.time, box, quality: face.quality, ...(options.thumbnails ? { thumbnail: faceThumbnail(frame, box) } : {}) });
      });
      for (const track of update.started) yield { type: 'track-start', time: frame.time, track: { id: track.id, box: track.observations[0]!.box } };
      for (const track of update.ended) yield { type: 'track-end', time: frame.time, track: await finish(track) };
      frames++;
      lastTime = frame.time;
      const elapsedMs = performance.now() - started;
      yield { type: 'progress', frame: frame.index, time: frame.time, frames, duration: video.info.duration, elapsedMs, framesPerSecond: frames / (elapsedMs / 1000) };
    }
    await iterator.return(undefined);
    for (const track of tracker.finish()) yield { type: 'track-end', time: lastTime, track: await finish(track) };
  } finally {
    await video.close();
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const seconds = frames === 0 ? 0 : video.info.fps ? frames / video.info.fps : lastTime - video.info.from;
  const list = [...tracks.values()].sort((a, b) => a.start - b.start || a.id - b.id);
  yield {
    type: 'summary',
    summary: {
      info: video.info, frames, seconds, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, speed: seconds / (elapsedMs / 1000), tracks: list, people: peopleOf(list, video.info.fps),
      facesDetected, facesEmbedded, facesMirrored, facesRejected, facesRefused, cuts, tiledFrames, regionSearches, source: { ...video.stats }, timings: clock.wall, cpuTimings: clock.cpu,
      settings: { modelId, sameSimilarity, vetoSimilarity, doubtSimilarity, maxGap, refreshSeconds, minEmbeddings, flip, flipMargin, tiledEvery, trackSearch, settledRefreshSeconds, identify: identify !== undefined, quality: gate, reidentify, reidSimilarity },
      stopped,
    },
  };
}

/**
 * Faces in crops of the frame, searched in one detector run: the crops are shrunk into the cells
 * of one mosaic the size of the detector's input (one cell for one crop, 2x2 for up to four, 3x3
 * for up to nine), each keeping its aspect. A face that crosses its cell's border is dropped (cut
 * by the crop, or two cells' content joined); returned in the frame's pixels.
 */
async function searchRegions(analyzer: FrameAnalyzer, frame: VideoFrame, regions: readonly Box[]): Promise<{ box: Box; score: number; keypoints?: Point[] }[]> {
  const columns = Math.ceil(Math.sqrt(regions.length));
  const cell = Math.floor(MOSAIC_SIDE / columns);
  const mosaic = new Uint8Array(MOSAIC_SIDE * MOSAIC_SIDE * 3);
  const placed = regions.map((region, i) => {
    const left = (i % columns) * cell, top = Math.floor(i / columns) * cell;
    const scale = Math.min(1, cell / Math.max(region.width, region.height));
    const width = Math.max(1, Math.round(region.width * scale)), height = Math.max(1, Math.round(region.height * scale));
    shrinkInto(frame, region, mosaic, MOSAIC_SIDE, left, top, width, height);
    return { region, left, top, width, height, scaleX: width / region.width, scaleY: height / region.height };
  });
  const found = (await analyzer.detect(unsharedPixels({ data: mosaic, width: MOSAIC_SIDE, height: MOSAIC_SIDE, channels: 3 }), { faceCheck: 'off', retryPadded: false, tiling: 'off' })).faces;
  const out: { box: Box; score: number; keypoints?: Point[] }[] = [];
  for (const f of found) {
    const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2;
    const p = placed.find((c) => cx >= c.left && cx < c.left + c.width && cy >= c.top && cy < c.top + c.height);
    if (!p) continue;
    const margin = 1;
    if (f.box.x < p.left + margin && p.region.x > 0) continue;
    if (f.box.y < p.top + margin && p.region.y > 0) continue;
    if (f.box.x + f.box.width > p.left + p.width - margin && p.region.x + p.region.width < frame.width) continue;
    if (f.box.y + f.box.height > p.top + p.height - margin && p.region.y + p.region.height < frame.height) continue;
    const back = (x: number, y: number): Point => ({ x: p.region.x + (x - p.left) / p.scaleX, y: p.region.y + (y - p.top) / p.scaleY });
    const a = back(f.box.x, f.box.y), b = back(Math.min(f.box.x + f.box.width, p.left + p.width), Math.min(f.box.y + f.box.height, p.top + p.height));
    out.push({ box: { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y }, score: f.score, ...(f.keypoints ? { keypoints: f.keypoints.map((k) => back(k.x, k.y)) } : {}) });
  }
  return out;
}

/** Side of the mosaic of crops searched in one run (the default detector's input). */
const MOSAIC_SIDE = 256;

/** A region of an RGB frame shrunk (each output pixel the mean of the source pixels it covers) into an RGB canvas. */
function shrinkInto(frame: VideoFrame, region: Box, out: Uint8Array, outWidth: number, left: number, top: number, width: number, height: number): void {
  const fx = region.width / width, fy = region.height / height;
  const src = frame.data, stride = frame.width * 3;
  for (let j = 0; j < height; j++) {
    const y0 = region.y + Math.floor(j * fy), y1 = Math.max(y0 + 1, region.y + Math.floor((j + 1) * fy));
    for (let i = 0; i < width; i++) {
      const x0 = region.x + Math.floor(i * fx), x1 = Math.max(x0 + 1, region.x + Math.floor((i + 1) * fx));
      let r = 0, g = 0, b = 0;
      for (let y = y0; y < y1; y++) {
        let at = y * stride + x0 * 3;
        for (let x = x0; x < x1; x++, at += 3) { r += src[at]!; g += src[at + 1]!; b += src[at + 2]!; }
      }
      const n = (y1 - y0) * (x1 - x0), o = ((top + j) * outWidth + left + i) * 3;
      out[o] = r / n; out[o + 1] = g / n; out[o + 2] = b / n;
    }
  }
}

/** A person's record: the tracks re-identified as one, with the identity voted over all their faces. */
async function personRecord(person: PersonTrack<PartData>, withBoxes: boolean): Promise<VideoTrack> {
  const { identity, parts } = person;
  const top = parts.map((p) => p.data.best).reduce<PartData['best']>((a, b) => (b && (!a || b.weight > a.weight) ? b : a), undefined);
  // Only the best face (and its thumbnail) of all the parts is ever shown: the others are let go.
  for (const p of parts) if (p.data.best !== top) p.data.best = undefined;
  const result: VideoTrack = {
    id: person.id, subject: identity.subject, subjectId: identity.subjectId, label: person.label,
    start: parts[0]!.start, end: Math.max(...parts.map((p) => p.end)),
    frames: parts.reduce((n, p) => n + p.frames, 0),
    segments: parts.map((p) => ({ start: p.start, end: p.end, frames: p.frames })),
    embedded: person.facesVoted + person.facesRefused, facesVoted: person.facesVoted, facesRefused: person.facesRefused, refusalReasons: person.refusalReasons,
    reason: person.reason,
    confidence: identity.confidence, similarity: identity.similarity, votes: identity.votes,
    bestFace: top ? { time: top.time, box: top.box, quality: top.quality, weight: top.weight } : null,
    endReason: parts.reduce((a, b) => (b.end >= a.end ? b : a)).data.endReason,
  };
  if (top?.thumbnail) result.thumbnail = await top.thumbnail;
  if (withBoxes) result.boxes = parts.flatMap((p) => p.data.boxes);
  return result;
}

/** Each label's tracks and its time on screen (a segment counts from its first to its last frame, plus one frame). */
function peopleOf(tracks: readonly VideoTrack[], fps: number | null): VideoSummary['people'] {
  const frame = fps ? 1 / fps : 0;
  const byLabel = new Map<string, VideoSummary['people'][number]>();
  for (const track of tracks) {
    const entry = byLabel.get(track.label) ?? { label: track.label, subject: track.subject, tracks: [], seconds: 0, appearances: [] };
    entry.tracks.push(track.id);
    for (const segment of track.segments) {
      entry.appearances.push([segment.start, segment.end]);
      entry.seconds += segment.end - segment.start + frame;
    }
    byLabel.set(track.label, entry);
  }
  for (const entry of byLabel.values()) entry.appearances.sort((a, b) => a[0] - b[0]);
  return [...byLabel.values()].sort((a, b) => a.appearances[0]![0] - b.appearances[0]![0]);
}

/** The summary at the end of a video's events (the events in between are dropped). */
export async function videoSummary(events: AsyncIterable<VideoEvent>): Promise<VideoSummary> {
  let summary: VideoSummary | undefined;
  for await (const event of events) if (event.type === 'summary') summary = event.summary;
  if (!summary) throw new VisageError('VISAGE_ERR_VIDEO_DECODE', 'the video ended without a summary');
  return summary;
}
