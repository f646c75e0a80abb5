// Every face of every image, embedded once with Visage's defaults (createVisage()), kept in memory
// for the run and optionally in a cache file (--cache) keyed by the image's path under the
// datasets root and its size, valid only for the same pipeline configuration.
import { existsSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Box } from '../../src/types.ts';
import type { FaceChoice } from './parts.ts';

export interface EmbeddedFace {
  box: Box;
  score: number;
  embedding: Float32Array;
}

export interface ImageFaces {
  width: number;
  height: number;
  faces: EmbeddedFace[];
}

/** The labelled person's face under a part's rule, or null when no face was found. */
export function chooseFace(image: ImageFaces, rule: FaceChoice): EmbeddedFace | null {
  let chosen: EmbeddedFace | null = null, best = Infinity;
  for (const face of image.faces) {
    const { x, y, width, height } = face.box;
    const cost = rule === 'largest' ? -width * height : Math.hypot(x + width / 2 - image.width / 2, y + height / 2 - image.height / 2);
    if (cost < best) { best = cost; chosen = face; }
  }
  return chosen;
}

interface CachedFace { box: Box; score: number; embedding: string }
interface CachedImage { size: number; width: number; height: number; faces: CachedFace[] }
interface CacheFile { format: 'visage-openset-cache'; pipeline: string; images: Record<string, CachedImage> }

const toBase64 = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export interface EmbedProgress { done: number; total: number; embedded: number; fromCache: number; noFace: number; seconds: number }

export class FaceEmbeddings {
  private readonly memory = new Map<string, ImageFaces>();
  private cache: CacheFile | null = null;
  private dirty = 0;

  private constructor(private readonly root: string, private readonly pipeline: string, private readonly cacheFile: string | undefined, private readonly log: (line: string) => void,
    private readonly transform: (stored: Float32Array) => Float32Array) {}

  /** `pipeline`: a description of the configuration; a cache written under another one is ignored. */
  /** `transform`: from the stored vector (what the analyzer gave, what the cache holds) to the one used (e.g. an ensemble's fuse). */
  static async open(root: string, pipeline: string, cacheFile: string | undefined, log: (line: string) => void,
    transform: (stored: Float32Array) => Float32Array = (v) => v): Promise<FaceEmbeddings> {
    const store = new FaceEmbeddings(root, pipeline, cacheFile, log, transform);
    if (cacheFile) {
      store.cache = { format: 'visage-openset-cache', pipeline, images: {} };
      if (existsSync(cacheFile)) {
        const loaded = JSON.parse(await readFile(cacheFile, 'utf8')) as CacheFile;
        if (loaded.format !== 'visage-openset-cache') throw new Error(`${cacheFile} is not an open-set embedding cache`);
        if (loaded.pipeline === pipeline) store.cache = loaded;
        else log(`cache ${cacheFile} was written by another pipeline configuration; embedding again (it will be overwritten)`);
      }
    }
    return store;
  }

  private key(file: string): string {
    return path.relative(this.root, file).split(path.sep).join('/');
  }

  get(file: string): ImageFaces {
    const found = this.memory.get(file);
    if (!found) throw new Error(`not embedded: ${file}`);
    return found;
  }

  /**
   * Embeds every image not in memory or in the cache file. `analyze` is created only when needed
   * (so a fully cached run loads no model).
   */
  async embedAll(files: string[], analyzer: () => Promise<{ analyze(file: string): Promise<ImageFaces>; close(): Promise<void> }>, progress: (p: EmbedProgress) => void): Promise<void> {
    const started = performance.now();
    let embedded = 0, fromCache = 0, noFace = 0, done = 0;
    const todo: string[] = [];
    for (const file of files) {
      if (this.memory.has(file)) { done++; continue; }
      const cached = this.cache?.images[this.key(file)];
      if (cached && cached.size === (await stat(file)).size) {
        const faces = cached.faces.map((f) => ({ box: f.box, score: f.score, embedding: this.transform(fromBase64(f.embedding)) }));
        this.memory.set(file, { width: cached.width, height: cached.height, faces });
        fromCache++; done++;
        if (faces.length === 0) noFace++;
      } else todo.push(file);
    }
    if (todo.length === 0) return;
    const tool = await analyzer();
    let last = performance.now();
    try {
      for (const file of todo) {
        const result = await tool.analyze(file);
        this.memory.set(file, { ...result, faces: result.faces.map((f) => ({ ...f, embedding: this.transform(f.embedding) })) });
        if (result.faces.length === 0) noFace++;
        if (this.cache) {
          this.cache.images[this.key(file)] = {
            size: (await stat(file)).size, width: result.width, height: result.height,
            faces: result.faces.map((f) => ({ box: f.box, score: f.score, embedding: toBase64(f.embedding) })),
          };
          if (++this.dirty >= 100) await this.save();
        }
        embedded++; done++;
        if (performance.now() - last > 15_000 || done === files.length) {
          last = performance.now();
          progress({ done, total: files.length, embedded, fromCache, noFace, seconds: (last - started) / 1000 });
        }
      }
    } finally {
      await tool.close();
      await this.save();
    }
  }

  /** Writes the cache file (atomically: a temporary file renamed over it). */
  async save(): Promise<void> {
    if (!this.cache || !this.cacheFile || this.dirty === 0) return;
    const temporary = `${this.cacheFile}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(this.cache));
    await rename(temporary, this.cacheFile);
    this.dirty = 0;
  }
}

/**
 * Visage's default pipeline (createVisage() with no options, or with `options` over the defaults):
 * every face and its first embedder's vector. For an ensemble (the fusion), `analyze` returns its
 * members' unit embeddings side by side, unweighted, and `fuse` turns that into the ensemble's
 * embedding with the weights in the code now: a cache of the members stays valid when
 * `npm run fit:ensemble` changes the weights.
 */
export interface EmbeddingForm {
  /** The embedder matching uses (the configuration's first). */
  embedder: string;
  /** What is stored per face: the embedder, or an ensemble's members joined ("a+b"). */
  stored: string;
  /** From the stored vector to the embedder's. */
  fuse(stored: Float32Array): Float32Array;
}

/** How the default pipeline's (or `options`') first embedder is stored and fused, without loading a model. */
export async function embeddingForm(options: Parameters<typeof import('../../src/visage.ts').createVisage>[0] = {}): Promise<EmbeddingForm & { members: string[]; sizes: number[] }> {
  const { resolveConfig } = await import('../../src/config.ts');
  const { ENSEMBLES, ensembleFuser, isEnsembleId } = await import('../../src/face/embed/ensemble.ts');
  const { MODEL_EMBEDDERS } = await import('../../src/face/embed/embedder.ts');
  const { getModelSpec } = await import('../../src/models/registry.ts');
  const embedder = resolveConfig(options).embedders[0]!;
  const members = isEnsembleId(embedder) ? ENSEMBLES[embedder].map((m) => m.id) : [embedder];
  const sizes = members.map((id) => getModelSpec(MODEL_EMBEDDERS[id as keyof typeof MODEL_EMBEDDERS].modelId).embeddingSize!);
  const ensemble = isEnsembleId(embedder) ? ensembleFuser(embedder) : null;
  return {
    embedder, members, sizes,
    stored: members.join('+'),
    fuse(stored) {
      if (!ensemble) return stored;
      let at = 0;
      return ensemble.fuse(sizes.map((size) => { const part = stored.subarray(at, at + size); at += size; return part; }));
    },
  };
}

/**
 * `grey`: every image is turned grey first (one channel, losslessly re-encoded), as a night-vision
 * camera or a grey scan gives it. `shrink`: every image is resized by this factor first (0.5: half
 * the width and height), as a face further from the camera gives it.
 */
export async function createDefaultAnalyzer(options: Parameters<typeof import('../../src/visage.ts').createVisage>[0] = {}, grey = false, shrink = 1): Promise<EmbeddingForm & {
  analyze(file: string): Promise<ImageFaces>; close(): Promise<void>;
}> {
  const { createVisage } = await import('../../src/visage.ts');
  const sharp = (await import('sharp')).default;
  const form = await embeddingForm(options);
  const visage = await createVisage({ ...options, embedders: form.members as never });
  return {
    ...form,
    async analyze(file) {
      let input: string | Buffer = file;
      if (grey || shrink !== 1) {
        let image = sharp(file);
        if (shrink !== 1) {
          const { width = 0, height = 0 } = await image.metadata();
          image = image.resize(Math.max(1, Math.round(width * shrink)), Math.max(1, Math.round(height * shrink)));
        }
        input = await (grey ? image.greyscale() : image).png().toBuffer();
      }
      const { width, height, faces } = await visage.analyze(input);
      return {
        width, height,
        faces: faces.map((f) => {
          const joined = new Float32Array(form.sizes.reduce((a, b) => a + b, 0));
          let at = 0;
          for (const id of form.members) { const part = f.embeddings[id]!; joined.set(part, at); at += part.length; }
          return { box: f.box, score: f.score, embedding: joined };
        }),
      };
    },
    close: () => visage.close(),
  };
}
