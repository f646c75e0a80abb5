// Video end to end on real videos: the labelled clip (bench/video/make-clip.ts, built here into a
// temporary folder) with its people enrolled from other photos, tracked and named against its
// ground truth; the visage video command (--json, --out with the timeline, HTML and annotated MP4,
// bad input); a video without a gallery (strangers only).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { createRecognizer } from '../../src/recognition/recognizer.ts';
import { createVisage } from '../../src/visage.ts';
import { videoSummary } from '../../src/video/video.ts';
import { makeLabelledClip, type LabelledClip } from '../../bench/video/make-clip.ts';
import { scoreTracks } from '../../bench/video/evaluate.ts';
import { datasetsRoot, dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage } from '../helpers/cli.ts';

const skip = skipUnless('lfw-view1', 'images') || skipUnless('bbt', 'people') || skipUnless('media', 'hamilton_clip.mp4');
let temp: Awaited<ReturnType<typeof tempDir>>;
let clip: LabelledClip;
let db: string;

before(async () => {
  temp = await tempDir('visage-video-');
  if (skip) return;
  clip = await makeLabelledClip(temp.dir, datasetsRoot);
  db = path.join(temp.dir, 'gallery.db');
  const recognizer = await createRecognizer({ db });
  try {
    for (const [name, photos] of Object.entries(clip.enrol)) for (const photo of photos) await recognizer.enroll(photo, name, { largest: true });
  } finally {
    await recognizer.close();
  }
});

after(() => temp.remove());

test('the labelled clip: every track named rightly, no switch, no stranger named, strangers grouped', { skip }, async () => {
  const recognizer = await createRecognizer({ db, galleryOptions: { create: false } });
  try {
    const events: string[] = [];
    const summary = await videoSummary((async function* () {
      for await (const event of recognizer.video(clip.video, { fps: 5 })) { events.push(event.type); yield event; }
    })());
    assert.equal(events[0], 'start');
    assert.equal(events.at(-1), 'summary');
    // One track-start per stay on screen; a track re-identified after an absence has several.
    assert.equal(events.filter((e) => e === 'track-start').length, summary.tracks.reduce((n, t) => n + t.segments.length, 0));
    assert.equal(summary.frames, 180);
    const score = scoreTracks(summary.tracks, clip.truth);
    const wrong = score.tracks.filter((t) => t.correct === false).map((t) => `#${t.id} ${t.label} (truth ${t.person})`);
    assert.deepEqual(wrong, []);
    assert.deepEqual(score.missedAppearances, []);
    assert.equal(score.strangersNamed, 0);
    assert.equal(score.unlistedNamed, 0);
    assert.equal(score.switches, 0);
    assert.ok(score.tracksPerAppearance <= 1.2, `tracks per appearance ${score.tracksPerAppearance}`);
    // stranger-1 appears twice (two photos, 6 s apart): one label; the two strangers differ.
    assert.equal(score.strangerLabels['stranger-1']!.length, 1);
    assert.notEqual(score.strangerLabels['stranger-1']![0], score.strangerLabels['stranger-2']![0]);
    // The hidden 0.4 s does not split Jennifer Lopez's first appearance.
    assert.equal(score.tracks.flatMap((t) => t.segmentAppearances).filter((a) => a === 1).length, 1);
    // Re-identification: Jennifer Lopez, in two shots 12 s apart, is one track of two segments,
    // each following one of her appearances; no track holds two people (switches 0, above), and the
    // two strangers are never one track.
    const lopez = summary.tracks.filter((t) => t.subject === 'Jennifer Lopez');
    assert.equal(lopez.length, 1, JSON.stringify(summary.tracks.map((t) => [t.id, t.label, t.segments])));
    assert.equal(lopez[0]!.segments.length, 2);
    const lopezAppearances = clip.truth.appearances.filter((a) => a.person === 'Jennifer Lopez').map((a) => a.id);
    assert.deepEqual(score.tracks.find((t) => t.id === lopez[0]!.id)!.segmentAppearances.sort(), lopezAppearances.sort());
    assert.ok(lopez[0]!.segments[1]!.start - lopez[0]!.segments[0]!.end > 10);
    const strangerTracks = score.tracks.filter((t) => t.enrolled === false);
    for (const t of strangerTracks) assert.equal(new Set(strangerTracks.filter((o) => o.id === t.id).map((o) => o.person)).size, 1);
    assert.ok(score.matched / new Set(clip.truth.appearances.map((a) => a.person)).size <= 1.2, `tracks per person ${score.matched}`);
    for (const track of summary.tracks) assert.ok(track.boxes!.length === track.frames);
    // The mirror is embedded only for faces near the threshold (flipMargin): some, not all.
    assert.ok(summary.facesMirrored > 0 && summary.facesMirrored < summary.facesEmbedded, `${summary.facesMirrored} of ${summary.facesEmbedded} mirrored`);
    assert.equal(summary.settings.flipMargin, 0.03);
    // CPU time per stage, and ffmpeg's own.
    assert.ok(summary.cpuTimings.detect > 0 && summary.cpuTimings.embed > 0);
    assert.ok(summary.source.ffmpegCpuMs! > 0);
  } finally {
    await recognizer.close();
  }
});

test('visage video: --json on the crossing shot; --out writes the timeline, the HTML page, thumbnails and an annotated MP4', { skip }, async () => {
  const out = path.join(temp.dir, 'out');
  const run = await visage(['video', clip.video, '--db', db, '--from', '12', '--to', '18', '--json', '--out', out, '--annotate']);
  assert.equal(run.code, 0, run.stderr);
  const document = JSON.parse(run.stdout);
  const named = document.tracks.filter((t: { subject: string | null }) => t.subject).map((t: { label: string }) => t.label).sort();
  assert.deepEqual(named, ['Angelina Jolie', 'Hans Blix']);
  for (const t of document.tracks) {
    for (const key of ['id', 'subject', 'label', 'start', 'end', 'frames', 'confidence']) assert.ok(key in t, key);
    assert.ok(t.start >= 12 && t.end < 18);
  }
  const csv = await readFile(path.join(out, 'timeline.csv'), 'utf8');
  assert.match(csv, /^track,segment,person,known,first_seen_s,last_seen_s,frames,confidence,similarity,thumbnail\n/);
  assert.match(csv, /\d+,1,Angelina Jolie,yes,12\.\d\d,17\.\d\d,\d+,/);
  const html = await readFile(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /Who appears when/);
  assert.match(html, /thumbs\/track-\d+\.jpg/);
  const timeline = JSON.parse(await readFile(path.join(out, 'timeline.json'), 'utf8'));
  assert.ok(timeline.tracks[0].boxes.length > 0);
  const mp4 = await readFile(path.join(out, 'annotated.mp4'));
  assert.equal(mp4.subarray(4, 8).toString('latin1'), 'ftyp');
  assert.ok((await stat(path.join(out, 'annotated.mp4'))).size > 10_000);
  assert.match(run.stderr, /track\(s\) in 6\.00 s of video/);
});

test('visage video --events --webhook: JSON lines on stdout and one POST per event', { skip }, async () => {
  const got: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => { got.push(JSON.parse(body).type); response.end('ok'); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const run = await visage(['video', clip.video, '--db', db, '--from', '0', '--to', '2', '--events', '--webhook', url]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((l) => l.type), ['track-start', 'track-end']);
    assert.equal(lines[1].track.label, 'Jennifer Lopez');
    assert.deepEqual(got, ['track-start', 'track-end']);
  } finally {
    server.close();
  }
});

test('visage video: bad input is one line and exit 1; bad options exit 2', { skip }, async () => {
  const missing = await visage(['video', path.join(temp.dir, 'nope.mp4'), '--db', db]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^visage: video not found: .*nope\.mp4\n$/);
  const noFfmpeg = await visage(['video', dataset('media', 'tiny5frames.mp4'), '--db', db], { env: { VISAGE_FFMPEG: '/nonexistent' } });
  assert.equal(noFfmpeg.code, 1);
  assert.match(noFfmpeg.stderr, /^visage: ffmpeg not found \(\/nonexistent\)/m);
  const notVideo = await visage(['video', path.resolve('package.json'), '--db', db]);
  assert.equal(notVideo.code, 1);
  assert.match(notVideo.stderr, /could not be read as a video/);
  assert.equal((await visage(['video', clip.video, '--fps', '5', '--every-frame', '--db', db])).code, 2);
  assert.equal((await visage(['video', clip.video, '--annotate', '--db', db])).code, 2);
  const help = await visage(['video', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--every-frame/);
});

test('visage video with no gallery anywhere: tracks every face, names nobody, creates no gallery', { skip }, async () => {
  const cwd = path.join(temp.dir, 'no-gallery');
  await mkdir(cwd, { recursive: true });
  const run = await visage(['video', dataset('media', 'hamilton_clip.mp4'), '--to', '2', '--json'], { cwd });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /no gallery at visage\.db: every track is unknown-k/);
  const document = JSON.parse(run.stdout);
  assert.ok(document.tracks.length >= 1);
  for (const t of document.tracks) { assert.equal(t.subject, null); assert.match(t.label, /^unknown-\d+$/); }
  assert.equal(document.gallery, '(none)');
  assert.equal(existsSync(path.join(cwd, 'visage.db')), false);
  const asked = await visage(['video', dataset('media', 'hamilton_clip.mp4'), '--to', '1', '--db', path.join(cwd, 'missing.db')], { cwd });
  assert.equal(asked.code, 1, 'a gallery asked for by name must exist');
  assert.match(asked.stderr, /missing\.db/);
});

test('Visage.video without a gallery: strangers only, labelled unknown-k', { skip }, async () => {
  const v = await createVisage();
  try {
    await assert.rejects(videoSummary(v.video(clip.video, { flipMargin: -1 })), { code: 'VISAGE_ERR_BAD_OPTION' });
    const summary = await videoSummary(v.video(dataset('media', 'hamilton_clip.mp4'), { fps: 5, to: 3 }));
    assert.ok(summary.tracks.length >= 2, `${summary.tracks.length} tracks`);
    for (const t of summary.tracks) {
      assert.equal(t.subject, null);
      assert.match(t.label, /^unknown-\d+$/);
    }
    assert.equal(summary.settings.identify, false);
  } finally {
    await v.close();
  }
});
