// A live source end to end: ffmpeg plays hamilton_clip.mp4 in real time (-re) as an MPEG-TS stream
// on a loopback HTTP port, and `visage video http://...` follows it with --events. A live source
// has no length, so the events must come as the people appear, while the stream is still playing,
// not once it has ended; the command ends cleanly when the stream does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openSqliteGallery } from '../../src/gallery/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../helpers/cli.ts';
import { runVideo, startLiveHttpStream } from './live-source.ts';

const skip = skipUnless('media', 'hamilton_clip.mp4');

test('a live HTTP stream: track events arrive on stdout while the stream plays; exit 0 when it ends', { skip, timeout: 120_000 }, async (t) => {
  const temp = await tempDir('visage-live-');
  const db = path.join(temp.dir, 'empty.db'); // nobody enrolled: every track is a stranger
  await (await openSqliteGallery(db)).close();
  // 8 s of the clip, played at its own pace: the stream lasts about 8 s of wall time.
  const stream = await startLiveHttpStream(dataset('media', 'hamilton_clip.mp4'), 8);
  const url = stream.url;
  try {
    const { code, lines, stderr } = await runVideo([url, '--db', db, '--fps', '2', '--events', '--timeout', '20'], () => stream.playing());
    assert.equal(code, 0, stderr);
    const starts = lines.filter((l) => l.type === 'track-start');
    t.diagnostic(`events at ${lines.map((l) => `${l.type} ${l.at.toFixed(1)} s${l.whileStreaming ? '' : ' (stream over)'}`).join(', ')}`);
    assert.ok(starts.length >= 1, `no track started: ${JSON.stringify(lines)}`);
    assert.ok(starts[0]!.whileStreaming, `the first track-start came only after the stream ended (at ${starts[0]!.at.toFixed(1)} s)`);
    assert.equal(lines.filter((l) => l.type === 'track-end').length, starts.length, 'every track that started ended');
    assert.ok(lines.filter((l) => l.type === 'track-end').every((l) => /^unknown-\d+$/.test(l.label ?? '')), `no gallery: everyone is a stranger: ${JSON.stringify(lines)}`);
  } finally {
    await stream.close();
    await temp.remove();
  }
});
