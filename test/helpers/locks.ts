// Shared by the lock tests: another process holding a SQLite file's write lock, and a measure of
// how long the event loop was kept from running meanwhile.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// A plain better-sqlite3 connection (as `sqlite3` with BEGIN IMMEDIATE would be) in a child process.
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('ROLLBACK'); db.close(); process.stdout.write('released\\n'); }, Number(process.argv[2]));
`;

/** Starts a process that holds `file`'s write lock for `ms`; resolves once it holds it. */
export function holdWriteLockInProcess(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const child = spawn(process.execPath, ['-e', HOLDER, file, String(ms)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const released = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited with ${code}: ${stderr}`))));
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('locked')) resolve({ released }); });
    released.catch(reject);
  });
}

/** Watches the event loop until stop(): the longest delay (ms) and how many 10 ms ticks ran. */
export function watchEventLoop(): { stop: () => { maxLagMs: number; ticks: number } } {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let ticks = 0;
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
    ticks++;
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      histogram.disable();
      // The timer's gap beyond its 10 ms period, and the histogram's view (ns): the larger.
      return { maxLagMs: Math.max(maxGap - 10, histogram.max / 1e6 - 5), ticks };
    },
  };
}
