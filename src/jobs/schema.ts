// Where a gallery's jobs live in its PostgreSQL database, and the tables Visage keeps beside
// pg-boss's. pg-boss (its own schema, its own migrations) holds the queue: one pg-boss job per
// chunk of a Visage job's items, handed to one worker at a time, retried when it fails or expires.
// Visage's own tables hold what pg-boss does not: the job as submitted and one row per item (an
// image to enrol, a face to reindex) with its state, outcome, error and face ids, so that progress
// and results survive restarts and can be read by any process.
import { checkSchemaName } from '../gallery/postgres/location.ts';

/** The schemas of a gallery's jobs: `<base>_jobs` (Visage's tables) and `<base>_pgboss` (pg-boss's). */
export interface JobSchemas {
  jobs: string;
  boss: string;
}

/**
 * The job schemas of the gallery in `gallerySchema` (the URL's ?schema=), or of a gallery in the
 * connection's default schema when null: `visage_jobs` and `visage_pgboss`.
 */
export function jobSchemas(gallerySchema: string | null): JobSchemas {
  const base = gallerySchema ?? 'visage';
  return { jobs: checkSchemaName(`${base}_jobs`), boss: checkSchemaName(`${base}_pgboss`) };
}

/** Versioned as the gallery's migrations: a released step is never edited, the next one is added. */
export const JOB_MIGRATIONS: readonly { version: number; sql: (schema: string) => string }[] = [
  {
    version: 1,
    sql: (schema) => `
      CREATE TABLE ${schema}.jobs (
        id uuid PRIMARY KEY,
        kind text NOT NULL,
        params jsonb NOT NULL DEFAULT '{}',
        total integer NOT NULL,
        chunks uuid[] NOT NULL DEFAULT '{}',
        created timestamptz NOT NULL DEFAULT now(),
        cancelled timestamptz
      );
      CREATE INDEX jobs_created ON ${schema}.jobs (created DESC);
      -- state: pending -> working -> added | skipped | failed | cancelled (the last four are final).
      -- data: the bytes of an uploaded image until its item is final (workers on other machines
      -- cannot read the server's memory); input: what the item is (a path, a face, a name);
      -- saved: what a reindex item must put back if its worker dies between removing a face and
      -- storing it again (the face's record and vectors).
      CREATE TABLE ${schema}.job_items (
        job_id uuid NOT NULL REFERENCES ${schema}.jobs (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        input jsonb NOT NULL,
        subject text,
        data bytea,
        content_hash text,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'working', 'added', 'skipped', 'failed', 'cancelled')),
        reason text,
        message text,
        face_ids bigint[] NOT NULL DEFAULT '{}',
        saved jsonb,
        attempts integer NOT NULL DEFAULT 0,
        claimed timestamptz,
        updated timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, seq)
      );
      CREATE INDEX job_items_state ON ${schema}.job_items (job_id, state);
      CREATE TABLE ${schema}.version (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now());
    `,
  },
  {
    // Video jobs: how far an item is (progress), what it found (result), and the files it made
    // (best-face thumbnails), dropped with their job.
    version: 2,
    sql: (schema) => `
      ALTER TABLE ${schema}.job_items ADD COLUMN progress jsonb, ADD COLUMN result jsonb;
      CREATE TABLE ${schema}.job_files (
        job_id uuid NOT NULL REFERENCES ${schema}.jobs (id) ON DELETE CASCADE,
        name text NOT NULL,
        type text NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (job_id, name)
      );
    `,
  },
];

export const JOB_SCHEMA_VERSION = JOB_MIGRATIONS[JOB_MIGRATIONS.length - 1]!.version;

/** Arbitrary first key of the advisory lock taken while the job tables are created ("VSJB"). */
export const JOB_MIGRATION_LOCK = 0x56534a42;
