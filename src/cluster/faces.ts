// Visage's clustering of faces by identity: the cohesion-normalised agglomerative rule
// (agglomerative.ts) with faces of one photo kept apart, then, where fitted, the centroid merge
// (centroid-merge.ts), at parameters fitted per embedder on LFW DevTrain's people (npm run
// bench:cluster, which reports them on the other sets).
import { VisageError } from '../errors.ts';
import { agglomerative } from './agglomerative.ts';
import { centroidMerge } from './centroid-merge.ts';
import { similarityMatrix } from './similarity.ts';
import type { Clustering } from './types.ts';

/** The centroid merge after the linkage (centroid-merge.ts). */
export interface CentroidStep {
  threshold: number;
  minSmall: number;
  minLarge: number;
}

export interface ClusterParameters {
  threshold: number;
  cohesion: number;
  /** When fitted: the centroid merge after the linkage. */
  centroid?: CentroidStep;
}

/**
 * Fitted on LFW DevTrain's people (bench:cluster), per embedder. The fusion's: the linkage, then the
 * centroid merge (a single face may join a cluster; 2026-12-07: DevTrain pairwise F 0.964 against
 * 0.962 without it, the same on DevTest's people, celeb5 0.914 against 0.860).
 */
export const VISAGE_CLUSTERING: ClusterParameters = { threshold: 0.865, cohesion: 0.1, centroid: { threshold: 0.91, minSmall: 1, minLarge: 2 } };
export const CLUSTER_PARAMETERS: Readonly<Record<string, ClusterParameters>> = {
  fusion: VISAGE_CLUSTERING,
  // fusion3 (the fusion plus MobileFaceNet, `--embedders fusion3`): the same fit chose the same
  // parameters (bench:cluster -- --embedder fusion3, 2026-12-07: DevTrain objective 0.9781; all of
  // View 1 pairwise F 0.965 against the fusion's 0.954).
  fusion3: VISAGE_CLUSTERING,
  // The ResNet alone (the default where faceplugin-face-recognition-js is not installed):
  // bench:cluster -- --embedder faceapi-recognition --grid 0.88,0.99.
  'faceapi-recognition': { threshold: 0.945, cohesion: 0.1 },
};

export function clusterParameters(embedder: string): ClusterParameters {
  const found = CLUSTER_PARAMETERS[embedder];
  if (!found) throw new VisageError('VISAGE_ERR_BAD_OPTION', `no clustering threshold is fitted for embedder "${embedder}" (fitted: ${Object.keys(CLUSTER_PARAMETERS).join(', ')}); give one`);
  return found;
}

export interface FaceToCluster {
  vector: Float32Array;
  /** Faces of one photo never share a cluster. */
  photo: string;
}

export interface ClusterFacesOptions {
  embedder: string;
  /** Overrides the fitted threshold / cohesion. */
  threshold?: number;
  cohesion?: number;
  /** Groups kept together (earlier clusters, user merges): indices into `faces`. */
  initial?: ReadonlyArray<readonly number[]>;
  /** Pairs never put together (user splits). */
  cannotLink?: ReadonlyArray<readonly [number, number]>;
  /** The centroid merge after the linkage; default: the one fitted for the embedder, if any; null: none. */
  centroid?: CentroidStep | null;
}

export function clusterFaces(faces: readonly FaceToCluster[], options: ClusterFacesOptions): Clustering {
  const fitted = options.threshold !== undefined && options.cohesion !== undefined ? null : clusterParameters(options.embedder);
  const photoIds = new Map<string, number>();
  const photoOf = Int32Array.from(faces.map((f) => {
    let id = photoIds.get(f.photo);
    if (id === undefined) photoIds.set(f.photo, id = photoIds.size);
    return id;
  }));
  const similarity = similarityMatrix(faces.map((f) => f.vector));
  const linked = agglomerative(similarity, {
    threshold: options.threshold ?? fitted!.threshold,
    cohesion: options.cohesion ?? fitted!.cohesion,
    photoOf, initial: options.initial, cannotLink: options.cannotLink,
  });
  const step = options.centroid !== undefined ? options.centroid : CLUSTER_PARAMETERS[options.embedder]?.centroid;
  return step ? centroidMerge(similarity, linked, { ...step, photoOf, cannotLink: options.cannotLink }) : linked;
}
