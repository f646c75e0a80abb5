import { createRecognizer } from './src/recognition/recognizer.ts';
import { readFileSync } from 'node:fs';
import { scoreTracks } from './bench/video/evaluate.ts';
import { rmSync } from 'node:fs';
const truth = JSON.parse(readFileSync('/tmp/vid/clip/labelled-clip.truth.json', 'utf8'));
rmSync('/tmp/vid/clip.db', { force: true });
const r = await createRecognizer({ db: '/tmp/vid/clip.db' });
for (const [name, photos] of Object.entries(truth.enrol as Record<string, string[]>)) for (const p of photos) { const o = await r.enroll(p, name); if (o.status !== 'added') console.log(name, p, o.reason); }
let summary: any;
for await (const e of r.video('/tmp/vid/clip/labelled-clip.mp4', { fps: 5 })) if (e.type === 'summary') summary = e.summary;
const { tracks, people, ...rest } = summary;
console.log(JSON.stringify(rest));
for (const t of tracks) console.log(t.id, t.label, t.start.toFixed(1), t.end.toFixed(1), t.frames, t.embedded, t.confidence.toFixed(2), t.similarity?.toFixed(3), t.endReason, JSON.stringify(t.votes.map((v: any) => `${v.label}:${v.faces}`)));
const s = scoreTracks(tracks, truth);
const { tracks: judged, ...score } = s;
console.log(JSON.stringify(score));
for (const j of judged) if (!j.correct) console.log('wrong/unlisted', JSON.stringify(j));
await r.close();
