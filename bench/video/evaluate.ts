// Tracks judged against the labelled clip's ground truth (make-clip.ts). Pure.
//
// A track's face in a frame belongs to the appearance on screen then whose photo contains the
// face's centre; the track belongs to the appearance most of its faces do (none: a face the truth
// does not list, e.g. a bystander at a photo's edge).
import type { Box } from '../../src/types.ts';
import { photoBox, visible, type Appearance, type ClipTruth } from './make-clip.ts';

export interface TrackLike {
  id: number;
  subject: string | null;
  label: string;
  boxes?: { time: number; box: Box }[];
  /** Its stays on screen (a track re-identified after an absence has several). */
  segments?: { start: number; end: number }[];
}

export interface TrackJudgement {
  id: number;
  label: string;
  subject: string | null;
  /** The appearance most of its faces follow, or null. */
  appearance: number | null;
  /** The person most of its faces are (a re-identified track follows one person over several appearances). */
  person: string | null;
  enrolled: boolean | null;
  correct: boolean | null;
  /** Changes of appearance within a segment, or of person between segments (a swap, a wrong link, a wrong re-identification). */
  switches: number;
  /** The appearance each segment follows (null: none). */
  segmentAppearances: (number | null)[];
}

export interface ClipScore {
  tracks: TrackJudgement[];
  /** Tracks that follow some appearance. */
  matched: number;
  /** Of those, named rightly (a known person by name, a stranger UNKNOWN). */
  correct: number;
  accuracy: number;
  /** Segments per appearance (each appearance a continuous stay on screen; the hidden 0.4 s included). */
  tracksPerAppearance: number;
  /** Tracks per person followed (after re-identification). */
  tracksPerPerson: number;
  /** Appearances that no track follows. */
  missedAppearances: number[];
  switches: number;
  /** Strangers' tracks given a name (must be 0). */
  strangersNamed: number;
  /** Tracks the truth does not list that were given a name. */
  unlistedNamed: number;
  unlisted: number;
  /** The labels each stranger got (one label per stranger when grouped right). */
  strangerLabels: Record<string, string[]>;
}

function appearanceAt(truth: ClipTruth, time: number, box: Box): Appearance | null {
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  // Drawn later is on top: search from the last.
  for (const a of [...truth.appearances].reverse()) {
    if (!visible(a, time)) continue;
    const p = photoBox(a, time);
    if (cx >= p.x && cx < p.x + p.width && cy >= p.y && cy < p.y + p.height) return a;
  }
  return null;
}

function majority<T>(values: readonly T[], none: T): T {
  const counts = new Map<T, number>();
  for (const v of values) if (v !== none) counts.set(v, (counts.get(v) ?? 0) + 1);
  const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return top ? top[0] : none;
}

export function scoreTracks(tracks: readonly TrackLike[], truth: ClipTruth): ClipScore {
  const byId = new Map(truth.appearances.map((a) => [a.id, a]));
  const judged: TrackJudgement[] = tracks.map((track) => {
    const segments = track.segments?.length ? track.segments : [{ start: -Infinity, end: Infinity }];
    const segmentOf = (time: number) => Math.max(0, segments.findIndex((s) => time >= s.start - 1e-6 && time <= s.end + 1e-6));
    const hits = (track.boxes ?? []).map((b) => ({ appearance: appearanceAt(truth, b.time, b.box)?.id ?? 0, segment: segmentOf(b.time) }));
    const personOf = (id: number) => byId.get(id)?.person ?? '';
    const person = majority(hits.map((h) => personOf(h.appearance)), '') || null;
    const id = majority(hits.filter((h) => personOf(h.appearance) === person).map((h) => h.appearance), 0) || null;
    const appearance = id === null ? null : byId.get(id)!;
    let switches = 0;
    for (let i = 1; i < hits.length; i++) {
      const a = hits[i - 1]!, b = hits[i]!;
      if (a.appearance === 0 || b.appearance === 0 || a.appearance === b.appearance) continue;
      if (a.segment === b.segment || personOf(a.appearance) !== personOf(b.appearance)) switches++;
    }
    const segmentAppearances = segments.map((_, k) => majority(hits.filter((h) => h.segment === k).map((h) => h.appearance), 0) || null);
    const correct = appearance === null ? null : appearance.enrolled ? track.subject === appearance.person : track.subject === null;
    return { id: track.id, label: track.label, subject: track.subject, appearance: id, person, enrolled: appearance?.enrolled ?? null, correct, switches, segmentAppearances };
  });
  const matched = judged.filter((t) => t.appearance !== null);
  const correct = matched.filter((t) => t.correct).length;
  const segments = judged.flatMap((t) => t.segmentAppearances.filter((a): a is number => a !== null));
  const followed = new Set(segments);
  const people = new Set(matched.map((t) => t.person));
  const strangerLabels: Record<string, string[]> = {};
  for (const t of matched) if (t.enrolled === false) (strangerLabels[t.person!] ??= []).includes(t.label) || strangerLabels[t.person!]!.push(t.label);
  return {
    tracks: judged,
    matched: matched.length,
    correct,
    accuracy: matched.length ? correct / matched.length : 0,
    tracksPerAppearance: followed.size ? segments.length / followed.size : 0,
    tracksPerPerson: people.size ? matched.length / people.size : 0,
    missedAppearances: truth.appearances.filter((a) => !followed.has(a.id)).map((a) => a.id),
    switches: judged.reduce((n, t) => n + t.switches, 0),
    strangersNamed: matched.filter((t) => t.enrolled === false && t.subject !== null).length,
    unlistedNamed: judged.filter((t) => t.appearance === null && t.subject !== null).length,
    unlisted: judged.filter((t) => t.appearance === null).length,
    strangerLabels,
  };
}

/** Faces judged one frame at a time (no tracking): the baseline. */
export interface FrameFace { time: number; box: Box; name: string | null }

export function scoreFrames(faces: readonly FrameFace[], truth: ClipTruth): { faces: number; matched: number; correct: number; accuracy: number; strangersNamed: number; knownUnknown: number; namesPerAppearance: number } {
  let matched = 0, correct = 0, strangersNamed = 0, knownUnknown = 0;
  const names = new Map<number, Set<string>>();
  for (const face of faces) {
    const a = appearanceAt(truth, face.time, face.box);
    if (!a) continue;
    matched++;
    const right = a.enrolled ? face.name === a.person : face.name === null;
    if (right) correct++;
    if (!a.enrolled && face.name !== null) strangersNamed++;
    if (a.enrolled && face.name === null) knownUnknown++;
    const set = names.get(a.id) ?? new Set<string>();
    set.add(face.name ?? 'UNKNOWN');
    names.set(a.id, set);
  }
  const perAppearance = [...names.values()].reduce((n, s) => n + s.size, 0) / Math.max(1, names.size);
  return { faces: faces.length, matched, correct, accuracy: matched ? correct / matched : 0, strangersNamed, knownUnknown, namesPerAppearance: perAppearance };
}
