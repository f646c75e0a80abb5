// One identity per track: the quality-weighted vote of its faces. Pure.
//
// Vote: every embedded face of a track was searched against the gallery with the open-set rule of
// identify (the recognizer's threshold and strategy); each gives its weight to the person it was
// named as, or to UNKNOWN when under the threshold. The track takes the person with the most
// weight when that is at least half of all the weight (`minShare`) and at least two faces (one
// when the track has a single embedded face, judged as a photo would be); otherwise UNKNOWN. A
// stranger's track would need most of its faces each to pass the strict per-face threshold for
// the same person, which is rarer than one face passing it.
//
// Tracks of one person (strangers too) are joined across absences in reid.ts, which calls this
// vote over all their faces.

export interface FaceMatchResult {
  name: string | null;
  subjectId: number | null;
  /** To the nearest person (null: empty gallery). */
  similarity: number | null;
  /** The threshold the decision was made with (video mirrors faces near it: flipMargin). */
  threshold?: number;
}

export interface VoteInput {
  weight: number;
  match: FaceMatchResult | null;
}

export interface Vote {
  label: string;
  subjectId: number | null;
  weight: number;
  faces: number;
}

export interface TrackIdentity {
  /** The enrolled person, or null (UNKNOWN). */
  subject: string | null;
  subjectId: number | null;
  /** The winner's share of the vote's weight, 0-1 (for UNKNOWN: UNKNOWN's share). */
  confidence: number;
  /** The best similarity among the faces that voted for the winner (for UNKNOWN: the best to anyone). */
  similarity: number | null;
  /** Every option's weight, best first. */
  votes: Vote[];
}

export const VOTE_DEFAULTS = Object.freeze({ minShare: 0.5, minFaces: 2 });

/**
 * A face's weight in its track's vote: its size, sharpness and frontalness (quality.ts), each
 * mapped to 0.1-1. Faces of 112 px and more (the embedders' input), frontal, and as sharp as the
 * enrolment photos count fully; small, blurred or turned faces count less.
 */
export function faceWeight(quality: { size: number; sharpness: number; frontalness: number }, score = 1): number {
  const clamp = (v: number) => Math.min(1, Math.max(0.1, v));
  return clamp(quality.size / 112) * clamp(quality.frontalness) * clamp(quality.sharpness / 60) * clamp(score);
}

export function voteIdentity(faces: readonly VoteInput[], options: { minShare?: number; minFaces?: number } = {}): TrackIdentity {
  const tally = new VoteTally();
  for (const face of faces) tally.add(face);
  return tally.identity(options);
}

/**
 * A vote counted as faces come: add() one face at a time, identity() at any point gives what
 * voteIdentity() gives over the faces added so far (the same sums in the same order), in time
 * that grows with the number of options, not of faces. A track followed for an hour is asked
 * whether its identity is settled on every frame (video.ts): counting its faces again each time
 * would cost more the longer it lasts.
 */
export class VoteTally {
  private readonly options = new Map<string, Vote & { best: number | null }>();
  private total = 0;
  private bestAny: number | null = null;
  /** Faces added (those without a match included: they do not vote). */
  added = 0;

  add(face: VoteInput): void {
    this.added++;
    if (!face.match) return;
    const key = face.match.subjectId === null ? '' : String(face.match.subjectId);
    const entry = this.options.get(key) ?? { label: face.match.name ?? 'UNKNOWN', subjectId: face.match.subjectId, weight: 0, faces: 0, best: null };
    entry.weight += face.weight;
    entry.faces++;
    const s = face.match.similarity;
    if (s !== null) {
      entry.best = entry.best === null ? s : Math.max(entry.best, s);
      this.bestAny = this.bestAny === null ? s : Math.max(this.bestAny, s);
    }
    this.options.set(key, entry);
    this.total += face.weight;
  }

  identity(options: { minShare?: number; minFaces?: number } = {}): TrackIdentity {
    const minShare = options.minShare ?? VOTE_DEFAULTS.minShare;
    const total = this.total;
    const votes = [...this.options.values()].sort((a, b) => b.weight - a.weight);
    const counted = votes.reduce((n, v) => n + v.faces, 0);
    const minFaces = Math.min(options.minFaces ?? VOTE_DEFAULTS.minFaces, counted);
    const top = votes.find((v) => v.subjectId !== null);
    const plain = votes.map(({ label, subjectId, weight, faces: n }) => ({ label, subjectId, weight, faces: n }));
    if (top && total > 0 && top.weight / total >= minShare && top.faces >= minFaces && top === votes[0]) {
      return { subject: top.label, subjectId: top.subjectId, confidence: top.weight / total, similarity: top.best, votes: plain };
    }
    const unknown = this.options.get('');
    return { subject: null, subjectId: null, confidence: total > 0 ? (unknown?.weight ?? 0) / total : 0, similarity: this.bestAny, votes: plain };
  }
}
