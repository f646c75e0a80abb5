// The Gallery contract: enrolled people (subjects), their faces and each face's embeddings,
// one vector per embedder model so that several embedding spaces coexist and are never mixed.
// Every method is async so that a server-backed store can implement it: the SQLite store (sqlite/)
// is the embedded default, the PostgreSQL store (postgres/) the shared one. Stores tell listeners about every committed change made
// through the same object, which is how a SearchIndex (search.ts) stays in step without reloading;
// changes made by every other writer (another process, another connection) are read from the
// store's change log (changesSince), so that every reader follows every writer.
import type { Box, FivePoints } from '../types.ts';

/** A subject by id (number) or by name (string; names compare case-insensitively for ASCII). */
export type SubjectRef = number | string;

export type Metadata = Record<string, unknown>;

export interface Subject {
  id: number;
  name: string;
  metadata: Metadata;
  /** ISO 8601, UTC. */
  created: string;
  faceCount: number;
}

export interface FaceQuality {
  size: number;
  sharpness: number;
  frontalness: number;
  /** The eye model's probability that both eyes are closed, when it was read (enrolment's quality gate). */
  eyesClosed?: number;
}

/** One face to enrol: where it came from, its geometry, and at least one embedding. */
export interface NewFace {
  /** SHA-256 of the image file's bytes, 64 lowercase hex digits (see contentHash()). */
  contentHash: string;
  /** The image's file name as the user knows it (informational). */
  sourceFile?: string | null;
  box?: Box | null;
  landmarks?: FivePoints | null;
  quality?: FaceQuality | null;
  /** By embedder model id. Stored L2-normalised (normalised here if they are not). */
  embeddings: Record<string, ArrayLike<number>>;
}

export interface StoredFace {
  id: number;
  subjectId: number;
  subjectName: string;
  sourceFile: string | null;
  contentHash: string;
  box: Box | null;
  landmarks: FivePoints | null;
  quality: FaceQuality | null;
  created: string;
  /** Model ids this face has an embedding for. */
  models: string[];
}

export interface AddFacesOptions {
  /** Create the subject (by name) in the same transaction when it does not exist. */
  createSubject?: boolean;
  /** Metadata for a subject created this way. */
  metadata?: Metadata;
}

export interface MergeResult {
  subject: Subject;
  movedFaces: number;
  /** Faces of `from` whose image was already enrolled for `into` (dropped, not duplicated). */
  droppedDuplicates: number;
}

/** Every embedding of one model, laid out for building an index. */
export interface ModelEmbeddings {
  modelId: string;
  /** 0 when the gallery holds no embedding of this model. */
  dim: number;
  count: number;
  faceIds: Float64Array;
  subjectIds: Float64Array;
  /** count × dim, row i belongs to faceIds[i]. */
  vectors: Float32Array;
  /** Names of the subjects that appear in subjectIds. */
  subjectNames: Map<number, string>;
  /** The change log's sequence number this snapshot reflects (read in the same transaction). */
  seq: number;
}

/**
 * What changed since a sequence number of the change log (Gallery.changesSince). The log records
 * every committed write, whoever made it; a reader keeps the last `seq` it applied and re-reads
 * only what changed since.
 */
export interface GalleryChanges {
  /** The last change included: where to ask from next time. */
  seq: number;
  /**
   * True when the log no longer reaches back to `since` (its oldest entries were pruned), or
   * `since` is not a sequence number of this gallery: the reader reloads everything.
   */
  reload: boolean;
  /**
   * Faces whose embeddings were added or deleted, or that moved to another subject, each once:
   * re-read them (embeddingsFor(model, faceIds)); those no longer there were deleted.
   */
  faceIds: number[];
  /** Subjects renamed, with their current names (subjects deleted since are left out). */
  renamed: { id: number; name: string }[];
  /**
   * Negative examples added, deleted (their subject's deletion included) or moved to another subject
   * (a merge), each once: re-read them (negativesFor(model, ids)); those no longer there were deleted.
   */
  negativeIds: number[];
}

export interface ModelStats {
  modelId: string;
  dim: number;
  count: number;
}

export interface GalleryStats {
  subjects: number;
  faces: number;
  models: ModelStats[];
  schemaVersion: number;
  /** Where the gallery lives (a file path for SQLite). */
  location: string;
  sizeBytes: number;
  readOnly: boolean;
}

export interface ExportSummary {
  file: string;
  subjects: number;
  faces: number;
  /** Negative examples written (each with its vectors of every model). */
  negatives: number;
  models: ModelStats[];
}

export interface ImportSummary {
  subjectsAdded: number;
  /** Subjects of the file that already existed (by name): their faces were added to them. */
  subjectsMatched: number;
  facesAdded: number;
  /** Faces whose image was already enrolled for that subject. */
  facesSkipped: number;
  negativesAdded: number;
  /** Negative examples the subject already had (same image, same box). */
  negativesSkipped: number;
}

export interface TransferOptions {
  /** Called as each subject has been written (export) or added (import): subjects done, subjects in all. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * A committed change, as told to listeners (after the transaction commits), with the change log's
 * sequence number once its write committed (`seq`: its last entry, or the last before it when it
 * logged nothing). A listener hears a change after its commit, and with a server-backed store
 * possibly after a snapshot that already holds it was read: `seq` <= the snapshot's `seq` says so.
 */
export type GalleryChange = GalleryChangeBody & { seq?: number };

export type GalleryChangeBody =
  | { type: 'subject-added'; subject: { id: number; name: string } }
  | {
      type: 'faces-added';
      subject: { id: number; name: string };
      /** Embeddings as stored: L2-normalised, by model id. */
      faces: { id: number; embeddings: Record<string, Float32Array> }[];
    }
  | { type: 'face-deleted'; faceId: number; subjectId: number }
  /** Vectors of models a stored face had none of (addEmbeddings), only those, as stored (L2-normalised). */
  | { type: 'embeddings-added'; faceId: number; subject: { id: number; name: string }; embeddings: Record<string, Float32Array> }
  | {
      type: 'negative-added';
      subjectId: number;
      /** Vectors as stored: L2-normalised, by model id. */
      negatives: { id: number; embeddings: Record<string, Float32Array> }[];
    }
  /** A negative example removed (an undone "not this person"): its subject may be matched to that face again. */
  | { type: 'negative-deleted'; negativeId: number; subjectId: number }
  | { type: 'subject-renamed'; subjectId: number; name: string }
  /** `from`'s faces (but those dropped as duplicates) and its negative examples now belong to `into`. */
  | { type: 'subjects-merged'; fromId: number; into: { id: number; name: string }; droppedFaceIds: number[] }
  | { type: 'subject-deleted'; subjectId: number }
  | { type: 'reset' };

export type GalleryListener = (change: GalleryChange) => void;

/** "Not this person": a face the user said is not `subject`, so it is never matched to them again. */
export interface NewNegative {
  contentHash: string;
  sourceFile?: string | null;
  box?: Box | null;
  /** By model id; stored L2-normalised. */
  embeddings: Record<string, ArrayLike<number>>;
}

/** Every negative example of one model (or those asked for), read in one snapshot. */
export interface ModelNegatives {
  modelId: string;
  negatives: { id: number; subjectId: number; vector: Float32Array }[];
  /** The change log's sequence number this snapshot reflects. */
  seq: number;
}

/** One model's vector of a negative example. */
export interface Negative {
  id: number;
  subjectId: number;
  contentHash: string;
  sourceFile: string | null;
  box: Box | null;
  modelId: string;
  vector: Float32Array;
  created: string;
}

export interface Gallery {
  addSubject(name: string, metadata?: Metadata): Promise<Subject>;
  /** Throws VISAGE_ERR_UNKNOWN_SUBJECT. */
  getSubject(ref: SubjectRef): Promise<Subject>;
  /** null when there is no such subject. */
  findSubject(ref: SubjectRef): Promise<Subject | null>;
  listSubjects(): Promise<Subject[]>;
  renameSubject(ref: SubjectRef, newName: string): Promise<Subject>;
  /** Moves every face of `from` to `into`, merges metadata (into's keys win), deletes `from`. */
  mergeSubjects(from: SubjectRef, into: SubjectRef): Promise<MergeResult>;
  /** Deletes the subject with its faces and embeddings. */
  deleteSubject(ref: SubjectRef): Promise<{ deletedFaces: number }>;
  /** Adds the faces of one image in one transaction: all of them, or none and an error. */
  addFaces(subject: SubjectRef, faces: NewFace[], options?: AddFacesOptions): Promise<StoredFace[]>;
  listFaces(subject?: SubjectRef): Promise<StoredFace[]>;
  /** Throws VISAGE_ERR_UNKNOWN_FACE. */
  deleteFace(faceId: number): Promise<void>;
  /**
   * Adds to a stored face the vectors of models it has none of (reindex: an embedder added after
   * enrolment), in one transaction, logged like a face's embeddings. Vectors of models the face
   * already has are left as stored (not in `added`), so repeating a call changes nothing.
   * Throws VISAGE_ERR_UNKNOWN_FACE, VISAGE_ERR_BAD_INPUT (a vector of another length than the
   * gallery's vectors of that model: nothing is added).
   */
  addEmbeddings(faceId: number, embeddings: Record<string, ArrayLike<number>>): Promise<{ face: StoredFace; added: string[] }>;
  /**
   * Keeps a negative example of a subject (one row per model); deleted with the subject, moved with
   * its faces by a merge; logged in the change log like a face. Returns its id.
   */
  addNegative(subject: SubjectRef, negative: NewNegative): Promise<number>;
  /**
   * Every negative example with a vector of this model, by id; every model's (one entry per id and
   * model) when modelId is omitted; only `subject`'s when given (VISAGE_ERR_UNKNOWN_SUBJECT if none).
   */
  listNegatives(modelId?: string, subject?: SubjectRef): Promise<Negative[]>;
  /**
   * Removes a negative example, every model's vector of it (undoes a "not this person"); logged in
   * the change log like its addition. With `subject`, it must be one of that subject's. Throws
   * VISAGE_ERR_UNKNOWN_NEGATIVE (and VISAGE_ERR_UNKNOWN_SUBJECT for an unknown subject).
   */
  deleteNegative(id: number, subject?: SubjectRef): Promise<void>;
  /**
   * The vectors of one model's negative examples (for SearchIndex), all of them or only those
   * listed (those that no longer exist, or have no vector of this model, are left out).
   */
  negativesFor(modelId: string, ids?: readonly number[]): Promise<ModelNegatives>;
  /** Whether an image with this content hash is enrolled (for this subject, when given). */
  hasContentHash(hash: string, subject?: SubjectRef): Promise<boolean>;
  /**
   * Every embedding of one model (for SearchIndex), or only those of the faces listed (faces that
   * no longer exist, or have no vector of this model, are left out).
   */
  embeddingsFor(modelId: string, faceIds?: readonly number[]): Promise<ModelEmbeddings>;
  /**
   * Changes committed since the sequence number `since` (0: since the log began), by any writer.
   * Cheap when nothing changed: one indexed read. A server-backed store keeps the same log table
   * filled by triggers, and may skip even that read until it is notified (PostgreSQL: LISTEN/NOTIFY).
   */
  changesSince(since: number): Promise<GalleryChanges>;
  stats(): Promise<GalleryStats>;
  /** Deletes every subject, face and embedding (the schema stays). */
  reset(): Promise<void>;
  /** Writes a portable JSON file (see portable.ts): subjects, faces and negative examples. */
  exportTo(file: string, options?: TransferOptions): Promise<ExportSummary>;
  /** Adds a portable file's subjects, faces and negative examples in one transaction (never replaces). */
  importFrom(file: string, options?: TransferOptions): Promise<ImportSummary>;
  /**
   * Listens to committed changes made through this object (immediately, in this process); returns
   * the unsubscribe function. Other writers' changes: changesSince().
   */
  onChange(listener: GalleryListener): () => void;
  close(): Promise<void>;
}
