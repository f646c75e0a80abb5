// The gallery stores the contract tests run against: SQLite (a file in a temporary folder) and
// PostgreSQL (a schema of its own per gallery, in the database VISAGE_TEST_PG_URL names). Without
// that variable the PostgreSQL cases are skipped with the reason printed, except in CI (CI set),
// where they fail: CI starts PostgreSQL (.ci/run) and no test of that store may be skipped there.
//
// Test files run in parallel: every gallery gets a schema named after this process and a counter,
// and the schemas a file made are dropped when it ends.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPostgresGallery, openSqliteGallery, type Gallery } from '../../src/gallery/index.ts';

export const PG_URL_ENV = 'VISAGE_TEST_PG_URL';

export interface GalleryStore {
  name: 'sqlite' | 'postgres';
  /** A reason to skip this store's tests (node:test's `skip`), or false. */
  skip: string | false;
  /** A new, empty gallery; its location (a file, a URL) opens it again. */
  create(): Promise<{ gallery: Gallery; location: string }>;
  /** Another connection to the gallery at `location` (as another process would have). */
  open(location: string): Promise<Gallery>;
  /** A location where nothing exists yet (for the CLI). */
  newLocation(): Promise<string>;
  /** Removes what this store made (call in after()). */
  cleanup(): Promise<void>;
}

/** Why the PostgreSQL tests cannot run here, or false. Throws in CI when the database is not given. */
export function postgresSkip(): string | false {
  if (process.env[PG_URL_ENV]) return false;
  if (process.env.CI) throw new Error(`${PG_URL_ENV} is not set in CI: .ci/run starts PostgreSQL and sets it; the PostgreSQL store's tests must run`);
  return `${PG_URL_ENV} is not set (e.g. postgres://visage_test:visage_test@127.0.0.1:5432/visage_test; see .ci/run)`;
}

export function sqliteStore(): GalleryStore {
  let dir: string | undefined;
  let counter = 0;
  const newLocation = async () => {
    dir ??= await mkdtemp(path.join(os.tmpdir(), 'visage-store-'));
    return path.join(dir, `g${++counter}.db`);
  };
  return {
    name: 'sqlite',
    skip: false,
    newLocation,
    async create() {
      const location = await newLocation();
      return { gallery: await openSqliteGallery(location), location };
    },
    open: (location) => openSqliteGallery(location),
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A schema name no other test process uses. */
function schemaPrefix(): string {
  return `visage_t${process.pid}_${randomBytes(3).toString('hex')}`;
}

export function postgresStore(): GalleryStore {
  const skip = postgresSkip();
  const base = process.env[PG_URL_ENV] ?? '';
  const prefix = schemaPrefix();
  const schemas: string[] = [];
  const newLocation = async () => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    return withSchema(base, schema);
  };
  return {
    name: 'postgres',
    skip,
    newLocation,
    async create() {
      const location = await newLocation();
      return { gallery: await openPostgresGallery(location), location };
    },
    open: (location) => openPostgresGallery(location),
    async cleanup() {
      if (skip || schemas.length === 0) return;
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The URL with `?schema=` set (Visage's own parameter, see src/gallery/postgres/location.ts). */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.href;
}

/** Both stores, SQLite first. */
export function galleryStores(): GalleryStore[] {
  return [sqliteStore(), postgresStore()];
}
