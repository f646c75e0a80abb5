// Tracks re-identified across absences, and each person's identity voted over all of them. Pure.
//
// The tracker ends a track when its face is unseen for maxGap (1.5 s) or at a cut that changes who
// stands where; a person who leaves and comes back, or is seen in two shots, starts a new track.
// When a track ends it is compared with the people (groups of ended tracks) seen so far: it joins
// one when it never overlaps any of that person's tracks in time (two faces on screen at once are
// two people; this also forbids a shared frame), the two are not named as two different enrolled
// people by their votes, and either their votes name the same enrolled person, or their templates
// (the quality-weighted mean of their faces that passed the quality gate) are at least
// `similarity` alike. The joined track takes the person's id; its identity is voted again over
// every part's faces, so a weak part gains from a strong one. Strangers are groups whose vote
// named nobody: unknown-1, unknown-2, ... in order of first need, final once given.
import type { QualityReason } from '../face/quality/gate.ts';
import { dot, normalised } from './tracker.ts';
import { voteIdentity, type FaceMatchResult, type TrackIdentity } from './vote.ts';

/** One face of a part as the vote and the template read it. */
export interface PartFace {
  embedding: Float32Array;
  weight: number;
  match: FaceMatchResult | null;
  /** Limits of the quality gate it broke (empty or absent: it passed and votes). */
  refusals?: readonly QualityReason[];
}

/** A finished tracker track; `data` is whatever the caller keeps with it (boxes, best face). */
export interface TrackPart<D = unknown> {
  /** The tracker's id (a track-start event announced it). */
  id: number;
  start: number;
  end: number;
  frames: number;
  faces: readonly PartFace[];
  data: D;
}

/** Why a track is UNKNOWN: no face passed the quality gate, or the vote named nobody. */
export type UnknownReason = 'low-quality' | 'no-match';

export interface PersonTrack<D = unknown> {
  /** The id of its first part. */
  id: number;
  parts: TrackPart<D>[];
  identity: TrackIdentity;
  /** The name, or unknown-k. */
  label: string;
  /** null when named. */
  reason: UnknownReason | null;
  /** Faces that voted, and those the gate refused with a count per reason (a face may break two limits). */
  facesVoted: number;
  facesRefused: number;
  refusalReasons: Partial<Record<QualityReason, number>>;
  /** Quality-weighted sum of the faces that passed (normalise before use), or null. */
  templateSum: Float32Array | null;
}

export interface ReidOptions {
  /** Template similarity at which two tracks are the same person; Infinity: templates never join. */
  similarity: number;
  /** Join tracks at all (false: every track stays its own, strangers are still grouped by label). */
  enabled?: boolean;
  vote?: { minShare?: number; minFaces?: number };
}

const passed = (face: PartFace): boolean => !face.refusals || face.refusals.length === 0;

function templateSum(faces: readonly PartFace[]): Float32Array | null {
  let sum: Float32Array | null = null;
  for (const face of faces) {
    if (!passed(face)) continue;
    sum ??= new Float32Array(face.embedding.length);
    for (let i = 0; i < face.embedding.length; i++) sum[i]! += face.weight * face.embedding[i]!;
  }
  return sum;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start <= b.end && b.start <= a.end;

export class Reidentifier<D = unknown> {
  private readonly options: ReidOptions;
  private readonly people: PersonTrack<D>[] = [];
  private strangers = 0;
  /** Labels given to strangers, by person id, so a label once emitted stays. */
  private readonly strangerLabels = new Map<number, string>();

  constructor(options: ReidOptions) {
    this.options = options;
  }

  /** Every person so far, in order of first appearance. */
  get all(): readonly PersonTrack<D>[] {
    return this.people;
  }

  private vote(faces: readonly PartFace[]): TrackIdentity {
    return voteIdentity(faces.filter(passed).map((f) => ({ weight: f.weight, match: f.match })), this.options.vote);
  }

  /** The person an ended track belongs to (an earlier one it joins, or a new one), updated. */
  add(part: TrackPart<D>): { person: PersonTrack<D>; joined: boolean } {
    const own = this.vote(part.faces);
    const sum = templateSum(part.faces);
    const template = sum ? normalised(sum) : null;
    let best: PersonTrack<D> | null = null, bestScore = -Infinity;
    if (this.options.enabled ?? true) {
      for (const person of this.people) {
        if (person.parts.some((p) => overlaps(p, part))) continue;
        const theirs = person.identity.subjectId, mine = own.subjectId;
        if (theirs !== null && mine !== null && theirs !== mine) continue;
        const sameSubject = theirs !== null && theirs === mine;
        const similarity = template && person.templateSum ? dot(template, normalised(person.templateSum)) : null;
        if (!sameSubject && !(similarity !== null && similarity >= this.options.similarity)) continue;
        // The same enrolled name first, then the most alike.
        const score = (sameSubject ? 2 : 0) + (similarity ?? 0);
        if (score > bestScore) { best = person; bestScore = score; }
      }
    }
    if (!best) {
      const person = this.describe({ id: part.id, parts: [part] });
      this.people.push(person);
      return { person, joined: false };
    }
    best.parts.push(part);
    best.parts.sort((a, b) => a.start - b.start);
    Object.assign(best, this.describe(best));
    return { person: best, joined: true };
  }

  private describe(person: { id: number; parts: TrackPart<D>[] }): PersonTrack<D> {
    const faces = person.parts.flatMap((p) => p.faces);
    const identity = this.vote(faces);
    const voted = faces.filter(passed);
    const refusalReasons: Partial<Record<QualityReason, number>> = {};
    for (const face of faces) for (const reason of face.refusals ?? []) refusalReasons[reason] = (refusalReasons[reason] ?? 0) + 1;
    let label = identity.subject;
    if (label === null) {
      label = this.strangerLabels.get(person.id) ?? `unknown-${++this.strangers}`;
      this.strangerLabels.set(person.id, label);
    }
    return {
      id: person.id, parts: person.parts, identity, label,
      reason: identity.subject !== null ? null : voted.length === 0 && faces.length > 0 ? 'low-quality' : 'no-match',
      facesVoted: voted.length, facesRefused: faces.length - voted.length, refusalReasons,
      templateSum: templateSum(faces),
    };
  }
}
