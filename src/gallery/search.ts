// SearchIndex: exact in-memory search over one embedder model's gallery embeddings.
// Embeddings are L2-normalised, so cosine similarity is a dot product: one pass of the WASM SIMD
// kernel (dot-kernel.ts) over a contiguous matrix, then a partial selection of the top k (no sort
// of all n). Loaded from a Gallery and kept in step with it: at once through the change events of
// the same gallery object, and by catchUp() for every other writer (another process or
// connection), from the gallery's change log. refresh() reloads everything.
//
// Per-subject scores under both strategies (see src/face/match/decision.ts); identify() applies
// the open-set decision to them. The gallery's negative examples of this model ("not this person")
// are held too and followed the same ways: a subject the query is a negative example of is passed
// over by searchSubjects() and identify() (face/match/negatives.ts).
//
// Past `approximateAbove` faces (mode 'auto'; always with mode 'approximate') the face scans go
// through an IVF index (ivf.ts): the one-byte codes of the faces in the lists nearest the query
// are scored, and the best `rerank` of them are scored again from the stored vectors, so a face
// found has its stored score and only faces elsewhere can be missed (recall@5 measured by
// bench/search.ts). Mean templates (one row per subject) stay exact. The IVF index is built in the
// background (slices on the event loop); until it is ready, searches are exact.
// Rows can be stored as float16 (precision option): half the memory; a score moves by at most
// 2^-11 (about 5e-4) for unit vectors, as each value moves by at most 2^-11 of itself.
import { VisageError } from '../errors.ts';
import { DotMatrix, type Precision } from './dot-kernel.ts';
import { IvfBuild, type IvfLists } from './ivf.ts';
import { checkStrategy, negativeMatch, negativeSubjects, openSetDecision, topK, type DecisionStrategy } from '../face/match/index.ts';
import type { Gallery, GalleryChange, ModelEmbeddings, ModelNegatives } from './gallery.ts';


export interface FaceMatch {
  faceId: number;
  subjectId: number;
  name: string;
  similarity: number;
}

export interface SubjectMatch {
  subjectId: number;
  name: string;
  similarity: number;
  /** Faces of this subject in the index. */
  faces: number;
}

export interface Identification {
  /** The best subject, or null (UNKNOWN) when its similarity is under the threshold or the index is empty. */
  subject: { id: number; name: string } | null;
  /** The best subject's similarity (null when the index is empty). */
  similarity: number | null;
  threshold: number;
  strategy: DecisionStrategy;
  /** The k best subjects, best first, whatever the threshold. */
  candidates: SubjectMatch[];
}

export interface SubjectSearchOptions {
  /** How many subjects (default 5). */
  k?: number;
  /** Default 'best-face'. */
  strategy?: DecisionStrategy;
  /** Pass over the subjects the query is a negative example of (default true). */
  honourNegatives?: boolean;
}

export interface IdentifyOptions extends SubjectSearchOptions {
  /** Similarity under which the answer is UNKNOWN. Required: it depends on the embedder. */
  threshold: number;
}


function positiveInteger(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what} must be a whole number >= 1, got ${String(value)}`);
  return value as number;
}

export type SearchMode = 'exact' | 'approximate' | 'auto';

/** How the index scans faces (SearchIndex.create/load, RecognizerOptions.search). */
export interface SearchOptions {
  /**
   * 'exact' scores every face; 'approximate' scores the faces of the IVF lists nearest the query;
   * 'auto' (default): exact up to `approximateAbove` faces, approximate above.
   */
  mode?: SearchMode;
  /** Default 1,000,000 (exact search takes about 25 ms per million 128-d faces). */
  approximateAbove?: number;
  /**
   * How face vectors are stored: 'float32' (default; 4 bytes a value) or 'float16' (2 bytes).
   * One matrix holds at most 4 GiB: about 8.3M faces of 128
   * values in float32, 16.6M in float16. float16 scores are within 5e-4 of float32's.
   */
  precision?: Precision;
  /** IVF lists; default about sqrt(faces), at most 2048. */
  lists?: number;
  /** Lists scored per query; default a quarter of the lists, at least 8, at most 256. */
  probes?: number;
  /** Candidates (best by their one-byte codes) scored again from the stored vectors; default 128. */
  rerank?: number;
}

const MODES: readonly SearchMode[] = ['exact', 'approximate', 'auto'];
export const DEFAULT_APPROXIMATE_ABOVE = 1_000_000;
/**
 * Lists probed by default: a quarter, at most 256. Chosen on bench/search.ts (face-like data,
 * recall@5 against exact search of the same stored vectors): at 1M (1000 lists) strangers need a
 * quarter (0.996; a fifth gives 0.994); at 10M (2048 lists) 256 find every face already (1.000,
 * 42 ms CPU), 512 the same at twice the time. Bigger galleries need a smaller share.
 */
const DEFAULT_PROBES_FRACTION = 1 / 4;
const DEFAULT_PROBES_MAX = 256;
const MAX_LISTS = 2048;
export const DEFAULT_RERANK = 128;
/** A background build runs in slices of this many milliseconds, so the event loop stays free. */
const BUILD_SLICE_MS = 20;

/** Where the approximate index stands (SearchIndex.approximateStatus, /health). */
export interface ApproximateStatus {
  /**
   * 'exact': searches score every face (approximate mode not in force, or no build started yet);
   * 'building': exact until the index is ready; 'ready': approximate.
   */
  state: 'exact' | 'building' | 'ready';
  faces: number;
  /** While building: the phase and how far it is (0..1), and seconds since it started. */
  phase?: 'training' | 'filing';
  progress?: number;
  buildingSeconds?: number;
  /** When ready (or while rebuilding, the index in use). */
  lists?: number;
  probes?: number;
  rerank?: number;
  trainedRows?: number;
  /** Seconds the last finished build took, from start to ready. */
  builtInSeconds?: number;
}
export interface SearchSettings {
  mode: SearchMode;
  approximateAbove: number;
  precision: Precision;
  lists: number | undefined;
  probes: number | undefined;
  rerank: number | undefined;
}

/** Validated search options over `base` (or the defaults); throws VISAGE_ERR_BAD_OPTION. */
export function searchSettings(options: SearchOptions = {}, base?: SearchSettings): SearchSettings {
  if (options === null || typeof options !== 'object') throw new VisageError('VISAGE_ERR_BAD_OPTION', 'search options must be an object');
  for (const key of Object.keys(options)) {
    if (!['mode', 'approximateAbove', 'precision', 'lists', 'probes', 'rerank'].includes(key)) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown search option "${key}"; known: mode, approximateAbove, precision, lists, probes, rerank`);
    }
  }
  const mode = options.mode ?? base?.mode ?? 'auto';
  if (!MODES.includes(mode)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `search mode must be one of ${MODES.join(', ')}, got ${String(mode)}`);
  const precision = options.precision ?? base?.precision ?? 'float32';
  if (precision !== 'float32' && precision !== 'float16') throw new VisageError('VISAGE_ERR_BAD_OPTION', `search precision must be float32 or float16, got ${String(precision)}`);
  const whole = (value: number | undefined, what: string) => (value === undefined ? undefined : positiveInteger(value, `search ${what}`));
  return {
    mode,
    precision,
    approximateAbove: whole(options.approximateAbove, 'approximateAbove') ?? base?.approximateAbove ?? DEFAULT_APPROXIMATE_ABOVE,
    lists: whole(options.lists, 'lists') ?? base?.lists,
    probes: whole(options.probes, 'probes') ?? base?.probes,
    rerank: whole(options.rerank, 'rerank') ?? base?.rerank,
  };
}

/** The default number of IVF lists for `rows` faces. */
export function defaultLists(rows: number): number {
  return Math.max(1, Math.min(MAX_LISTS, Math.round(Math.sqrt(rows))));
}

/** The default number of lists probed out of `lists`. */
export function defaultProbes(lists: number): number {
  return Math.min(lists, Math.max(8, Math.min(DEFAULT_PROBES_MAX, Math.round(lists * DEFAULT_PROBES_FRACTION))));
}


/**
 * Above this many changed faces (and this fraction of the index), catchUp() reloads everything
 * rather than re-reading face by face: one sequential read beats many lookups.
 */
const RESYNC_MAX_FACES = 256;
const RESYNC_MAX_FRACTION = 0.25;

export class SearchIndex {
  readonly modelId: string;
  private gallery: Gallery | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Changes heard while a load or a catch-up reads the gallery: applied after its snapshot, in order. */
  private pending: GalleryChange[] | null = null;
  /** The gallery change log's sequence number this index reflects (see catchUp). */
  private seq = 0;
  /** Loads and catch-ups run one at a time, in the order asked (each reads, then applies). */
  private syncTail: Promise<void> = Promise.resolve();
  /** A catch-up asked for but not started yet: later callers share it. */
  private queuedCatchUp: Promise<void> | null = null;
  private dimension: number;
  /** Created on the first vector when the dimension is not known yet. */
  private faces: DotMatrix | null = null;
  private rowFace = new Float64Array(0);
  private rowSlot = new Int32Array(0);
  // Subjects by dense slot; a slot is freed when its subject has no face left in the index.
  private readonly slotOf = new Map<number, number>();
  private slotSubject: number[] = [];
  private slotName: string[] = [];
  private slotCount: number[] = [];
  private freeSlots: number[] = [];
  /** Per slot, the sum of its faces' vectors (float64, dim values per slot): mean templates. */
  private slotSum = new Float64Array(0);
  private templates: DotMatrix | null = null;
  private readonly dirtySlots = new Set<number>();
  private settings: SearchSettings;
  /** The approximate index over `faces` once built (see ivfForSearch). */
  private ivf: IvfLists | null = null;
  /** Negative examples of this model by id: the subject they are not, and their unit vector. */
  private readonly negatives = new Map<number, { subjectId: number; vector: Float32Array }>();
  /** A build under way (in the background, or finished at once by prepareApproximate). */
  private build: IvfBuild | null = null;
  private buildStarted = 0;
  private builtInSeconds: number | undefined;
  /** CPU seconds of the last build finished by prepareApproximate(), by phase (for the bench). */
  lastBuildCpu: { training: number; filing: number } | null = null;
  private buildTimer: ReturnType<typeof setImmediate> | null = null;
  private buildWaiters: (() => void)[] = [];

  private constructor(modelId: string, dim: number, options?: SearchOptions) {
    this.modelId = modelId;
    this.dimension = dim;
    this.settings = searchSettings(options);
  }

  /** An empty index not tied to a gallery (fill it with add()/addMany()). dim 0: from the first vector. */
  static create(modelId: string, dim = 0, options?: SearchOptions): SearchIndex {
    return new SearchIndex(modelId, dim, options);
  }

  /** Loads every embedding of `modelId` from the gallery and follows its changes until close(). */
  static async load(gallery: Gallery, modelId: string, options?: SearchOptions): Promise<SearchIndex> {
    const index = new SearchIndex(modelId, 0, options);
    index.gallery = gallery;
    index.unsubscribe = gallery.onChange((change) => index.apply(change));
    try {
      await index.serially(() => index.reload());
    } catch (error) {
      index.close();
      throw error;
    }
    return index;
  }

  /** Vector length (0 until the first vector when created without one). */
  get dim(): number {
    return this.dimension;
  }

  /** Faces in the index. */
  get size(): number {
    return this.faces?.rows ?? 0;
  }

  /** Subjects with at least one face in the index. */
  get subjects(): number {
    return this.slotOf.size;
  }

  /** Negative examples held (of this model). */
  get negativeCount(): number {
    return this.negatives.size;
  }

  /** Keeps a negative example: `vector` (unit length, this model's) is never matched to `subjectId`. */
  addNegative(id: number, subjectId: number, vector: ArrayLike<number>): void {
    // One of another length (the gallery does not hold a model's negatives to its faces' length) never matches.
    this.negatives.set(id, { subjectId, vector: vector instanceof Float32Array ? vector : Float32Array.from(vector) });
  }

  removeNegative(id: number): boolean {
    return this.negatives.delete(id);
  }

  /** The search settings in force (defaults filled in but lists and probes, which follow the size). */
  get search(): Readonly<Required<Omit<SearchOptions, 'lists' | 'probes' | 'rerank'>>> & { lists: number | undefined; probes: number | undefined; rerank: number | undefined } {
    return { ...this.settings };
  }

  /**
   * Changes how the index searches. mode, approximateAbove, lists and probes apply from the next
   * search (new lists retrain the IVF index); precision only before the first face.
   */
  configure(options: SearchOptions): void {
    const next = searchSettings(options, this.settings);
    if (next.precision !== this.settings.precision && this.faces) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', 'search precision can only be set before the first face');
    }
    if (next.lists !== this.settings.lists) this.dropApproximate();
    this.settings = next;
  }

  /** Whether the next face search is approximate (IVF) under the settings and the size now. */
  get approximate(): boolean {
    const { mode, approximateAbove } = this.settings;
    return this.size > 0 && (mode === 'approximate' || (mode === 'auto' && this.size > approximateAbove));
  }

  /**
   * Builds the IVF index now, blocking, rather than in the background (a build under way is
   * finished). Rebuild policy: built in the background when searches turn approximate (at load,
   * or when the size passes approximateAbove) and searched exactly until ready; new faces go to
   * their nearest list; rebuilt in the background when the index has doubled or halved since
   * (the old one serves meanwhile), or on reload. Returns false when searches are exact.
   */
  prepareApproximate(): boolean {
    if (!this.approximate || !this.faces) return false;
    if (this.ivf && !this.stale(this.ivf) && !this.build) return true;
    this.startBuild(false);
    const build = this.build!;
    this.finishBuild(build.step()!);
    this.lastBuildCpu = { ...build.cpuSeconds };
    return true;
  }

  /**
   * Builds the IVF index in the background (slices of about 20 ms on the event loop): searches
   * are exact until it is ready. Resolves true once it is, false when searches are exact (or the
   * index was closed or cleared meanwhile).
   */
  buildApproximate(): Promise<boolean> {
    if (!this.approximate || !this.faces) return Promise.resolve(false);
    if (this.ivf && !this.stale(this.ivf) && !this.build) return Promise.resolve(true);
    this.startBuild(true);
    return new Promise((resolve) => this.buildWaiters.push(() => resolve(this.ivf !== null && this.build === null)));
  }

  /** The IVF index's lists and how full they are (null while searches are exact or before it is built). */
  get approximateIndex(): { lists: number; probes: number; rerank: number; trainedRows: number; largestList: number; meanList: number } | null {
    if (!this.ivf) return null;
    const { largest, mean } = this.ivf.balance();
    return { lists: this.ivf.lists, probes: this.probes(this.ivf), rerank: this.settings.rerank ?? DEFAULT_RERANK, trainedRows: this.ivf.trainedRows, largestList: largest, meanList: mean };
  }

  /** Whether searches are exact, or approximate with the index ready or being built (for /health). */
  get approximateStatus(): ApproximateStatus {
    const faces = this.size;
    const status: ApproximateStatus = { state: 'exact', faces };
    if (!this.approximate) return status;
    if (this.ivf) Object.assign(status, { lists: this.ivf.lists, probes: this.probes(this.ivf), rerank: this.settings.rerank ?? DEFAULT_RERANK, trainedRows: this.ivf.trainedRows });
    if (this.builtInSeconds !== undefined) status.builtInSeconds = Math.round(this.builtInSeconds * 10) / 10;
    if (this.build) {
      const { phase, done } = this.build.progress;
      if (phase !== 'ready') Object.assign(status, { phase, progress: Math.round(done * 1000) / 1000 });
      status.buildingSeconds = Math.round((performance.now() - this.buildStarted) / 100) / 10;
    }
    status.state = this.ivf ? 'ready' : this.build ? 'building' : 'exact';
    return status;
  }

  /** Bytes held by the index's arrays (vectors, row maps, subject sums and templates, IVF). */
  get bytes(): number {
    return (this.faces?.bytes ?? 0) + this.rowFace.byteLength + this.rowSlot.byteLength + this.slotSum.byteLength
      + (this.templates?.bytes ?? 0) + (this.ivf?.bytes ?? 0);
  }

  /** Reloads everything from the gallery. */
  async refresh(): Promise<void> {
    this.requireGallery();
    await this.serially(() => this.reload());
  }

  /**
   * Applies the changes committed since this index was last in step, by any writer (another
   * process included), from the gallery's change log: the faces concerned are removed and read
   * again (those still there come back, with their current subject), renamed subjects get their
   * new names. Re-reading a face already applied through the change events is harmless. A big
   * batch, or a log that no longer reaches back far enough, reloads everything. When nothing
   * changed it costs one indexed read. Concurrent callers share a catch-up not started yet.
   */
  async catchUp(): Promise<void> {
    this.requireGallery();
    this.queuedCatchUp ??= this.serially(async () => {
      this.queuedCatchUp = null;
      await this.catchUpNow();
    });
    return this.queuedCatchUp;
  }

  /** The gallery change log's sequence number this index is in step with. */
  get sequence(): number {
    return this.seq;
  }

  private requireGallery(): Gallery {
    if (!this.gallery) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'this index was not loaded from a gallery');
    return this.gallery;
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.syncTail.then(task);
    this.syncTail = run.catch(() => undefined);
    return run;
  }

  private async catchUpNow(): Promise<void> {
    const gallery = this.gallery;
    if (!gallery) return; // closed meanwhile
    const changes = await gallery.changesSince(this.seq);
    if (changes.reload || changes.faceIds.length > Math.max(RESYNC_MAX_FACES, this.size * RESYNC_MAX_FRACTION)) {
      await this.reload();
      return;
    }
    for (const { id, name } of changes.renamed) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined) this.slotName[slot] = name;
    }
    const negativeIds = changes.negativeIds ?? [];
    if (changes.faceIds.length > 0 || negativeIds.length > 0) {
      this.pending = [];
      try {
        // Both read after the log: each holds at least what the log listed (re-reading is harmless).
        const current = changes.faceIds.length > 0 ? await gallery.embeddingsFor(this.modelId, changes.faceIds) : null;
        const negatives = negativeIds.length > 0 ? await gallery.negativesFor(this.modelId, negativeIds) : null;
        if (!this.gallery) return;
        if (current) {
          this.removeFaces(new Set(changes.faceIds));
          this.fill(current);
          for (const [subjectId, name] of current.subjectNames) {
            const slot = this.slotOf.get(subjectId);
            if (slot !== undefined) this.slotName[slot] = name;
          }
        }
        if (negatives) {
          for (const id of negativeIds) this.negatives.delete(id);
          this.fillNegatives(negatives);
        }
        // Changes heard meanwhile that neither snapshot holds (the older of the two decides).
        this.replay(Math.min(current?.seq ?? Infinity, negatives?.seq ?? Infinity));
      } finally {
        this.pending = null;
      }
    }
    this.seq = changes.seq;
  }

  /** Snapshot, then the changes heard since that it does not hold, in order (replay). */
  private async reload(): Promise<void> {
    this.pending = [];
    try {
      const embeddings = await this.requireGallery().embeddingsFor(this.modelId);
      const negatives = await this.requireGallery().negativesFor(this.modelId);
      if (!this.gallery) return; // closed meanwhile
      this.clear();
      this.fill(embeddings);
      this.fillNegatives(negatives);
      // The negatives were read after the faces: what changed between the two is in the log after
      // embeddings.seq, which the next catch-up reads again (a negative re-read is harmless).
      this.replay(embeddings.seq);
      this.seq = embeddings.seq;
      // Approximate from the start: the IVF index is built in the background, exact until then.
      if (this.approximate) this.startBuild(true);
    } finally {
      this.pending = null;
    }
  }

  /**
   * The changes heard while a snapshot (sequence number `seq`) was read, in order, but those it
   * already holds. SQLite reads its snapshot at the call, so every change heard after is newer; a
   * server-backed store's listener may hear a change committed before the snapshot was read. In a
   * catch-up, such a change to a face not re-read reaches the index at the next catch-up, which
   * starts from the log's sequence number before this one.
   */
  private replay(seq: number): void {
    for (const change of this.pending ?? []) {
      if (change.seq === undefined || change.seq > seq) this.applyNow(change);
    }
  }

  /** Stops following the gallery, stops a build under way and frees the matrices. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.gallery = null;
    this.clear();
    this.faces = null;
    this.templates = null;
  }

  /** Applies a gallery change (done automatically for an index made by load()). */
  apply(change: GalleryChange): void {
    if (this.pending) this.pending.push(change);
    else this.applyNow(change);
  }

  private applyNow(change: GalleryChange): void {
    switch (change.type) {
      case 'subject-added':
        break; // no face yet
      case 'faces-added':
        for (const face of change.faces) {
          const vector = face.embeddings[this.modelId];
          if (vector) this.add(face.id, change.subject.id, change.subject.name, vector);
        }
        break;
      case 'face-deleted':
        this.removeFace(change.faceId);
        break;
      case 'embeddings-added': {
        // A face this index did not hold (it had no vector of this model) that now has one.
        const vector = change.embeddings[this.modelId];
        if (vector) {
          this.removeFace(change.faceId);
          this.add(change.faceId, change.subject.id, change.subject.name, vector);
        }
        break;
      }
      case 'negative-added':
        for (const negative of change.negatives) {
          const vector = negative.embeddings[this.modelId];
          if (vector) this.addNegative(negative.id, change.subjectId, vector);
        }
        break;
      case 'negative-deleted':
        this.removeNegative(change.negativeId);
        break;
      case 'subject-renamed': {
        const slot = this.slotOf.get(change.subjectId);
        if (slot !== undefined) this.slotName[slot] = change.name;
        break;
      }
      case 'subjects-merged':
        for (const faceId of change.droppedFaceIds) this.removeFace(faceId);
        this.mergeSubjects(change.fromId, change.into.id, change.into.name);
        for (const negative of this.negatives.values()) if (negative.subjectId === change.fromId) negative.subjectId = change.into.id;
        break;
      case 'subject-deleted':
        this.removeSubject(change.subjectId);
        for (const [id, negative] of this.negatives) if (negative.subjectId === change.subjectId) this.negatives.delete(id);
        break;
      case 'reset':
        this.clear();
        break;
    }
  }

  /** Adds one face. The vector should be L2-normalised (gallery embeddings are). */
  add(faceId: number, subjectId: number, name: string, vector: ArrayLike<number>): void {
    const row = vector instanceof Float32Array ? vector : Float32Array.from(vector);
    this.addMany(Float64Array.of(faceId), Float64Array.of(subjectId), row, new Map([[subjectId, name]]));
  }

  /** Adds count = faceIds.length faces whose vectors lie contiguously in `vectors`. */
  addMany(faceIds: ArrayLike<number>, subjectIds: ArrayLike<number>, vectors: Float32Array, names: Map<number, string>): void {
    const count = faceIds.length;
    if (count === 0) return;
    const dim = vectors.length / count;
    if (!Number.isInteger(dim) || dim <= 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${vectors.length} values do not make ${count} vectors`);
    const matrix = this.matrixFor(dim);
    const start = matrix.rows;
    try {
      matrix.append(vectors, count);
    } catch (error) {
      const hint = this.settings.precision === 'float32' ? " (search precision 'float16' holds twice as many)" : '';
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `search index: ${(error as Error).message}${hint}`, { cause: error });
    }
    this.growRows(matrix.rows);
    // A built index files the new rows now; a build under way files them before it ends. Turning
    // approximate (or doubling) starts a build in the background.
    this.ivf?.fileNext(matrix, count);
    if (this.approximate && !this.build && (!this.ivf || this.stale(this.ivf))) this.startBuild(true);
    for (let i = 0; i < count; i++) {
      const subjectId = subjectIds[i]!;
      let slot = this.slotOf.get(subjectId);
      if (slot === undefined) slot = this.newSlot(subjectId, names.get(subjectId) ?? String(subjectId));
      this.rowFace[start + i] = faceIds[i]!;
      this.rowSlot[start + i] = slot;
      this.slotCount[slot]!++;
      const sum = slot * dim;
      const from = i * dim;
      for (let j = 0; j < dim; j++) this.slotSum[sum + j]! += vectors[from + j]!;
      this.dirtySlots.add(slot);
    }
  }

  /** Makes room for `total` faces at once (a load knows its count: no doubling slack). */
  reserve(total: number, dim = this.dimension): void {
    if (dim <= 0) return;
    this.matrixFor(dim).reserve(total);
    this.growRows(total);
  }

  /** Removes a face; false when it is not in the index. */
  removeFace(faceId: number): boolean {
    const n = this.size;
    for (let row = 0; row < n; row++) {
      if (this.rowFace[row] === faceId) {
        this.removeRow(row);
        return true;
      }
    }
    return false;
  }

  /** Removes the faces listed (those in the index): one pass over the rows. */
  removeFaces(faceIds: ReadonlySet<number>): number {
    let removed = 0;
    // Backwards: removeRow moves the last row into the freed one, and that row was seen already.
    for (let row = this.size - 1; row >= 0; row--) {
      if (faceIds.has(this.rowFace[row]!)) {
        this.removeRow(row);
        removed++;
      }
    }
    return removed;
  }

  removeSubject(subjectId: number): void {
    const slot = this.slotOf.get(subjectId);
    if (slot === undefined) return;
    for (let row = this.size - 1; row >= 0; row--) if (this.rowSlot[row] === slot) this.removeRow(row);
  }

  /** Moves every face of `fromId` to `intoId` (named `intoName`). */
  mergeSubjects(fromId: number, intoId: number, intoName: string): void {
    const from = this.slotOf.get(fromId);
    if (from === undefined) {
      const into = this.slotOf.get(intoId);
      if (into !== undefined) this.slotName[into] = intoName;
      return;
    }
    const into = this.slotOf.get(intoId);
    if (into === undefined) {
      // into had no face of this model: from's slot becomes into's.
      this.slotOf.delete(fromId);
      this.slotOf.set(intoId, from);
      this.slotSubject[from] = intoId;
      this.slotName[from] = intoName;
      return;
    }
    const dim = this.dimension;
    for (let row = 0; row < this.size; row++) if (this.rowSlot[row] === from) this.rowSlot[row] = into;
    for (let j = 0; j < dim; j++) this.slotSum[into * dim + j]! += this.slotSum[from * dim + j]!;
    this.slotCount[into]! += this.slotCount[from]!;
    this.slotName[into] = intoName;
    this.dirtySlots.add(into);
    this.slotCount[from] = 0;
    this.freeSlot(from);
  }

  /** The k faces most similar to `query`, best first. */
  searchFaces(query: ArrayLike<number>, k = 5): FaceMatch[] {
    positiveInteger(k, 'k');
    const unit = this.queryVector(query);
    if (!unit || !this.faces) return [];
    const { scores, rows } = this.scan(unit, k);
    return topK(scores, scores.length, k).map(({ index, score }) => {
      const row = rows ? rows[index]! : index;
      const slot = this.rowSlot[row]!;
      return { faceId: this.rowFace[row]!, subjectId: this.slotSubject[slot]!, name: this.slotName[slot]!, similarity: score };
    });
  }

  /** The face of one subject most similar to `query`, or null when that subject has no face here. */
  bestFaceOf(query: ArrayLike<number>, subjectId: number): FaceMatch | null {
    const slot = this.slotOf.get(subjectId);
    const unit = this.queryVector(query);
    if (slot === undefined || !unit || !this.faces) return null;
    const scores = this.faces.dotAll(unit);
    let best = -1;
    for (let row = 0; row < scores.length; row++) {
      if (this.rowSlot[row] === slot && (best < 0 || scores[row]! > scores[best]!)) best = row;
    }
    return best < 0 ? null : { faceId: this.rowFace[best]!, subjectId, name: this.slotName[slot]!, similarity: scores[best]! };
  }

  /** Whether `query` is one of `subjectId`'s negative examples held by this index ("not this person"). */
  isNegativeOf(query: ArrayLike<number>, subjectId: number): boolean {
    if (this.negatives.size === 0) return false;
    const unit = this.queryVector(query);
    return unit !== null && negativeSubjects(this.negatives.values(), unit, negativeMatch(this.modelId)).has(subjectId);
  }

  /** The k subjects most similar to `query` under a strategy, best first. */
  searchSubjects(query: ArrayLike<number>, options: SubjectSearchOptions = {}): SubjectMatch[] {
    const k = positiveInteger(options.k ?? 5, 'k');
    const strategy = checkStrategy(options.strategy ?? 'best-face');
    const unit = this.queryVector(query);
    if (!unit || !this.faces) return [];
    // Subjects this face was said not to be: never candidates (their slots are left out below).
    const refused = options.honourNegatives === false || this.negatives.size === 0 ? null : negativeSubjects(this.negatives.values(), unit, negativeMatch(this.modelId));
    const slots = this.slotSubject.length;
    let perSlot: Float32Array;
    if (strategy === 'best-face') {
      const { scores, rows } = this.scan(unit, k);
      perSlot = new Float32Array(slots).fill(-Infinity);
      const rowSlot = this.rowSlot;
      for (let i = 0; i < scores.length; i++) {
        const slot = rowSlot[rows ? rows[i]! : i]!;
        if (scores[i]! > perSlot[slot]!) perSlot[slot] = scores[i]!;
      }
    } else {
      perSlot = this.templateMatrix().dotAll(unit);
    }
    const counts = this.slotCount;
    // Approximate scans leave subjects unseen (-Infinity): they are not candidates.
    const subjectOf = this.slotSubject;
    return topK(perSlot, slots, k, (slot) => counts[slot]! > 0 && perSlot[slot]! > -Infinity && !refused?.has(subjectOf[slot]!)).map(({ index, score }) => ({
      subjectId: this.slotSubject[index]!, name: this.slotName[index]!, similarity: score, faces: counts[index]!,
    }));
  }

  /** Who this is, or UNKNOWN (subject null) when the best similarity is under the threshold. */
  identify(query: ArrayLike<number>, options: IdentifyOptions): Identification {
    const threshold = options?.threshold;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `identify needs a numeric threshold, got ${String(threshold)}`);
    }
    const strategy = checkStrategy(options.strategy ?? 'best-face');
    const candidates = this.searchSubjects(query, { k: options.k ?? 5, strategy, honourNegatives: options.honourNegatives });
    const best = candidates[0];
    const accepted = openSetDecision(candidates, threshold);
    return {
      subject: accepted ? { id: accepted.subjectId, name: accepted.name } : null,
      similarity: best ? best.similarity : null,
      threshold,
      strategy,
      candidates,
    };
  }

  // --- internals ---

  /**
   * Scores of the faces a search looks at: every row (rows null), or the candidates of the probed
   * IVF lists scored again from the stored vectors (scores[i] belongs to row rows[i]). Views valid
   * until the next scan.
   */
  private scan(unit: Float32Array, k: number): { scores: Float32Array; rows: Int32Array | null } {
    const faces = this.faces!;
    const ivf = this.ivfForSearch();
    if (!ivf) return { scores: faces.dotAll(unit), rows: null };
    const rows = ivf.candidates(unit, this.probes(ivf), Math.max(k, this.settings.rerank ?? DEFAULT_RERANK));
    return { scores: faces.dotRows(unit, rows), rows };
  }

  private probes(ivf: IvfLists): number {
    return Math.min(ivf.lists, this.settings.probes ?? defaultProbes(ivf.lists));
  }

  /**
   * The IVF index when searches are approximate and it is built; null means an exact scan. Starts
   * a background build when there is none, or when the size has doubled or halved since (the old
   * index serves meanwhile).
   */
  private ivfForSearch(): IvfLists | null {
    if (!this.approximate || !this.faces) return null;
    if ((!this.ivf || this.stale(this.ivf)) && !this.build) this.startBuild(true);
    return this.ivf;
  }

  private fillNegatives(negatives: ModelNegatives): void {
    for (const { id, subjectId, vector } of negatives.negatives) this.addNegative(id, subjectId, vector);
  }

  private stale(ivf: IvfLists): boolean {
    const rows = this.size;
    return rows > 2 * ivf.trainedRows || rows < ivf.trainedRows / 2;
  }

  private startBuild(background: boolean): void {
    if (!this.build) {
      this.build = new IvfBuild(this.faces!, this.settings.lists ?? defaultLists(this.size));
      this.buildStarted = performance.now();
    }
    if (!background || this.buildTimer) return;
    const build = this.build;
    const tick = () => {
      this.buildTimer = null;
      if (this.build !== build) return; // finished at once, dropped, or closed
      const done = build.step(BUILD_SLICE_MS);
      if (done) this.finishBuild(done);
      else this.buildTimer = setImmediate(tick);
    };
    this.buildTimer = setImmediate(tick);
  }

  private finishBuild(ivf: IvfLists): void {
    this.ivf = ivf;
    this.build = null;
    this.builtInSeconds = (performance.now() - this.buildStarted) / 1000;
    this.wakeBuildWaiters();
  }

  /** Forgets the IVF index and stops a build under way (its waiters resolve false). */
  private dropApproximate(): void {
    this.ivf = null;
    this.build = null;
    if (this.buildTimer) clearImmediate(this.buildTimer);
    this.buildTimer = null;
    this.wakeBuildWaiters();
  }

  private wakeBuildWaiters(): void {
    const waiters = this.buildWaiters;
    this.buildWaiters = [];
    for (const wake of waiters) wake();
  }

  private fill(embeddings: ModelEmbeddings): void {
    if (embeddings.count > 0) this.reserve(this.size + embeddings.count, embeddings.vectors.length / embeddings.count);
    if (embeddings.count > 0) this.addMany(embeddings.faceIds, embeddings.subjectIds, embeddings.vectors, embeddings.subjectNames);
  }

  private matrixFor(dim: number): DotMatrix {
    if (this.dimension === 0) this.dimension = dim;
    if (dim !== this.dimension) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `vectors of ${dim} values do not fit an index of ${this.modelId} (${this.dimension} values)`);
    }
    this.faces ??= new DotMatrix(dim, 1024, this.settings.precision);
    return this.faces;
  }

  private queryVector(query: ArrayLike<number>): Float32Array | null {
    // Checked before the empty-index answer: a missing embedding (another embedder's id) is a caller's
    // mistake, not a stranger.
    if (!query || typeof query.length !== 'number') {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `query must be an embedding (an array of numbers), got ${query === null ? 'null' : typeof query}`);
    }
    if (this.dimension === 0) return null;
    if (query.length !== this.dimension) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `query has ${query?.length} values, the ${this.modelId} index ${this.dimension}`);
    }
    const unit = Float32Array.from(query);
    let sum = 0;
    for (let j = 0; j < unit.length; j++) sum += unit[j]! * unit[j]!;
    if (!(sum > 0) || !Number.isFinite(sum)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'query vector is zero or not finite');
    const scale = 1 / Math.sqrt(sum);
    for (let j = 0; j < unit.length; j++) unit[j]! *= scale;
    return unit;
  }

  private growRows(total: number): void {
    if (total <= this.rowFace.length) return;
    const capacity = Math.max(total, this.rowFace.length * 2, 1024);
    const faces = new Float64Array(capacity);
    faces.set(this.rowFace);
    const slots = new Int32Array(capacity);
    slots.set(this.rowSlot);
    this.rowFace = faces;
    this.rowSlot = slots;
  }

  private newSlot(subjectId: number, name: string): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.slotSubject.length;
      this.slotSubject.push(subjectId);
      this.slotName.push(name);
      this.slotCount.push(0);
      const dim = this.dimension;
      if ((slot + 1) * dim > this.slotSum.length) {
        const sums = new Float64Array(Math.max((slot + 1) * dim, this.slotSum.length * 2));
        sums.set(this.slotSum);
        this.slotSum = sums;
      }
    } else {
      this.slotSubject[slot] = subjectId;
      this.slotName[slot] = name;
      this.slotCount[slot] = 0;
    }
    this.slotSum.fill(0, slot * this.dimension, (slot + 1) * this.dimension);
    this.slotOf.set(subjectId, slot);
    return slot;
  }

  private freeSlot(slot: number): void {
    this.slotOf.delete(this.slotSubject[slot]!);
    this.slotSubject[slot] = -1;
    this.slotName[slot] = '';
    this.freeSlots.push(slot);
    this.dirtySlots.add(slot);
  }

  private removeRow(row: number): void {
    const faces = this.faces!;
    const dim = this.dimension;
    const slot = this.rowSlot[row]!;
    const vector = faces.row(row);
    for (let j = 0; j < dim; j++) this.slotSum[slot * dim + j]! -= vector[j]!;
    this.slotCount[slot]!--;
    this.dirtySlots.add(slot);
    const last = faces.rows - 1;
    this.ivf?.removeRow(row, last, faces);
    this.build?.lists?.removeRow(row, last, faces);
    faces.swapRemove(row);
    this.rowFace[row] = this.rowFace[last]!;
    this.rowSlot[row] = this.rowSlot[last]!;
    if (this.slotCount[slot] === 0) this.freeSlot(slot);
  }

  private clear(): void {
    this.faces?.clear();
    this.negatives.clear();
    this.dropApproximate();
    this.slotOf.clear();
    this.slotSubject = [];
    this.slotName = [];
    this.slotCount = [];
    this.freeSlots = [];
    this.slotSum = new Float64Array(0);
    this.templates?.clear();
    this.dirtySlots.clear();
  }

  /** One row per slot: the normalised mean of its faces, recomputed only for changed slots. */
  private templateMatrix(): DotMatrix {
    const dim = this.dimension;
    const slots = this.slotSubject.length;
    this.templates ??= new DotMatrix(dim, slots);
    const templates = this.templates;
    if (templates.rows !== slots) {
      const old = templates.rows;
      templates.resize(slots);
      for (let slot = old; slot < slots; slot++) this.dirtySlots.add(slot);
    }
    if (this.dirtySlots.size === 0) return templates;
    const row = new Float32Array(dim);
    for (const slot of this.dirtySlots) {
      if (slot >= slots) continue;
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += this.slotSum[slot * dim + j]! ** 2;
      const scale = norm > 0 && this.slotCount[slot]! > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = 0; j < dim; j++) row[j] = this.slotSum[slot * dim + j]! * scale;
      templates.setRow(slot, row);
    }
    this.dirtySlots.clear();
    return templates;
  }
}
