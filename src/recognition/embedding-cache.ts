// The embedding cache, shared by training, evaluation and clustering: the faces found in an image
// and their embeddings, keyed by the SHA-256 of the image's bytes (plus an augmentation's
// description), one JSON file per embedder and pipeline setting (detector, thresholds, flip ...),
// so a change of any of them never reuses a stale vector.
//
// Location: the folder given (--cache DIR), else $VISAGE_CACHE_DIR/embeddings, else
// $XDG_CACHE_HOME/visage/embeddings, else ~/.cache/visage/embeddings. Files are written whole to a
// temporary name and renamed (a crash leaves the previous file); entries written meanwhile by
// another process are merged in before writing, under a lock file (`<file>.lock`), so two
// processes saving at once both keep their entries. Deleting the folder is always safe.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Box, FivePoints, HeadPoseAngles } from '../types.ts';

export const CACHE_FORMAT = 'visage-embedding-cache';
export const CACHE_VERSION = 1;

export interface CachedFace {
  box: Box;
  score: number;
  /** Base64 of little-endian float32. */
  embedding: string;
  /** Written since clustering needs them (older entries lack them: FaceSource analyses those again when asked for details). */
  five?: FivePoints;
  pose?: HeadPoseAngles;
  quality?: { size: number; sharpness: number; frontalness: number };
}

export interface CachedImage {
  width: number;
  height: number;
  faces: CachedFace[];
}

interface CacheFile {
  format: typeof CACHE_FORMAT;
  version: number;
  embedder: string;
  pipeline: Record<string, unknown>;
  entries: Record<string, CachedImage>;
}

/** The default cache folder (see the header comment). */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.VISAGE_CACHE_DIR) return path.join(env.VISAGE_CACHE_DIR, 'embeddings');
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'visage', 'embeddings');
}

export function encodeVector(v: ArrayLike<number>): string {
  const f = Float32Array.from(v as ArrayLike<number>);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

export function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** One embedder's cache file under one pipeline setting. */
export class EmbeddingCache {
  private entries: Record<string, CachedImage> = {};
  private dirty = new Set<string>();

  private constructor(readonly file: string | null, readonly embedder: string, readonly pipeline: Record<string, unknown>) {}

  /** `dir` null: an in-memory cache (nothing read or written). An unreadable or foreign file is ignored (rebuilt). */
  static async open(dir: string | null, embedder: string, pipeline: Record<string, unknown>): Promise<EmbeddingCache> {
    const digest = createHash('sha256').update(JSON.stringify({ embedder, pipeline })).digest('hex').slice(0, 16);
    const file = dir ? path.join(dir, `${embedder}-${digest}.json`) : null;
    const cache = new EmbeddingCache(file, embedder, pipeline);
    if (file) cache.entries = await readEntries(file);
    return cache;
  }

  get size(): number { return Object.keys(this.entries).length; }

  get(key: string): CachedImage | undefined {
    return Object.hasOwn(this.entries, key) ? this.entries[key] : undefined;
  }

  set(key: string, value: CachedImage): void {
    this.entries[key] = value;
    this.dirty.add(key);
  }

  /** Writes new entries (merged with what is on disk now). */
  async save(): Promise<void> {
    if (!this.file || this.dirty.size === 0) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const release = await lockFile(`${this.file}.lock`);
    try {
      const onDisk = await readEntries(this.file);
      for (const key of this.dirty) onDisk[key] = this.entries[key]!;
      this.entries = { ...onDisk, ...this.entries };
      const body: CacheFile = { format: CACHE_FORMAT, version: CACHE_VERSION, embedder: this.embedder, pipeline: this.pipeline, entries: onDisk };
      const temporary = `${this.file}.${process.pid}.${++temporaries}.tmp`;
      await writeFile(temporary, JSON.stringify(body));
      await rename(temporary, this.file);
      this.dirty.clear();
    } finally {
      await release();
    }
  }
}

let temporaries = 0;
/** A lock older than this is a crashed writer's: taken over. */
const STALE_LOCK_MS = 60_000;
/** How long a save waits for another's lock before writing anyway (it is only a cache). */
const LOCK_WAIT_MS = 30_000;

/** Takes `lock` (created exclusively), waiting while another writer holds it; returns its release. */
async function lockFile(lock: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await open(lock, 'wx')).close();
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return async () => {};
    }
    const held = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (held > STALE_LOCK_MS) await rm(lock, { force: true });
    else if (Date.now() > deadline) return async () => {};
    else await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
  }
}

async function readEntries(file: string): Promise<Record<string, CachedImage>> {
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFile>;
    if (json.format === CACHE_FORMAT && json.version === CACHE_VERSION && json.entries && typeof json.entries === 'object') return json.entries;
  } catch {
    // Missing or damaged: start again (it is only a cache).
  }
  return {};
}
