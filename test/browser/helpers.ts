// What the browser tests share: ffmpeg to make fake-camera videos and clips, and the test server
// listening on a loopback port for Chromium.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { TestServer } from '../server/helpers.ts';

export const hasFfmpeg = (): boolean => spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;

/** Runs ffmpeg quietly (overwriting its output); fails the test with its message. */
export function ffmpeg(...args: string[]): void {
  const run = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  assert.equal(run.status, 0, `ffmpeg ${args.join(' ')}: ${run.stderr}`);
}

/** Starts the server on a free loopback port; its origin, e.g. http://127.0.0.1:41234 (no slash). */
export async function listenOnLoopback(server: TestServer): Promise<string> {
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
}
