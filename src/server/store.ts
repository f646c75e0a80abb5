// The server's own store: API keys and face thumbnails. For a SQLite gallery, a SQLite file beside
// it (SqliteServerStore, below), kept apart so that the gallery file (shared by the CLI, the library
// and other stores) carries nothing that only the server needs; `visage.db` gets `visage.server.db`.
// For a PostgreSQL gallery, tables in the gallery's own schema (store-postgres.ts), so that every
// API node on that database sees the same keys and thumbnails.
//
// Keys: a key is "vsk_" + 32 random bytes (base64url), shown once when created; only its SHA-256
// is stored. A hash of a random 256-bit secret cannot be reversed or guessed, so no slow
// password hash is needed, and lookups are one indexed query per request: a revoked key stops
// working at the next request, also when it was revoked by `visage keys revoke` in another process.
//
// Thumbnails: the gallery keeps no pixels, so the server keeps a small JPEG of each face it
// enrolls (the face box widened by a quarter, 128 px square). They are face pictures: deleting the
// face or its subject through the server deletes them, and pruneThumbnails() drops those of faces
// deleted elsewhere. A thumbnail is served only while its face's content hash still matches, so a
// face id reused by SQLite never shows another face's picture.
//
// Locks: better-sqlite3 is synchronous, so waiting in SQLite's busy handler would stop the whole
// server. The connection runs with busy_timeout 0: writes are tried again after a timer
// (src/gallery/sqlite/busy.ts) until busyTimeoutMs has passed, then VISAGE_ERR_DB_LOCKED; the
// "last used" note of a key is written only when the file is free at that moment.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { VisageError } from '../errors.ts';
import { isBusy, retriedOnFile } from '../gallery/sqlite/busy.ts';
import { isPostgresUrl } from '../gallery/postgres/location.ts';
import { SqliteClusterStore, SQLITE_CLUSTER_TABLES, type ClusterStore } from '../recognition/cluster-store/index.ts';

export const SCOPES = ['admin', 'recognise'] as const;
export type Scope = (typeof SCOPES)[number];

/** "VSSV": tells the server's file from a gallery or another application's database. */
const APPLICATION_ID = 0x56535356;
const SCHEMA_VERSION = 2;
const KEY_PREFIX = 'vsk_';

export interface ApiKeyInfo {
  id: number;
  name: string;
  scope: Scope;
  /** The first characters of the key, to tell keys apart in lists. */
  prefix: string;
  created: string;
  lastUsed: string | null;
  revoked: string | null;
}

export interface CreatedKey extends ApiKeyInfo {
  /** The key itself: shown this once, never stored. */
  key: string;
}

/**
 * `visage.db` -> `visage.server.db` (`:memory:` stays in memory). A PostgreSQL gallery has no
 * folder: its server file is `visage.server.db` in the current folder.
 */
export function serverStorePath(galleryFile: string): string {
  if (galleryFile === ':memory:') return ':memory:';
  if (isPostgresUrl(galleryFile)) return 'visage.server.db';
  const ext = path.extname(galleryFile);
  return `${ext ? galleryFile.slice(0, -ext.length) : galleryFile}.server${ext || '.db'}`;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function now(): string {
  return new Date().toISOString();
}

interface KeyRow { id: number; name: string; scope: Scope; prefix: string; created: string; last_used: string | null; revoked: string | null }

function toInfo(row: KeyRow): ApiKeyInfo {
  return { id: row.id, name: row.name, scope: row.scope, prefix: row.prefix, created: row.created, lastUsed: row.last_used, revoked: row.revoked };
}

/** API keys and thumbnails, as the server and `visage keys` use them (SQLite file or PostgreSQL tables). */
export interface ServerStore {
  /** Where it is kept (a file path, or the database URL with its password masked). */
  readonly location: string;
  createKey(scope: Scope, name?: string): Promise<CreatedKey>;
  listKeys(options?: { includeRevoked?: boolean }): Promise<ApiKeyInfo[]>;
  /** Marks a key revoked (kept, for the record); null when there is no such key. */
  revokeKey(id: number): Promise<ApiKeyInfo | null>;
  /** Active (not revoked) keys. */
  activeKeyCount(): Promise<number>;
  /** The active key with this secret, or null (looked up at every request: a revoke takes effect at the next one). */
  findKey(key: string): Promise<ApiKeyInfo | null>;
  putThumbnail(faceId: number, contentHash: string, jpeg: Buffer): Promise<void>;
  /** The face's thumbnail while the face still has this content hash, else null. */
  getThumbnail(faceId: number, contentHash: string): Promise<Buffer | null>;
  deleteThumbnails(faceIds: readonly number[]): Promise<void>;
  /** Deletes the thumbnails of faces just deleted, without holding up the answer (tried again later when it cannot be done now). */
  forgetThumbnails(faceIds: readonly number[]): void;
  /** Drops thumbnails whose face no longer exists with the same content hash (`faces` lists the gallery's, if needed). Returns how many. */
  pruneThumbnails(faces: () => Promise<readonly { id: number; contentHash: string }[]>): Promise<number>;
  /** The photo library's faces and clusters ("People to name", /v1/clusters). */
  readonly clusters: ClusterStore;
  close(): Promise<void> | void;
}

/** A new key's secret and the prefix shown in lists. */
export function newKeySecret(): { key: string; prefix: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, KEY_PREFIX.length + 6) };
}

/** Whether a text can be a key at all (checked before any lookup). */
export function plausibleKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX) && key.length <= 100;
}

export function checkKeyRequest(scope: Scope, name?: string): string {
  if (!SCOPES.includes(scope)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `scope must be one of ${SCOPES.join(', ')}, got ${String(scope)}`);
  const label = (name ?? '').trim() || `${scope} key`;
  if (label.length > 200) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'key name longer than 200 characters');
  return label;
}

export interface ServerStoreOptions {
  /** Create the file when it does not exist (default true). */
  create?: boolean;
  /** How long a write waits for another connection's lock before VISAGE_ERR_DB_LOCKED (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** The SQLite server file (see the top of this file). */
export class SqliteServerStore implements ServerStore {
  private readonly db: Database.Database;
  /** Prepared statements, each SQL text prepared once (preparing costs more than running: auth runs per request). */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, statement = this.db.prepare(sql));
    return statement;
  }
  readonly location: string;
  private readonly busyTimeoutMs: number;
  private readonly lastUsedWritten = new Map<number, number>();

  readonly clusters: ClusterStore;

  private constructor(db: Database.Database, location: string, busyTimeoutMs: number) {
    this.db = db;
    this.location = location;
    this.busyTimeoutMs = busyTimeoutMs;
    this.clusters = new SqliteClusterStore(db, location, busyTimeoutMs);
  }

  /** Opens (creating unless `create` is false) the server file. */
  static open(file: string, options: ServerStoreOptions = {}): SqliteServerStore {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `busyTimeoutMs must be a whole number of milliseconds >= 0, got ${busyTimeoutMs}`);
    }
    const location = file === ':memory:' ? file : path.resolve(file);
    const existed = location !== ':memory:' && existsSync(location);
    if (!existed && location !== ':memory:' && options.create === false) {
      throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `server file ${file} does not exist (visage keys create makes it)`);
    }
    let db: Database.Database;
    try {
      db = new Database(location, { fileMustExist: options.create === false && location !== ':memory:' });
    } catch (error) {
      throw new VisageError('VISAGE_ERR_DB_FAILED', `cannot open server file ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      // Key hashes are secrets of a kind: only the owner reads the file.
      if (!existed && location !== ':memory:') chmodSync(location, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma(`busy_timeout = ${busyTimeoutMs}`); // opening may wait; requests never do (below)
      const appId = db.pragma('application_id', { simple: true }) as number;
      const version = db.pragma('user_version', { simple: true }) as number;
      const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n;
      if (appId !== APPLICATION_ID && (objects > 0 || appId !== 0)) {
        throw new VisageError('VISAGE_ERR_NOT_A_GALLERY', `${file} is not a Visage server file; left untouched`);
      }
      if (version > SCHEMA_VERSION) throw new VisageError('VISAGE_ERR_DB_TOO_NEW', `${file} was written by a newer Visage`);
      if (version < SCHEMA_VERSION) {
        db.transaction(() => {
          // Read again inside the write lock: another process may have upgraded the file meanwhile.
          const now = db.pragma('user_version', { simple: true }) as number;
          if (now < 1) db.exec(`
            CREATE TABLE api_keys (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              name TEXT NOT NULL,
              scope TEXT NOT NULL CHECK (scope IN ('admin', 'recognise')),
              hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
              prefix TEXT NOT NULL,
              created TEXT NOT NULL,
              last_used TEXT,
              revoked TEXT
            );
            CREATE TABLE thumbnails (
              face_id INTEGER PRIMARY KEY,
              content_hash TEXT NOT NULL,
              jpeg BLOB NOT NULL,
              created TEXT NOT NULL
            );
          `);
          // 2: the photo library's faces and clusters (recognition/cluster-store).
          if (now < 2) db.exec(SQLITE_CLUSTER_TABLES);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
          db.pragma(`application_id = ${APPLICATION_ID}`);
        }).immediate();
      }
      db.pragma('busy_timeout = 0');
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteServerStore(db, location, busyTimeoutMs);
  }

  /** One IMMEDIATE transaction, tried again without blocking while another connection holds the lock. */
  private async write<T>(work: () => T): Promise<T> {
    return this.retried(() => this.db.transaction(work).immediate());
  }

  private async retried<T>(work: () => T): Promise<T> {
    return retriedOnFile(this.db, 'server file', this.location, this.busyTimeoutMs, work);
  }

  // --- keys

  async createKey(scope: Scope, name?: string): Promise<CreatedKey> {
    const label = checkKeyRequest(scope, name);
    const { key, prefix } = newKeySecret();
    const created = now();
    const insert = this.stmt('INSERT INTO api_keys (name, scope, hash, prefix, created) VALUES (?, ?, ?, ?, ?)');
    const { lastInsertRowid } = await this.write(() => insert.run(label, scope, hashKey(key), prefix, created));
    return { id: Number(lastInsertRowid), name: label, scope, prefix, created, lastUsed: null, revoked: null, key };
  }

  async listKeys(options: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
    const rows = this.stmt(`SELECT * FROM api_keys ${options.includeRevoked ? '' : 'WHERE revoked IS NULL'} ORDER BY id`).all() as KeyRow[];
    return rows.map(toInfo);
  }

  /** Marks a key revoked (kept, for the record); null when there is no such key. */
  async revokeKey(id: number): Promise<ApiKeyInfo | null> {
    const select = this.stmt('SELECT * FROM api_keys WHERE id = ?');
    const revoke = this.stmt('UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL');
    return this.write(() => {
      if (!select.get(id)) return null;
      revoke.run(now(), id);
      return toInfo(select.get(id) as KeyRow);
    });
  }

  /** Active (not revoked) keys. */
  async activeKeyCount(): Promise<number> {
    return (this.stmt('SELECT count(*) AS n FROM api_keys WHERE revoked IS NULL').get() as { n: number }).n;
  }

  /**
   * The active key with this secret, or null. Records its use (at most once a minute per key),
   * best-effort: when another connection holds the file's write lock the note is skipped, and
   * written at a later request; authentication never waits for it.
   */
  async findKey(key: string): Promise<ApiKeyInfo | null> {
    if (!plausibleKey(key)) return null;
    const select = this.stmt('SELECT * FROM api_keys WHERE hash = ? AND revoked IS NULL');
    const row = await this.retried(() => select.get(hashKey(key)) as KeyRow | undefined);
    if (!row) return null;
    const t = Date.now();
    if (t - (this.lastUsedWritten.get(row.id) ?? 0) > 60_000) {
      try {
        this.stmt('UPDATE api_keys SET last_used = ? WHERE id = ?').run(new Date(t).toISOString(), row.id);
        this.lastUsedWritten.set(row.id, t);
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
    }
    return toInfo(row);
  }

  // --- thumbnails

  async putThumbnail(faceId: number, contentHash: string, jpeg: Buffer): Promise<void> {
    const insert = this.stmt('INSERT OR REPLACE INTO thumbnails (face_id, content_hash, jpeg, created) VALUES (?, ?, ?, ?)');
    await this.write(() => insert.run(faceId, contentHash, jpeg, now()));
  }

  async getThumbnail(faceId: number, contentHash: string): Promise<Buffer | null> {
    const row = this.stmt('SELECT jpeg FROM thumbnails WHERE face_id = ? AND content_hash = ?').get(faceId, contentHash) as { jpeg: Buffer } | undefined;
    return row?.jpeg ?? null;
  }

  async deleteThumbnails(faceIds: readonly number[]): Promise<void> {
    const del = this.stmt('DELETE FROM thumbnails WHERE face_id = ?');
    await this.write(() => { for (const id of faceIds) del.run(id); });
  }

  /**
   * Deletes the thumbnails of faces just deleted from the gallery, without holding up the answer:
   * the faces are gone already (a thumbnail is only served while its face exists), so a server file
   * locked by another process must not turn a done delete into an error. What cannot be deleted
   * now is tried again every 30 s until it is (and pruneThumbnails drops it at the next start).
   */
  forgetThumbnails(faceIds: readonly number[]): void {
    for (const id of faceIds) this.toForget.add(id);
    void this.forgetNow();
  }

  private readonly toForget = new Set<number>();
  private forgetTimer: NodeJS.Timeout | null = null;

  private async forgetNow(): Promise<void> {
    const ids = [...this.toForget];
    if (ids.length === 0 || !this.db.open) return;
    try {
      await this.deleteThumbnails(ids);
      for (const id of ids) this.toForget.delete(id);
    } catch {
      if (!this.forgetTimer && this.db.open) {
        this.forgetTimer = setTimeout(() => { this.forgetTimer = null; void this.forgetNow(); }, 30_000);
        this.forgetTimer.unref();
      }
    }
  }

  /** Thumbnails waiting to be deleted (a locked server file). */
  get thumbnailsToForget(): number {
    return this.toForget.size;
  }

  /** Drops thumbnails whose face no longer exists with the same content hash. Returns how many. */
  async pruneThumbnails(faces: () => Promise<readonly { id: number; contentHash: string }[]>): Promise<number> {
    const live = new Map((await faces()).map((f) => [f.id, f.contentHash]));
    const rows = this.stmt('SELECT face_id AS faceId, content_hash AS contentHash FROM thumbnails').all() as { faceId: number; contentHash: string }[];
    const stale = rows.filter((r) => live.get(r.faceId) !== r.contentHash).map((r) => r.faceId);
    if (stale.length) await this.deleteThumbnails(stale);
    return stale.length;
  }

  close(): void {
    if (this.forgetTimer) clearTimeout(this.forgetTimer);
    if (this.db.open) this.db.close();
  }
}
