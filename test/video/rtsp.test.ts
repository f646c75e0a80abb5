// RTSP end to end, without an RTSP server package: test/video/rtsp-server.ts answers the RTSP
// requests and forwards ffmpeg's RTP packets of hamilton_clip.mp4 (played in real time) over the
// RTSP connection (TCP interleaved). It refuses any transport but TCP, so the run passing also
// shows that Visage asks for TCP. Then sources that never answer: a port that accepts and stays
// silent, and a port that refuses; each must end in one clear line and exit 1, never hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { openSqliteGallery } from '../../src/gallery/index.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir } from '../helpers/cli.ts';
import { startRtspServer } from './rtsp-server.ts';
import { runVideo } from './live-source.ts';

const skip = skipUnless('media', 'hamilton_clip.mp4');
const FFMPEG = process.env.VISAGE_FFMPEG ?? 'ffmpeg';

async function emptyGallery(dir: string): Promise<string> {
  const db = path.join(dir, 'empty.db'); // nobody enrolled: every track is a stranger
  await (await openSqliteGallery(db)).close();
  return db;
}

test('rtsp over TCP: track events arrive on stdout while the stream plays; exit 0 when it ends', { skip, timeout: 120_000 }, async (t) => {
  const temp = await tempDir('visage-rtsp-');
  const db = await emptyGallery(temp.dir);
  // The whole clip (10 s from PLAY): the first faces come while it plays even on a busy machine.
  const server = await startRtspServer({ video: dataset('media', 'hamilton_clip.mp4'), ffmpeg: FFMPEG });
  try {
    const result = await runVideo([server.url, '--db', db, '--fps', '2', '--events', '--timeout', '20'], () => server.playing());
    assert.equal(result.code, 0, result.stderr);
    t.diagnostic(`requests ${server.methods.join(', ')}; ${server.packets()} RTP packets; events at ${result.lines.map((l) => `${l.type} ${l.at.toFixed(1)} s${l.whileStreaming ? '' : ' (stream over)'}`).join(', ')}; command ${result.seconds.toFixed(1)} s`);
    assert.deepEqual(server.methods.slice(0, 4), ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']);
    const starts = result.lines.filter((l) => l.type === 'track-start');
    const ends = result.lines.filter((l) => l.type === 'track-end');
    assert.ok(starts.length >= 1, `no track started: ${JSON.stringify(result.lines)}`);
    assert.ok(starts[0]!.whileStreaming, `the first track-start came only after the stream ended (at ${starts[0]!.at.toFixed(1)} s)`);
    assert.equal(ends.length, starts.length, 'every track that started ended');
    assert.ok(ends.every((l) => /^unknown-\d+$/.test(l.label ?? '')), `no gallery: everyone is a stranger: ${JSON.stringify(result.lines)}`);
    assert.match(result.stderr, /track\(s\) in \d+\.\d+ s of video/);
  } finally {
    await server.close();
    await temp.remove();
  }
});

test('rtsp that never answers (a port that accepts and stays silent) and a refused port: one line, exit 1, no hang', { timeout: 120_000 }, async (t) => {
  const temp = await tempDir('visage-rtsp-');
  const db = await emptyGallery(temp.dir);
  const held: Socket[] = [];
  const silent = createServer((socket) => { held.push(socket); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const refused = createServer();
  await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
  const refusedPort = (refused.address() as { port: number }).port;
  await new Promise((resolve) => refused.close(resolve));
  try {
    const cases = [
      { url: `rtsp://127.0.0.1:${(silent.address() as { port: number }).port}/cam`, error: /sent nothing in 3\.0 s|timed out/i },
      { url: `rtsp://127.0.0.1:${refusedPort}/cam`, error: /Connection refused/ },
    ];
    for (const { url, error } of cases) {
      const result = await runVideo([url, '--db', db, '--events', '--timeout', '3'], () => false);
      const said = result.stderr.split('\n').filter((line) => line && !line.startsWith('visage: warning:'));
      t.diagnostic(`${url}: exit ${result.code} after ${result.seconds.toFixed(1)} s (model loading included): ${said.join(' | ')}`);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(said.length, 1, `one line on stderr: ${result.stderr}`);
      assert.match(said[0]!, error);
      assert.equal(result.lines.length, 0);
      // 3 s of silence allowed, plus starting node and loading the models on a busy machine.
      assert.ok(result.seconds < 60, `took ${result.seconds.toFixed(1)} s`);
    }
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await temp.remove();
  }
});
