// Where the server keeps a photo library's faces and clusters ("People to name"), so that every API
// node and worker sees the same: a ClusterStore. The state is the CLI's own (ClusterStateFile, kept
// by `visage cluster` in clusters.json), here in one row beside the faces, their vectors and their
// thumbnails. Two stores: tables in the server's SQLite file, or in the PostgreSQL gallery's schema.
//
// Writers never lock the state for long: a change reads the state with its version and writes it
// back only if the version is still the same (save() answers false otherwise, and the caller does
// its change again on the newer state). Faces are added apart from the state (a worker adds the
// faces of its images); each addition bumps facesVersion, and the next reader re-clusters.
import type { ClusterStateFile, EmbeddedFace, GateReason } from '../clustering.ts';

/** A face as stored: its record and vector, and its thumbnail (JPEG) when one could be made. */
export interface StoredClusterFace extends EmbeddedFace {
  thumbnail: Uint8Array | null;
}

/** An image whose faces were added (found by its content hash; added again, it changes nothing). */
export interface ClusterImage {
  contentHash: string;
  /** A file name (an upload's, or the path under the server's jobs root). */
  name: string;
  faces: number;
}

/** What the last clustering found beside the clusters themselves. */
export interface ClusterRun {
  threshold: number;
  cohesion: number;
  /** Faces of enrolled people, by person. */
  matched: { subject: string; faces: { key: string; similarity: number }[] }[];
  /** Faces the quality gate set aside. */
  setAside: { key: string; reasons: GateReason[] }[];
}

export interface ClusterSnapshot {
  /** The embedder of every stored vector (null while the store is empty). */
  embedder: string | null;
  state: ClusterStateFile | null;
  run: ClusterRun | null;
  /** Bumped by every save(). */
  version: number;
  /** Bumped by every addImages() that stored a face. */
  facesVersion: number;
  /** The facesVersion the state was clustered from: below facesVersion, the state is stale. */
  clusteredVersion: number;
}

export interface ClusterStore {
  snapshot(): Promise<ClusterSnapshot>;
  /**
   * Records images and their faces (faces already stored are kept as they are). The first call
   * sets the store's embedder; faces of another embedder are refused (VISAGE_ERR_BAD_INPUT).
   */
  addImages(embedder: string, images: readonly { image: ClusterImage; faces: readonly StoredClusterFace[] }[]): Promise<void>;
  /** The stored faces with these keys (all of them without keys), in the order they were added. */
  faces(keys?: readonly string[]): Promise<EmbeddedFace[]>;
  images(): Promise<ClusterImage[]>;
  thumbnail(key: string): Promise<Uint8Array | null>;
  /** Writes the state if its version is still `expectedVersion`; false when another writer came first. */
  save(expectedVersion: number, state: ClusterStateFile, run: ClusterRun | null, clusteredVersion: number): Promise<boolean>;
  /** Forgets every face, image and cluster. */
  clear(): Promise<void>;
}

/** A face key as made by faceKey(): checked before any lookup. */
export function isFaceKey(key: unknown): key is string {
  return typeof key === 'string' && /^[0-9a-f]{16}-\d{1,4}$/.test(key);
}
