// "Who is in my photos?": every face of a set of photos, a quality gate, faces of enrolled people
// named first, the rest clustered by identity (src/cluster), with the user's corrections (merge,
// split, name, not this person) kept and honoured on the next run.
//
// Where things live: embeddings in the embedding cache (src/recognition/embedding-cache.ts, keyed by
// each image's SHA-256), so a second run reads no model; unnamed clusters in a state file
// (clusters.json in the output folder): they are not people yet, and keeping them out of the
// gallery keeps the gallery's contract (and both its stores) unchanged for them. What is about a
// person (a named cluster's faces; "not this person") goes into the gallery, where identify sees it.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { CachedFaceSource } from './face-source.ts';
import { CLUSTER_PARAMETERS, clusterFaces, clusterParameters, VISAGE_CLUSTERING } from '../cluster/faces.ts';
import { clusterFacesInThread, THREAD_MIN_FACES } from '../cluster/thread.ts';
import { VisageError } from '../errors.ts';
import { defaultThreshold, DEFAULT_STRATEGY } from '../face/match/index.ts';
import type { Gallery } from '../gallery/gallery.ts';
import { SearchIndex } from '../gallery/search.ts';
import { contentHash } from '../gallery/portable.ts';
import { readImageFile } from '../face/image/files.ts';
import type { Box, FivePoints, HeadPoseAngles } from '../types.ts';
import type { VisageConfig } from '../config.ts';
import { CLUSTERING_GATE, gateReasons, resolveGate, type QualityGate, type QualityReason } from '../face/quality/gate.ts';

export const CLUSTER_STATE_FORMAT = 'visage-clusters';

// The gate lives with the other face-quality rules (src/face/quality/gate.ts); its names here
// are kept for the public API.
export type { QualityGate } from '../face/quality/gate.ts';
export { gateReasons } from '../face/quality/gate.ts';
/** Faces set aside before clustering: too small, blurred, turned away, or a doubtful detection. */
export const DEFAULT_QUALITY_GATE: Readonly<QualityGate> = CLUSTERING_GATE;
export type GateReason = QualityReason;

export interface PhotoFace {
  /** Stable name of the face: the first 16 hex digits of its image's SHA-256, and its index there. */
  key: string;
  file: string;
  contentHash: string;
  box: Box;
  score: number;
  quality: { size: number; sharpness: number; frontalness: number };
  pose: HeadPoseAngles;
  five: FivePoints;
}

export interface ClusterStateFile {
  format: typeof CLUSTER_STATE_FORMAT;
  version: 1;
  embedder: string;
  nextId: number;
  clusters: { id: string; faces: string[]; subject?: string }[];
  /** Pairs of face keys never put together (from splits and "not this person"). */
  apart: [string, string][];
}

export function emptyState(embedder: string): ClusterStateFile {
  return { format: CLUSTER_STATE_FORMAT, version: 1, embedder, nextId: 1, clusters: [], apart: [] };
}

export async function readClusterState(file: string): Promise<ClusterStateFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const state = JSON.parse(text) as ClusterStateFile;
  if (state.format !== CLUSTER_STATE_FORMAT || state.version !== 1) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${file} is not a Visage cluster file`);
  return state;
}

export async function writeClusterState(file: string, state: ClusterStateFile): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 1)}\n`);
  await rename(temporary, file);
}

export interface ClusterPhotosOptions extends ClusterFacesRunOptions {
  /** The embedding cache folder (null: none). */
  cacheDir: string | null;
  /** Pipeline settings (detector, flip ...: createVisage options), e.g. a preset's. */
  pipeline?: Partial<VisageConfig>;
  /** Called after each image. */
  onImage?: (file: string) => void;
}

export interface ClusterReport {
  embedder: string;
  threshold: number;
  cohesion: number;
  clusters: { id: string; subject: string | null; faces: PhotoFace[] }[];
  /** Faces named by the gallery (an enrolled person) before clustering. */
  matched: { subject: string; faces: (PhotoFace & { similarity: number })[] }[];
  unclustered: PhotoFace[];
  setAside: (PhotoFace & { reasons: GateReason[] })[];
  setAsideCounts: Record<GateReason, number>;
  noFace: string[];
  errors: { file: string; message: string }[];
  images: number;
  faces: number;
  analysed: number;
  fromCache: number;
}

/** A face of a photo with its vector of the clustering's embedder. */
export interface EmbeddedFace {
  face: PhotoFace;
  vector: Float32Array;
}

/** The faces found in a set of photos, ready to be clustered. */
export interface PhotoSet {
  faces: EmbeddedFace[];
  images: number;
  noFace: string[];
  errors: { file: string; message: string }[];
  /** Images analysed by the models, and read from the embedding cache. */
  analysed: number;
  fromCache: number;
}

/** The key of the `index`-th face of the image whose SHA-256 is `contentHash`. */
export function faceKey(contentHash: string, index: number): string {
  return `${contentHash.slice(0, 16)}-${index}`;
}

/** The faces of an image analysed by the caller (Visage.analyze), as clustering takes them. */
export function photoFacesOf(analysis: { faces: readonly { box: Box; score: number; quality: PhotoFace['quality']; pose: HeadPoseAngles; landmarks: { five: FivePoints }; embeddings: Record<string, ArrayLike<number>> }[] }, file: string, hash: string, embedder: string): EmbeddedFace[] {
  return analysis.faces.map((f, i) => {
    const vector = f.embeddings[embedder];
    if (!vector) throw new VisageError('VISAGE_ERR_BAD_OPTION', `the analysis has no vector of embedder ${embedder}`);
    return { face: { key: faceKey(hash, i), file, contentHash: hash, box: f.box, score: f.score, quality: f.quality, pose: f.pose, five: f.landmarks.five }, vector: Float32Array.from(vector) };
  });
}

/** Embeds (or reads from the cache) every face of `files`. */
async function photoFaces(files: readonly string[], source: CachedFaceSource, embedder: string, onImage?: (file: string) => void) {
  const faces: EmbeddedFace[] = [];
  const noFace: string[] = [];
  const errors: { file: string; message: string }[] = [];
  for (const file of files) {
    try {
      const hash = contentHash(await readImageFile(file));
      const found = await source.facesOf(file);
      if (found.faces.length === 0) noFace.push(file);
      found.faces.forEach((f, i) => faces.push({
        face: { key: faceKey(hash, i), file, contentHash: hash, box: f.box, score: f.score, quality: f.quality!, pose: f.pose!, five: f.five! },
        vector: f.embeddings[embedder]!,
      }));
    } catch (error) {
      if (!(error instanceof VisageError) || !error.code.startsWith('VISAGE_ERR_IMAGE')) throw error;
      errors.push({ file, message: error.message });
    }
    onImage?.(file);
  }
  return { faces, noFace, errors };
}

/** The enrolled person a face matches (negative examples honoured), or null. */
export type EnrolledMatcher = (vector: Float32Array) => Promise<{ subject: string; similarity: number } | null>;

/** Matches against a gallery's faces at the embedder's default threshold (what clusterPhotos uses when given a gallery). */
async function galleryMatcher(gallery: Gallery, embedder: string): Promise<{ match: EnrolledMatcher; close(): void } | null> {
  const index = await SearchIndex.load(gallery, embedder);
  if (index.size === 0) { index.close(); return null; }
  try {
    const need = defaultThreshold(embedder, DEFAULT_STRATEGY);
    return {
      match: async (vector) => {
        // The index passes over a person this face is a negative example of.
        const [best] = index.searchSubjects(vector, { k: 1, strategy: DEFAULT_STRATEGY });
        return best && best.similarity >= need ? { subject: best.name, similarity: best.similarity } : null;
      },
      close: () => index.close(),
    };
  } catch (error) {
    index.close();
    throw error;
  }
}

export interface ClusterFacesRunOptions {
  embedder: string;
  /** Faces of people enrolled here go to them first (at the embedder's default threshold). */
  gallery?: Gallery;
  /** Instead of `gallery`: who a face's vector belongs to (e.g. a Recognizer's decision). */
  matcher?: EnrolledMatcher;
  /** The earlier run's state: its clusters keep their ids and members, new faces join them. */
  state?: ClusterStateFile | null;
  gate?: Partial<QualityGate>;
  threshold?: number;
  /** Cluster in a worker thread (a server's event loop stays free): true for sets of THREAD_MIN_FACES or more, a number for sets of that many or more; default false. */
  thread?: boolean | number;
}

export async function clusterPhotos(files: readonly string[], options: ClusterPhotosOptions): Promise<{ report: ClusterReport; state: ClusterStateFile }> {
  checkState(options.state, options.embedder);
  const source = await CachedFaceSource.create({ embedders: [options.embedder], pipeline: options.pipeline, cacheDir: options.cacheDir, details: true });
  let all: Awaited<ReturnType<typeof photoFaces>>;
  try {
    all = await photoFaces(files, source, options.embedder, options.onImage);
  } finally {
    await source.close();
  }
  return clusterEmbedded({ ...all, images: files.length, analysed: source.stats.analysed, fromCache: source.stats.cached }, options);
}

function checkState(state: ClusterStateFile | null | undefined, embedder: string): void {
  if (state && state.embedder !== embedder) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `the cluster state was made with embedder ${state.embedder}, not ${embedder}; start another (another --out folder)`);
  }
}

/**
 * Clusters faces already embedded (the core of clusterPhotos, for callers that keep faces
 * themselves: the server's cluster store, workers): the quality gate, enrolled people first, then
 * the clustering, with the earlier state's ids, merges and splits kept.
 */
export async function clusterEmbedded(set: PhotoSet, options: ClusterFacesRunOptions): Promise<{ report: ClusterReport; state: ClusterStateFile }> {
  // An embedder without fitted parameters clusters at the threshold given, with the fusion's cohesion.
  const fitted = CLUSTER_PARAMETERS[options.embedder] ?? (options.threshold !== undefined ? { threshold: options.threshold, cohesion: VISAGE_CLUSTERING.cohesion } : clusterParameters(options.embedder));
  const threshold = options.threshold ?? fitted.threshold;
  const gate = resolveGate(CLUSTERING_GATE, options.gate, 'cluster quality gate');
  checkState(options.state, options.embedder);
  const previous = options.state ?? emptyState(options.embedder);
  const setAside: ClusterReport['setAside'] = [];
  const setAsideCounts: Record<GateReason, number> = { small: 0, blurred: 0, 'turned-away': 0, 'low-score': 0, 'eyes-closed': 0 };
  let kept: EmbeddedFace[] = [];
  for (const item of set.faces) {
    const reasons = gateReasons(item.face, gate);
    if (reasons.length === 0) { kept.push(item); continue; }
    setAside.push({ ...item.face, reasons });
    for (const r of reasons) setAsideCounts[r]++;
  }

  // Enrolled people first (their negative examples excepted).
  const matched = new Map<string, (PhotoFace & { similarity: number })[]>();
  const fromGallery = !options.matcher && options.gallery ? await galleryMatcher(options.gallery, options.embedder) : null;
  const match = options.matcher ?? fromGallery?.match;
  if (match) {
    try {
      const rest: EmbeddedFace[] = [];
      for (const item of kept) {
        const best = await match(item.vector);
        if (!best) { rest.push(item); continue; }
        const list = matched.get(best.subject) ?? [];
        list.push({ ...item.face, similarity: best.similarity });
        matched.set(best.subject, list);
      }
      kept = rest;
    } finally {
      fromGallery?.close();
    }
  }

  const position = new Map(kept.map((k, i) => [k.face.key, i]));
  const initial = previous.clusters.map((c) => c.faces.filter((key) => position.has(key)).map((key) => position.get(key)!)).filter((g) => g.length > 0);
  const cannotLink = previous.apart.filter(([a, b]) => position.has(a) && position.has(b)).map(([a, b]) => [position.get(a)!, position.get(b)!] as [number, number]);
  const toCluster = kept.map((k) => ({ vector: k.vector, photo: k.face.contentHash }));
  const clusterOptions = { embedder: options.embedder, threshold, cohesion: fitted.cohesion, initial, cannotLink };
  const result = options.thread === undefined || options.thread === false ? clusterFaces(toCluster, clusterOptions)
    : await clusterFacesInThread(toCluster, clusterOptions, options.thread === true ? THREAD_MIN_FACES : options.thread);

  // Cluster ids stay: a cluster takes the id of the earlier cluster most of its faces come from.
  const state: ClusterStateFile = { ...previous, clusters: [] };
  const owner = new Map<string, number>();
  previous.clusters.forEach((c, i) => { for (const key of c.faces) owner.set(key, i); });
  const claimed = new Set<number>();
  const clusters: ClusterReport['clusters'] = [];
  for (const members of result.clusters) {
    const votes = new Map<number, number>();
    for (const i of members) { const o = owner.get(kept[i]!.face.key); if (o !== undefined && !claimed.has(o)) votes.set(o, (votes.get(o) ?? 0) + 1); }
    let from = -1, most = 0;
    for (const [o, v] of votes) if (v > most || (v === most && o < from)) { most = v; from = o; }
    const earlier = from >= 0 ? previous.clusters[from]! : undefined;
    if (earlier) claimed.add(from);
    const id = earlier?.id ?? `c${state.nextId++}`;
    const faces = members.map((i) => kept[i]!.face);
    state.clusters.push({ id, faces: faces.map((f) => f.key), ...(earlier?.subject ? { subject: earlier.subject } : {}) });
    clusters.push({ id, subject: earlier?.subject ?? null, faces });
  }
  // Earlier clusters whose faces were not in this run (other folders) are kept as they were.
  const seen = new Set(set.faces.map((f) => f.face.key));
  previous.clusters.forEach((c, i) => { if (!claimed.has(i) && c.faces.every((key) => !seen.has(key))) state.clusters.push(c); });

  return {
    state,
    report: {
      embedder: options.embedder, threshold, cohesion: fitted.cohesion,
      clusters,
      matched: [...matched].map(([subject, faces]) => ({ subject, faces })).sort((a, b) => b.faces.length - a.faces.length),
      unclustered: result.unclustered.map((i) => kept[i]!.face),
      setAside, setAsideCounts, noFace: set.noFace, errors: set.errors,
      images: set.images, faces: set.faces.length, analysed: set.analysed, fromCache: set.fromCache,
    },
  };
}

function findCluster(state: ClusterStateFile, id: string) {
  const cluster = state.clusters.find((c) => c.id === id);
  if (!cluster) throw new VisageError('VISAGE_ERR_UNKNOWN_CLUSTER', `no cluster ${JSON.stringify(id)} (the ids are in clusters.json and the contact sheet)`);
  return cluster;
}

/** Puts cluster `from`'s faces into cluster `into` (its id and name stay). */
export function mergeClusters(state: ClusterStateFile, into: string, from: string): ClusterStateFile {
  if (into === from) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a cluster cannot be merged with itself');
  const a = findCluster(state, into), b = findCluster(state, from);
  const photos = new Set(a.faces.map((k) => k.split('-')[0]));
  if (b.faces.some((k) => photos.has(k.split('-')[0]))) throw new VisageError('VISAGE_ERR_BAD_INPUT', `clusters ${into} and ${from} hold two faces of one photo; split one of them first`);
  const apart = new Set(state.apart.map(([x, y]) => `${x} ${y}`));
  if (a.faces.some((x) => b.faces.some((y) => apart.has(`${x} ${y}`) || apart.has(`${y} ${x}`)))) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `clusters ${into} and ${from} hold faces that were split apart before`);
  }
  return { ...state, clusters: state.clusters.filter((c) => c !== b).map((c) => (c === a ? { ...a, faces: [...a.faces, ...b.faces] } : c)) };
}

/** Moves `faces` (keys) of cluster `id` into a new cluster, kept apart from the rest from now on. */
export function splitCluster(state: ClusterStateFile, id: string, faces: readonly string[]): { state: ClusterStateFile; newId: string } {
  const cluster = findCluster(state, id);
  const moving = new Set(faces);
  for (const key of moving) if (!cluster.faces.includes(key)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `face ${key} is not in cluster ${id}`);
  const staying = cluster.faces.filter((k) => !moving.has(k));
  if (staying.length === 0 || moving.size === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'a split leaves faces on both sides');
  const newId = `c${state.nextId}`;
  const apart = [...state.apart];
  for (const a of moving) for (const b of staying) apart.push([a, b]);
  return {
    newId,
    state: { ...state, nextId: state.nextId + 1, apart, clusters: [...state.clusters.map((c) => (c === cluster ? { ...c, faces: staying } : c)), { id: newId, faces: [...moving] }] },
  };
}

/** The faces with these keys and their vectors (those it cannot find are left out). */
export type FaceLookup = (keys: readonly string[]) => Promise<EmbeddedFace[]>;

/** Faces found again from their image files (`files`: face key -> file, from the last report) through the embedding cache. */
export function cachedFaceLookup(embedder: string, files: ReadonlyMap<string, string>, cacheDir: string | null, pipeline?: Partial<VisageConfig>): FaceLookup {
  return async (keys) => {
    const source = await CachedFaceSource.create({ embedders: [embedder], pipeline, cacheDir, details: true });
    try {
      const out: EmbeddedFace[] = [];
      for (const key of keys) {
        const file = files.get(key);
        if (!file) continue;
        const { faces } = await photoFaces([file], source, embedder);
        const found = faces.find((f) => f.face.key === key);
        if (found) out.push(found);
      }
      return out;
    } finally {
      await source.close();
    }
  };
}

/**
 * Enrols cluster `id`'s faces as `person` (created, or added to when the name exists) and records
 * the name in the state. `faces` finds the cluster's faces and vectors.
 */
export async function nameCluster(state: ClusterStateFile, id: string, person: string, gallery: Gallery, faces: FaceLookup): Promise<{ state: ClusterStateFile; added: number; skipped: number }> {
  const cluster = findCluster(state, id);
  let added = 0, skipped = 0;
  for (const { face, vector } of await faces(cluster.faces)) {
    try {
      await gallery.addFaces(person, [{ contentHash: face.contentHash, sourceFile: face.file, box: face.box, landmarks: face.five, quality: face.quality, embeddings: { [state.embedder]: vector } }], { createSubject: true });
      added++;
    } catch (error) {
      if ((error as VisageError).code !== 'VISAGE_ERR_DUPLICATE_FACE') throw error;
      skipped++;
    }
  }
  const subject = (await gallery.getSubject(person)).name;
  return { state: { ...state, clusters: state.clusters.map((c) => (c === cluster ? { ...c, subject } : c)) }, added, skipped };
}

/**
 * "Not this person": keeps the face as a negative example of `person` in the gallery (identify and
 * clustering never put it with them again), removes it from that person's enrolled faces and
 * named cluster, and keeps it apart from that cluster's faces.
 */
export async function notThisPerson(state: ClusterStateFile, key: string, person: string, gallery: Gallery, faces: FaceLookup): Promise<ClusterStateFile> {
  const [found] = await faces([key]);
  if (!found) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `face ${key} is not in the last run's photos`);
  const subject = await gallery.getSubject(person);
  await gallery.addNegative(subject.id, { contentHash: found.face.contentHash, sourceFile: found.face.file, box: found.face.box, embeddings: { [state.embedder]: found.vector } });
  for (const enrolled of await gallery.listFaces(subject.id)) {
    if (enrolled.contentHash === found.face.contentHash && enrolled.box && iou(enrolled.box, found.face.box) > 0.5) await gallery.deleteFace(enrolled.id);
  }
  const apart = [...state.apart];
  const clusters = state.clusters.map((c) => {
    if (!c.faces.includes(key) || (c.subject !== undefined && c.subject.toLowerCase() !== subject.name.toLowerCase())) return c;
    for (const other of c.faces) if (other !== key) apart.push([key, other]);
    return { ...c, faces: c.faces.filter((k) => k !== key) };
  }).filter((c) => c.faces.length > 0);
  return { ...state, clusters, apart };
}

function iou(a: Box, b: Box): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = x * y;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
