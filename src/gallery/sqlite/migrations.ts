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

/** Change log entries kept (the number written in migration 2): a reader further behind reloads in full. */
export const CHANGE_LOG_KEEP = 10_000;

const NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";

const MIGRATION_2_SQL = `
      CREATE TABLE change_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('face', 'subject')),
        face_id INTEGER,
        subject_id INTEGER
      );
      CREATE TRIGGER change_log_prune AFTER INSERT ON change_log BEGIN
        DELETE FROM change_log WHERE seq <= NEW.seq - 10000;
      END;
      CREATE TRIGGER change_log_embedding_added AFTER INSERT ON embeddings BEGIN
        INSERT INTO change_log (kind, face_id, subject_id) VALUES ('face', NEW.face_id, (SELECT subject_id FROM faces WHERE id = NEW.face_id));
      END;
      CREATE TRIGGER change_log_embedding_changed AFTER UPDATE ON embeddings BEGIN
        INSERT INTO change_log (kind, face_id, subject_id) VALUES ('face', OLD.face_id, NULL);
        INSERT INTO change_log (kind, face_id, subject_id) SELECT 'face', NEW.face_id, NULL WHERE NEW.face_id IS NOT OLD.face_id;
      END;
      CREATE TRIGGER change_log_embedding_deleted AFTER DELETE ON embeddings BEGIN
        INSERT INTO change_log (kind, face_id, subject_id) VALUES ('face', OLD.face_id, NULL);
      END;
      -- Also without the embeddings' cascade (a connection with foreign keys off).
      CREATE TRIGGER change_log_face_deleted AFTER DELETE ON faces BEGIN
        INSERT INTO change_log (kind, face_id, subject_id) VALUES ('face', OLD.id, OLD.subject_id);
      END;
      CREATE TRIGGER change_log_face_moved AFTER UPDATE OF id, subject_id ON faces BEGIN
        INSERT INTO change_log (kind, face_id, subject_id) VALUES ('face', OLD.id, NEW.subject_id);
        INSERT INTO change_log (kind, face_id, subject_id) SELECT 'face', NEW.id, NEW.subject_id WHERE NEW.id IS NOT OLD.id;
      END;
      CREATE TRIGGER change_log_subject_renamed AFTER UPDATE OF name ON subjects WHEN NEW.name IS NOT OLD.name BEGIN
        INSERT INTO change_log (kind, face_id, subject_id) VALUES ('subject', NULL, NEW.id);
      END;
`;

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
  {
    version: 2,
    description: 'change log filled by triggers, so that every reader follows every writer',
    // Triggers, not application code, fill the log: every writer is logged, whatever its process
    // or code path, cascaded deletes included (SQLite fires triggers for foreign-key actions).
    // 'face': the face's embeddings were added, deleted or changed, the face was deleted, or it
    // moved to another subject; a reader re-reads the face (gone: deleted). Faces are logged
    // through their embeddings (a face without one is in no index). 'subject': renamed.
    // The log keeps the last 10,000 entries (CHANGE_LOG_KEEP); a reader that has fallen further behind
    // reloads in full. AUTOINCREMENT: a sequence number is never used twice, even once pruned.
    sql: MIGRATION_2_SQL,
  },
  {
    version: 3,
    description: 'negative examples: faces said not to be a subject ("not this person")',
    sql: `
      CREATE TABLE negatives (
        id INTEGER NOT NULL,
        subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL CHECK (length(content_hash) = 64),
        source_file TEXT,
        box TEXT CHECK (box IS NULL OR json_valid(box)),
        model_id TEXT NOT NULL,
        dim INTEGER NOT NULL CHECK (dim > 0),
        vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
        created TEXT NOT NULL DEFAULT ${NOW},
        PRIMARY KEY (id, model_id)
      );
      CREATE INDEX negatives_model ON negatives (model_id);
    `,
  },
  {
    version: 4,
    description: 'negative examples in the change log',
    // A kind of entry, 'negative' (negative_id, subject_id): a negative example added, deleted (by
    // its subject's cascade too) or moved to another subject; a reader re-reads it (gone: deleted).
    // SQLite cannot change a CHECK constraint in place: the log is rebuilt with its entries and its
    // sequence (sqlite_sequence), and its triggers, which name it, are dropped first and made again.
    sql: `
      DROP TRIGGER change_log_prune;
      DROP TRIGGER change_log_embedding_added;
      DROP TRIGGER change_log_embedding_changed;
      DROP TRIGGER change_log_embedding_deleted;
      DROP TRIGGER change_log_face_deleted;
      DROP TRIGGER change_log_face_moved;
      DROP TRIGGER change_log_subject_renamed;
      CREATE TABLE change_log_4 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('face', 'subject', 'negative')),
        face_id INTEGER,
        subject_id INTEGER,
        negative_id INTEGER
      );
      INSERT INTO change_log_4 (seq, kind, face_id, subject_id) SELECT seq, kind, face_id, subject_id FROM change_log ORDER BY seq;
      -- The next sequence number continues the old one's, even if its last entries were pruned.
      INSERT INTO sqlite_sequence (name, seq) SELECT 'change_log_4', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'change_log_4');
      UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(seq) FROM sqlite_sequence WHERE name = 'change_log'), 0)) WHERE name = 'change_log_4';
      DROP TABLE change_log;
      ALTER TABLE change_log_4 RENAME TO change_log;
      ${changeLogTriggers()}
      CREATE TRIGGER change_log_negative_added AFTER INSERT ON negatives BEGIN
        INSERT INTO change_log (kind, negative_id, subject_id) VALUES ('negative', NEW.id, NEW.subject_id);
      END;
      CREATE TRIGGER change_log_negative_changed AFTER UPDATE ON negatives BEGIN
        INSERT INTO change_log (kind, negative_id, subject_id) VALUES ('negative', OLD.id, NEW.subject_id);
        INSERT INTO change_log (kind, negative_id, subject_id) SELECT 'negative', NEW.id, NEW.subject_id WHERE NEW.id IS NOT OLD.id;
      END;
      CREATE TRIGGER change_log_negative_deleted AFTER DELETE ON negatives BEGIN
        INSERT INTO change_log (kind, negative_id, subject_id) VALUES ('negative', OLD.id, OLD.subject_id);
      END;
    `,
  },
];

/** Migration 2's triggers, made again by migration 4 over the rebuilt log (the same text). */
function changeLogTriggers(): string {
  const second = MIGRATION_2_SQL;
  return second.slice(second.indexOf('CREATE TRIGGER change_log_prune'));
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
