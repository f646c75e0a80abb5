// The tracker at a real cut: media/hamilton_clip.mp4 cuts from Lin-Manuel Miranda on stage to the
// audience (Barack and Michelle Obama among them) between 7.7 and 7.8 s, two dark shots whose grey
// pictures differ little. With Lin enrolled from three other frames of the clip (3.8, 4.4 and
// 5.0 s), his track must end at the cut, and the faces after it must get tracks of their own: a
// track never carries two people. At 5 and 2 fps (at 2 fps the samples are 7.5 and 8.0 s), from
// 5.5 s and over the whole clip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRecognizer } from '../../src/recognition/recognizer.ts';
import { videoSummary, type VideoTrack } from '../../src/video/video.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../helpers/cli.ts';

const run = promisify(execFile);
const ffmpeg = process.env.VISAGE_FFMPEG || 'ffmpeg';
const skip = skipUnless('media', 'hamilton_clip.mp4');
const LIN = 'Lin-Manuel Miranda';
/** The cut: the last frame on stage is before 7.75 s, the first in the audience after it. */
const CUT = 7.75;
let temp: Awaited<ReturnType<typeof tempDir>>;
let db: string;

before(async () => {
  temp = await tempDir('visage-cuts-');
  if (skip) return;
  const source = dataset('media', 'hamilton_clip.mp4');
  db = path.join(temp.dir, 'gallery.db');
  const recognizer = await createRecognizer({ db });
  try {
    for (const t of ['3.8', '4.4', '5.0']) {
      const out = path.join(temp.dir, `lin-${t}.jpg`);
      await run(ffmpeg, ['-loglevel', 'error', '-y', '-ss', t, '-i', source, '-frames:v', '1', out]);
      await recognizer.enroll(await readFile(out), LIN, { largest: true });
    }
  } finally {
    await recognizer.close();
  }
});

after(() => temp.remove());

/**
 * Whether one of the track's stays on screen (segments) has boxes on both sides of the cut; a
 * person re-identified after it (reid.ts) has one segment each side, which is not a tracking error.
 */
const spans = (t: VideoTrack): boolean => t.segments.some((s) => {
  const boxes = t.boxes!.filter((b) => b.time >= s.start && b.time <= s.end);
  return boxes.some((b) => b.time < CUT) && boxes.some((b) => b.time > CUT);
});

for (const fps of [5, 2]) {
  test(`hamilton_clip.mp4 5.5-10 s at ${fps} fps: Lin's track ends at the cut to the audience; Barack Obama gets a track of his own`, { skip, timeout: 120_000 }, async () => {
    const recognizer = await createRecognizer({ db, galleryOptions: { create: false } });
    try {
      const summary = await videoSummary(recognizer.video(dataset('media', 'hamilton_clip.mp4'), { from: 5.5, to: 10, fps }));
      const describe = summary.tracks.map((t) => `#${t.id} ${t.label} ${t.start}-${t.end}`).join('; ');
      assert.ok(summary.cuts >= 1, `the cut found (${summary.cuts})`);
      const lin = summary.tracks.filter((t) => t.subject === LIN);
      assert.equal(lin.length, 1, describe);
      assert.equal(lin[0]!.start, 5.5);
      assert.ok(lin[0]!.end < CUT && lin[0]!.end >= 7.4, `Lin's track ends at the cut: ${describe}`);
      // No track runs across the cut: stage and audience are never one track.
      assert.deepEqual(summary.tracks.filter(spans).map((t) => t.id), [], describe);
      // Barack Obama's face (about x 315-330, y 45, 60-75 px wide, where Lin stood a moment before)
      // is in a track of its own that starts at the cut, not named Lin.
      const obama = summary.tracks.filter((t) => t.boxes!.some((b) => b.time > CUT && b.box.x > 300 && b.box.x < 345 && b.box.y < 60));
      assert.equal(obama.length, 1, describe);
      assert.notEqual(obama[0]!.subject, LIN);
      assert.ok(obama[0]!.start > CUT && obama[0]!.start < CUT + 0.5, describe);
      assert.ok(obama[0]!.boxes!.every((b) => b.box.x > 300 && b.box.x < 345), `Obama's track holds only his face: ${describe}`);
      // After the cut, no face is named Lin (he is not in the audience shot).
      assert.ok(summary.tracks.every((t) => t.subject !== LIN || t.end < CUT), describe);
    } finally {
      await recognizer.close();
    }
  });
}

test('hamilton_clip.mp4 whole at 5 and 2 fps: no track runs across the cut to the audience; Lin is named only before it', { skip, timeout: 180_000 }, async () => {
  const recognizer = await createRecognizer({ db, galleryOptions: { create: false } });
  try {
    for (const fps of [5, 2]) {
      const summary = await videoSummary(recognizer.video(dataset('media', 'hamilton_clip.mp4'), { fps }));
      const describe = `${fps} fps: ${summary.tracks.map((t) => `#${t.id} ${t.label} ${t.start}-${t.end}`).join('; ')}`;
      assert.ok(summary.cuts >= 3, `the clip's three cuts (1.6, 3.6, 7.8 s) found: ${summary.cuts}`);
      assert.deepEqual(summary.tracks.filter(spans).map((t) => t.id), [], describe);
      // Lin is on stage in the wide shot (0-1.6 s) and the close-up (3.6-7.75 s): re-identified,
      // one track, each stay before the cut to the audience; none in the audience shot (1.6-3.6 s).
      const lin = summary.tracks.filter((t) => t.subject === LIN);
      assert.ok(lin.length === 1 && lin[0]!.end < CUT && lin[0]!.segments.every((s) => s.end < 1.6 || s.start >= 3.4), describe);
    }
  } finally {
    await recognizer.close();
  }
});
