// What the recognizer takes and gives: plain JSON-serialisable records.
import type { Visage } from '../visage.ts';
import type { VisageConfig } from '../config.ts';
import type { Gallery, Metadata, StoredFace } from '../gallery/gallery.ts';
import type { GalleryOptions } from '../gallery/open.ts';
import type { SearchOptions } from '../gallery/search.ts';
import type { DecisionStrategy } from '../face/match/index.ts';
import type { Box, Face } from '../types.ts';
import type { EnrolmentQuality, SkipReason } from './enrolment.ts';
import type { QualityGate, QualityRefusal } from '../face/quality/gate.ts';
import type { AttributeName } from '../attributes/heads.ts';
import type { FaceAttributes, LivenessAttribute } from '../attributes/attributes.ts';

export interface RecognizerOptions {
  /** A Visage to use (left open by close()); else one is created from `visageOptions`. */
  visage?: Visage;
  visageOptions?: Partial<VisageConfig>;
  /** A gallery to use (left open by close()); else `db` is opened (openGallery). */
  gallery?: Gallery;
  /**
   * The gallery opened (and created unless `galleryOptions.create` is false) when none is given:
   * a SQLite file, or a PostgreSQL database as a postgres:// URL.
   */
  db?: string;
  galleryOptions?: GalleryOptions;
  /** Open-set threshold; default the matching embedder's calibrated one (thresholds.ts). */
  threshold?: number;
  /** Per-subject decision; default DEFAULT_STRATEGY. */
  strategy?: DecisionStrategy;
  /** Enrolment face limits (see ENROLMENT_QUALITY). */
  enrolmentQuality?: Partial<EnrolmentQuality>;
  /**
   * Without `visage` and without `visageOptions.embedders`: 'gallery' (the default) matches with
   * the embedder the gallery was built with when the default embedder cannot match its faces yet
   * (see embedder-choice.ts); 'default' always uses the default (reindexing needs that).
   */
  embedders?: 'gallery' | 'default';
  /**
   * How the search index follows the writes of other processes to a shared gallery (PostgreSQL).
   * 'listen' (the default there): a LISTEN connection, a catch-up from the change log on every
   * notification, on every reconnect and every safetyPeriodMs (src/gallery/sync.ts); searches read
   * memory only, and go on from memory while the database is away. 'per-request': a catch-up before
   * every search (one round trip; a search fails while the database is away). A SQLite gallery
   * always catches up per request (a local read of its file).
   */
  sync?: 'listen' | 'per-request';
  /** The safety catch-up's period in ms for sync 'listen' (default SAFETY_PERIOD_MS, 2000). */
  safetyPeriodMs?: number;
  /**
   * Refuse faces the liveness model calls a spoof (a printed photo, a screen) in enroll, identify,
   * verify and verifySubject, unless a call says otherwise (default false). See requireLive there.
   */
  requireLive?: boolean;
  /**
   * How the search index scans faces: exact up to 1M faces then approximate (IVF) by default;
   * float16 storage halves the memory (see SearchOptions in gallery/search.ts).
   */
  search?: SearchOptions;
}

export interface EnrollOptions {
  /** Take the largest face when the image shows several (default: such images are skipped). */
  largest?: boolean;
  /** Recorded as the face's source; a path given as `image` is recorded as its absolute path. */
  sourceFile?: string;
  /** Metadata of the subject, when this call creates it. */
  metadata?: Metadata;
  /** Skip the image (reason 'not-live') when the liveness model calls its face a spoof; default the recognizer's requireLive. */
  requireLive?: boolean;
  /**
   * This call's quality gate: changes to the recognizer's enrolmentQuality (such as
   * `{ minSize: 64 }`), or false for none. A face that breaks a limit is skipped with reason
   * 'low-quality' and `refusals` saying which.
   */
  quality?: Partial<QualityGate> | false;
}

export interface EnrollOutcome {
  status: 'added' | 'skipped';
  subject: string;
  /** Why it was skipped. */
  reason?: SkipReason;
  message?: string;
  /** With reason 'low-quality': each limit of the quality gate the face broke, its value and the limit. */
  refusals?: QualityRefusal[];
  /** Faces found in the image. */
  faces: number;
  /** The stored face (when added). */
  faceId?: number;
  box?: Box;
  quality?: Face['quality'];
  /** The liveness reading, when the call required a live face. */
  liveness?: LivenessAttribute;
  contentHash: string;
}

export interface Candidate {
  subjectId: number;
  name: string;
  similarity: number;
}

export interface IdentifiedFace {
  box: Box;
  score: number;
  quality: Face['quality'];
  /** The recognised person, or null: UNKNOWN. */
  name: string | null;
  subjectId: number | null;
  /** Similarity to the best subject (whether or not it passed the threshold); null for an empty gallery. */
  similarity: number | null;
  /** The k nearest people, best first, whatever the threshold. */
  candidates: Candidate[];
  /** The attributes asked for (option `attributes`; liveness also with requireLive). */
  attributes?: FaceAttributes;
  /** Set when the face was not matched because the call required a live face and this one is not. */
  refused?: 'not-live';
  /**
   * Set when this face was held to a stricter threshold than the image's (Identification.threshold),
   * with the reason: 'small-face', a face small in its image (thresholds.ts, SMALL_FACE_RISES).
   * Only with the default thresholds; a threshold given is used as given.
   */
  threshold?: number;
  thresholdReason?: 'small-face';
}

export interface Identification {
  width: number;
  height: number;
  modelId: string;
  threshold: number;
  strategy: DecisionStrategy;
  faces: IdentifiedFace[];
}

export interface IdentifyCallOptions {
  threshold?: number;
  strategy?: DecisionStrategy;
  /** Nearest people listed per face (default 3). */
  k?: number;
  /**
   * A person appears at most once in one photo (default true): when two faces would get the same
   * name, the more similar keeps it and the other takes its next candidate above the threshold,
   * or UNKNOWN. Seen on bbt/group/faceapi_bbt4.jpg: a hand detected as a face scored 0.945 with
   * the woman it belongs to, who was also found (0.968).
   */
  oncePerImage?: boolean;
  /** Attributes to report per face (see AnalyzeOptions.attributes). */
  attributes?: readonly AttributeName[];
  /**
   * Faces the liveness model calls a spoof are not matched: name null, refused 'not-live'
   * (default the recognizer's requireLive).
   */
  requireLive?: boolean;
}

export interface VerifyCallOptions {
  threshold?: number;
  /** Throw VISAGE_ERR_NOT_LIVE when a compared face is called a spoof (default the recognizer's requireLive). */
  requireLive?: boolean;
}

export interface Verification {
  same: boolean;
  similarity: number;
  threshold: number;
  modelId: string;
  /** The face compared in each image (its largest) and how many each image held. */
  a: { box: Box; faces: number };
  b: { box: Box; faces: number };
}

export interface SubjectVerification {
  same: boolean;
  similarity: number;
  threshold: number;
  modelId: string;
  /** The face compared (the image's largest) and how many the image held. */
  image: { box: Box; faces: number };
  /** The subject and its enrolled face closest to the image's. */
  subject: { id: number; name: string; faceId: number };
  /**
   * Set when the face is one of the subject's negative examples ("not this person"): same is false
   * whatever the similarity, as identify never names the subject for it.
   */
  refused?: 'negative';
}

export interface Coverage {
  modelId: string;
  faces: number;
  /** Faces with an embedding of the matching model (those identify() can find). */
  indexed: number;
  /** Faces enrolled with other embedders only: `reindex()` embeds them. */
  missing: number;
}

export interface ReindexOptions {
  /** Folders searched (recursively) for images whose file moved, matched by content hash. */
  search?: string[];
  onProgress?: (done: number, total: number, face: StoredFace) => void;
}

export interface ReindexSummary {
  models: string[];
  examined: number;
  reindexed: number;
  skipped: { faceId: number; subject: string; sourceFile: string | null; reason: string }[];
}
