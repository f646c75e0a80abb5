// SqliteGallery: the embedded Gallery store, one SQLite file (better-sqlite3, WAL mode).
// Every write is one IMMEDIATE transaction, so a crash or a kill leaves the file as it was before
// that call; IMMEDIATE takes the write lock up front (a deferred transaction that upgrades to a
// write can fail with SQLITE_BUSY after it has read). better-sqlite3 is synchronous: a call runs
// to completion once started, but a call that meets another connection's lock is tried again
// after a timer until busyTimeoutMs has passed (busy.ts), so the event loop never waits on a lock.
// Every committed write, by any connection, is recorded in the change log by triggers
// (migration 2): changesSince() reads it.
import type Database from 'better-sqlite3';
import { VisageError, shown } from '../../errors.ts';
import type {
  AddFacesOptions, ExportSummary, FaceQuality, Gallery, GalleryChange, GalleryChanges, GalleryListener, GalleryStats, ImportSummary,
  MergeResult, Metadata, ModelEmbeddings, ModelNegatives, ModelStats, Negative, NewFace, NewNegative, StoredFace, Subject, SubjectRef, TransferOptions,
} from '../gallery.ts';
import { vectorToBase64, type PortableFace, type PortableNegative } from '../portable.ts';
import { PortableFileWriter } from '../portable-writer.ts';
import { GalleryListeners } from '../listeners.ts';
import { lookupName, unknownNegative, validHash, validMetadata, validName } from '../validate.ts';
import { negativeKey, prepareEmbeddings, prepareFace, prepareNegative, preparePortableImport, type PreparedFace } from '../prepare.ts';
import { mapSqliteError } from './errors.ts';
import { retryWhileBusy } from './busy.ts';
import { FACE_SELECT, SUBJECT_SELECT, blob, parseJson, toFace, toSubject, vectorFromBlob, type FaceRow, type SubjectRow } from './rows.ts';
import type { Box, FivePoints } from '../../types.ts';

type Db = Database.Database;

export class SqliteGallery implements Gallery {
  /** Absolute path of the database file. */
  readonly location: string;
  private readonly db: Db;
  private readonly displayName: string;
  private readonly busyTimeoutMs: number;
  private readonly readOnlyReason: string | null;
  private readonly listeners = new GalleryListeners();
  private closed = false;

  /** @internal Use openSqliteGallery() (./open.ts). */
  constructor(db: Db, location: string, displayName: string, busyTimeoutMs: number, readOnlyReason: string | null) {
    this.db = db;
    this.location = location;
    this.displayName = displayName;
    this.busyTimeoutMs = busyTimeoutMs;
    this.readOnlyReason = readOnlyReason;
  }

  get readOnly(): boolean {
    return this.readOnlyReason !== null;
  }

  async addSubject(name: string, metadata?: Metadata): Promise<Subject> {
    const validated = validName(name);
    const json = validMetadata(metadata);
    return this.write((changes) => {
      const subject = this.insertSubject(validated, json);
      changes.push({ type: 'subject-added', subject: { id: subject.id, name: subject.name } });
      return subject;
    });
  }

  async getSubject(ref: SubjectRef): Promise<Subject> {
    return this.read(() => this.requireSubject(ref));
  }

  async findSubject(ref: SubjectRef): Promise<Subject | null> {
    return this.read(() => this.lookupSubject(ref));
  }

  async listSubjects(): Promise<Subject[]> {
    return this.read(() => (this.stmt(`${SUBJECT_SELECT} ORDER BY s.name COLLATE NOCASE, s.id`).all() as SubjectRow[]).map(toSubject));
  }

  async renameSubject(ref: SubjectRef, newName: string): Promise<Subject> {
    const validated = validName(newName, 'new name');
    return this.write((changes) => {
      const subject = this.requireSubject(ref);
      const holder = this.lookupSubject(validated);
      if (holder && holder.id !== subject.id) {
        throw new VisageError('VISAGE_ERR_DUPLICATE_SUBJECT', `cannot rename "${subject.name}": a subject named "${holder.name}" exists`);
      }
      this.stmt('UPDATE subjects SET name = ? WHERE id = ?').run(validated, subject.id);
      changes.push({ type: 'subject-renamed', subjectId: subject.id, name: validated });
      return { ...subject, name: validated };
    });
  }

  async mergeSubjects(from: SubjectRef, into: SubjectRef): Promise<MergeResult> {
    return this.write((changes) => {
      const source = this.requireSubject(from);
      const target = this.requireSubject(into);
      if (source.id === target.id) throw new VisageError('VISAGE_ERR_BAD_INPUT', `cannot merge "${source.name}" into itself`);
      // The merged metadata obeys the same bound as any other (checked before anything changes).
      const metadataJson = validMetadata({ ...source.metadata, ...target.metadata });
      const dropped = (this.stmt(`SELECT id FROM faces WHERE subject_id = ? AND content_hash IN
        (SELECT content_hash FROM faces WHERE subject_id = ?)`).pluck().all(source.id, target.id) as number[]);
      const remove = this.stmt('DELETE FROM faces WHERE id = ?');
      for (const id of dropped) remove.run(id);
      const moved = this.stmt('UPDATE faces SET subject_id = ? WHERE subject_id = ?').run(target.id, source.id).changes;
      // A face that is not `from` is not `into` either: its negative examples move with its faces.
      this.stmt('UPDATE negatives SET subject_id = ? WHERE subject_id = ?').run(target.id, source.id);
      this.stmt('UPDATE subjects SET metadata = ? WHERE id = ?').run(metadataJson, target.id);
      this.stmt('DELETE FROM subjects WHERE id = ?').run(source.id);
      changes.push({ type: 'subjects-merged', fromId: source.id, into: { id: target.id, name: target.name }, droppedFaceIds: dropped });
      return { subject: this.requireSubject(target.id), movedFaces: moved, droppedDuplicates: dropped.length };
    });
  }

  async deleteSubject(ref: SubjectRef): Promise<{ deletedFaces: number }> {
    return this.write((changes) => {
      const subject = this.requireSubject(ref);
      this.stmt('DELETE FROM subjects WHERE id = ?').run(subject.id);
      changes.push({ type: 'subject-deleted', subjectId: subject.id });
      return { deletedFaces: subject.faceCount };
    });
  }

  async addFaces(subject: SubjectRef, faces: NewFace[], options: AddFacesOptions = {}): Promise<StoredFace[]> {
    if (!Array.isArray(faces) || faces.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'addFaces needs at least one face');
    const createName = options.createSubject && typeof subject === 'string' ? validName(subject) : null;
    const metadataJson = validMetadata(options.metadata);
    const prepared = faces.map((face, i) => prepareFace(face, `face ${i}`));
    return this.write((changes) => {
      let target = this.lookupSubject(subject);
      if (!target) {
        if (createName === null) throw this.unknownSubject(subject);
        target = this.insertSubject(createName, metadataJson);
        changes.push({ type: 'subject-added', subject: { id: target.id, name: target.name } });
      }
      const ids = prepared.map((item) => this.insertFace(target!.id, item));
      changes.push({
        type: 'faces-added',
        subject: { id: target.id, name: target.name },
        faces: ids.map((id, i) => ({ id, embeddings: Object.fromEntries(prepared[i]!.embeddings) })),
      });
      return ids.map((id) => this.getFaceRow(id));
    });
  }

  async listFaces(subject?: SubjectRef): Promise<StoredFace[]> {
    return this.read(() => {
      if (subject === undefined) return (this.stmt(`${FACE_SELECT} ORDER BY f.id`).all() as FaceRow[]).map(toFace);
      const target = this.requireSubject(subject);
      return (this.stmt(`${FACE_SELECT} WHERE f.subject_id = ? ORDER BY f.id`).all(target.id) as FaceRow[]).map(toFace);
    });
  }

  async deleteFace(faceId: number): Promise<void> {
    await this.write((changes) => {
      const subjectId = this.stmt('SELECT subject_id FROM faces WHERE id = ?').pluck().get(faceId) as number | undefined;
      if (subjectId === undefined) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face with id ${faceId}`);
      this.stmt('DELETE FROM faces WHERE id = ?').run(faceId);
      changes.push({ type: 'face-deleted', faceId, subjectId });
    });
  }

  async addEmbeddings(faceId: number, embeddings: Record<string, ArrayLike<number>>): Promise<{ face: StoredFace; added: string[] }> {
    const prepared = prepareEmbeddings(faceId, embeddings);
    return this.write((changes) => {
      const row = Number.isSafeInteger(faceId) ? this.stmt(`${FACE_SELECT} WHERE f.id = ?`).get(faceId) as FaceRow | undefined : undefined;
      if (!row) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face with id ${faceId}`);
      const held = new Set(toFace(row).models);
      const fresh = new Map([...prepared].filter(([modelId]) => !held.has(modelId)));
      this.insertEmbeddings(faceId, fresh);
      if (fresh.size > 0) {
        changes.push({ type: 'embeddings-added', faceId, subject: { id: row.subjectId, name: row.subjectName }, embeddings: Object.fromEntries(fresh) });
      }
      return { face: this.getFaceRow(faceId), added: [...fresh.keys()] };
    });
  }

  async addNegative(subject: SubjectRef, negative: NewNegative): Promise<number> {
    const embeddings = prepareNegative(negative);
    return this.write((changes) => {
      const target = this.requireSubject(subject);
      const id = this.insertNegative(target.id, negative, embeddings);
      changes.push({ type: 'negative-added', subjectId: target.id, negatives: [{ id, embeddings: Object.fromEntries(embeddings) }] });
      return id;
    });
  }

  async negativesFor(modelId: string, ids?: readonly number[]): Promise<ModelNegatives> {
    const only = ids === undefined ? null : JSON.stringify(ids.filter((id) => Number.isInteger(id)));
    return this.read(() => this.db.transaction((): ModelNegatives => {
      const rows = (only === null
        ? this.stmt('SELECT id, subject_id, dim, vector FROM negatives WHERE model_id = ? ORDER BY id').raw().all(modelId)
        : this.stmt('SELECT n.id, n.subject_id, n.dim, n.vector FROM json_each(?) j CROSS JOIN negatives n ON n.id = j.value AND n.model_id = ? ORDER BY n.id')
          .raw().all(only, modelId)) as [number, number, number, Buffer][];
      return { modelId, negatives: rows.map(([id, subjectId, dim, vector]) => ({ id, subjectId, vector: vectorFromBlob(vector, dim) })), seq: this.currentSeq() };
    })());
  }

  async listNegatives(modelId?: string, subject?: SubjectRef): Promise<Negative[]> {
    return this.read(() => {
      const owner = subject === undefined ? null : this.requireSubject(subject).id;
      return (this.stmt(`SELECT id, subject_id, content_hash, source_file, box, model_id, dim, vector, created FROM negatives
        WHERE (@model IS NULL OR model_id = @model) AND (@owner IS NULL OR subject_id = @owner) ORDER BY id, model_id`).all({ model: modelId ?? null, owner }) as {
        id: number; subject_id: number; content_hash: string; source_file: string | null; box: string | null; model_id: string; dim: number; vector: Buffer; created: string;
      }[]).map((r) => ({
        id: r.id, subjectId: r.subject_id, contentHash: r.content_hash, sourceFile: r.source_file, box: r.box ? JSON.parse(r.box) as Box : null,
        modelId: r.model_id, vector: vectorFromBlob(r.vector, r.dim), created: r.created,
      }));
    });
  }

  async deleteNegative(id: number, subject?: SubjectRef): Promise<void> {
    await this.write((changes) => {
      const owner = subject === undefined ? null : this.requireSubject(subject);
      const subjectId = Number.isSafeInteger(id) ? this.stmt('SELECT subject_id FROM negatives WHERE id = ? LIMIT 1').pluck().get(id) as number | undefined : undefined;
      if (subjectId === undefined || (owner && owner.id !== subjectId)) throw unknownNegative(id, owner?.name);
      this.stmt('DELETE FROM negatives WHERE id = ?').run(id);
      changes.push({ type: 'negative-deleted', negativeId: id, subjectId });
    });
  }

  async hasContentHash(hash: string, subject?: SubjectRef): Promise<boolean> {
    validHash(hash);
    return this.read(() => {
      if (subject === undefined) return this.stmt('SELECT 1 FROM faces WHERE content_hash = ? LIMIT 1').get(hash) !== undefined;
      const target = this.lookupSubject(subject);
      if (!target) return false;
      return this.stmt('SELECT 1 FROM faces WHERE subject_id = ? AND content_hash = ?').get(target.id, hash) !== undefined;
    });
  }

  async embeddingsFor(modelId: string, faceIds?: readonly number[]): Promise<ModelEmbeddings> {
    const only = faceIds === undefined ? null : JSON.stringify(faceIds.filter((id) => Number.isInteger(id)));
    // One read transaction: a consistent snapshot, and the log's sequence number that goes with it.
    return this.read(() => this.db.transaction(() => {
      let shape: { count: number; dim: number | null; maxDim: number | null };
      let rows: Iterable<[number, number, Buffer]>;
      if (only === null) {
        shape = this.stmt('SELECT count(*) AS count, min(dim) AS dim, max(dim) AS maxDim FROM embeddings WHERE model_id = ?')
          .get(modelId) as typeof shape;
        rows = this.stmt(`SELECT e.face_id, f.subject_id, e.vector FROM embeddings e JOIN faces f ON f.id = e.face_id
          WHERE e.model_id = ? ORDER BY e.face_id`).raw().iterate(modelId) as IterableIterator<[number, number, Buffer]>;
      } else {
        // Listed faces are found by the embeddings' primary key (face_id, model_id). CROSS JOIN keeps
        // that order: left to itself the planner scans the model's every embedding instead.
        const listed = this.stmt(`SELECT e.face_id, f.subject_id, e.vector, e.dim FROM json_each(?) j
          CROSS JOIN embeddings e ON e.face_id = j.value AND e.model_id = ? CROSS JOIN faces f ON f.id = e.face_id ORDER BY e.face_id`)
          .raw().all(only, modelId) as [number, number, Buffer, number][];
        const dims = listed.map((row) => row[3]);
        shape = { count: listed.length, dim: dims.length ? Math.min(...dims) : null, maxDim: dims.length ? Math.max(...dims) : null };
        rows = listed as unknown as [number, number, Buffer][];
      }
      if (shape.dim !== shape.maxDim) {
        throw new VisageError('VISAGE_ERR_DB_FAILED', `gallery ${this.displayName}: model ${modelId} has embeddings of ${shape.dim} and ${shape.maxDim} values`);
      }
      const dim = shape.dim ?? 0;
      const count = shape.count;
      const faceIds = new Float64Array(count);
      const subjectIds = new Float64Array(count);
      const vectors = new Float32Array(count * dim);
      const bytes = new Uint8Array(vectors.buffer);
      const subjects = new Set<number>();
      let i = 0;
      for (const [faceId, subjectId, vector] of rows) {
        faceIds[i] = faceId;
        subjectIds[i] = subjectId;
        if (only !== null) subjects.add(subjectId);
        bytes.set(vector, i * dim * 4);
        i++;
      }
      const subjectNames = new Map((only === null
        ? this.stmt('SELECT id, name FROM subjects').raw().all()
        : this.stmt('SELECT id, name FROM subjects WHERE id IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify([...subjects]))) as [number, string][]);
      return { modelId, dim, count, faceIds, subjectIds, vectors, subjectNames, seq: this.currentSeq() };
    })());
  }

  async changesSince(since: number): Promise<GalleryChanges> {
    if (!Number.isInteger(since) || since < 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `changesSince needs a sequence number >= 0, got ${since}`);
    return this.read(() => {
      // The common case, nothing new: one lookup of the primary key's last entry.
      const seq = this.currentSeq();
      if (seq === since) return { seq, reload: false, faceIds: [], renamed: [], negativeIds: [] };
      return this.db.transaction((): GalleryChanges => {
        const last = this.currentSeq();
        const first = this.stmt('SELECT min(seq) FROM change_log').pluck().get() as number | null;
        // Entries after `since` were pruned, or `since` is ahead of this gallery (another file).
        if (since > last || (first !== null && since < first - 1)) return { seq: last, reload: true, faceIds: [], renamed: [], negativeIds: [] };
        const faces = new Set<number>();
        const subjects = new Set<number>();
        const negatives = new Set<number>();
        const rows = this.stmt('SELECT kind, face_id, subject_id, negative_id FROM change_log WHERE seq > ? ORDER BY seq').raw().all(since) as
          ['face' | 'subject' | 'negative', number | null, number | null, number | null][];
        for (const [kind, faceId, subjectId, negativeId] of rows) {
          if (kind === 'face' && faceId !== null) faces.add(faceId);
          else if (kind === 'subject' && subjectId !== null) subjects.add(subjectId);
          else if (kind === 'negative' && negativeId !== null) negatives.add(negativeId);
        }
        const nameOf = this.stmt('SELECT name FROM subjects WHERE id = ?').pluck();
        const renamed: { id: number; name: string }[] = [];
        for (const id of subjects) {
          const name = nameOf.get(id) as string | undefined;
          if (name !== undefined) renamed.push({ id, name });
        }
        return { seq: last, reload: false, faceIds: [...faces], renamed, negativeIds: [...negatives] };
      })();
    });
  }

  async stats(): Promise<GalleryStats> {
    return this.read(() => {
      const count = (sql: string) => this.stmt(sql).pluck().get() as number;
      const models = this.stmt(`SELECT model_id AS modelId, dim, count(*) AS count FROM embeddings
        GROUP BY model_id, dim ORDER BY model_id`).all() as ModelStats[];
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      const pageSize = this.db.pragma('page_size', { simple: true }) as number;
      return {
        subjects: count('SELECT count(*) FROM subjects'),
        faces: count('SELECT count(*) FROM faces'),
        models,
        schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
        location: this.location,
        sizeBytes: pages * pageSize,
        readOnly: this.readOnly,
      };
    });
  }

  async reset(): Promise<void> {
    await this.write((changes) => {
      this.db.exec('DELETE FROM subjects');
      changes.push({ type: 'reset' });
    });
  }

  async exportTo(file: string, options: TransferOptions = {}): Promise<ExportSummary> {
    const out = new PortableFileWriter(file);
    try {
      await this.read(() => this.db.transaction(() => {
        const models = this.stmt(`SELECT model_id AS modelId, dim, count(*) AS count FROM embeddings
          GROUP BY model_id, dim ORDER BY model_id`).all() as ModelStats[];
        const subjects = this.stmt('SELECT id, name, metadata, created FROM subjects ORDER BY id').all() as SubjectRow[];
        const facesOf = this.stmt(`SELECT id, source_file AS sourceFile, content_hash AS contentHash, box, landmarks, quality, created
          FROM faces WHERE subject_id = ? ORDER BY id`);
        const embeddingsOf = this.stmt('SELECT model_id, dim, vector FROM embeddings WHERE face_id = ? ORDER BY model_id').raw();
        const negativesOf = this.stmt(`SELECT id, content_hash, source_file, box, created, model_id, dim, vector FROM negatives
          WHERE subject_id = ? ORDER BY id, model_id`).raw();
        out.begin(models, this.stmt('SELECT 1 FROM negatives LIMIT 1').get() !== undefined);
        subjects.forEach((subject, s) => {
          const faces = (facesOf.all(subject.id) as Omit<FaceRow, 'subjectId' | 'subjectName' | 'models'>[]).map((face): PortableFace => {
            const embeddings: Record<string, string> = {};
            for (const [modelId, dim, vector] of embeddingsOf.all(face.id) as [string, number, Buffer][]) {
              embeddings[modelId] = vectorToBase64(vectorFromBlob(vector, dim));
            }
            return {
              contentHash: face.contentHash, sourceFile: face.sourceFile, box: parseJson<Box>(face.box),
              landmarks: parseJson<FivePoints>(face.landmarks), quality: parseJson<FaceQuality>(face.quality), created: face.created, embeddings,
            };
          });
          const negatives: PortableNegative[] = [];
          let lastId = -1;
          for (const [id, contentHash, sourceFile, box, created, modelId, dim, vector] of negativesOf.all(subject.id) as [number, string, string | null, string | null, string, string, number, Buffer][]) {
            if (id !== lastId) negatives.push({ contentHash, sourceFile, box: parseJson<Box>(box), created, embeddings: {} });
            lastId = id;
            negatives[negatives.length - 1]!.embeddings[modelId] = vectorToBase64(vectorFromBlob(vector, dim));
          }
          out.addSubject({ name: subject.name, metadata: JSON.parse(subject.metadata) as Metadata, created: subject.created, faces, negatives });
          options.onProgress?.(s + 1, subjects.length);
        });
      })());
      return out.finish();
    } catch (error) {
      out.abort();
      throw error;
    }
  }

  async importFrom(file: string, options: TransferOptions = {}): Promise<ImportSummary> {
    // Read, checked and decoded before the transaction starts.
    const subjects = preparePortableImport(file);
    return this.write((changes) => {
      const summary: ImportSummary = { subjectsAdded: 0, subjectsMatched: 0, facesAdded: 0, facesSkipped: 0, negativesAdded: 0, negativesSkipped: 0 };
      const exists = this.stmt('SELECT 1 FROM faces WHERE subject_id = ? AND content_hash = ?');
      const negativesHeld = this.stmt('SELECT DISTINCT content_hash, box FROM negatives WHERE subject_id = ?').raw();
      subjects.forEach((subject, s) => {
        let target = this.lookupSubject(subject.name);
        if (target) {
          summary.subjectsMatched++;
        } else {
          target = this.insertSubject(subject.name, subject.metadata, subject.created);
          changes.push({ type: 'subject-added', subject: { id: target.id, name: target.name } });
          summary.subjectsAdded++;
        }
        const added: { id: number; embeddings: Record<string, Float32Array> }[] = [];
        const seen = new Set<string>();
        for (const face of subject.faces) {
          if (seen.has(face.face.contentHash) || exists.get(target.id, face.face.contentHash)) {
            summary.facesSkipped++;
            continue;
          }
          seen.add(face.face.contentHash);
          added.push({ id: this.insertFace(target.id, face, face.created), embeddings: Object.fromEntries(face.embeddings) });
        }
        summary.facesAdded += added.length;
        if (added.length) changes.push({ type: 'faces-added', subject: { id: target.id, name: target.name }, faces: added });
        if (subject.negatives.length) {
          const held = new Set((negativesHeld.all(target.id) as [string, string | null][]).map(([hash, box]) => negativeKey(hash, parseJson<Box>(box))));
          const kept: { id: number; embeddings: Record<string, Float32Array> }[] = [];
          for (const { negative, embeddings, created } of subject.negatives) {
            const key = negativeKey(negative.contentHash, negative.box);
            if (held.has(key)) { summary.negativesSkipped++; continue; }
            held.add(key);
            kept.push({ id: this.insertNegative(target.id, negative, embeddings, created), embeddings: Object.fromEntries(embeddings) });
          }
          summary.negativesAdded += kept.length;
          if (kept.length) changes.push({ type: 'negative-added', subjectId: target.id, negatives: kept });
        }
        options.onProgress?.(s + 1, subjects.length);
      });
      return summary;
    });
  }

  onChange(listener: GalleryListener): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }

  // --- internals ---

  /** Prepared statements, each SQL text prepared once (each is always used in the same mode). */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, statement = this.db.prepare(sql));
    return statement;
  }

  /** The change log's last sequence number (0 while it is empty). */
  private currentSeq(): number {
    return (this.stmt('SELECT max(seq) FROM change_log').pluck().get() as number | null) ?? 0;
  }

  /** Runs `work`; met with another connection's lock, tries it again later (busy.ts), never blocking. */
  private async read<T>(work: () => T): Promise<T> {
    const open = () => {
      if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'gallery used after close()');
    };
    open();
    try {
      return await retryWhileBusy(() => { open(); return work(); }, this.busyTimeoutMs);
    } catch (error) {
      throw mapSqliteError(error, this.displayName, this.busyTimeoutMs, this.readOnlyReason);
    }
  }

  /**
   * One IMMEDIATE transaction; listeners hear of its changes once it has committed, before
   * anything else runs (so a reader of the change log never sees a write its listener has not).
   */
  private async write<T>(work: (changes: GalleryChange[]) => T): Promise<T> {
    if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'gallery used after close()');
    if (this.readOnlyReason) {
      throw new VisageError('VISAGE_ERR_DB_READ_ONLY', `gallery ${this.displayName} is read-only (${this.readOnlyReason}); nothing was changed`);
    }
    const changes: GalleryChange[] = [];
    return this.read(() => {
      let seq = 0;
      const result = this.db.transaction(() => {
        changes.length = 0;
        const done = work(changes);
        seq = this.currentSeq();
        return done;
      }).immediate();
      for (const change of changes) change.seq = seq;
      this.listeners.notify(changes);
      return result;
    });
  }

  private lookupSubject(ref: SubjectRef): Subject | null {
    let row: SubjectRow | undefined;
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `subject id must be an integer, got ${ref}`);
      row = this.stmt(`${SUBJECT_SELECT} WHERE s.id = ?`).get(ref) as SubjectRow | undefined;
    } else if (typeof ref === 'string') {
      row = this.stmt(`${SUBJECT_SELECT} WHERE s.name = ?`).get(lookupName(ref)) as SubjectRow | undefined;
    } else {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a subject is named by its id (number) or its name (string)');
    }
    return row ? toSubject(row) : null;
  }

  private requireSubject(ref: SubjectRef): Subject {
    const subject = this.lookupSubject(ref);
    if (!subject) throw this.unknownSubject(ref);
    return subject;
  }

  private unknownSubject(ref: SubjectRef): VisageError {
    return new VisageError('VISAGE_ERR_UNKNOWN_SUBJECT', typeof ref === 'number' ? `no subject with id ${ref}` : `no subject named ${shown(ref)}`);
  }

  private insertSubject(name: string, metadataJson: string, created: string | null = null): Subject {
    const holder = this.lookupSubject(name);
    if (holder) throw new VisageError('VISAGE_ERR_DUPLICATE_SUBJECT', `a subject named "${holder.name}" exists`);
    const id = Number(this.stmt(`INSERT INTO subjects (name, metadata, created) VALUES (?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`)
      .run(name, metadataJson, created).lastInsertRowid);
    return this.requireSubject(id);
  }

  /** Inside a write: one face row and its embeddings; a failure aborts the whole transaction. */
  private insertFace(subjectId: number, { face, embeddings }: PreparedFace, created: string | null = null): number {
    let faceId: number;
    try {
      faceId = Number(this.stmt(`INSERT INTO faces (subject_id, source_file, content_hash, box, landmarks, quality, created)
        VALUES (?, ?, ?, ?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`).run(
        subjectId, face.sourceFile ?? null, face.contentHash,
        face.box ? JSON.stringify(face.box) : null, face.landmarks ? JSON.stringify(face.landmarks) : null,
        face.quality ? JSON.stringify(face.quality) : null, created,
      ).lastInsertRowid);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const file = face.sourceFile ? ` (${face.sourceFile})` : '';
        throw new VisageError('VISAGE_ERR_DUPLICATE_FACE', `image ${face.contentHash.slice(0, 12)}…${file} is already enrolled for this subject; nothing was added`, { cause: error });
      }
      throw error;
    }
    this.insertEmbeddings(faceId, embeddings);
    return faceId;
  }

  /** Inside a write: a face's embeddings, each of the length the gallery holds for its model. */
  private insertEmbeddings(faceId: number, embeddings: Map<string, Float32Array>): void {
    const dimOf = this.stmt('SELECT dim FROM embeddings WHERE model_id = ? LIMIT 1').pluck();
    const insert = this.stmt('INSERT INTO embeddings (face_id, model_id, dim, vector) VALUES (?, ?, ?, ?)');
    for (const [modelId, vector] of embeddings) {
      const dim = dimOf.get(modelId) as number | undefined;
      if (dim !== undefined && dim !== vector.length) {
        throw new VisageError('VISAGE_ERR_BAD_INPUT', `embedding of "${modelId}" has ${vector.length} values, but the gallery holds ${dim}-value embeddings of that model; nothing was added`);
      }
      insert.run(faceId, modelId, vector.length, blob(vector));
    }
  }

  /** Inside a write: one negative example, a row per model under one new id. */
  private insertNegative(subjectId: number, negative: NewNegative, embeddings: Map<string, Float32Array>, created: string | null = null): number {
    // Never an id the change log still names (a negative example removed since): an id read from a
    // listing then names that one example or none (PostgreSQL: a sequence).
    const id = this.stmt(`SELECT max(coalesce((SELECT max(id) FROM negatives), 0), coalesce((SELECT max(negative_id) FROM change_log), 0)) + 1`).pluck().get() as number;
    const insert = this.stmt(`INSERT INTO negatives (id, subject_id, content_hash, source_file, box, model_id, dim, vector, created)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // One time for every row of the example (one row per model): 'now' per row could differ by a millisecond.
    created ??= this.stmt(`SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`).pluck().get() as string;
    for (const [modelId, vector] of embeddings) {
      insert.run(id, subjectId, negative.contentHash, negative.sourceFile ?? null, negative.box ? JSON.stringify(negative.box) : null, modelId, vector.length, blob(vector), created);
    }
    return id;
  }

  private getFaceRow(id: number): StoredFace {
    return toFace(this.stmt(`${FACE_SELECT} WHERE f.id = ?`).get(id) as FaceRow);
  }
}
