// Job workers as child processes (`visage worker`, run from src/ with tsx), and job databases of
// their own, for the job tests and for benchmarks that start, kill and restart workers.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { jobSchemas } from '../../src/jobs/schema.ts';
import { PG_URL_ENV, postgresSkip, withSchema } from './stores.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker printed "visage worker: ready" (rejects when it exits first). */
  ready: Promise<void>;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Starts `visage worker --db URL ...args` as a child process. */
export function spawnWorker(url: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'worker', '--db', url, ...args], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('visage worker: ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready: ${text.trim().slice(-500)}`)));
  });
  child.stdout!.resume();
  return { child, ready, stderr: () => text, exited };
}

export interface JobDatabase {
  skip: string | false;
  /** A gallery URL of its own (?schema=...): gallery, job tables and pg-boss in three schemas. */
  url(): string;
  cleanup(): Promise<void>;
}

/** Gallery URLs with schemas of their own, all dropped (with their job schemas) by cleanup(). */
export function jobDatabase(): JobDatabase {
  const skip = postgresSkip();
  const base = process.env[PG_URL_ENV] ?? '';
  const prefix = `visage_j${process.pid}_${randomBytes(2).toString('hex')}`;
  const schemas: string[] = [];
  return {
    skip,
    url() {
      const schema = `${prefix}_${schemas.length + 1}`;
      schemas.push(schema);
      return withSchema(base, schema);
    },
    async cleanup() {
      if (skip || schemas.length === 0) return;
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        for (const schema of schemas) {
          const { jobs, boss } = jobSchemas(schema);
          for (const s of [schema, jobs, boss]) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        }
      } finally {
        await client.end();
      }
    },
  };
}
