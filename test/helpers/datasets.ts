// Where the shared datasets live, and a skip reason when they are absent.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `VISAGE_DATASETS` overrides the default `../shared/datasets` beside the repository. */
export const datasetsRoot = process.env.VISAGE_DATASETS ?? path.resolve(repoRoot, '..', 'shared', 'datasets');

export function dataset(...parts: string[]): string {
  return path.join(datasetsRoot, ...parts);
}

/** For `test(name, { skip: skipUnless(...) }, fn)`: false when present, else a clear message. */
export function skipUnless(...parts: string[]): false | string {
  const p = dataset(...parts);
  return existsSync(p) ? false : `dataset not found at ${p} (set VISAGE_DATASETS)`;
}
