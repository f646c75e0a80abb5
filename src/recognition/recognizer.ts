// Recognizer: Visage (faces and embeddings) + a Gallery (who is enrolled) + a SearchIndex (who is
// this?). Enrol, identify, verify, nearest people and reindex, transport-free: the CLI and the
// server call the same methods and get plain JSON-serialisable results.
//
// Matching happens in one embedding space, the first configured embedder's
// (visage.config.embedders[0]); enrolment stores every configured embedder's vector, so adding
// an embedder later only needs `reindex()` (reindex.ts) for the faces enrolled before.
import path from 'node:path';
import { readImageFile } from '../face/image/files.ts';
import { createVisage, type Visage } from '../visage.ts';
import { VisageError } from '../errors.ts';
import type { ImageInput } from '../face/image/decode.ts';
import { VIDEO_SNIFF_BYTES, videoContainer, videoNotImageError } from '../face/image/video.ts';
import type { Gallery, SubjectRef } from '../gallery/gallery.ts';
import { openGallery } from '../gallery/open.ts';
import { SearchIndex, searchSettings, type ApproximateStatus, type SearchOptions, type SubjectMatch } from '../gallery/search.ts';
import { hasChangeFeed, IndexSync, type SyncStatus } from '../gallery/sync.ts';
import { assignOncePerImage, checkStrategy, checkThreshold, cosine, DEFAULT_STRATEGY, defaultThreshold, openSetDecision, type DecisionStrategy } from '../face/match/index.ts';
import { contentHash } from '../gallery/portable.ts';
import type { Face } from '../types.ts';
import { chooseEnrolmentFace, largestFaceIndex, type EnrolmentQuality, type SkipReason } from './enrolment.ts';
import { ENROLMENT_GATE, gateNeedsEyes, OPEN_GATE, resolveGate } from '../face/quality/gate.ts';
import { eyeModelAvailable } from '../face/quality/eyes.ts';
import { reindexGallery } from './reindex.ts';
import type { LivenessAttribute } from '../attributes/attributes.ts';
import { chooseEmbedders, requestedEmbedders, type EmbedderChoice } from './embedder-choice.ts';
import { defaultEmbedders } from '../face/embed/index.ts';
import { trackVideo, type VideoEvent, type VideoOptions } from '../video/video.ts';
import type {
  Candidate, Coverage, EnrollOptions, EnrollOutcome, IdentifiedFace, Identification, IdentifyCallOptions, RecognizerOptions,
  ReindexOptions, ReindexSummary, SubjectVerification, Verification, VerifyCallOptions,
} from './types.ts';


export class Recognizer {
  readonly visage: Visage;
  readonly gallery: Gallery;
  /** The embedder whose space matching happens in: visage.config.embedders[0]. */
  readonly modelId: string;
  /** Why that embedder: asked for, the default, or the one the gallery was built with (with a note). */
  readonly embedderChoice: EmbedderChoice;
  private readonly thresholdOption: number | undefined;
  readonly strategy: DecisionStrategy;
  /** The enrolment quality gate (ENROLMENT_GATE with the recognizer's changes); a call can change it again. */
  readonly enrolmentQuality: Readonly<EnrolmentQuality>;
  /** Refuse faces the liveness model calls a spoof unless a call says otherwise. */
  readonly requireLive: boolean;
  private readonly searchOptions: SearchOptions | undefined;
  private readonly ownsVisage: boolean;
  private readonly ownsGallery: boolean;
  private index: Promise<SearchIndex> | null = null;
  /** The index once loaded (for status reads that must not wait). */
  private loadedIndex: SearchIndex | null = null;
  /** Set when the index follows the gallery by LISTEN/NOTIFY (RecognizerOptions.sync). */
  private sync: IndexSync | null = null;
  private readonly syncMode: 'listen' | 'per-request';
  private readonly safetyPeriodMs: number | undefined;
  private closed = false;

  private constructor(visage: Visage, gallery: Gallery, options: RecognizerOptions, owns: { visage: boolean; gallery: boolean }, choice: EmbedderChoice) {
    this.visage = visage;
    this.embedderChoice = choice;
    this.gallery = gallery;
    this.modelId = visage.config.embedders[0]!;
    this.thresholdOption = options.threshold;
    this.strategy = checkStrategy(options.strategy ?? DEFAULT_STRATEGY);
    this.enrolmentQuality = resolveGate(ENROLMENT_GATE, options.enrolmentQuality, 'enrolmentQuality');
    this.requireLive = checkRequireLive(options.requireLive) ?? false;
    this.searchOptions = options.search;
    this.ownsVisage = owns.visage;
    this.ownsGallery = owns.gallery;
    this.syncMode = options.sync === 'per-request' || !hasChangeFeed(gallery) ? 'per-request' : 'listen';
    this.safetyPeriodMs = options.safetyPeriodMs;
  }

  static async create(options: RecognizerOptions): Promise<Recognizer> {
    if (!options || (options.gallery === undefined && options.db === undefined)) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', 'createRecognizer needs a gallery or a db file');
    }
    if (options.visage && options.visageOptions) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'give visage or visageOptions, not both');
    // Settle the options that can fail before opening anything.
    if (options.threshold !== undefined) checkThreshold(options.threshold, 'threshold');
    if (options.strategy !== undefined) checkStrategy(options.strategy);
    if (options.sync !== undefined && options.sync !== 'listen' && options.sync !== 'per-request') {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `sync must be 'listen' or 'per-request', got ${String(options.sync)}`);
    }
    if (options.safetyPeriodMs !== undefined && !(Number.isInteger(options.safetyPeriodMs) && options.safetyPeriodMs >= 10)) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `safetyPeriodMs must be a whole number >= 10, got ${String(options.safetyPeriodMs)}`);
    }
    if (options.search !== undefined) searchSettings(options.search);
    resolveGate(ENROLMENT_GATE, options.enrolmentQuality, 'enrolmentQuality');
    const gallery = options.gallery ?? await openGallery(options.db!, options.galleryOptions);
    let visage: Visage;
    let choice: EmbedderChoice;
    try {
      if (options.visage) {
        choice = { embedders: [...options.visage.config.embedders], reason: 'configured', defaultEmbedder: defaultEmbedders()[0]! };
        visage = options.visage;
      } else {
        // Embedders or a preset asked for are used as asked; bad options fail before the gallery's choice.
        const requested = requestedEmbedders(options.visageOptions);
        choice = options.embedders === 'default' && !requested
          ? { embedders: defaultEmbedders(), reason: 'default', defaultEmbedder: defaultEmbedders()[0]! }
          : await chooseEmbedders(gallery, requested);
        visage = await createVisage({ ...options.visageOptions, preset: undefined, embedders: choice.embedders });
      }
    } catch (error) {
      if (!options.gallery) await gallery.close();
      throw error;
    }
    try {
      return new Recognizer(visage, gallery, options, { visage: !options.visage, gallery: !options.gallery }, choice);
    } catch (error) {
      if (!options.visage) await visage.close();
      if (!options.gallery) await gallery.close();
      throw error;
    }
  }

  /** The open-set threshold: the one given, else the matching embedder's calibrated default for the strategy. */
  get threshold(): number {
    return this.decision({}).threshold;
  }

  /**
   * A call's strategy and threshold: its own, else this recognizer's, else the strategy's calibrated
   * default (`explicit` false: then a small face's threshold rises, see faceThreshold).
   */
  private decision(options: { threshold?: number; strategy?: DecisionStrategy }, grey = false): { strategy: DecisionStrategy; threshold: number; explicit: boolean; grey: boolean } {
    const strategy = options.strategy === undefined ? this.strategy : checkStrategy(options.strategy);
    const given = options.threshold !== undefined ? checkThreshold(options.threshold, 'threshold') : this.thresholdOption;
    return { strategy, threshold: given ?? defaultThreshold(this.modelId, strategy, grey), explicit: given !== undefined, grey };
  }

  /**
   * The threshold one face is held to: the decision's, or, for a default one, the default for the
   * face's size (a small face's is stricter: thresholds.ts, SMALL_FACE_RISES). A threshold given
   * by the caller or the recognizer's options is used as given for every face.
   */
  private faceThreshold(decision: { strategy: DecisionStrategy; threshold: number; explicit: boolean; grey: boolean }, size: number | undefined): number {
    return decision.explicit ? decision.threshold : defaultThreshold(this.modelId, decision.strategy, decision.grey, size);
  }

  private check(): void {
    if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'this Recognizer was closed');
  }

  /** The search index over the matching model, loaded on first use (alongside an image's analysis). */
  private loadIndex(): Promise<SearchIndex> {
    this.index ??= this.openIndex().catch((error) => { this.index = null; throw error; });
    return this.index;
  }

  private async openIndex(): Promise<SearchIndex> {
    const index = await SearchIndex.load(this.gallery, this.modelId, this.searchOptions);
    this.loadedIndex = index;
    if (this.syncMode === 'listen' && hasChangeFeed(this.gallery)) {
      try {
        this.sync = await IndexSync.start(index, this.gallery, { safetyPeriodMs: this.safetyPeriodMs });
      } catch (error) {
        index.close();
        this.loadedIndex = null;
        throw error;
      }
      if (this.closed) await this.sync.close();
    }
    return index;
  }

  /**
   * The search index in step with the writes committed so far, by any process: this gallery
   * object's own as they commit; every other writer's from the gallery's change log, either right
   * here (one indexed read when nothing changed: SQLite, or sync 'per-request') or as PostgreSQL
   * notifies them (sync 'listen': a catch-up under way is waited for, no round trip of its own).
   * Negative examples ("not this person") are part of the index and of the change log: they are
   * followed the same way, and kept in memory while the database is away.
   * Called right before matching, after the image's analysis, so that a write committed while the
   * image was analysed is seen too.
   */
  private async searchIndex(): Promise<SearchIndex> {
    const index = await this.loadIndex();
    if (this.sync) await this.sync.beforeRead();
    else await index.catchUp();
    return index;
  }

  /**
   * Loads the search index now (rather than at the first search) and, with sync 'listen', starts
   * following the gallery: a server calls it at start so that its first answers and /health have it.
   */
  async prepare(): Promise<void> {
    this.check();
    await this.loadIndex();
  }

  /**
   * How searches run now: exact, or approximate with the IVF index building (answered exactly
   * until it is ready) or ready. Null until the index is loaded (prepare() or the first search).
   */
  searchStatus(): ApproximateStatus | null {
    return this.loadedIndex?.approximateStatus ?? null;
  }

  /** Where the index stands against a shared gallery (sync 'listen' once loaded), else null. */
  syncStatus(): SyncStatus | null {
    return this.sync?.status() ?? null;
  }

  /** Reloads the search index in full (catching up happens anyway before each use). */
  async refresh(): Promise<void> {
    this.check();
    if (this.index) await (await this.index).refresh();
  }

  /**
   * Enrols the face of one image under `subject` (created when new). Adds, never replaces; an
   * image already enrolled for that subject (same bytes) is skipped, as are images without
   * exactly one face of sufficient quality (see chooseEnrolmentFace). Unreadable images throw.
   */
  async enroll(image: string | Uint8Array, subject: string, options: EnrollOptions = {}): Promise<EnrollOutcome> {
    this.check();
    if (typeof subject !== 'string' || !subject.trim()) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'enroll needs a subject name');
    const bytes = typeof image === 'string' ? await readImageFile(image) : image;
    // Named by its path: decoding the bytes below could only call it "the data given".
    const container = typeof image === 'string' ? videoContainer(bytes.subarray(0, VIDEO_SNIFF_BYTES)) : null;
    if (container) throw videoNotImageError(image as string, container);
    const hash = contentHash(bytes);
    const sourceFile = typeof image === 'string' ? path.resolve(image) : options.sourceFile ?? null;
    const skipped = (reason: SkipReason, message: string, faces: number): EnrollOutcome => ({ status: 'skipped', subject, reason, message, faces, contentHash: hash });
    if (await this.gallery.hasContentHash(hash, subject)) return skipped('already-enrolled', `already enrolled for ${subject}`, 0);
    const requireLive = checkRequireLive(options.requireLive) ?? this.requireLive;
    const gate = options.quality === false ? OPEN_GATE : resolveGate(this.enrolmentQuality, options.quality, 'enrol option quality');
    // The eye check runs where its model's package is installed; elsewhere the gate reads no eyes.
    const eyes = gateNeedsEyes(gate) && eyeModelAvailable();
    const { faces } = await this.visage.analyze(bytes, { ...(requireLive ? { attributes: ['liveness'] } : {}), ...(eyes ? { eyes } : {}) });
    const choice = chooseEnrolmentFace(faces, { largest: options.largest, quality: gate });
    if ('reason' in choice) {
      if (!choice.refusals) return skipped(choice.reason, choice.message, faces.length);
      const face = faces[largestFaceIndex(faces)]!;
      return { ...skipped(choice.reason, choice.message, faces.length), refusals: choice.refusals, box: face.box, quality: face.quality };
    }
    const face = choice.face;
    const liveness = face.attributes?.liveness;
    if (liveness?.value === 'spoof') {
      return { ...skipped('not-live', notLiveMessage(liveness), faces.length), liveness };
    }
    try {
      const [stored] = await this.gallery.addFaces(subject, [{
        contentHash: hash, sourceFile, box: face.box, landmarks: face.landmarks.five, quality: face.quality, embeddings: face.embeddings,
      }], { createSubject: true, metadata: options.metadata });
      return { status: 'added', subject: stored!.subjectName, faces: faces.length, faceId: stored!.id, box: face.box, quality: face.quality, ...(liveness ? { liveness } : {}), contentHash: hash };
    } catch (error) {
      // Another process enrolled the same image for this subject meanwhile.
      if ((error as VisageError).code === 'VISAGE_ERR_DUPLICATE_FACE') return skipped('already-enrolled', `already enrolled for ${subject}`, faces.length);
      throw error;
    }
  }

  /** Every face of an image with the person it matches, or UNKNOWN (name null), and its nearest people. */
  async identify(image: ImageInput, options: IdentifyCallOptions = {}): Promise<Identification> {
    this.check();
    this.decision(options); // a bad option or a missing threshold fails before any work
    const k = options.k ?? 3;
    const once = options.oncePerImage ?? true;
    const requireLive = checkRequireLive(options.requireLive) ?? this.requireLive;
    const attributes = [...new Set([...(options.attributes ?? []), ...(requireLive ? ['liveness' as const] : [])])];
    const [analysis] = await Promise.all([this.visage.analyze(image, attributes.length ? { attributes } : {}), this.loadIndex()]);
    // A grey image is held to the grey thresholds (thresholds.ts, GREY_THRESHOLDS), a small face to
    // a stricter one still (SMALL_FACE_RISES).
    const decision = this.decision(options, analysis.grey);
    const { strategy, threshold } = decision;
    const index = await this.searchIndex();
    // With oncePerImage, search a few more subjects than listed, for the alternatives.
    const searchK = once ? Math.max(k, 5) : k;
    const faces: IdentifiedFace[] = analysis.faces.map((face) => {
      const extra = face.attributes ? { attributes: face.attributes } : {};
      if (requireLive && face.attributes?.liveness?.value === 'spoof') {
        // Not matched at all: a spoof must not learn whom it resembles either.
        return { box: face.box, score: face.score, quality: face.quality, name: null, subjectId: null, similarity: null, candidates: [], ...extra, refused: 'not-live' as const };
      }
      const own = this.faceThreshold(decision, face.quality.size);
      const raised = own > threshold ? { threshold: own, thresholdReason: 'small-face' as const } : {};
      const result = this.match(index, face.embeddings[this.modelId]!, { threshold: own, strategy, k: searchK });
      return { box: face.box, score: face.score, quality: face.quality, ...result, ...raised, ...extra };
    });
    if (once) {
      const matched = faces.filter((f) => !f.refused);
      assignOncePerImage(matched, matched.map((f) => f.threshold ?? threshold));
    }
    for (const face of faces) face.candidates = face.candidates.slice(0, k);
    return { width: analysis.width, height: analysis.height, modelId: this.modelId, threshold, strategy, faces };
  }

  /**
   * The decision for one embedding of the matching model (for callers that analysed the image
   * themselves). Its face's size is not known here: no small-face rise (give a threshold for one).
   */
  async identifyEmbedding(embedding: ArrayLike<number>, options: IdentifyCallOptions = {}): Promise<Omit<IdentifiedFace, 'box' | 'score' | 'quality'>> {
    this.check();
    const { strategy, threshold } = this.decision(options);
    return this.match(await this.searchIndex(), embedding, { threshold, strategy, k: options.k ?? 3 });
  }

  /**
   * A video's faces as tracks, each named by a quality-weighted vote of its faces against the
   * gallery (this recognizer's threshold and strategy; grey frames get the grey thresholds), or a
   * stranger grouped within the video as unknown-k. Events as faces come and go, then a summary.
   */
  video(source: string, options: VideoOptions & { threshold?: number; strategy?: DecisionStrategy } = {}): AsyncGenerator<VideoEvent, void, undefined> {
    this.check();
    const { threshold, strategy, ...rest } = options ?? {};
    this.decision({ threshold, strategy }); // a bad option or a missing threshold fails before any work
    return trackVideo(this.visage, source, rest, async (embedding, grey, size) => {
      const decision = this.decision({ threshold, strategy }, grey);
      const own = this.faceThreshold(decision, size);
      const { name, subjectId, similarity } = this.match(await this.searchIndex(), embedding, { threshold: own, strategy: decision.strategy, k: 1 });
      return { name, subjectId, similarity, threshold: own };
    });
  }

  /**
   * The k nearest people to the largest face of an image, best first (no threshold applied), but
   * those the face is a negative example of ("not this person"), as identify.
   */
  async nearest(image: ImageInput, options: { k?: number; strategy?: DecisionStrategy } = {}): Promise<Candidate[]> {
    this.check();
    const [analysis] = await Promise.all([this.visage.analyze(image), this.loadIndex()]);
    const index = await this.searchIndex();
    const i = largestFaceIndex(analysis.faces);
    if (i < 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no face found in ${typeof image === 'string' ? image : 'the image'}`);
    const strategy = options.strategy === undefined ? this.strategy : checkStrategy(options.strategy);
    return index.searchSubjects(analysis.faces[i]!.embeddings[this.modelId]!, { k: options.k ?? 5, strategy }).map(toCandidate);
  }

  private match(index: SearchIndex, embedding: ArrayLike<number>, options: { threshold: number; strategy: DecisionStrategy; k: number }) {
    // The index scores the people, passing over a subject this face was said not to be (a negative
    // example); the decision is the matching rule's (src/face/match).
    const candidates = index.searchSubjects(embedding, { strategy: options.strategy, k: options.k });
    const named = openSetDecision(candidates, options.threshold);
    return {
      name: named?.name ?? null,
      subjectId: named?.subjectId ?? null,
      similarity: candidates[0]?.similarity ?? null,
      candidates: candidates.map(toCandidate),
    };
  }

  /** Whether the largest faces of two images are the same person. No gallery involved. */
  async verify(a: ImageInput, b: ImageInput, options: VerifyCallOptions = {}): Promise<Verification> {
    this.check();
    return verifyFaces(this.visage, a, b, { threshold: options.threshold, requireLive: checkRequireLive(options.requireLive) ?? this.requireLive });
  }

  /**
   * Whether the largest face of an image is an enrolled subject: compared with that subject's
   * closest face, at the pair threshold (one face against one). Never for a face that is one of
   * the subject's negative examples ("not this person"): same false, refused 'negative'.
   */
  async verifySubject(image: ImageInput, subject: SubjectRef, options: VerifyCallOptions = {}): Promise<SubjectVerification> {
    this.check();
    if (options.threshold === undefined) defaultThreshold(this.modelId, 'pair'); else checkThreshold(options.threshold, 'threshold');
    const requireLive = checkRequireLive(options.requireLive) ?? this.requireLive;
    const [known, analysis] = await Promise.all([this.gallery.getSubject(subject), this.visage.analyze(image, requireLive ? { attributes: ['liveness'] } : {}), this.loadIndex()]);
    const index = await this.searchIndex();
    const i = largestFaceIndex(analysis.faces);
    if (i < 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no face found in ${typeof image === 'string' ? image : 'the image'}`);
    const face = analysis.faces[i]!;
    // The default pair threshold for the image's face: grey, and its size (thresholds.ts).
    const threshold = options.threshold === undefined ? defaultThreshold(this.modelId, 'pair', analysis.grey, face.quality.size) : options.threshold;
    if (requireLive) refuseSpoof(face, image);
    const match = index.bestFaceOf(face.embeddings[this.modelId]!, known.id);
    if (!match) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${known.name} has no face enrolled with ${this.modelId}`);
    // A face the user said is not this subject is not, whatever its similarity (as identify).
    const negative = index.isNegativeOf(face.embeddings[this.modelId]!, known.id);
    return {
      same: !negative && match.similarity >= threshold, similarity: match.similarity, threshold, modelId: this.modelId,
      image: { box: face.box, faces: analysis.faces.length },
      subject: { id: known.id, name: known.name, faceId: match.faceId },
      ...(negative ? { refused: 'negative' as const } : {}),
    };
  }

  /** How many enrolled faces the matching model can search, and how many need reindex(). */
  async coverage(): Promise<Coverage> {
    this.check();
    const stats = await this.gallery.stats();
    const indexed = stats.models.find((m) => m.modelId === this.modelId)?.count ?? 0;
    return { modelId: this.modelId, faces: stats.faces, indexed, missing: Math.max(0, stats.faces - indexed) };
  }

  /**
   * Embeds, with every configured embedder, the faces that lack one of their vectors: each face's
   * image is re-read (its recorded path, else an image with the same hash under `search`), the
   * face found again at its stored box, and the new vectors added to the face in one transaction
   * (Gallery.addEmbeddings: same id, old vectors kept). Faces whose image cannot be found, no longer
   * shows that face, or whose vectors cannot be stored are reported, untouched.
   */
  async reindex(options: ReindexOptions = {}): Promise<ReindexSummary> {
    this.check();
    return reindexGallery(this.visage, this.gallery, options);
  }

  /** Closes the search index, and the Visage and gallery this Recognizer opened itself. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const index = this.index;
    this.index = null;
    this.loadedIndex = null;
    if (index) await index.then(async (i) => { await this.sync?.close(); i.close(); }, () => undefined);
    if (this.ownsVisage) await this.visage.close();
    if (this.ownsGallery) await this.gallery.close();
  }
}


function checkRequireLive(value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new VisageError('VISAGE_ERR_BAD_OPTION', `requireLive must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function notLiveMessage(liveness: LivenessAttribute): string {
  return `the face did not pass the liveness check (${liveness.model} live score ${liveness.score.toFixed(3)} < ${liveness.threshold}): a photo or a screen?`;
}

/** Throws VISAGE_ERR_NOT_LIVE for a face the liveness model calls a spoof. */
function refuseSpoof(face: Face, image: ImageInput): void {
  const liveness = face.attributes?.liveness;
  if (liveness?.value === 'spoof') {
    throw new VisageError('VISAGE_ERR_NOT_LIVE', `${typeof image === 'string' ? `${image}: ` : ''}${notLiveMessage(liveness)}`);
  }
}

function toCandidate(match: SubjectMatch): Candidate {
  return { subjectId: match.subjectId, name: match.name, similarity: match.similarity };
}

/** Whether the largest faces of two images are the same person, by the first embedder's similarity. */
export async function verifyFaces(visage: Visage, a: ImageInput, b: ImageInput, options: VerifyCallOptions = {}): Promise<Verification> {
  const modelId = visage.config.embedders[0]!;
  if (options.threshold === undefined) defaultThreshold(modelId, 'pair'); else checkThreshold(options.threshold, 'threshold');
  const requireLive = checkRequireLive(options.requireLive) ?? false;
  const analyzeOptions = requireLive ? { attributes: ['liveness' as const] } : {};
  const first = await visage.analyze(a, analyzeOptions);
  const second = await visage.analyze(b, analyzeOptions);
  const pick = (faces: Face[], image: ImageInput) => {
    const i = largestFaceIndex(faces);
    if (i < 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no face found in ${typeof image === 'string' ? image : 'the image'}`);
    return faces[i]!;
  };
  const fa = pick(first.faces, a), fb = pick(second.faces, b);
  // Either image grey: the grey pair threshold (thresholds.ts, GREY_THRESHOLDS); raised for the
  // smaller of the two faces when it is small (SMALL_FACE_RISES).
  const threshold = options.threshold === undefined
    ? defaultThreshold(modelId, 'pair', first.grey || second.grey, Math.min(fa.quality.size, fb.quality.size)) : options.threshold;
  if (requireLive) { refuseSpoof(fa, a); refuseSpoof(fb, b); }
  const similarity = cosine(fa.embeddings[modelId]!, fb.embeddings[modelId]!);
  return { same: similarity >= threshold, similarity, threshold, modelId, a: { box: fa.box, faces: first.faces.length }, b: { box: fb.box, faces: second.faces.length } };
}

/** Creates a Recognizer over a gallery (or a SQLite file) and a Visage (or Visage options). */
export function createRecognizer(options: RecognizerOptions): Promise<Recognizer> {
  return Recognizer.create(options);
}
