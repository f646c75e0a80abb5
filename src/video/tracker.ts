// Faces linked across sampled frames into tracks. Pure (no I/O, no models): the caller detects,
// asks plan() which detections need an embedding this frame, embeds those, and gives them to
// update(). Embedding every face of every frame would cost most of the time (a face's embeddings
// take 5-10 times its detection); geometry links most faces, embeddings settle the doubtful ones.
//
// Linking, per frame:
// - Each live track predicts its box (last box moved by its velocity). A detection is a geometric
//   candidate of a track when it overlaps the prediction (IoU) or its centre lies close to the
//   predicted centre, at a similar size.
// - A detection gets an embedding when it has no candidate track, when a rival (another track for
//   it, another detection for its track: people crossing) scores at least half as well by geometry,
//   right after a cut, while its track has few embeddings, when the track's last embedding is older
//   than `refreshSeconds`, when the face is clearly larger than the track's best embedded one, or
//   when its coarse picture (faceSignature) changed more than the track's usually does.
// - Pairs are scored by geometry, and by appearance when the detection was embedded: a pair whose
//   similarity to the track's template is under `vetoSimilarity` is refused whatever the overlap
//   (two people crossing do not swap), and so is one under `sameSimilarity` whose coarse face
//   picture (faceSignature) changed since the track's last frame (a cut to someone else standing
//   where the last person stood), or one under `sameSimilarity` that jumped in size while its picture
//   changed. A track whose place was so taken by a newcomer (a cut that the frame difference
//   missed) takes no face under `sameSimilarity` farther than the newcomer, and, when it found no
//   face, is `displaced`: it takes faces only at `sameSimilarity` until one continues it. Pairs are
//   taken best first.
// - A detection left over that was embedded is compared with the live tracks that found no face
//   this frame and lie within reach (a few face widths a second) and was not refused above: at
//   `doubtSimilarity` or above (after a cut: anywhere, at `sameSimilarity`, a track of at least
//   `minEmbeddings` faces) it continues that track (a missed detection, a face hidden for a
//   moment, a fast move, the same person after a cut).
// - Embedded faces under `doubtSimilarity` cast doubt on their track: two in a row split it.
//   The pair threshold is too strict for that: in street.mp4 and hamilton_clip.mp4 (5 fps,
//   geometry alone), one person's faces scored 0.72-0.98 against their track's template, many
//   of them 0.75-0.82 (small, blurred, turning heads).
// - A track not seen for `maxGap` seconds ends.
import type { Box, Point } from '../types.ts';

export interface Detection {
  box: Box;
  score: number;
  keypoints?: Point[];
  /** A coarse picture of the face (faceSignature()): a face that changes under its box gets embedded. */
  signature?: Float32Array;
}

/** What the caller learnt about a detection it embedded. */
export interface EmbeddedFace {
  /** L2-normalised, of the matching embedder. */
  embedding: Float32Array;
  /** Weight of this face in the track's vote and template (quality.ts: size, sharpness, pose). */
  weight: number;
  quality: { size: number; sharpness: number; frontalness: number };
  grey: boolean;
}

export interface TrackerOptions {
  /** A track ends when not seen for this many seconds (default 1.5). */
  maxGap?: number;
  /** Similarity at or above which an embedded face continues a track by appearance alone. */
  sameSimilarity: number;
  /** Similarity under which a face is never linked to a track, whatever the geometry. */
  vetoSimilarity: number;
  /**
   * Similarity under which an embedded face casts doubt on its track (two in a row split it), and
   * under which a face whose picture changed is refused. Default: halfway from veto to same.
   */
  doubtSimilarity?: number;
  /** Embeddings a track gathers before geometry alone may link it (default 3). */
  minEmbeddings?: number;
  /** A track's faces are embedded again after this many seconds (default 1). */
  refreshSeconds?: number;
  /**
   * Seconds between embeddings of a settled track (default 3; see `settled`): once its identity
   * is sure, a face that geometry links and whose picture did not change is embedded less often.
   */
  settledRefreshSeconds?: number;
  /** Whether a track's identity is settled (the caller's rule: its vote; default: never). */
  settled?: (track: TrackState) => boolean;
}

export interface Observation {
  frame: number;
  time: number;
  box: Box;
  score: number;
  /** Set when this face was embedded (index into the track's `embedded`). */
  embedded?: number;
}

export interface TrackState {
  id: number;
  observations: Observation[];
  /** The faces embedded, in order, with whatever the caller attached (the vote's input). */
  embedded: (EmbeddedFace & { frame: number; time: number; box: Box; similarityToTrack: number | null })[];
  /** Quality-weighted sum of the embeddings (normalise before use). */
  template: Float32Array | null;
  templateWeight: number;
  lastEmbedTime: number;
  bestEmbeddedSize: number;
  /** Box change per second (x, y of the centre; width). */
  velocity: { x: number; y: number; w: number };
  /** Embedded faces in a row under `sameSimilarity` with the template. */
  doubts: number;
  /** The last face's signature. */
  signature?: Float32Array;
  /** How much its signature usually moves from frame to frame (a running mean of the distances). */
  signatureDrift?: number;
  /**
   * Someone else stood in its place (a face there refused by appearance): a cut that the frame's
   * difference missed, as far as the tracker can tell. Until a face at the pair threshold continues
   * it, the track takes faces only at that threshold, as after a cut.
   */
  displaced?: boolean;
  ended: boolean;
  /** Why it ended: 'gap' (not seen for maxGap), 'split' (appearance changed), 'end' (the video ended). */
  endReason?: 'gap' | 'split' | 'end';
}

export interface FramePlan {
  /** Per detection: embed it this frame. */
  embed: boolean[];
  /** Per detection: it continues no confirmed track by geometry (a new face: check it). */
  isNew: boolean[];
}

export interface FrameUpdate {
  /** Tracks started this frame. */
  started: TrackState[];
  /** Tracks that ended (gap passed, or split). */
  ended: TrackState[];
  /** Per detection: the track it joined. */
  assigned: number[];
}

const centre = (b: Box): Point => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width), y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function normalised(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

export class FaceTracker {
  readonly maxGap: number;
  private readonly sameSimilarity: number;
  private readonly vetoSimilarity: number;
  private readonly doubtSimilarity: number;
  private readonly minEmbeddings: number;
  private readonly refreshSeconds: number;
  private readonly settledRefreshSeconds: number;
  private readonly settled: (track: TrackState) => boolean;
  private readonly live: TrackState[] = [];
  private nextId = 1;
  private pending: { time: number; candidates: number[][]; cut: boolean } | null = null;

  constructor(options: TrackerOptions) {
    this.maxGap = options.maxGap ?? 1.5;
    this.sameSimilarity = options.sameSimilarity;
    this.vetoSimilarity = options.vetoSimilarity;
    this.doubtSimilarity = options.doubtSimilarity ?? (options.sameSimilarity + options.vetoSimilarity) / 2;
    this.minEmbeddings = options.minEmbeddings ?? 3;
    this.refreshSeconds = options.refreshSeconds ?? 1;
    this.settledRefreshSeconds = Math.max(this.refreshSeconds, options.settledRefreshSeconds ?? 3);
    this.settled = options.settled ?? (() => false);
  }

  /** Tracks still running. */
  get tracks(): readonly TrackState[] {
    return this.live;
  }

  /** Where a track's face is expected at `time`: its last box moved by its velocity. */
  predicted(track: TrackState, time: number): Box {
    const last = track.observations.at(-1)!;
    const dt = Math.min(time - last.time, this.maxGap);
    const c = centre(last.box);
    const w = Math.max(4, last.box.width + track.velocity.w * dt);
    const h = w * (last.box.height / last.box.width);
    return { x: c.x + track.velocity.x * dt - w / 2, y: c.y + track.velocity.y * dt - h / 2, width: w, height: h };
  }

  /** Whether a detection could be the track's face by position and size alone (0: no; more: better). */
  geometric(track: TrackState, box: Box, time: number): number {
    const p = this.predicted(track, time);
    const overlap = iou(p, box);
    const ratio = box.width / p.width;
    if (ratio < 0.6 || ratio > 1 / 0.6) return 0;
    const pc = centre(p), bc = centre(box);
    const distance = Math.hypot(pc.x - bc.x, pc.y - bc.y) / Math.max(p.width, box.width);
    if (overlap >= 0.15) return overlap;
    // A fast move: the centre within a face width of the prediction (embedded when unsure, below).
    return distance < 1 ? 0.15 * (1 - distance / 2) : 0;
  }

  /**
   * Whether the face jumped in size from the track's prediction and its picture changed too: the
   * mark of a cut that the frame's difference missed, where another face now stands near the last
   * one (hamilton_clip.mp4 at 7.8 s: from Lin-Manuel Miranda's face, 88 px wide, to Barack Obama's
   * in the audience, 61 px, a signature distance of 0.92; Lin's own moves drift 0.5 a frame, so
   * changed() alone, at twice the drift, let it through). Such a face is embedded, and refused
   * under the pair threshold (it scored 0.77-0.79 with Lin's template, over the doubt level). The
   * picture's change counts over 0.6 or the track's drift if more: at a fixed 0.6, street.mp4's
   * small turning faces (drift 0.6-1.1) were embedded 8 more times (49 instead of 41), at the drift 1 more.
   */
  private jumped(track: TrackState, d: Detection, time: number): boolean {
    const ratio = d.box.width / this.predicted(track, time).width;
    return (ratio < JUMP_RATIO || ratio > 1 / JUMP_RATIO) && signatureDistance(track.signature, d.signature) > Math.max(SIGNATURE_CHANGE, track.signatureDrift ?? 0);
  }

  /** Which detections of this frame to embed and which are new faces. `cut`: the picture changed wholesale. */
  plan(time: number, detections: readonly Detection[], cut = false): FramePlan {
    const scores = detections.map((d) => (cut ? [] : this.live.map((t) => this.geometric(t, d.box, time))));
    const candidates = scores.map((list) => list.flatMap((g, i) => (g > 0 ? [i] : [])));
    this.pending = { time, candidates, cut };
    // A pair is contested when a rival (another track for the face, another face for the track)
    // scores at least half as well: then geometry cannot tell and an embedding decides.
    const contested = (k: number, t: number): boolean => {
      const g = scores[k]![t]!;
      return scores[k]!.some((other, i) => i !== t && other >= 0.5 * g && other > 0)
        || scores.some((row, j) => j !== k && row[t]! >= 0.5 * g && row[t]! > 0);
    };
    const embed = detections.map((d, k) => {
      const list = candidates[k]!;
      if (list.length === 0) return true;
      // The best candidate by geometry; contested, or any doubt about it: embed.
      const t = list.reduce((a, b) => (scores[k]![b]! > scores[k]![a]! ? b : a));
      const track = this.live[t]!;
      return contested(k, t)
        || track.embedded.length < this.minEmbeddings
        || time - track.lastEmbedTime >= (this.settled(track) ? this.settledRefreshSeconds : this.refreshSeconds)
        || track.doubts > 0
        || track.displaced === true
        || d.box.width > 1.3 * track.bestEmbeddedSize
        || changed(track, d)
        || this.jumped(track, d, time);
    });
    return { embed, isNew: candidates.map((list) => list.length === 0) };
  }

  /**
   * Links this frame's detections (those kept after the face check, in plan()'s order with the
   * dropped ones given as null) into tracks. `faces[k]` is set for the detections embedded.
   */
  update(frame: number, time: number, detections: readonly (Detection | null)[], faces: readonly (EmbeddedFace | null)[]): FrameUpdate {
    const plan = this.pending && this.pending.time === time ? this.pending : { time, candidates: detections.map(() => []), cut: true };
    this.pending = null;
    const started: TrackState[] = [];
    const ended: TrackState[] = [];
    const assigned = detections.map(() => -1);
    const templates = this.live.map((t) => (t.template ? normalised(t.template) : null));
    // Scored pairs (track index, detection index), best first.
    const pairs: { t: number; d: number; g: number; score: number; similarity: number | null }[] = [];
    const refused = new Set<string>();
    // Tracks whose place a newcomer took: a face refused for them that is no other track's candidate
    // (someone crossing, refused too, is another track's), with its geometry score.
    const replaced = new Map<number, number>();
    const refuse = (t: number, k: number, g: number): void => {
      refused.add(`${t}:${k}`);
      const others = (plan.candidates[k] ?? []).filter((o) => o !== t && !this.live[o]!.ended);
      if (others.length === 0) replaced.set(t, Math.max(g, replaced.get(t) ?? 0));
    };
    detections.forEach((d, k) => {
      if (!d) return;
      for (const t of plan.candidates[k] ?? []) {
        const track = this.live[t]!;
        if (track.ended) continue;
        const g = this.geometric(track, d.box, time);
        if (g <= 0) continue;
        const face = faces[k];
        const template = templates[t];
        const similarity = face && template ? dot(face.embedding, template) : null;
        if (similarity !== null && similarity < this.vetoSimilarity) { refuse(t, k, g); continue; }
        // The face under the box changed and its embedding is not clearly the track's: another person.
        if (similarity !== null && similarity < this.sameSimilarity && (changed(track, d) || this.jumped(track, d, time))) { refuse(t, k, g); continue; }
        // Appearance counts twice geometry where known; a face unembedded scores as a middling match.
        pairs.push({ t, d: k, g, score: g + 2 * (similarity ?? 0.5 * (this.sameSimilarity + this.vetoSimilarity)), similarity });
      }
    });
    // A track whose place a newcomer took this frame (a cut that the frame's difference missed)
    // takes no face under the pair threshold that stands farther from its prediction than the
    // newcomer, nor (below) one by appearance within reach: at 7.8 s in hamilton_clip.mp4, Barack
    // Obama's face was refused for Lin-Manuel Miranda's track, and Michelle Obama's beside it scored
    // 0.73, over the doubt level. A displaced track (a newcomer took its place and it found no face)
    // takes faces only at the pair threshold until one continues it.
    pairs.sort((a, b) => b.score - a.score);
    const usedTracks = new Set<number>();
    const strict = (t: number, g = 0): boolean => (replaced.get(t) ?? -1) >= g || this.live[t]!.displaced === true;
    for (const pair of pairs) {
      if ((pair.similarity ?? 0) < this.sameSimilarity && strict(pair.t, pair.g)) continue;
      if (usedTracks.has(pair.t) || assigned[pair.d]! >= 0) continue;
      usedTracks.add(pair.t);
      assigned[pair.d] = pair.t;
    }
    // Left-over embedded faces: by appearance, a live track within reach that found no face this
    // frame (lost a moment ago, or moved too fast for geometry; any after a cut).
    detections.forEach((d, k) => {
      const face = faces[k];
      if (!d || !face || assigned[k]! >= 0) return;
      // Within reach, position and appearance together: the doubt level suffices (street.mp4's
      // fast, blurred faces need it); after a cut, appearance alone: the pair threshold.
      let best = -1, bestSimilarity = plan.cut ? this.sameSimilarity : this.doubtSimilarity;
      this.live.forEach((track, t) => {
        const template = templates[t];
        if (usedTracks.has(t) || !template || track.ended) return;
        // A pair refused above stays refused: a cut to someone else where the last person stood
        // (in the labelled clip two older men with glasses score 0.75).
        if (refused.has(`${t}:${k}`)) return;
        // Across a cut, appearance alone continues only a settled template of faces large enough:
        // one of one or two faces, or of tiny faces, is too near other faces (hamilton_clip.mp4 at
        // 2 fps: a hand taken for a face on stage, embedded twice, scored 0.83 with a woman in the
        // audience after the cut; at 5 fps a 20 px face in the audience scored 0.84 with the 115 px
        // close-up after the cut at 1.6 s; the pair threshold is 0.82).
        // A displaced track counts as across a cut.
        if ((plan.cut || track.displaced) && (track.embedded.length < this.minEmbeddings || track.bestEmbeddedSize < CUT_MIN_FACE)) return;
        // Within reach: a face moves a few of its widths a second (anywhere after a cut).
        const last = track.observations.at(-1)!;
        const reach = (1.5 + 3 * Math.max(0, time - last.time)) * Math.max(last.box.width, d.box.width);
        const a = centre(last.box), b = centre(d.box);
        if (!plan.cut && Math.hypot(a.x - b.x, a.y - b.y) > reach) return;
        const similarity = dot(face.embedding, template);
        if (strict(t) && similarity < this.sameSimilarity) return;
        if (similarity >= bestSimilarity) { best = t; bestSimilarity = similarity; }
      });
      if (best >= 0) { usedTracks.add(best); assigned[k] = best; }
    });
    // Apply: continue tracks, split those whose face changed, start new ones.
    const newTracks: TrackState[] = [];
    detections.forEach((d, k) => {
      if (!d) return;
      const face = faces[k] ?? null;
      let t = assigned[k]!;
      if (t >= 0) {
        const track = this.live[t]!;
        const template = templates[t];
        const similarity = face && template ? dot(face.embedding, template) : null;
        if (similarity !== null && similarity < this.doubtSimilarity) track.doubts++;
        else if (similarity !== null) track.doubts = 0;
        if (track.doubts >= 2) {
          // Two embedded faces in a row unlike the track: another person took its place.
          track.ended = true;
          track.endReason = 'split';
          ended.push(track);
          t = -1;
        } else {
          this.extend(track, frame, time, d, face, similarity);
          assigned[k] = track.id;
          return;
        }
      }
      const track: TrackState = {
        id: this.nextId++, observations: [], embedded: [], template: null, templateWeight: 0, lastEmbedTime: -Infinity,
        bestEmbeddedSize: 0, velocity: { x: 0, y: 0, w: 0 }, doubts: 0, ended: false,
      };
      this.extend(track, frame, time, d, face, null);
      newTracks.push(track);
      started.push(track);
      assigned[k] = track.id;
    });
    // A track refused its spot and given no face there is displaced until a sure face continues it.
    for (const t of replaced.keys()) if (!usedTracks.has(t)) this.live[t]!.displaced = true;
    // So is every track that found no face at a cut: later frames are no cut, and the doubt level
    // within reach would let anyone in (hamilton_clip.mp4 at 5 fps from 0 s: Lin's track, 7.6 s,
    // took a blurred head in the audience at 8.8 s by it).
    if (plan.cut) this.live.forEach((track, t) => { if (!usedTracks.has(t)) track.displaced = true; });
    // Tracks unseen for longer than the gap end.
    for (const track of this.live) {
      if (!track.ended && time - track.observations.at(-1)!.time > this.maxGap) {
        track.ended = true;
        track.endReason = 'gap';
        ended.push(track);
      }
    }
    const kept = this.live.filter((t) => !t.ended);
    this.live.length = 0;
    this.live.push(...kept, ...newTracks);
    return { started, ended, assigned };
  }

  private extend(track: TrackState, frame: number, time: number, d: Detection, face: EmbeddedFace | null, similarity: number | null): void {
    const last = track.observations.at(-1);
    if (last && time > last.time) {
      // Velocity: smoothed over frames, so one jittery box does not throw the prediction.
      const dt = time - last.time;
      const a = centre(last.box), b = centre(d.box);
      const smooth = 0.5;
      track.velocity = {
        x: smooth * track.velocity.x + (1 - smooth) * (b.x - a.x) / dt,
        y: smooth * track.velocity.y + (1 - smooth) * (b.y - a.y) / dt,
        w: smooth * track.velocity.w + (1 - smooth) * (d.box.width - last.box.width) / dt,
      };
    }
    if (d.signature) {
      if (track.signature) {
        const distance = signatureDistance(track.signature, d.signature);
        track.signatureDrift = track.signatureDrift === undefined ? distance : 0.7 * track.signatureDrift + 0.3 * distance;
      }
      track.signature = d.signature;
    }
    const observation: Observation = { frame, time, box: d.box, score: d.score };
    if (similarity !== null && similarity >= this.sameSimilarity) track.displaced = false;
    if (face) {
      observation.embedded = track.embedded.length;
      track.embedded.push({ ...face, frame, time, box: d.box, similarityToTrack: similarity });
      // Only faces at or above the doubt level shape the template: a doubtful one (a link that may
      // be wrong) would drag the template toward the next person and let them in.
      if (similarity === null || similarity >= this.doubtSimilarity) {
        track.template ??= new Float32Array(face.embedding.length);
        for (let i = 0; i < face.embedding.length; i++) track.template[i]! += face.weight * face.embedding[i]!;
        track.templateWeight += face.weight;
      }
      track.lastEmbedTime = time;
      track.bestEmbeddedSize = Math.max(track.bestEmbeddedSize, d.box.width);
    }
    track.observations.push(observation);
  }

  /** Ends every track (the video ended). */
  finish(): TrackState[] {
    const ended = this.live.filter((t) => !t.ended);
    for (const track of ended) { track.ended = true; track.endReason = 'end'; }
    this.live.length = 0;
    return ended;
  }
}

/**
 * A face's coarse picture: 8x8 grey samples of its box, less their mean, over their spread. Two
 * sampled frames of one face (moved, zoomed, relit) stay close; another face in its place (a cut,
 * a swap) rarely does.
 */
export function faceSignature(frame: { data: Uint8Array; width: number; height: number }, box: Box, cells = 8): Float32Array {
  const out = new Float32Array(cells * cells);
  let mean = 0;
  for (let r = 0; r < cells; r++) {
    const y = Math.min(frame.height - 1, Math.max(0, Math.floor(box.y + ((r + 0.5) * box.height) / cells)));
    for (let c = 0; c < cells; c++) {
      const x = Math.min(frame.width - 1, Math.max(0, Math.floor(box.x + ((c + 0.5) * box.width) / cells)));
      const at = (y * frame.width + x) * 3;
      const v = (frame.data[at]! * 299 + frame.data[at + 1]! * 587 + frame.data[at + 2]! * 114) / 1000;
      out[r * cells + c] = v;
      mean += v;
    }
  }
  mean /= out.length;
  let spread = 0;
  for (let i = 0; i < out.length; i++) { out[i]! -= mean; spread += out[i]! * out[i]!; }
  spread = Math.sqrt(spread / out.length) || 1;
  for (let i = 0; i < out.length; i++) out[i]! /= spread;
  return out;
}

/** Mean absolute difference of two signatures (0 when either is missing); about 0.8 and more: another face. */
export function signatureDistance(a: Float32Array | undefined, b: Float32Array | undefined): number {
  if (!a || !b || a.length !== b.length) return 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * Signature distance above which a face linked by geometry is embedded to make sure, or twice the
 * track's usual drift when that is more. Found by trying: in the labelled clip the cut from one
 * older man to another needs a limit under 1.2 to be caught (0.6 catches it), while street.mp4's
 * small, turning faces moved their signatures 0.6-1.1 from frame to frame with no change of person
 * (at a fixed 0.6 that embedded 30 of its 93 faces for nothing).
 */
export const SIGNATURE_CHANGE = 0.6;

/** Width in pixels of a track's best embedded face under which appearance alone does not carry it over a cut. */
export const CUT_MIN_FACE = 40;

/** Size ratio to the predicted box beyond which (either way) a face whose signature changed is checked by appearance. */
export const JUMP_RATIO = 0.75;

function changed(track: TrackState, d: Detection): boolean {
  return signatureDistance(track.signature, d.signature) > Math.max(SIGNATURE_CHANGE, 2 * (track.signatureDrift ?? 0));
}

/**
 * Whether the picture changed wholesale between two frames (a cut): the mean absolute difference
 * of two coarse grey thumbnails (`thumbnail()`), 0-255, above `threshold`.
 */
export function isCut(previous: Uint8Array | null, current: Uint8Array, threshold = 40): boolean {
  if (!previous || previous.length !== current.length) return false;
  let sum = 0;
  for (let i = 0; i < current.length; i++) sum += Math.abs(current[i]! - previous[i]!);
  return sum / current.length > threshold;
}

/**
 * A frame's colour histogram: 8x8x8 RGB bins of 64x36 points (2,304 pixels read), summing to 1.
 * Two frames of one shot keep their colours even when the camera moves; a cut to another shot
 * usually changes them, where the grey thumbnail's difference can stay small (two dark shots).
 */
export function colourHistogram(frame: { data: Uint8Array; width: number; height: number }, columns = 64, rows = 36): Float32Array {
  const out = new Float32Array(512);
  const share = 1 / (columns * rows);
  for (let r = 0; r < rows; r++) {
    const y = Math.floor(((r + 0.5) * frame.height) / rows);
    for (let c = 0; c < columns; c++) {
      const x = Math.floor(((c + 0.5) * frame.width) / columns);
      const at = (y * frame.width + x) * 3;
      out[((frame.data[at]! >> 5) << 6) | ((frame.data[at + 1]! >> 5) << 3) | (frame.data[at + 2]! >> 5)]! += share;
    }
  }
  return out;
}

/**
 * Histogram difference at or above which a frame is a cut. Measured at 5 fps (bench/tmp runs, not
 * kept): hamilton_clip.mp4's three cuts (1.6, 3.6 and 7.8 s: to the audience in the dark) score
 * 0.23, 0.37 and 0.16 while its grey thumbnails differ by 32, 30 and 30 (under isCut's 40); within
 * its shots at most 0.12, street.mp4 (a moving camera) at most 0.11, the labelled clip's shots at
 * most 0.06 (its cuts 0.06-0.18: same backdrop, the faces change; embeddings catch those).
 */
export const HISTOGRAM_CUT = 0.15;

/** Half the L1 distance of two histograms (0: same colours, 1: none shared); 0 when either is missing. */
export function histogramDistance(a: Float32Array | null, b: Float32Array | null): number {
  if (!a || !b || a.length !== b.length) return 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / 2;
}

/** A 32x18 grey thumbnail of an RGB frame by point sampling (cheap: 576 pixels read). */
export function thumbnail(frame: { data: Uint8Array; width: number; height: number }, columns = 32, rows = 18): Uint8Array {
  const out = new Uint8Array(columns * rows);
  for (let r = 0; r < rows; r++) {
    const y = Math.floor(((r + 0.5) * frame.height) / rows);
    for (let c = 0; c < columns; c++) {
      const x = Math.floor(((c + 0.5) * frame.width) / columns);
      const at = (y * frame.width + x) * 3;
      out[r * columns + c] = (frame.data[at]! * 299 + frame.data[at + 1]! * 587 + frame.data[at + 2]! * 114) / 1000;
    }
  }
  return out;
}
