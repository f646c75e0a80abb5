// Faces and embeddings of dataset images, through the embedding cache: an image is analysed once
// per pipeline setting; later runs read its faces and vectors from the cache and never load a
// model. The ensemble's vector is fused from its members' cached vectors (as the ensemble
// embedder does), so one analysis serves faceapi-recognition, human-faceres and ensemble.
import { readImageFile } from '../face/image/files.ts';
import { contentHash } from '../gallery/portable.ts';
import { EMBEDDER_IDS, resolveConfig, type EmbedderId, type VisageConfig } from '../config.ts';
import { createVisage, type Visage } from '../visage.ts';
import { VisageError } from '../errors.ts';
import { largestFaceIndex } from '../recognition/enrolment.ts';
export { LARGEST_FACE_SCORE_MARGIN } from '../recognition/enrolment.ts';
import { ensembleFuser, isEnsembleId, type EnsembleEmbedder } from '../face/embed/ensemble.ts';
import { MODEL_EMBEDDERS, type ModelEmbedderId } from '../face/embed/embedder.ts';
import { modelEmbedderIds } from '../face/embed/index.ts';
import { EmbeddingCache, decodeVector, encodeVector, type CachedImage } from './cache.ts';
import { augmentation, renderAugmentation, type Augmentation } from './augment.ts';
import type { Box, FivePoints, HeadPoseAngles } from '../types.ts';

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

/** The largest face (by box area) among those scoring within LARGEST_FACE_SCORE_MARGIN of the best; undefined when none. */
export function largestFace<T extends { box: Box; score: number }>(faces: readonly T[]): T | undefined {
  const i = largestFaceIndex(faces);
  return i < 0 ? undefined : faces[i];
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

export class FaceSource {
  readonly stats: FaceSourceStats = { analysed: 0, cached: 0 };
  private visage: Visage | undefined;
  private readonly fusers = new Map<string, EnsembleEmbedder>();

  private constructor(
    readonly embedders: readonly string[],
    private readonly modelIds: readonly string[],
    private readonly config: Readonly<VisageConfig>,
    private readonly caches: Map<string, EmbeddingCache>,
    private readonly details: boolean,
  ) {
    // Fusers only combine cached member embeddings.
    for (const id of embedders) if (isEnsembleId(id)) this.fusers.set(id, ensembleFuser(id));
  }

  static async create(options: FaceSourceOptions): Promise<FaceSource> {
    if (options.embedders.length === 0) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'no embedder given');
    const modelIds: string[] = [];
    for (const id of options.embedders) {
      if (!EMBEDDER_IDS.includes(id as EmbedderId)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown embedder "${id}"; known: ${EMBEDDER_IDS.join(', ')}`);
      for (const member of modelEmbedderIds(id as EmbedderId)) if (!modelIds.includes(member)) modelIds.push(member);
    }
    const config = resolveConfig({ ...options.pipeline, embedders: modelIds as EmbedderId[] });
    const key = Object.fromEntries(KEY_FIELDS.map((k) => [k, config[k]]));
    const caches = new Map<string, EmbeddingCache>();
    for (const id of modelIds) caches.set(id, await EmbeddingCache.open(options.cacheDir, id, { ...key, embedder: embedderFingerprint(id) }));
    return new FaceSource(options.embedders, modelIds, config, caches, options.details ?? false);
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

  private async analyse(key: string, input: () => Promise<string | Uint8Array>): Promise<ImageFaces> {
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

  /** Every face of an image file (or its augmented view `index` >= 1, made around its largest face). */
  async facesOf(file: string, augmentIndex = 0): Promise<ImageFaces & { augmentation?: Augmentation }> {
    const bytes = await readImageFile(file);
    const hash = contentHash(bytes);
    const plain = await this.analyse(hash, async () => bytes);
    if (augmentIndex === 0) return plain;
    const face = largestFace(plain.faces);
    if (!face) return { width: plain.width, height: plain.height, faces: [] };
    const view = augmentation(hash, augmentIndex, !this.config.flip);
    const result = await this.analyse(`${hash}|${view.key}`, () => renderAugmentation(bytes, face.box, plain.width, plain.height, view));
    return { ...result, augmentation: view };
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
