// Where "People to name" keeps a photo library's faces and clusters (see types.ts).
export type { ClusterStore, ClusterSnapshot, ClusterImage, ClusterRun, StoredClusterFace } from './types.ts';
export { isFaceKey } from './types.ts';
export { SqliteClusterStore } from './sqlite.ts';
export { PostgresClusterStore } from './postgres.ts';
export { SQLITE_CLUSTER_TABLES, POSTGRES_CLUSTER_TABLES } from './tables.ts';
