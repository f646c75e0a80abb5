// Opening a PostgreSQL gallery: options checked, the server reached (a clear one-line error when it
// cannot be), the schema identified as a Visage gallery (or empty) before anything is written to it,
// the missing migrations applied in one transaction under the gallery's write lock.
import type pg from 'pg';
import { VisageError } from '../../errors.ts';
import { mapPostgresError } from './errors.ts';
import { parsePostgresUrl } from './location.ts';
import { MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE, VERSION_TABLE_SQL, WRITE_LOCK_KEY } from './migrations.ts';
import { PostgresGallery } from './gallery.ts';

export interface PostgresGalleryOptions {
  /** Open for reading only (default false): every transaction is READ ONLY. */
  readOnly?: boolean;
  /** How long a write waits for another writer's lock before VISAGE_ERR_DB_LOCKED (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Create the gallery's tables (and its schema) when they do not exist (default true; never when readOnly). */
  create?: boolean;
  /** The schema the gallery lives in (default: the URL's `?schema=`, else the connection's current schema, usually public). */
  schema?: string;
  /** How long to wait for a connection before VISAGE_ERR_DB_UNAVAILABLE (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Connections kept at most (default 4). */
  maxConnections?: number;
}

const OPTION_KEYS = new Set(['readOnly', 'busyTimeoutMs', 'create', 'schema', 'connectTimeoutMs', 'maxConnections']);

/** bigint (int8) columns as numbers: ids and counts, all far below 2^53. */
const INT8_OID = 20;
const typeParsers = (types: typeof pg.types): pg.CustomTypesConfig => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary'
    ? (text: string) => Number(text)
    : types.getTypeParser(oid, format as 'text'))) as pg.CustomTypesConfig['getTypeParser'],
});

/** Opens (and creates or upgrades) the gallery in a PostgreSQL database. See PostgresGalleryOptions. */
export async function openPostgresGallery(url: string, options: PostgresGalleryOptions = {}): Promise<PostgresGallery> {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown gallery option "${key}"`);
  }
  const whole = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${name} must be a whole number >= ${min}, got ${value}`);
    return value;
  };
  const busyTimeoutMs = whole('busyTimeoutMs', options.busyTimeoutMs ?? 5000, 0);
  const connectTimeoutMs = whole('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1);
  const maxConnections = whole('maxConnections', options.maxConnections ?? 4, 1);
  const location = parsePostgresUrl(url, options.schema);
  const settings = [
    ...(location.schema ? [`-c search_path=${location.schema}`] : []),
    ...(options.readOnly ? ['-c default_transaction_read_only=on'] : []),
  ];
  // Loaded on first use: a program on SQLite galleries never loads the PostgreSQL driver.
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString: location.connectionString,
    max: maxConnections,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'visage',
    types: typeParsers(driver.types),
    ...(settings.length ? { options: settings.join(' ') } : {}),
  });
  // An idle connection that breaks (the server restarts) is dropped by the pool; without a listener
  // its 'error' event would end the process. The next query opens a new connection, or fails coded.
  pool.on('error', () => undefined);
  // Likewise a connection that breaks while checked out: the query under way fails (and is mapped to
  // VISAGE_ERR_DB_UNAVAILABLE); the client's own 'error' event must not end the process.
  pool.on('connect', (client) => { client.on('error', () => undefined); });
  let display = location.display;
  try {
    const client = await pool.connect();
    try {
      const schema = await identify(client, location.schema, display, options, busyTimeoutMs);
      if (!location.schema) display = `${display} (schema ${schema})`;
      const readOnlyReason = options.readOnly ? 'opened read-only' : await writeRefusal(client);
      return new PostgresGallery(pool, display, schema, busyTimeoutMs, readOnlyReason);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw mapPostgresError(error, display, busyTimeoutMs);
  }
}

interface SchemaState {
  schema: string | null;
  exists: boolean;
  tables: string[];
}

async function schemaState(client: pg.PoolClient, named: string | null): Promise<SchemaState> {
  const schema = named ?? ((await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]!.s);
  if (schema === null) return { schema, exists: false, tables: [] };
  const exists = (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount! > 0;
  const tables = (await client.query<{ name: string }>(`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1`, [schema])).rows.map((row) => row.name);
  return { schema, exists, tables };
}

/**
 * The schema holding the gallery: refuses another application's tables and a newer schema version,
 * creates or upgrades the tables when allowed. Reads only, until it is known to be ours or empty.
 */
async function identify(client: pg.PoolClient, named: string | null, display: string, options: PostgresGalleryOptions, busyTimeoutMs: number): Promise<string> {
  let state = await schemaState(client, named);
  if (state.schema === null) {
    throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `gallery ${display}: the connection has no schema to create tables in (name one: ?schema=NAME)`);
  }
  const where = `schema ${state.schema} of ${display}`;
  const check = (current: SchemaState): number | null => {
    if (!current.tables.includes(VERSION_TABLE)) {
      if (current.tables.length > 0) {
        throw new VisageError('VISAGE_ERR_NOT_A_GALLERY',
          `${where} holds tables of another application (${current.tables.slice(0, 3).join(', ')}${current.tables.length > 3 ? ', ...' : ''}), not a Visage gallery; left untouched (name a schema of its own: ?schema=NAME)`);
      }
      return null;
    }
    return -1; // read below
  };
  let version = check(state) === null ? 0 : await schemaVersion(client);
  if (version > SCHEMA_VERSION) {
    throw new VisageError('VISAGE_ERR_DB_TOO_NEW', `${where} has gallery schema version ${version}, newer than this Visage knows (${SCHEMA_VERSION}); upgrade Visage`);
  }
  if (version === SCHEMA_VERSION) return state.schema;
  if (version === 0 && (options.readOnly || options.create === false)) {
    throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `gallery ${display} does not exist (no Visage tables in schema ${state.schema})`);
  }
  if (options.readOnly) {
    throw new VisageError('VISAGE_ERR_DB_READ_ONLY', `${where} needs its schema upgraded (version ${version} to ${SCHEMA_VERSION}) but was opened read-only`);
  }
  const schema = state.schema;
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, busyTimeoutMs)}`);
    // The writers' lock of this gallery: another process migrating waits here, then finds it done.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [WRITE_LOCK_KEY, schema]);
    if (!state.exists) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    // Read again under the lock: another process may have migrated meanwhile.
    state = await schemaState(client, schema);
    version = check(state) === null ? 0 : await schemaVersion(client, schema);
    if (version === 0) await client.query(`SET LOCAL search_path = ${schema}; ${VERSION_TABLE_SQL}`);
    await client.query(`SET LOCAL search_path = ${schema}`);
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      await client.query(migration.sql(schema));
      await client.query(`INSERT INTO ${VERSION_TABLE} (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return schema;
}

async function schemaVersion(client: pg.PoolClient, schema?: string): Promise<number> {
  const table = schema ? `${schema}.${VERSION_TABLE}` : VERSION_TABLE;
  return (await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${table}`)).rows[0]!.v ?? 0;
}

/** Why this role cannot write to the gallery (a standby server, no INSERT privilege), or null. */
async function writeRefusal(client: pg.PoolClient): Promise<string | null> {
  const { rows } = await client.query<{ standby: boolean; insert: boolean; user: string }>(`SELECT pg_is_in_recovery() AS standby,
    has_table_privilege('faces', 'INSERT') AND has_table_privilege('embeddings', 'INSERT') AND has_table_privilege('subjects', 'INSERT') AS insert,
    current_user AS user`);
  const row = rows[0]!;
  if (row.standby) return 'the server is a read-only standby';
  if (!row.insert) return `role ${row.user} may not write to it`;
  return null;
}
