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
import { VoteTally, voteIdentity, type FaceMatchResult, type TrackIdentity } from './vote.ts';

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
  /**
   * Its faces, for the vote and the template; emptied once they are counted into its person's
   * sums (Reidentifier.add), so a camera followed for days keeps sums, not every face.
   */
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

/** A person's vote, template and counts, kept up to date as parts join (see Reidentifier.add). */
interface Aggregate {
  tally: VoteTally;
  sum: Float32Array | null;
  /** sum normalised, for comparing with each track that ends. */
  template: Float32Array | null;
  faces: number;
  voted: number;
  refusalReasons: Partial<Record<QualityReason, number>>;
}

export class Reidentifier<D = unknown> {
  private readonly options: ReidOptions;
  private readonly people: PersonTrack<D>[] = [];
  private readonly aggregates = new WeakMap<PersonTrack<D>, Aggregate>();
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
        const theirTemplate = this.aggregates.get(person)?.template ?? null;
        const similarity = template && theirTemplate ? dot(template, theirTemplate) : null;
        if (!sameSubject && !(similarity !== null && similarity >= this.options.similarity)) continue;
        // The same enrolled name first, then the most alike.
        const score = (sameSubject ? 2 : 0) + (similarity ?? 0);
        if (score > bestScore) { best = person; bestScore = score; }
      }
    }
    if (!best) {
      const aggregate = this.aggregate([part]);
      const person = this.describe({ id: part.id, parts: [part] }, aggregate);
      this.people.push(person);
      return { person, joined: false };
    }
    // The part's faces are counted onto the person's sums (in the order parts end, which for parts
    // that never overlap is their order in time), and then let go: a person seen many times over
    // a long video or a stream costs per join what its new faces cost, and keeps only the sums.
    best.parts.push(part);
    best.parts.sort((a, b) => a.start - b.start);
    const aggregate = this.extend(this.aggregates.get(best)!, part);
    Object.assign(best, this.describe(best, aggregate));
    return { person: best, joined: true };
  }

  private aggregate(parts: readonly TrackPart<D>[]): Aggregate {
    const aggregate: Aggregate = { tally: new VoteTally(), sum: null, template: null, faces: 0, voted: 0, refusalReasons: {} };
    for (const part of parts) this.extend(aggregate, part);
    return aggregate;
  }

  /** `aggregate` with the faces of `part` counted after those already in it. */
  private extend(aggregate: Aggregate, part: TrackPart<D>): Aggregate {
    for (const face of part.faces) {
      aggregate.faces++;
      for (const reason of face.refusals ?? []) aggregate.refusalReasons[reason] = (aggregate.refusalReasons[reason] ?? 0) + 1;
      if (!passed(face)) continue;
      aggregate.voted++;
      aggregate.tally.add({ weight: face.weight, match: face.match });
      aggregate.sum ??= new Float32Array(face.embedding.length);
      for (let i = 0; i < face.embedding.length; i++) aggregate.sum[i]! += face.weight * face.embedding[i]!;
    }
    aggregate.template = aggregate.sum ? normalised(aggregate.sum) : null;
    part.faces = [];
    return aggregate;
  }

  private describe(person: { id: number; parts: TrackPart<D>[] }, aggregate: Aggregate): PersonTrack<D> {
    const identity = aggregate.tally.identity(this.options.vote);
    let label = identity.subject;
    if (label === null) {
      label = this.strangerLabels.get(person.id) ?? `unknown-${++this.strangers}`;
      this.strangerLabels.set(person.id, label);
    }
    const described: PersonTrack<D> = {
      id: person.id, parts: person.parts, identity, label,
      reason: identity.subject !== null ? null : aggregate.voted === 0 && aggregate.faces > 0 ? 'low-quality' : 'no-match',
      facesVoted: aggregate.voted, facesRefused: aggregate.faces - aggregate.voted, refusalReasons: { ...aggregate.refusalReasons },
      templateSum: aggregate.sum ? Float32Array.from(aggregate.sum) : null,
    };
    this.aggregates.set(described, aggregate);
    if (person !== described) this.aggregates.set(person as PersonTrack<D>, aggregate);
    return described;
  }
}
