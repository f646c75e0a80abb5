// Shared by the server benchmarks: start `visage serve` as a child process and wait for the
// address it prints on stderr, stop it, and print a plain aligned table.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const datasets = process.env.VISAGE_DATASETS ?? path.resolve(root, '..', 'shared', 'datasets');

/** How to run the visage command: the build (bin/visage.js) or the TypeScript sources through tsx. */
export type VisageEntry = 'build' | 'sources';

export function visageArgv(entry: VisageEntry, args: readonly string[]): string[] {
  return entry === 'build'
    ? [path.join(root, 'bin', 'visage.js'), ...args]
    : ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), ...args];
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The server's stderr so far (the last 64 KB), for error messages. */
  stderr: () => string;
}

/** Starts `visage serve --port 0 --db <db> ...args` and resolves once it prints where it listens. */
export async function startServe(db: string, args: readonly string[] = [], options: { entry?: VisageEntry; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, visageArgv(options.entry ?? 'build', ['serve', '--db', db, '--port', '0', ...args]), {
    cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: process.env,
  });
  options.onSpawn?.(child);
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => { text = (text + chunk.toString()).slice(-65_536); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${text}`)), options.timeoutMs ?? 180_000);
    const onData = () => {
      const match = /serving (http:\/\/\S+)/.exec(text);
      if (match) { clearTimeout(timer); child.stderr!.off('data', onData); child.off('exit', onExit); resolve(match[1]!.replace(/[;,]$/, '')); }
    };
    const onExit = (code: number | null) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${text}`)); };
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
  return { child, url, stderr: () => text };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopServe(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Columns padded to their widest cell, two spaces apart, on stdout. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}
