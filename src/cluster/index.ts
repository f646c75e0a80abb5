// Clustering faces by identity: pure functions over embeddings (no models, no files).
export { similarityMatrix, MAX_CLUSTER_FACES } from './similarity.ts';
export type { SimilarityMatrix } from './similarity.ts';
export { agglomerative } from './agglomerative.ts';
export type { AgglomerativeOptions } from './agglomerative.ts';
export { dbscan } from './dbscan.ts';
export type { DbscanOptions } from './dbscan.ts';
export { chineseWhispers } from './chinese-whispers.ts';
export type { ChineseWhispersOptions } from './chinese-whispers.ts';
export { fromLabels, samePhotoViolations } from './types.ts';
export type { Clustering } from './types.ts';
export { clusterFaces, clusterParameters, CLUSTER_PARAMETERS, VISAGE_CLUSTERING } from './faces.ts';
export type { ClusterParameters, CentroidStep, FaceToCluster, ClusterFacesOptions } from './faces.ts';
export { centroidMerge } from './centroid-merge.ts';
export type { CentroidMergeOptions } from './centroid-merge.ts';
