// A video's tracks as a timeline: CSV (one row per segment: each stay on screen of a track, so
// a track re-identified after an absence has a row per stay, with the same track id), and one self-contained-but-for-its-
// thumbnails HTML page: who appears when (a strip per person, a bar per track on the video's
// time axis, the best face of each track), then the table of tracks.
import { escapeXml } from './annotate.ts';

export interface TimelineTrack {
  id: number;
  /** Which stay on screen of the track this row is (1, 2, ...; see VideoTrack.segments). */
  segment?: number;
  label: string;
  subject: string | null;
  start: number;
  end: number;
  frames: number;
  confidence: number;
  similarity: number | null;
  /** File name of the best face's thumbnail, relative to the page (or null). */
  thumbnail: string | null;
}

export interface TimelineInput {
  title: string;
  /** Seconds from the video's start where the analysis began and how long it ran. */
  from: number;
  duration: number;
  /** Lines shown under the title. */
  facts: [string, string][];
  tracks: TimelineTrack[];
}

const cell = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * timeline.csv, one row per segment: track, segment, person (or unknown-k), first and last seen in
 * that segment, its frames, the track's vote confidence and similarity, thumbnail.
 */
export function timelineCsv(tracks: readonly TimelineTrack[]): string {
  const lines = [['track', 'segment', 'person', 'known', 'first_seen_s', 'last_seen_s', 'frames', 'confidence', 'similarity', 'thumbnail'].join(',')];
  for (const t of tracks) {
    lines.push([t.id, t.segment ?? 1, t.label, t.subject ? 'yes' : 'no', t.start.toFixed(2), t.end.toFixed(2), t.frames, t.confidence.toFixed(3), t.similarity === null ? '' : t.similarity.toFixed(4), t.thumbnail ?? ''].map(cell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

const clock = (s: number) => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;

export function timelineHtml(input: TimelineInput): string {
  const span = Math.max(input.duration, 1e-3);
  const pct = (t: number) => (((t - input.from) / span) * 100).toFixed(2);
  const people = new Map<string, TimelineTrack[]>();
  for (const t of input.tracks) people.set(t.label, [...(people.get(t.label) ?? []), t]);
  const rows = [...people.entries()].map(([label, tracks]) => {
    const known = tracks[0]!.subject !== null;
    const face = tracks.find((t) => t.thumbnail)?.thumbnail;
    const seconds = tracks.reduce((s, t) => s + (t.end - t.start), 0);
    const bars = tracks.map((t) => `<a class="bar ${known ? 'known' : 'unknown'}" href="#track-${t.id}" style="left:${pct(t.start)}%;width:max(3px,${(Number(pct(t.end)) - Number(pct(t.start))).toFixed(2)}%)" title="track ${t.id}: ${clock(t.start)}–${clock(t.end)}"></a>`).join('');
    const ids = new Set(tracks.map((t) => t.id));
    const strip = tracks.filter((t, i) => t.thumbnail && tracks.findIndex((o) => o.id === t.id) === i).map((t) => `<img src="${escapeXml(t.thumbnail!)}" alt="track ${t.id}" title="track ${t.id} at ${clock(t.start)}">`).join('');
    return `<tr><th>${face ? `<img src="${escapeXml(face)}" alt="">` : ''}<span class="${known ? 'known' : 'unknown'}">${escapeXml(label)}</span><small>${ids.size} track${ids.size > 1 ? 's' : ''}${tracks.length > ids.size ? `, ${tracks.length} stays` : ''}, ${seconds.toFixed(1)} s</small></th>`
      + `<td><div class="axis">${bars}</div><div class="strip">${strip}</div></td></tr>`;
  }).join('\n');
  const table = input.tracks.map((t) => `<tr${(t.segment ?? 1) === 1 ? ` id="track-${t.id}"` : ''}><td>${t.id}${t.segment && t.segment > 1 ? ` (${t.segment})` : ''}</td><td>${t.thumbnail ? `<img src="${escapeXml(t.thumbnail)}" alt="">` : ''}</td><td class="${t.subject ? 'known' : 'unknown'}">${escapeXml(t.label)}</td>`
    + `<td>${clock(t.start)}</td><td>${clock(t.end)}</td><td>${t.frames}</td><td>${(t.confidence * 100).toFixed(0)}%</td><td>${t.similarity === null ? '' : t.similarity.toFixed(3)}</td></tr>`).join('\n');
  const ticks = Array.from({ length: 11 }, (_, i) => `<span style="left:${i * 10}%">${clock(input.from + (span * i) / 10)}</span>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(input.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{color:#666}
table{border-collapse:collapse;width:100%}th,td{padding:.3em .5em;border-bottom:1px solid #eee;text-align:left;vertical-align:middle}
.people th{width:14em;white-space:nowrap}.people th img{width:48px;height:48px;vertical-align:middle;margin-right:.5em;border-radius:4px}
.people th small{display:block;color:#777;font-weight:normal}
.axis{position:relative;height:18px;background:#f3f3f3;border-radius:3px}.bar{position:absolute;top:2px;bottom:2px;border-radius:2px}
.bar.known{background:#1fa34a}.bar.unknown{background:#d62828}.known{color:#1fa34a}.unknown{color:#d62828}
.strip img{width:40px;height:40px;margin:3px 3px 0 0;border-radius:3px}.ticks{position:relative;height:1.2em;color:#888;font-size:11px}
.ticks span{position:absolute;transform:translateX(-50%)}.tracks img{width:48px;height:48px}
</style></head><body>
<h1>${escapeXml(input.title)}</h1>
<dl>${input.facts.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('')}</dl>
<h2>Who appears when</h2>
<table class="people"><tr><th></th><td><div class="ticks">${ticks}</div></td></tr>
${rows}
</table>
<h2>Tracks</h2>
<table class="tracks"><tr><th>track</th><th>best face</th><th>person</th><th>first seen</th><th>last seen</th><th>frames</th><th>vote</th><th>similarity</th></tr>
${table}
</table>
</body></html>
`;
}
