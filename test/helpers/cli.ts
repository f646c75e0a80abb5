// Shared by the CLI tests: run the visage command, temporary folders, ORL subsets.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The sources under test, through tsx (bin/visage.js runs the build in dist/, which test/package tests as installed).
const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.ts');
/** tsx's loader by its file URL, so that a command run from another folder (cwd) finds it too. */
export const TSX = import.meta.resolve('tsx');
/** node's arguments that run the visage command from the sources. */
export const VISAGE_ARGS: readonly string[] = ['--import', TSX, main];

export interface Run { code: number; stdout: string; stderr: string }

/** Runs `visage args...` in a child process; VISAGE_DB and VISAGE_DATABASE_URL are cleared unless given in env. */
export function visage(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const env = { ...process.env, VISAGE_DB: '', VISAGE_DATABASE_URL: '', ...options.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [...VISAGE_ARGS, ...args], { env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

export async function tempDir(prefix = 'visage-rec-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** ORL subjects `people`, images `numbers` of each, copied to dir/<subject>/ (skip the tests when ORL is absent). */
export async function orlSubset(dir: string, people: string[], numbers: number[]): Promise<void> {
  const { copyFile, mkdir } = await import('node:fs/promises');
  const { dataset } = await import('./datasets.ts');
  for (const person of people) {
    await mkdir(path.join(dir, person), { recursive: true });
    for (const n of numbers) await copyFile(dataset('orl', person, `${n}.png`), path.join(dir, person, `${n}.png`));
  }
}
