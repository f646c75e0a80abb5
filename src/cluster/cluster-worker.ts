// The worker side of clusterFacesInThread (thread.ts): clusters the faces it was started with,
// answers once.
import { parentPort, workerData } from 'node:worker_threads';
import { clusterFaces } from './faces.ts';
import type { ClusterWorkerInput, ClusterWorkerReply } from './thread.ts';

const { vectors, photos, options } = workerData as ClusterWorkerInput;
let reply: ClusterWorkerReply;
try {
  reply = { result: clusterFaces(vectors.map((vector, i) => ({ vector, photo: photos[i]! })), options) };
} catch (error) {
  const e = error as { code?: unknown; message?: unknown };
  reply = { error: { code: typeof e?.code === 'string' ? e.code : undefined, message: typeof e?.message === 'string' ? e.message : String(error) } };
}
parentPort!.postMessage(reply);
