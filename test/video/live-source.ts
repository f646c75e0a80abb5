// A live source for tests: Debian's ffmpeg plays a video in real time (-re) as an MPEG-TS stream
// on a loopback HTTP port (ffmpeg's own HTTP server, -listen 1: one client, then it ends). A live
// stream has no length: what reads it must act as it plays, not once it has ended.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { VISAGE_ARGS } from '../helpers/cli.ts';

const FFMPEG = process.env.VISAGE_FFMPEG ?? 'ffmpeg';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface LiveHttpStream {
  /** http://127.0.0.1:PORT/live.ts */
  url: string;
  /** Whether ffmpeg is still playing (false once the stream has ended). */
  playing(): boolean;
  close(): Promise<void>;
}

/** Plays `seconds` of `video` as a live stream; resolves once ffmpeg has had time to open its port. */
export async function startLiveHttpStream(video: string, seconds: number): Promise<LiveHttpStream> {
  const url = `http://127.0.0.1:${await freePort()}/live.ts`;
  const streamer = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-re', '-t', String(seconds), '-i', video,
    '-an', '-c:v', 'mpeg2video', '-q:v', '4', '-f', 'mpegts', '-listen', '1', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  let ended = false;
  const exited = new Promise<void>((resolve) => streamer.on('exit', () => { ended = true; resolve(); }));
  await new Promise((resolve) => setTimeout(resolve, 500)); // ffmpeg opens its port
  return {
    url,
    playing: () => !ended,
    async close() {
      streamer.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Line { type: string; at: number; whileStreaming: boolean; label?: string }

/** Runs `visage video ARGS`, collecting its JSON lines with the second each came at. */
export async function runVideo(args: string[], streaming: () => boolean): Promise<{ code: number | null; lines: Line[]; stderr: string; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...VISAGE_ARGS, 'video', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let n = buffered.indexOf('\n'); n >= 0; n = buffered.indexOf('\n')) {
      const event = JSON.parse(buffered.slice(0, n));
      buffered = buffered.slice(n + 1);
      lines.push({ type: event.type, at: (performance.now() - started) / 1000, whileStreaming: streaming(), label: event.track?.label });
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => { stderr += chunk; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, lines, stderr, seconds: (performance.now() - started) / 1000 };
}
