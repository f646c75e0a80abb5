// Opening a gallery file: options checked, the file identified as a Visage gallery (or empty) before
// anything is written to it, the schema migrated in one transaction, WAL mode on.
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { VisageError } from '../../errors.ts';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { mapSqliteError } from './errors.ts';
import { SqliteGallery } from './gallery.ts';

type Db = Database.Database;

export interface SqliteGalleryOptions {
  /** Open for reading only (default false). A file without write permission is opened so anyway. */
  readOnly?: boolean;
  /** How long a write waits for another connection's lock before VISAGE_ERR_DB_LOCKED (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Create the file when it does not exist (default true; never when readOnly). */
  create?: boolean;
}

const OPTION_KEYS = new Set(['readOnly', 'busyTimeoutMs', 'create']);
const SQLITE_MAGIC = 'SQLite format 3\0';

/** Opens (and creates or upgrades) a gallery file. See SqliteGalleryOptions. */
export async function openSqliteGallery(file: string, options: SqliteGalleryOptions = {}): Promise<SqliteGallery> {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown gallery option "${key}"`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `busyTimeoutMs must be a whole number of milliseconds >= 0, got ${busyTimeoutMs}`);
  }
  // ':memory:' is SQLite's name for a database that lives in this connection only.
  const inMemory = file === ':memory:';
  const location = inMemory ? file : path.resolve(file);
  const exists = !inMemory && existsSync(location);
  if (inMemory) {
    if (options.readOnly) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'an in-memory gallery (:memory:) cannot be opened read-only');
  } else if (!exists) {
    if (options.readOnly || options.create === false) throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `gallery ${file} does not exist`);
    if (!existsSync(path.dirname(location))) throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `cannot create gallery ${file}: folder ${path.dirname(location)} does not exist`);
  } else {
    refuseNonSqlite(location, file);
  }
  let readOnlyReason: string | null = options.readOnly ? 'opened read-only' : null;
  if (!inMemory && !readOnlyReason && !writable(exists ? location : path.dirname(location))) {
    if (!exists) throw new VisageError('VISAGE_ERR_DB_READ_ONLY', `cannot create gallery ${file}: folder ${path.dirname(location)} is not writable`);
    readOnlyReason = 'the file is not writable';
  }
  let db: Db;
  try {
    db = new Database(location, { readonly: readOnlyReason !== null, fileMustExist: exists });
  } catch (error) {
    throw mapSqliteError(error, file, busyTimeoutMs, readOnlyReason);
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    identify(db, file);
    if (!readOnlyReason && !inMemory) {
      // Only now, once the file is known to be ours or empty, is anything written to it.
      db.pragma('journal_mode = WAL');
    }
    db.pragma('foreign_keys = ON');
    migrate(db, file, readOnlyReason);
    // From now on a lock is waited for by SqliteGallery, asynchronously (busy.ts): SQLite's own
    // busy handler would sleep inside the call and block the event loop. Opening may wait.
    db.pragma('busy_timeout = 0');
  } catch (error) {
    db.close();
    throw mapSqliteError(error, file, busyTimeoutMs, readOnlyReason);
  }
  return new SqliteGallery(db, location, file, busyTimeoutMs, readOnlyReason);
}

/** A non-empty file that does not start with SQLite's header is refused before SQLite opens it. */
function refuseNonSqlite(location: string, file: string): void {
  const stat = statSync(location);
  if (stat.isDirectory()) throw new VisageError('VISAGE_ERR_NOT_A_GALLERY', `${file} is a folder, not a Visage gallery`);
  if (stat.size === 0) return; // SQLite's own view too: an empty file is an empty database
  const header = Buffer.alloc(16);
  const fd = openSync(location, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_MAGIC) {
    throw new VisageError('VISAGE_ERR_NOT_A_GALLERY', `${file} is not a Visage gallery (not a SQLite database); left untouched`);
  }
}

function writable(target: string): boolean {
  try {
    accessSync(target, constants.W_OK);
  } catch {
    return false;
  }
  // root passes access() on anything: honour a file whose write bits are all off all the same.
  return (statSync(target).mode & 0o222) !== 0;
}

/** Refuses a SQLite file of another application and a schema newer than this code. Reads only. */
function identify(db: Db, file: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (applicationId !== APPLICATION_ID) {
    const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n;
    if (objects > 0 || version !== 0 || applicationId !== 0) {
      throw new VisageError('VISAGE_ERR_NOT_A_GALLERY',
        `${file} is a SQLite database of another application, not a Visage gallery; left untouched`);
    }
    return; // an empty database: becomes a gallery
  }
  if (version > SCHEMA_VERSION) {
    throw new VisageError('VISAGE_ERR_DB_TOO_NEW',
      `${file} has gallery schema version ${version}, newer than this Visage knows (${SCHEMA_VERSION}); upgrade Visage`);
  }
}

function migrate(db: Db, file: string, readOnlyReason: string | null): void {
  const current = () => db.pragma('user_version', { simple: true }) as number;
  if (current() >= SCHEMA_VERSION) return;
  if (readOnlyReason) {
    throw new VisageError('VISAGE_ERR_DB_READ_ONLY',
      `${file} needs its schema upgraded (version ${current()} to ${SCHEMA_VERSION}) but is read-only (${readOnlyReason})`);
  }
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const from = current();
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
  }).immediate();
}
