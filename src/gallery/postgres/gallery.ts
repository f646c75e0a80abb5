// PostgresGallery: the shared Gallery store, on PostgreSQL through node-postgres (`pg`), with the
// same tables, checks, errors and change log as the SQLite store (../sqlite/).
//
// Writes: each call is one transaction that first takes the gallery's advisory write lock
// (migrations.ts: writers commit in the order of their change log entries), waiting at most
// busyTimeoutMs (lock_timeout) before VISAGE_ERR_DB_LOCKED; all or nothing, whatever happens to the
// process or the connection. Triggers fill the change log and NOTIFY CHANGE_CHANNEL at commit.
//
// One object, one order: its writes run one after the other, each telling the listeners of its
// changes once committed; a snapshot read (embeddingsFor, changesSince) waits for the write in
// progress and takes its snapshot before the next write starts. So a SearchIndex following this
// object (search.ts) never gets a change both in a snapshot and from a listener heard after it.
import type pg from 'pg';
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
import { isConnectionError, mapPostgresError } from './errors.ts';
import { maskPassword } from './location.ts';
import { ChangeFeed, type ChangeFeedEvents } from './listen.ts';
import type { FeedHandle } from '../sync.ts';
import type { Box, FivePoints } from '../../types.ts';

/** A query runner: the pool (one statement, any connection) or one connection inside a transaction. */
interface Sql {
  rows<T>(text: string, values?: unknown[]): Promise<T[]>;
  arrays<T extends unknown[]>(text: string, values?: unknown[]): Promise<T[]>;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** ASCII case folding, as the unique index on names (migrations.ts): the index serves lookups. */
const fold = (sql: string) => `translate(${sql}, '${UPPER}', '${UPPER.toLowerCase()}')`;
/** ISO 8601 in UTC with milliseconds, as the SQLite store writes it. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const SUBJECT_SELECT = `SELECT s.id, s.name, s.metadata, ${iso('s.created')} AS created,
  (SELECT count(*) FROM faces f WHERE f.subject_id = s.id) AS "faceCount" FROM subjects s`;
const FACE_COLUMNS = `f.id, f.subject_id AS "subjectId", s.name AS "subjectName", f.source_file AS "sourceFile",
  f.content_hash AS "contentHash", f.box, f.landmarks, f.quality, ${iso('f.created')} AS created,
  (SELECT array_agg(e.model_id ORDER BY e.model_id) FROM embeddings e WHERE e.face_id = f.id) AS models`;
const FACE_SELECT = `SELECT ${FACE_COLUMNS} FROM faces f JOIN subjects s ON s.id = f.subject_id`;
const MODEL_STATS = `SELECT model_id AS "modelId", dim, count(*) AS count FROM embeddings GROUP BY model_id, dim ORDER BY model_id COLLATE "C"`;

interface SubjectRow { id: number; name: string; metadata: Metadata; created: string; faceCount: number }
interface FaceRow {
  id: number; subjectId: number; subjectName: string; sourceFile: string | null; contentHash: string;
  box: Box | null; landmarks: FivePoints | null; quality: FaceQuality | null; created: string; models: string[] | null;
}

const toSubject = (row: SubjectRow): Subject => ({ id: row.id, name: row.name, metadata: row.metadata, created: row.created, faceCount: row.faceCount });
const toFace = (row: FaceRow): StoredFace => ({ ...row, models: row.models ?? [] });

const bytes = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);

function vectorFrom(buffer: Buffer, dim: number): Float32Array {
  const vector = new Float32Array(dim);
  new Uint8Array(vector.buffer).set(buffer.subarray(0, dim * 4));
  return vector;
}

/** A created time from a portable file as PostgreSQL reads it, or null (now) when it is not a date. */
function createdTime(text: string | null): string | null {
  if (text === null) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** Rows read per round trip when a whole model's embeddings are loaded. */
const EMBEDDING_BATCH = 20_000;

export class PostgresGallery implements Gallery {
  /** The database URL with its password masked (and the schema, when one was named). */
  readonly location: string;
  /** The schema the gallery's tables are in. */
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly busyTimeoutMs: number;
  private readonly readOnlyReason: string | null;
  private readonly listeners = new GalleryListeners();
  /** This object's writes and snapshots, in call order (see the comment at the top). */
  private order: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** @internal Use openPostgresGallery() (./open.ts). */
  constructor(pool: pg.Pool, location: string, schema: string, busyTimeoutMs: number, readOnlyReason: string | null) {
    this.pool = pool;
    this.location = location;
    this.schema = schema;
    this.busyTimeoutMs = busyTimeoutMs;
    this.readOnlyReason = readOnlyReason;
  }

  get readOnly(): boolean {
    return this.readOnlyReason !== null;
  }

  async addSubject(name: string, metadata?: Metadata): Promise<Subject> {
    const validated = validName(name);
    const json = validMetadata(metadata);
    return this.write(async (sql, changes) => {
      const subject = await this.insertSubject(sql, validated, json);
      changes.push({ type: 'subject-added', subject: { id: subject.id, name: subject.name } });
      return subject;
    });
  }

  async getSubject(ref: SubjectRef): Promise<Subject> {
    return this.read((sql) => this.requireSubject(sql, ref));
  }

  async findSubject(ref: SubjectRef): Promise<Subject | null> {
    return this.read((sql) => this.lookupSubject(sql, ref));
  }

  async listSubjects(): Promise<Subject[]> {
    return this.read(async (sql) => (await sql.rows<SubjectRow>(`${SUBJECT_SELECT} ORDER BY ${fold('s.name')} COLLATE "C", s.id`)).map(toSubject));
  }

  async renameSubject(ref: SubjectRef, newName: string): Promise<Subject> {
    const validated = validName(newName, 'new name');
    return this.write(async (sql, changes) => {
      const subject = await this.requireSubject(sql, ref);
      const holder = await this.lookupSubject(sql, validated);
      if (holder && holder.id !== subject.id) {
        throw new VisageError('VISAGE_ERR_DUPLICATE_SUBJECT', `cannot rename "${subject.name}": a subject named "${holder.name}" exists`);
      }
      await sql.rows('UPDATE subjects SET name = $1 WHERE id = $2', [validated, subject.id]);
      changes.push({ type: 'subject-renamed', subjectId: subject.id, name: validated });
      return { ...subject, name: validated };
    });
  }

  async mergeSubjects(from: SubjectRef, into: SubjectRef): Promise<MergeResult> {
    return this.write(async (sql, changes) => {
      const source = await this.requireSubject(sql, from);
      const target = await this.requireSubject(sql, into);
      if (source.id === target.id) throw new VisageError('VISAGE_ERR_BAD_INPUT', `cannot merge "${source.name}" into itself`);
      const metadataJson = validMetadata({ ...source.metadata, ...target.metadata });
      const dropped = (await sql.arrays<[number]>(`DELETE FROM faces WHERE subject_id = $1 AND content_hash IN
        (SELECT content_hash FROM faces WHERE subject_id = $2) RETURNING id`, [source.id, target.id])).map(([id]) => id).sort((a, b) => a - b);
      const moved = (await sql.arrays('UPDATE faces SET subject_id = $1 WHERE subject_id = $2 RETURNING id', [target.id, source.id])).length;
      // A face that is not `from` is not `into` either: its negative examples move with its faces.
      await sql.rows('UPDATE negatives SET subject_id = $1 WHERE subject_id = $2', [target.id, source.id]);
      await sql.rows('UPDATE subjects SET metadata = $1 WHERE id = $2', [metadataJson, target.id]);
      await sql.rows('DELETE FROM subjects WHERE id = $1', [source.id]);
      changes.push({ type: 'subjects-merged', fromId: source.id, into: { id: target.id, name: target.name }, droppedFaceIds: dropped });
      return { subject: await this.requireSubject(sql, target.id), movedFaces: moved, droppedDuplicates: dropped.length };
    });
  }

  async deleteSubject(ref: SubjectRef): Promise<{ deletedFaces: number }> {
    return this.write(async (sql, changes) => {
      const subject = await this.requireSubject(sql, ref);
      await sql.rows('DELETE FROM subjects WHERE id = $1', [subject.id]);
      changes.push({ type: 'subject-deleted', subjectId: subject.id });
      return { deletedFaces: subject.faceCount };
    });
  }

  async addFaces(subject: SubjectRef, faces: NewFace[], options: AddFacesOptions = {}): Promise<StoredFace[]> {
    if (!Array.isArray(faces) || faces.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'addFaces needs at least one face');
    const createName = options.createSubject && typeof subject === 'string' ? validName(subject) : null;
    const metadataJson = validMetadata(options.metadata);
    const prepared = faces.map((face, i) => prepareFace(face, `face ${i}`));
    return this.write(async (sql, changes) => {
      let target = await this.lookupSubject(sql, subject);
      if (!target) {
        if (createName === null) throw this.unknownSubject(subject);
        target = await this.insertSubject(sql, createName, metadataJson);
        changes.push({ type: 'subject-added', subject: { id: target.id, name: target.name } });
      }
      const dims = new Map<string, number | null>();
      const ids: number[] = [];
      for (const item of prepared) ids.push(await this.insertFace(sql, target.id, item, dims));
      changes.push({
        type: 'faces-added',
        subject: { id: target.id, name: target.name },
        faces: ids.map((id, i) => ({ id, embeddings: Object.fromEntries(prepared[i]!.embeddings) })),
      });
      return (await sql.rows<FaceRow>(`${FACE_SELECT} WHERE f.id = ANY($1::bigint[]) ORDER BY f.id`, [ids])).map(toFace);
    });
  }

  async listFaces(subject?: SubjectRef): Promise<StoredFace[]> {
    return this.read(async (sql) => {
      if (subject === undefined) return (await sql.rows<FaceRow>(`${FACE_SELECT} ORDER BY f.id`)).map(toFace);
      const target = await this.requireSubject(sql, subject);
      return (await sql.rows<FaceRow>(`${FACE_SELECT} WHERE f.subject_id = $1 ORDER BY f.id`, [target.id])).map(toFace);
    });
  }

  async deleteFace(faceId: number): Promise<void> {
    if (!Number.isSafeInteger(faceId)) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face with id ${faceId}`);
    await this.write(async (sql, changes) => {
      const [row] = await sql.arrays<[number]>('DELETE FROM faces WHERE id = $1 RETURNING subject_id', [faceId]);
      if (!row) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face with id ${faceId}`);
      changes.push({ type: 'face-deleted', faceId, subjectId: row[0] });
    });
  }

  async addEmbeddings(faceId: number, embeddings: Record<string, ArrayLike<number>>): Promise<{ face: StoredFace; added: string[] }> {
    const prepared = prepareEmbeddings(faceId, embeddings);
    if (!Number.isSafeInteger(faceId)) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face with id ${faceId}`);
    return this.write(async (sql, changes) => {
      // FOR UPDATE: the face cannot be deleted or moved under us (a writer without the gallery's lock).
      const [row] = await sql.rows<FaceRow>(`${FACE_SELECT} WHERE f.id = $1 FOR UPDATE OF f`, [faceId]);
      if (!row) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face with id ${faceId}`);
      const held = new Set(row.models ?? []);
      const fresh = new Map([...prepared].filter(([modelId]) => !held.has(modelId)));
      if (fresh.size > 0) {
        await this.insertEmbeddings(sql, faceId, fresh, new Map());
        changes.push({ type: 'embeddings-added', faceId, subject: { id: row.subjectId, name: row.subjectName }, embeddings: Object.fromEntries(fresh) });
      }
      const [face] = await sql.rows<FaceRow>(`${FACE_SELECT} WHERE f.id = $1`, [faceId]);
      return { face: toFace(face!), added: [...fresh.keys()] };
    });
  }

  async addNegative(subject: SubjectRef, negative: NewNegative): Promise<number> {
    const embeddings = prepareNegative(negative);
    return this.write(async (sql, changes) => {
      const target = await this.requireSubject(sql, subject);
      const id = await this.insertNegative(sql, target.id, negative, embeddings);
      changes.push({ type: 'negative-added', subjectId: target.id, negatives: [{ id, embeddings: Object.fromEntries(embeddings) }] });
      return id;
    });
  }

  async negativesFor(modelId: string, ids?: readonly number[]): Promise<ModelNegatives> {
    const only = ids === undefined ? null : ids.filter((id) => Number.isSafeInteger(id));
    return this.snapshot(async (sql, seq) => {
      const rows = only === null
        ? await sql.arrays<[number, number, number, Buffer]>('SELECT id, subject_id, dim, vector FROM negatives WHERE model_id = $1 ORDER BY id', [modelId])
        : await sql.arrays<[number, number, number, Buffer]>('SELECT id, subject_id, dim, vector FROM negatives WHERE model_id = $1 AND id = ANY($2::bigint[]) ORDER BY id', [modelId, only]);
      return { modelId, negatives: rows.map(([id, subjectId, dim, vector]) => ({ id: Number(id), subjectId: Number(subjectId), vector: vectorFrom(vector, dim) })), seq };
    });
  }

  async listNegatives(modelId?: string, subject?: SubjectRef): Promise<Negative[]> {
    return this.read(async (sql) => {
      const owner = subject === undefined ? null : (await this.requireSubject(sql, subject)).id;
      return (await sql.rows<{
        id: string; subjectId: string; contentHash: string; sourceFile: string | null; box: Box | null; modelId: string; dim: number; vector: Buffer; created: string;
      }>(`SELECT id, subject_id AS "subjectId", content_hash AS "contentHash", source_file AS "sourceFile", box, model_id AS "modelId", dim, vector, ${iso('created')} AS created
        FROM negatives WHERE ($1::text IS NULL OR model_id = $1) AND ($2::bigint IS NULL OR subject_id = $2) ORDER BY id, model_id COLLATE "C"`, [modelId ?? null, owner])).map((r) => ({
        id: Number(r.id), subjectId: Number(r.subjectId), contentHash: r.contentHash, sourceFile: r.sourceFile, box: r.box, modelId: r.modelId,
        vector: vectorFrom(r.vector, r.dim), created: r.created,
      }));
    });
  }

  async deleteNegative(id: number, subject?: SubjectRef): Promise<void> {
    await this.write(async (sql, changes) => {
      const owner = subject === undefined ? null : await this.requireSubject(sql, subject);
      if (!Number.isSafeInteger(id)) throw unknownNegative(id, owner?.name);
      const [row] = await sql.arrays<[string]>('SELECT subject_id FROM negatives WHERE id = $1 LIMIT 1', [id]);
      const subjectId = row ? Number(row[0]) : undefined;
      if (subjectId === undefined || (owner && owner.id !== subjectId)) throw unknownNegative(id, owner?.name);
      await sql.rows('DELETE FROM negatives WHERE id = $1', [id]);
      changes.push({ type: 'negative-deleted', negativeId: id, subjectId });
    });
  }

  async hasContentHash(hash: string, subject?: SubjectRef): Promise<boolean> {
    validHash(hash);
    return this.read(async (sql) => {
      if (subject === undefined) return (await sql.arrays('SELECT 1 FROM faces WHERE content_hash = $1 LIMIT 1', [hash])).length > 0;
      const target = await this.lookupSubject(sql, subject);
      if (!target) return false;
      return (await sql.arrays('SELECT 1 FROM faces WHERE subject_id = $1 AND content_hash = $2', [target.id, hash])).length > 0;
    });
  }

  async embeddingsFor(modelId: string, faceIds?: readonly number[]): Promise<ModelEmbeddings> {
    const only = faceIds === undefined ? null : faceIds.filter((id) => Number.isSafeInteger(id));
    return this.snapshot(async (sql, seq) => {
      let shape: { count: number; dim: number | null; maxDim: number | null };
      let rows: [number, number, Buffer][];
      if (only === null) {
        [shape] = await sql.rows<typeof shape>('SELECT count(*) AS count, min(dim) AS dim, max(dim) AS "maxDim" FROM embeddings WHERE model_id = $1', [modelId]) as [typeof shape];
        // Read in batches by face id (the primary key), all in this one snapshot.
        rows = [];
        let after = -1;
        for (;;) {
          const batch = await sql.arrays<[number, number, Buffer]>(`SELECT e.face_id, f.subject_id, e.vector FROM embeddings e JOIN faces f ON f.id = e.face_id
            WHERE e.model_id = $1 AND e.face_id > $2 ORDER BY e.face_id LIMIT ${EMBEDDING_BATCH}`, [modelId, after]);
          for (const row of batch) rows.push(row);
          if (batch.length < EMBEDDING_BATCH) break;
          after = batch[batch.length - 1]![0];
        }
      } else {
        const listed = await sql.arrays<[number, number, Buffer, number]>(`SELECT e.face_id, f.subject_id, e.vector, e.dim FROM embeddings e
          JOIN faces f ON f.id = e.face_id WHERE e.model_id = $1 AND e.face_id = ANY($2::bigint[]) ORDER BY e.face_id`, [modelId, only]);
        const dims = listed.map((row) => row[3]);
        shape = { count: listed.length, dim: dims.length ? Math.min(...dims) : null, maxDim: dims.length ? Math.max(...dims) : null };
        rows = listed as unknown as [number, number, Buffer][];
      }
      if (shape.dim !== shape.maxDim) {
        throw new VisageError('VISAGE_ERR_DB_FAILED', `gallery ${this.location}: model ${modelId} has embeddings of ${shape.dim} and ${shape.maxDim} values`);
      }
      const dim = shape.dim ?? 0;
      const count = rows.length;
      const ids = new Float64Array(count);
      const subjectIds = new Float64Array(count);
      const vectors = new Float32Array(count * dim);
      const view = new Uint8Array(vectors.buffer);
      const subjects = new Set<number>();
      rows.forEach(([faceId, subjectId, vector], i) => {
        ids[i] = faceId;
        subjectIds[i] = subjectId;
        subjects.add(subjectId);
        view.set(vector.subarray(0, dim * 4), i * dim * 4);
      });
      const names = only === null
        ? await sql.arrays<[number, string]>('SELECT id, name FROM subjects')
        : await sql.arrays<[number, string]>('SELECT id, name FROM subjects WHERE id = ANY($1::bigint[])', [[...subjects]]);
      return { modelId, dim, count, faceIds: ids, subjectIds, vectors, subjectNames: new Map(names), seq };
    });
  }

  async changesSince(since: number): Promise<GalleryChanges> {
    if (!Number.isInteger(since) || since < 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `changesSince needs a sequence number >= 0, got ${since}`);
    // The common case, nothing new: one read of the primary key's last entry, on any connection.
    const seq = await this.read((sql) => this.currentSeq(sql));
    if (seq === since) return { seq, reload: false, faceIds: [], renamed: [], negativeIds: [] };
    return this.snapshot(async (sql, last) => {
      const [first] = await sql.arrays<[number | null]>('SELECT min(seq) FROM change_log');
      // Entries after `since` were pruned, or `since` is ahead of this gallery (another one's).
      if (since > last || (first![0] !== null && since < first![0] - 1)) return { seq: last, reload: true, faceIds: [], renamed: [], negativeIds: [] };
      const faces = new Set<number>();
      const subjects = new Set<number>();
      const negatives = new Set<number>();
      const rows = await sql.arrays<['face' | 'subject' | 'negative', number | null, number | null, number | null]>(
        'SELECT kind, face_id, subject_id, negative_id FROM change_log WHERE seq > $1 AND seq <= $2 ORDER BY seq', [since, last]);
      for (const [kind, faceId, subjectId, negativeId] of rows) {
        if (kind === 'face' && faceId !== null) faces.add(faceId);
        else if (kind === 'subject' && subjectId !== null) subjects.add(subjectId);
        else if (kind === 'negative' && negativeId !== null) negatives.add(Number(negativeId));
      }
      const renamed = subjects.size === 0 ? [] : (await sql.arrays<[number, string]>('SELECT id, name FROM subjects WHERE id = ANY($1::bigint[])', [[...subjects]]))
        .map(([id, name]) => ({ id, name }));
      return { seq: last, reload: false, faceIds: [...faces], renamed, negativeIds: [...negatives] };
    });
  }

  async stats(): Promise<GalleryStats> {
    return this.read(async (sql) => {
      const [counts] = await sql.rows<{ subjects: number; faces: number; size: number | null; version: number }>(`SELECT
        (SELECT count(*) FROM subjects) AS subjects, (SELECT count(*) FROM faces) AS faces,
        (SELECT max(version) FROM visage_gallery) AS version,
        (SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'r') AS size`, [this.schema]);
      const models = await sql.rows<ModelStats>(MODEL_STATS);
      return {
        subjects: counts!.subjects,
        faces: counts!.faces,
        models,
        schemaVersion: counts!.version,
        location: this.location,
        sizeBytes: counts!.size ?? 0,
        readOnly: this.readOnly,
      };
    });
  }

  async reset(): Promise<void> {
    await this.write(async (sql, changes) => {
      await sql.rows('DELETE FROM subjects');
      changes.push({ type: 'reset' });
    });
  }

  async exportTo(file: string, options: TransferOptions = {}): Promise<ExportSummary> {
    const out = new PortableFileWriter(file);
    try {
      await this.snapshot(async (sql) => {
        const models = await sql.rows<ModelStats>(MODEL_STATS);
        const subjects = await sql.rows<{ id: number; name: string; metadata: Metadata; created: string }>(
          `SELECT id, name, metadata, ${iso('created')} AS created FROM subjects ORDER BY id`);
        out.begin(models, (await sql.arrays('SELECT 1 FROM negatives LIMIT 1')).length > 0);
        for (let s = 0; s < subjects.length; s++) {
          const subject = subjects[s]!;
          const rows = await sql.arrays<[number, string | null, string, Box | null, FivePoints | null, FaceQuality | null, string, string | null, number | null, Buffer | null]>(
            `SELECT f.id, f.source_file, f.content_hash, f.box, f.landmarks, f.quality, ${iso('f.created')}, e.model_id, e.dim, e.vector
            FROM faces f LEFT JOIN embeddings e ON e.face_id = f.id WHERE f.subject_id = $1 ORDER BY f.id, e.model_id COLLATE "C"`, [subject.id]);
          const faces: PortableFace[] = [];
          let lastId = -1;
          for (const [id, sourceFile, contentHash, box, landmarks, quality, created, modelId, dim, vector] of rows) {
            if (id !== lastId) {
              faces.push({ contentHash, sourceFile, box, landmarks, quality, created, embeddings: {} });
              lastId = id;
            }
            if (modelId !== null) faces[faces.length - 1]!.embeddings[modelId] = vectorToBase64(vectorFrom(vector!, dim!));
          }
          const negatives: PortableNegative[] = [];
          let lastNegative = -1;
          for (const [id, contentHash, sourceFile, box, created, modelId, dim, vector] of await sql.arrays<[number, string, string | null, Box | null, string, string, number, Buffer]>(
            `SELECT id, content_hash, source_file, box, ${iso('created')}, model_id, dim, vector FROM negatives WHERE subject_id = $1 ORDER BY id, model_id COLLATE "C"`, [subject.id])) {
            if (id !== lastNegative) negatives.push({ contentHash, sourceFile, box, created, embeddings: {} });
            lastNegative = id;
            negatives[negatives.length - 1]!.embeddings[modelId] = vectorToBase64(vectorFrom(vector, dim));
          }
          out.addSubject({ name: subject.name, metadata: subject.metadata, created: subject.created, faces, negatives });
          options.onProgress?.(s + 1, subjects.length);
        }
      });
      return out.finish();
    } catch (error) {
      out.abort();
      throw error;
    }
  }

  async importFrom(file: string, options: TransferOptions = {}): Promise<ImportSummary> {
    const subjects = preparePortableImport(file);
    return this.write(async (sql, changes) => {
      const summary: ImportSummary = { subjectsAdded: 0, subjectsMatched: 0, facesAdded: 0, facesSkipped: 0, negativesAdded: 0, negativesSkipped: 0 };
      const dims = new Map<string, number | null>();
      for (let s = 0; s < subjects.length; s++) {
        const subject = subjects[s]!;
        let target = await this.lookupSubject(sql, subject.name);
        const enrolled = new Set<string>();
        if (target) {
          summary.subjectsMatched++;
          for (const [hash] of await sql.arrays<[string]>('SELECT content_hash FROM faces WHERE subject_id = $1', [target.id])) enrolled.add(hash);
        } else {
          target = await this.insertSubject(sql, subject.name, subject.metadata, createdTime(subject.created));
          changes.push({ type: 'subject-added', subject: { id: target.id, name: target.name } });
          summary.subjectsAdded++;
        }
        const added: { id: number; embeddings: Record<string, Float32Array> }[] = [];
        for (const face of subject.faces) {
          if (enrolled.has(face.face.contentHash)) {
            summary.facesSkipped++;
            continue;
          }
          enrolled.add(face.face.contentHash);
          added.push({ id: await this.insertFace(sql, target.id, face, dims, createdTime(face.created)), embeddings: Object.fromEntries(face.embeddings) });
        }
        summary.facesAdded += added.length;
        if (added.length) changes.push({ type: 'faces-added', subject: { id: target.id, name: target.name }, faces: added });
        if (subject.negatives.length) {
          const held = new Set((await sql.arrays<[string, Box | null]>('SELECT content_hash, box FROM negatives WHERE subject_id = $1', [target.id]))
            .map(([hash, box]) => negativeKey(hash, box)));
          const kept: { id: number; embeddings: Record<string, Float32Array> }[] = [];
          for (const { negative, embeddings, created } of subject.negatives) {
            const key = negativeKey(negative.contentHash, negative.box);
            if (held.has(key)) { summary.negativesSkipped++; continue; }
            held.add(key);
            kept.push({ id: await this.insertNegative(sql, target.id, negative, embeddings, createdTime(created)), embeddings: Object.fromEntries(embeddings) });
          }
          summary.negativesAdded += kept.length;
          if (kept.length) changes.push({ type: 'negative-added', subjectId: target.id, negatives: kept });
        }
        options.onProgress?.(s + 1, subjects.length);
      }
      return summary;
    });
  }

  onChange(listener: GalleryListener): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Every writer's commits as they happen (any process): a connection of its own that LISTENs on
   * the gallery's change channel, made again when lost (listen.ts). Close it before the gallery.
   */
  async openChangeFeed(events: ChangeFeedEvents): Promise<FeedHandle> {
    this.checkOpen();
    const { default: driver } = await import('pg');
    return ChangeFeed.start(driver, this.pool.options as pg.ClientConfig, this.schema, events);
  }

  /** @internal The connections, for the server's tables in the same schema (src/server/store-postgres.ts). */
  get connectionPool(): pg.Pool {
    this.checkOpen();
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    // Whatever is under way finishes first (a write commits or rolls back), then the connections go.
    await this.order.catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  // --- internals ---

  private checkOpen(): void {
    if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'gallery used after close()');
  }

  private mapError(error: unknown): unknown {
    return mapPostgresError(error, this.location, this.busyTimeoutMs);
  }

  /** Runs `task` after every write and snapshot this object was asked for before. */
  private inOrder<T>(task: () => Promise<T>): Promise<T> {
    const run = this.order.then(task);
    this.order = run.catch(() => undefined);
    return run;
  }

  /** Statements on the pool, each on whichever connection is free (READ COMMITTED). */
  private async read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await work(runner(this.pool));
    } catch (error) {
      throw this.mapError(error);
    }
  }

  /**
   * A REPEATABLE READ, READ ONLY transaction: every statement of `work` sees one snapshot, with the
   * change log's sequence number read in it. The snapshot is taken in this object's order.
   */
  private async snapshot<T>(work: (sql: Sql, seq: number) => Promise<T>): Promise<T> {
    this.checkOpen();
    let client: pg.PoolClient | undefined;
    let broken: unknown;
    try {
      const seq = await this.inOrder(async () => {
        client = await this.pool.connect();
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        return this.currentSeq(runner(client)); // the first statement takes the snapshot
      });
      const result = await work(runner(client!), seq);
      await client!.query('COMMIT');
      return result;
    } catch (error) {
      broken = isConnectionError(error) ? error : undefined;
      if (client && !broken) await client.query('ROLLBACK').catch((rollback: unknown) => { broken = rollback; });
      throw this.mapError(error);
    } finally {
      client?.release(broken instanceof Error ? broken : undefined);
    }
  }

  /**
   * One transaction holding the gallery's write lock, in this object's order; listeners hear of
   * its changes once it has committed, before this object's next write or snapshot starts.
   */
  private async write<T>(work: (sql: Sql, changes: GalleryChange[]) => Promise<T>): Promise<T> {
    this.checkOpen();
    if (this.readOnlyReason) {
      throw new VisageError('VISAGE_ERR_DB_READ_ONLY', `gallery ${this.location} is read-only (${this.readOnlyReason}); nothing was changed`);
    }
    return this.inOrder(async () => {
      this.checkOpen();
      const changes: GalleryChange[] = [];
      let client: pg.PoolClient | undefined;
      let broken: unknown;
      let committing = false;
      let result: T;
      try {
        client = await this.pool.connect();
        // One round trip: begin, bound the wait for the lock (0 would mean for ever), take it.
        await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, this.busyTimeoutMs)}; SELECT change_log_write_lock()`);
        result = await work(runner(client), changes);
        const seq = await this.currentSeq(runner(client));
        committing = true;
        await client.query('COMMIT');
        for (const change of changes) change.seq = seq;
      } catch (error) {
        broken = isConnectionError(error) ? error : undefined;
        if (client && !broken) await client.query('ROLLBACK').catch((rollback: unknown) => { broken = rollback; });
        if (broken && committing) {
          // The server may have committed before the connection broke: the change log will say.
          throw new VisageError('VISAGE_ERR_DB_UNAVAILABLE',
            `gallery ${this.location}: the connection broke while committing (${maskPassword((error as Error).message)}); the change may or may not have been made`, { cause: error });
        }
        if (broken) {
          throw new VisageError('VISAGE_ERR_DB_UNAVAILABLE', `gallery ${this.location} cannot be reached (${maskPassword((error as Error).message)}); nothing was changed`, { cause: error });
        }
        throw this.mapError(error);
      } finally {
        client?.release(broken instanceof Error ? broken : undefined);
      }
      this.listeners.notify(changes);
      return result;
    });
  }

  private async currentSeq(sql: Sql): Promise<number> {
    const [row] = await sql.arrays<[number | null]>('SELECT max(seq) FROM change_log');
    return row![0] ?? 0;
  }

  private async lookupSubject(sql: Sql, ref: SubjectRef): Promise<Subject | null> {
    let rows: SubjectRow[];
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `subject id must be an integer, got ${ref}`);
      if (!Number.isSafeInteger(ref)) return null;
      rows = await sql.rows<SubjectRow>(`${SUBJECT_SELECT} WHERE s.id = $1`, [ref]);
    } else if (typeof ref === 'string') {
      rows = await sql.rows<SubjectRow>(`${SUBJECT_SELECT} WHERE ${fold('s.name')} = ${fold('$1')}`, [lookupName(ref)]);
    } else {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a subject is named by its id (number) or its name (string)');
    }
    return rows[0] ? toSubject(rows[0]) : null;
  }

  private async requireSubject(sql: Sql, ref: SubjectRef): Promise<Subject> {
    const subject = await this.lookupSubject(sql, ref);
    if (!subject) throw this.unknownSubject(ref);
    return subject;
  }

  private unknownSubject(ref: SubjectRef): VisageError {
    return new VisageError('VISAGE_ERR_UNKNOWN_SUBJECT', typeof ref === 'number' ? `no subject with id ${ref}` : `no subject named ${shown(ref)}`);
  }

  private async insertSubject(sql: Sql, name: string, metadataJson: string, created: string | null = null): Promise<Subject> {
    const holder = await this.lookupSubject(sql, name);
    if (holder) throw new VisageError('VISAGE_ERR_DUPLICATE_SUBJECT', `a subject named "${holder.name}" exists`);
    let id: number;
    try {
      [[id]] = await sql.arrays<[number]>('INSERT INTO subjects (name, metadata, created) VALUES ($1, $2, coalesce($3::timestamptz, now())) RETURNING id',
        [name, metadataJson, created]) as [[number]];
    } catch (error) {
      // Another writer that does not take the write lock (a plain connection) got there first.
      if ((error as { code?: string }).code === '23505') throw new VisageError('VISAGE_ERR_DUPLICATE_SUBJECT', `a subject named "${name}" exists`, { cause: error });
      throw error;
    }
    return this.requireSubject(sql, id);
  }

  /** Inside a write: one negative example, a row per model under one new id. */
  private async insertNegative(sql: Sql, subjectId: number, negative: NewNegative, embeddings: Map<string, Float32Array>, created: string | null = null): Promise<number> {
    const [[id]] = await sql.arrays<[string]>("SELECT nextval('negatives_id')") as [[string]];
    const models = [...embeddings.keys()];
    const vectors = [...embeddings.values()];
    await sql.rows(`INSERT INTO negatives (id, subject_id, content_hash, source_file, box, created, model_id, dim, vector)
      SELECT $1, $2, $3, $4, $5, coalesce($6::timestamptz, now()), * FROM unnest($7::text[], $8::int[], $9::bytea[])`,
    [id, subjectId, negative.contentHash, negative.sourceFile ?? null, negative.box ? JSON.stringify(negative.box) : null, created,
      models, vectors.map((v) => v.length), vectors.map(bytes)]);
    return Number(id);
  }

  /** Inside a write: one face row and its embeddings; a failure aborts the whole transaction. */
  private async insertFace(sql: Sql, subjectId: number, { face, embeddings }: PreparedFace, dims: Map<string, number | null>, created: string | null = null): Promise<number> {
    await this.checkDims(sql, embeddings, dims);
    let faceId: number;
    try {
      [[faceId]] = await sql.arrays<[number]>(`INSERT INTO faces (subject_id, source_file, content_hash, box, landmarks, quality, created)
        VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::timestamptz, now())) RETURNING id`, [
        subjectId, face.sourceFile ?? null, face.contentHash,
        face.box ? JSON.stringify(face.box) : null, face.landmarks ? JSON.stringify(face.landmarks) : null,
        face.quality ? JSON.stringify(face.quality) : null, created,
      ]) as [[number]];
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        const file = face.sourceFile ? ` (${face.sourceFile})` : '';
        throw new VisageError('VISAGE_ERR_DUPLICATE_FACE', `image ${face.contentHash.slice(0, 12)}…${file} is already enrolled for this subject; nothing was added`, { cause: error });
      }
      throw error;
    }
    await this.insertEmbeddings(sql, faceId, embeddings, dims, false);
    return faceId;
  }

  /** Inside a write: the gallery's vector length of each model, checked against `embeddings` (`dims`: those read already). */
  private async checkDims(sql: Sql, embeddings: Map<string, Float32Array>, dims: Map<string, number | null>): Promise<void> {
    // Dimensions of the models held: read once per transaction (the write lock keeps them still).
    const unknown = [...embeddings.keys()].filter((model) => !dims.has(model));
    if (unknown.length) {
      const found = new Map(await sql.arrays<[string, number]>('SELECT DISTINCT ON (model_id) model_id, dim FROM embeddings WHERE model_id = ANY($1::text[])', [unknown]));
      for (const model of unknown) dims.set(model, found.get(model) ?? null);
    }
    for (const [modelId, vector] of embeddings) {
      const dim = dims.get(modelId);
      if (dim !== null && dim !== undefined && dim !== vector.length) {
        throw new VisageError('VISAGE_ERR_BAD_INPUT', `embedding of "${modelId}" has ${vector.length} values, but the gallery holds ${dim}-value embeddings of that model; nothing was added`);
      }
    }
  }

  /** Inside a write: a face's embeddings (checked first unless `checked`). */
  private async insertEmbeddings(sql: Sql, faceId: number, embeddings: Map<string, Float32Array>, dims: Map<string, number | null>, check = true): Promise<void> {
    if (check) await this.checkDims(sql, embeddings, dims);
    const vectors = [...embeddings.values()];
    await sql.rows('INSERT INTO embeddings (face_id, model_id, dim, vector) SELECT $1, * FROM unnest($2::text[], $3::int[], $4::bytea[])',
      [faceId, [...embeddings.keys()], vectors.map((v) => v.length), vectors.map(bytes)]);
    for (const [modelId, vector] of embeddings) dims.set(modelId, vector.length);
  }
}

function runner(queryable: pg.Pool | pg.PoolClient): Sql {
  return {
    rows: async <T>(text: string, values?: unknown[]) => (await queryable.query(text, values)).rows as T[],
    arrays: async <T extends unknown[]>(text: string, values?: unknown[]) => (await queryable.query({ text, values, rowMode: 'array' })).rows as T[],
  };
}

