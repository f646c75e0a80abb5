import { createVisage } from './src/visage.ts';
const v = await createVisage();
for (const [src, fps] of [['../shared/datasets/media/street.mp4', 5], ['../shared/datasets/media/hamilton_clip.mp4', 5]] as const) {
  let summary: any;
  for await (const e of v.video(src, { fps })) { if (e.type === 'summary') summary = e.summary; else if (e.type !== 'progress') console.log(e.type, e.type === 'track-end' ? JSON.stringify({ ...e.track, boxes: e.track.boxes?.length, votes: undefined }) : JSON.stringify((e as any).track ?? (e as any).info)); }
  const { tracks, people, ...rest } = summary;
  console.log(JSON.stringify(rest));
  console.log(people.map((p: any) => `${p.label}:${p.tracks.join('+')}`).join(' '));
}
await v.close();
