// Faces and embeddings of image files, through the embedding cache: an image is analysed once
// per pipeline setting; later runs read its faces and vectors from the cache and never load a
// model. The ensemble's vector is fused from its members' cached vectors (as the ensemble
// embedder does), so one analysis serves faceapi-recognition, human-faceres and ensemble.
// Clustering (here) and training (classify/faces.ts, which adds augmented views) share it.
import { readImageFile } from '../face/image/files.ts';
import { contentHash } from '../gallery/portable.ts';
import { EMBEDDER_IDS, resolveConfig, type EmbedderId, type VisageConfig } from '../config.ts';
import { createVisage, type Visage } from '../visage.ts';
import { VisageError } from '../errors.ts';
import { ensembleFuser, isEnsembleId, type EnsembleEmbedder } from '../face/embed/ensemble.ts';
import { MODEL_EMBEDDERS, type ModelEmbedderId } from '../face/embed/embedder.ts';
import { modelEmbedderIds } from '../face/embed/index.ts';
import { EmbeddingCache, decodeVector, encodeVector, type CachedImage } from './embedding-cache.ts';
import type { Box, FivePoints, HeadPoseAngles } from '../types.ts';
import { PARTIAL_FACE } from '../face/quality/partial-face.ts';

/** Pipeline settings that change which faces are found or their vectors (the cache key). */
const KEY_FIELDS = ['detector', 'tiling', 'minScore', 'maxFaces', 'minFaceSize', 'landmarks', 'flip', 'maxWorkingPixels', 'faceCheck'] as const;

export interface FoundFace {
  box: Box;
  score: number;
  /** By embedder id (every requested one, the ensemble included). */
  embeddings: Record<string, Float32Array>;
  /** Present when the source was created with `details: true` (always for entries written since they were added). */
  five?: FivePoints;
  pose?: HeadPoseAngles;
  quality?: { size: number; sharpness: number; frontalness: number };
}

export interface ImageFaces {
  width: number;
  height: number;
  faces: FoundFace[];
}

export interface FaceSourceOptions {
  /** Embedder ids wanted (model embedders and/or 'ensemble'). */
  embedders: readonly string[];
  /** createVisage options (detector, flip ...); embedders are set here. */
  pipeline?: Partial<VisageConfig>;
  /** Cache folder; null for no file cache. */
  cacheDir: string | null;
  /** Every face's five points, pose and quality are needed: a cached entry without them is analysed again. */
  details?: boolean;
}

export interface FaceSourceStats {
  /** Images (and augmented views) analysed by the models in this run. */
  analysed: number;
  /** Read from the cache. */
  cached: number;
}

/**
 * What makes an embedder's vectors what they are, beyond the pipeline settings: its model, output
 * and alignment template (name, size, target points). A change of any of them (as when the
 * ResNet's crop moved to dlib's own chip) starts a new cache file instead of reusing stale vectors.
 */
function embedderFingerprint(id: string): Record<string, unknown> {
  const spec = MODEL_EMBEDDERS[id as ModelEmbedderId];
  const t = spec.template;
  return { model: spec.modelId, output: spec.output, template: { name: t.name, width: t.width, height: t.height, points: t.points ?? null } };
}

/** What create() settles before a source is made (for subclasses; create() is the way to make one). */
export interface FaceSourceInit {
  embedders: readonly string[];
  modelIds: readonly string[];
  config: Readonly<VisageConfig>;
  caches: Map<string, EmbeddingCache>;
  details: boolean;
}

export class CachedFaceSource {
  readonly stats: FaceSourceStats = { analysed: 0, cached: 0 };
  readonly embedders: readonly string[];
  private visage: Visage | undefined;
  private readonly fusers = new Map<string, EnsembleEmbedder>();
  private readonly modelIds: readonly string[];
  protected readonly config: Readonly<VisageConfig>;
  private readonly caches: Map<string, EmbeddingCache>;
  private readonly details: boolean;

  /** @internal Use create(). */
  constructor(init: FaceSourceInit) {
    this.embedders = init.embedders;
    this.modelIds = init.modelIds;
    this.config = init.config;
    this.caches = init.caches;
    this.details = init.details;
    // Fusers only combine cached member embeddings.
    for (const id of this.embedders) if (isEnsembleId(id)) this.fusers.set(id, ensembleFuser(id));
  }

  static async create<T extends CachedFaceSource>(this: new (init: FaceSourceInit) => T, options: FaceSourceOptions): Promise<T> {
    if (options.embedders.length === 0) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'no embedder given');
    const modelIds: string[] = [];
    for (const id of options.embedders) {
      if (!EMBEDDER_IDS.includes(id as EmbedderId)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown embedder "${id}"; known: ${EMBEDDER_IDS.join(', ')}`);
      for (const member of modelEmbedderIds(id as EmbedderId)) if (!modelIds.includes(member)) modelIds.push(member);
    }
    const config = resolveConfig({ ...options.pipeline, embedders: modelIds as EmbedderId[] });
    const key: Record<string, unknown> = Object.fromEntries(KEY_FIELDS.map((k) => [k, config[k]]));
    // The O-Net check replaces partial-face boxes since revision 1 of that rule: other faces for the same options.
    if (config.faceCheck === 'onet' && config.detector === 'blazeface') key.partialFace = PARTIAL_FACE.revision;
    const caches = new Map<string, EmbeddingCache>();
    for (const id of modelIds) caches.set(id, await EmbeddingCache.open(options.cacheDir, id, { ...key, embedder: embedderFingerprint(id) }));
    return new this({ embedders: options.embedders, modelIds, config, caches, details: options.details ?? false });
  }

  /** The pipeline settings that are part of the cache key (recorded in model files). */
  get pipeline(): Record<string, unknown> {
    return Object.fromEntries(KEY_FIELDS.map((k) => [k, this.config[k]]));
  }

  get flip(): boolean { return this.config.flip; }

  private async models(): Promise<Visage> {
    if (!this.visage) this.visage = await createVisage(this.config);
    return this.visage;
  }

  /** The faces of the image (or view) cached under `key`, analysed from `input()` when not cached. */
  protected async analyse(key: string, input: () => Promise<string | Uint8Array>): Promise<ImageFaces> {
    const cached = this.modelIds.map((id) => this.caches.get(id)!.get(key));
    let records: CachedImage[];
    const complete = (c: CachedImage | undefined) => c !== undefined && (!this.details || c.faces.every((f) => f.quality && f.pose && f.five));
    if (cached.every(complete)) {
      this.stats.cached++;
      records = cached as CachedImage[];
    } else {
      this.stats.analysed++;
      const visage = await this.models();
      const analysis = await visage.analyze(await input());
      records = this.modelIds.map((id) => {
        const record: CachedImage = {
          width: analysis.width,
          height: analysis.height,
          faces: analysis.faces.map((f) => ({
            box: f.box, score: f.score, embedding: encodeVector(f.embeddings[id]!), five: f.landmarks.five, pose: f.pose, quality: f.quality,
          })),
        };
        this.caches.get(id)!.set(key, record);
        return record;
      });
    }
    const first = records[0]!;
    const faces: FoundFace[] = first.faces.map((face, i) => {
      const byModel = new Map(this.modelIds.map((id, m) => [id, decodeVector(records[m]!.faces[i]!.embedding)]));
      const embeddings: Record<string, Float32Array> = {};
      for (const id of this.embedders) {
        const fuser = this.fusers.get(id);
        embeddings[id] = fuser ? fuser.fuse(fuser.members.map((m) => byModel.get(m.id)!)) : byModel.get(id)!;
      }
      const found: FoundFace = { box: face.box, score: face.score, embeddings };
      if (face.five) found.five = face.five;
      if (face.pose) found.pose = face.pose;
      if (face.quality) found.quality = face.quality;
      return found;
    });
    return { width: first.width, height: first.height, faces };
  }

  /** Every face of an image file. */
  async facesOf(file: string): Promise<ImageFaces> {
    const bytes = await readImageFile(file);
    return this.analyse(contentHash(bytes), async () => bytes);
  }

  /** Saves new cache entries and releases the models. */
  async close(): Promise<void> {
    for (const cache of this.caches.values()) await cache.save();
    await this.visage?.close();
    this.visage = undefined;
  }

  /** Saves new cache entries now (e.g. every so often during a long run). */
  async flush(): Promise<void> {
    for (const cache of this.caches.values()) await cache.save();
  }
}
