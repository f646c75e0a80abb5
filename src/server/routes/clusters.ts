// /v1/clusters: "People to name". Photos are added (uploads, or paths under the server's jobs root),
// their faces clustered by person with the CLI's own calls (recognition/people.ts over the server
// store's cluster tables: the SQLite server file, or the PostgreSQL gallery's schema, so every API
// node sees the same clusters), and the user names a cluster, merges, splits, or says "not this
// person" of a face.
//
// Adding photos: with a job queue (a PostgreSQL gallery), a `cluster` job that `visage worker`
// processes do (202 and the job); without one, in the request, through the inference queue, at
// most MAX_SYNC_IMAGES images. Either way the faces are clustered at the next read.
import path from 'node:path';
import { realpath, stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import { scanFolder, readImageFile } from '../../face/image/files.ts';
import { contentHash } from '../../gallery/portable.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { ClusterJobImage } from '../../jobs/types.ts';
import { photoFacesOf, type PhotoFace } from '../../recognition/clustering.ts';
import { isFaceKey, type StoredClusterFace } from '../../recognition/cluster-store/index.ts';
import { PeopleClusters, type PeopleView } from '../../recognition/people.ts';
import { faceThumbnail, field, numberField, booleanField, readInput } from '../images.ts';
import { imageRoute, infer, type ServerContext } from '../context.ts';
import { insideRoot, stringList } from './jobs.ts';

/** Images added in one request when there is no job queue (each is analysed while the client waits). */
export const MAX_SYNC_IMAGES = 100;

export interface ClusterRouteOptions {
  queue: JobQueue | null;
  root: string | null;
}

const CLUSTER_ID = /^c\d{1,9}$/;

function clusterId(text: string): string {
  if (!CLUSTER_ID.test(text)) throw new VisageError('VISAGE_ERR_UNKNOWN_CLUSTER', `no cluster ${shown(text)} (a cluster id is c and a number, e.g. c3)`);
  return text;
}

/** A JSON body's members, only those named allowed. */
function jsonBody(request: FastifyRequest, allowed: readonly string[]): Record<string, unknown> {
  const body = request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'the body must be a JSON object');
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `unknown member ${shown(key)} (${allowed.join(', ')})`);
  return body as Record<string, unknown>;
}

function strings(value: unknown, name: string): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string' || !v.trim())) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${name} must be a non-empty list of non-empty strings`);
  return list.map((v) => (v as string).trim());
}

const faceUrl = (key: string) => `/v1/clusters/faces/${key}/thumbnail`;

function faceJson<T extends PhotoFace>(face: T) {
  const { key, file, box, score, quality } = face;
  const extra = 'similarity' in face ? { similarity: (face as { similarity: number }).similarity } : 'reasons' in face ? { reasons: (face as { reasons: string[] }).reasons } : {};
  return { key, file, box, score, quality, ...extra, thumbnail: faceUrl(key) };
}

function viewJson(view: PeopleView, options: { unnamed: boolean; limit: number; offset: number; faces: number }) {
  const chosen = view.clusters.filter((c) => !options.unnamed || c.subject === null);
  const clusters = chosen.slice(options.offset, options.offset + options.limit).map((c) => ({
    id: c.id, subject: c.subject, size: c.faces.length, faces: c.faces.slice(0, options.faces).map(faceJson),
  }));
  return {
    embedder: view.embedder, threshold: view.threshold, cohesion: view.cohesion, version: view.version,
    images: view.images, faces: view.faces, totalClusters: chosen.length, unnamedClusters: view.clusters.filter((c) => c.subject === null).length,
    clusters,
    matched: view.matched.map((m) => ({ subject: m.subject, size: m.faces.length, faces: m.faces.slice(0, options.faces).map(faceJson) })),
    unclustered: view.unclustered.slice(0, options.faces * 10).map(faceJson), unclusteredCount: view.unclustered.length,
    setAside: view.setAside.slice(0, options.faces * 10).map(faceJson), setAsideCounts: view.setAsideCounts,
    noFace: view.noFace,
  };
}

export async function clusterRoutes(app: FastifyInstance, context: ServerContext, options: ClusterRouteOptions): Promise<void> {
  const { recognizer, gallery, store } = context;
  const people = store ? new PeopleClusters({
    store: store.clusters, gallery, embedder: recognizer.modelId,
    matcher: async (vector) => {
      const found = await recognizer.identifyEmbedding(vector);
      return found.name !== null && found.similarity !== null ? { subject: found.name, similarity: found.similarity } : null;
    },
  }) : null;
  const peopleOf = (): PeopleClusters => {
    if (!people) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'this server has no server store (keys, thumbnails, clusters): start it with one (visage serve does)');
    return people;
  };
  const admin = { config: { scope: 'admin' as const } };
  const reader = { config: { scope: 'recognise' as const } };

  /** Images named by paths under the jobs root: files, and the images in folders. */
  const imagesUnderRoot = async (paths: readonly string[]): Promise<{ file: string; name: string }[]> => {
    const realRoot = await realpath(options.root ?? '.').catch(() => options.root ?? '.');
    const out: { file: string; name: string }[] = [];
    for (const given of paths) {
      const resolved = await insideRoot(options.root, given);
      const files = (await stat(resolved)).isDirectory() ? (await scanFolder(resolved)).images.sort() : [resolved];
      for (const file of files) {
        await insideRoot(options.root, file); // a link inside a folder may lead out
        out.push({ file, name: path.relative(realRoot, file) });
      }
    }
    return out;
  };

  /** Analyses one image in the inference queue: its record and faces, or why it was left out. */
  const analyse = async (request: FastifyRequest, bytes: Uint8Array, name: string) => {
    const hash = contentHash(bytes);
    const analysis = await infer(context, request, () => context.visage.analyze(bytes));
    const found = photoFacesOf(analysis, name, hash, recognizer.modelId);
    const faces: StoredClusterFace[] = [];
    for (const f of found) {
      let thumbnail: Buffer | null = null;
      try {
        thumbnail = await faceThumbnail(bytes, f.face.box, context.visage.config.maxInputPixels);
      } catch (error) {
        request.log.warn({ err: error }, 'cluster thumbnail not made');
      }
      faces.push({ ...f, thumbnail });
    }
    return { image: { contentHash: hash, name, faces: faces.length }, faces };
  };

  const viewOptions = (request: FastifyRequest) => ({
    unnamed: booleanField(request, null, 'unnamed') ?? false,
    limit: numberField(request, null, 'limit', 1, 10_000, true) ?? 500,
    offset: numberField(request, null, 'offset', 0, 1_000_000_000, true) ?? 0,
    faces: numberField(request, null, 'faces', 1, 10_000, true) ?? 200,
  });

  // Add photos: "image" uploads (multipart, or base64 "image"/"images"), or "paths" under the jobs root.
  app.post('/v1/clusters', imageRoute(context, 'admin'), async (request, reply) => {
    const clusters = peopleOf();
    const input = await readInput(request, context.limits);
    const paths = stringList(field(request, input, 'paths'), 'paths');
    const uploads = input.files.get('image') ?? [];
    if (input.files.size > 1 || (input.files.size === 1 && uploads.length === 0)) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'send the images as "image" (multipart files, or base64 in "image"/"images")');
    if (uploads.length === 0 && !paths) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'nothing to cluster: send images ("image" files or base64 "images") or "paths" under the jobs root');
    if (uploads.length > 0 && paths) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'send images or paths, not both');
    const named = paths ? await imagesUnderRoot(paths) : [];
    if (paths && named.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'no image found under the paths given');

    if (options.queue) {
      const images: ClusterJobImage[] = paths
        ? named.map((n) => ({ file: n.file, name: n.name }))
        : uploads.map((u, i) => ({ data: u.data, name: u.filename ?? `image-${i + 1}` }));
      const job = await options.queue.submitClustering(images, { embedder: recognizer.modelId, chunkSize: numberField(request, input, 'chunkSize', 1, 10_000, true) });
      reply.code(202).header('location', `/v1/jobs/${job.id}`);
      return { job, clusters: '/v1/clusters' };
    }

    if (named.length > MAX_SYNC_IMAGES) {
      throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `${named.length} images are more than the ${MAX_SYNC_IMAGES} this server clusters in one request (it has no job queue: a PostgreSQL gallery has one); send fewer paths at a time`);
    }
    const results: { image: string; status: 'added' | 'failed'; faces: number; code?: string; message?: string }[] = [];
    const added: Awaited<ReturnType<typeof analyse>>[] = [];
    const sources: { name: string; bytes: () => Promise<Uint8Array> }[] = paths
      ? named.map((n) => ({ name: n.name, bytes: () => readImageFile(n.file) }))
      : uploads.map((u, i) => ({ name: u.filename ?? `image-${i + 1}`, bytes: async () => u.data }));
    for (const source of sources) {
      try {
        const item = await analyse(request, await source.bytes(), source.name);
        added.push(item);
        results.push({ image: source.name, status: 'added', faces: item.faces.length });
      } catch (error) {
        const code = (error as VisageError).code;
        if (typeof code !== 'string' || !/^VISAGE_ERR_(IMAGE|VIDEO)/.test(code)) throw error;
        results.push({ image: source.name, status: 'failed', faces: 0, code, message: (error as Error).message });
      }
    }
    if (added.length) await clusters.addImages(added);
    const view = await clusters.view();
    return { results, ...viewJson(view, viewOptions(request)) };
  });

  app.get('/v1/clusters', reader, async (request) => viewJson(await peopleOf().view(), viewOptions(request)));

  app.get<{ Params: { id: string } }>('/v1/clusters/:id', reader, async (request) => {
    const id = clusterId(request.params.id);
    const view = await peopleOf().view();
    const cluster = view.clusters.find((c) => c.id === id);
    if (!cluster) throw new VisageError('VISAGE_ERR_UNKNOWN_CLUSTER', `no cluster ${id}`);
    return { id: cluster.id, subject: cluster.subject, size: cluster.faces.length, faces: cluster.faces.map(faceJson) };
  });

  app.post<{ Params: { id: string } }>('/v1/clusters/:id/name', admin, async (request) => {
    const body = jsonBody(request, ['subject']);
    if (typeof body.subject !== 'string') throw new VisageError('VISAGE_ERR_BAD_INPUT', '"subject": the person\'s name (a string)');
    return peopleOf().name(clusterId(request.params.id), body.subject);
  });

  app.post<{ Params: { id: string } }>('/v1/clusters/:id/merge', admin, async (request) => {
    const body = jsonBody(request, ['clusters']);
    const others = strings(body.clusters, '"clusters" (the ids of the clusters merged into this one)').map(clusterId);
    return peopleOf().merge(clusterId(request.params.id), others);
  });

  app.post<{ Params: { id: string } }>('/v1/clusters/:id/split', admin, async (request) => {
    const body = jsonBody(request, ['faces']);
    return peopleOf().split(clusterId(request.params.id), strings(body.faces, '"faces" (the keys of the faces moved to a new cluster)'));
  });

  app.post<{ Params: { key: string } }>('/v1/clusters/faces/:key/not', admin, async (request) => {
    const body = jsonBody(request, ['subject']);
    if (body.subject !== undefined && (typeof body.subject !== 'string' || !body.subject.trim())) throw new VisageError('VISAGE_ERR_BAD_INPUT', '"subject": the person this face is not (a string)');
    return peopleOf().notThisPerson(request.params.key, body.subject as string | undefined);
  });

  app.get<{ Params: { key: string } }>('/v1/clusters/faces/:key/thumbnail', reader, async (request, reply: FastifyReply) => {
    const key = request.params.key;
    const jpeg = isFaceKey(key) ? await peopleOf().store.thumbnail(key) : null;
    if (!jpeg) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no thumbnail of face ${shown(key)}`);
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=300').send(Buffer.from(jpeg));
  });

  app.delete('/v1/clusters', admin, async () => {
    await peopleOf().clear();
    return { cleared: true };
  });
}
