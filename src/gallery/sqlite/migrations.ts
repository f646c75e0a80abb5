// The SQLite gallery's schema, as an ordered list of migrations. `PRAGMA user_version` holds the
// last one applied; opening a gallery applies the missing ones in one transaction. Never edit a
// released migration: add the next one.

/** `PRAGMA application_id` of a Visage gallery ("VSGL"): how a foreign SQLite file is told apart. */
export const APPLICATION_ID = 0x5653474c;

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

const NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'subjects, faces, embeddings per model',
    sql: `
      CREATE TABLE subjects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
        metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
        created TEXT NOT NULL DEFAULT ${NOW}
      );
      -- The same image (content hash) may enrol several people (a group photo), but one person
      -- only once: UNIQUE (subject_id, content_hash).
      CREATE TABLE faces (
        id INTEGER PRIMARY KEY,
        subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        source_file TEXT,
        content_hash TEXT NOT NULL CHECK (length(content_hash) = 64),
        box TEXT CHECK (box IS NULL OR json_valid(box)),
        landmarks TEXT CHECK (landmarks IS NULL OR json_valid(landmarks)),
        quality TEXT CHECK (quality IS NULL OR json_valid(quality)),
        created TEXT NOT NULL DEFAULT ${NOW},
        UNIQUE (subject_id, content_hash)
      );
      CREATE INDEX faces_content_hash ON faces (content_hash);
      -- One row per face and embedder model: spaces are kept apart by model_id and never mixed.
      -- vector: dim float32 values, little-endian, L2-normalised.
      CREATE TABLE embeddings (
        face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        dim INTEGER NOT NULL CHECK (dim > 0),
        vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
        PRIMARY KEY (face_id, model_id)
      );
      CREATE INDEX embeddings_model ON embeddings (model_id);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
