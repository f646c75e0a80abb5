// clusterFaces in a worker thread, so the thread that asks (an API node's event loop) keeps
// answering while a large set is clustered: the similarity matrix and the linkage of 5,000 faces
// take seconds of CPU. One worker per call; small sets are clustered in place (a worker's start
// costs more than they do).
import { VisageError, ErrorCodes, type ErrorCode } from '../errors.ts';
import { startWorker } from '../runtime/worker-file.ts';
import { clusterFaces, type ClusterFacesOptions, type FaceToCluster } from './faces.ts';
import type { Clustering } from './types.ts';

/** Below this many faces clusterFacesInThread clusters in place. */
export const THREAD_MIN_FACES = 400;

export interface ClusterWorkerInput {
  vectors: Float32Array[];
  photos: string[];
  options: ClusterFacesOptions;
}

export type ClusterWorkerReply = { result: Clustering } | { error: { code?: string; message: string } };

/** clusterFaces's result, computed in a worker thread when there are `minFaces` faces or more. */
export async function clusterFacesInThread(faces: readonly FaceToCluster[], options: ClusterFacesOptions, minFaces = THREAD_MIN_FACES): Promise<Clustering> {
  if (faces.length < minFaces) return clusterFaces(faces, options);
  const input: ClusterWorkerInput = {
    vectors: faces.map((f) => f.vector),
    photos: faces.map((f) => f.photo),
    options: { ...options },
  };
  const worker = startWorker(import.meta.url, 'cluster-worker', { workerData: input });
  try {
    return await new Promise<Clustering>((resolve, reject) => {
      worker.once('message', (reply: ClusterWorkerReply) => {
        if ('result' in reply) return resolve(reply.result);
        const code = reply.error.code;
        reject(code && code in ErrorCodes ? new VisageError(code as ErrorCode, reply.error.message) : new VisageError('VISAGE_ERR_INTERNAL', `clustering failed: ${reply.error.message}`));
      });
      worker.once('error', (error) => reject(new VisageError('VISAGE_ERR_INTERNAL', `clustering thread failed: ${error.message}`, { cause: error })));
      worker.once('exit', (code) => reject(new VisageError('VISAGE_ERR_INTERNAL', `clustering thread stopped (exit code ${code}) before it answered`)));
    });
  } finally {
    await worker.terminate();
  }
}
