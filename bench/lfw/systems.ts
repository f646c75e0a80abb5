// The systems bench/lfw.ts compares. A system turns an image file into an identity embedding (or
// null when it finds no face) and says how similar two embeddings are. Models are loaded only in
// the embedding processes (bench/lfw/embed-worker.ts); the parent process only scores, so
// `similarity` must be a pure function of the two embeddings.
//
// To add a system: append a SystemSpec to SYSTEMS (its load() imports its code lazily).

/** What the brief calls a System: a loaded spec. */
export interface System extends SystemSpec, Embedder {}

export interface Embedder {
  /** The embedding of the image's face, or null when no face is found. */
  embed(imagePath: string): Promise<Float32Array | null>;
  /**
   * Optional: an embedding for an image where embed() found no face (e.g. of a centre crop).
   * Without it, every pair with such an image is scored as "different" (-Infinity).
   */
  embedWithoutFace?(imagePath: string): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface SystemSpec {
  readonly id: string;
  /** One line: what runs. */
  readonly description: string;
  /** Higher = more similar; must be pure (runs in the parent process). */
  similarity(a: Float32Array, b: Float32Array): number;
  /** What `similarity` is, for the report. */
  readonly similarityName: string;
  /** What is done with an image where no face is found, for the report. */
  readonly noFacePolicy: string;
  /**
   * Single-threaded engines (TF.js-WASM) embed in one process per core; systems that use every
   * core themselves (onnxruntime) in one process.
   */
  readonly parallel: boolean;
  /** Left out when --systems is not given (baselines, slow variants). */
  readonly optional?: boolean;
  /** Loads the models. Called in the embedding process(es) only. */
  load(): Promise<Embedder>;
}

export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embeddings of different lengths: ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embeddings of different lengths: ${a.length} and ${b.length}`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Human's own `match.similarity` with its defaults (order 2, multiplier 25, min 0.2, max 0.8):
 * (0.8 - 0.05 x Euclidean distance) / 0.6, without its final clamp to [0, 1] and rounding to two
 * decimals. Those only create ties (MobileFaceNet's embeddings of different people all land on
 * 1.00), so dropping them keeps every decision at a threshold inside (0, 1) and separates the rest.
 */
export function humanSimilarity(a: Float32Array, b: Float32Array): number {
  return (0.8 - 0.05 * euclideanDistance(a, b)) / 0.6;
}

const HUMAN_NO_FACE = 'scored as different (Human returns no face, so no embedding)';

export const SYSTEMS: readonly SystemSpec[] = [
  {
    id: 'faceapi',
    description: "face-api's own pipeline: detectSingleFace(SSD MobileNetV1, default options).withFaceLandmarks().withFaceDescriptor(), TF.js-WASM",
    similarity: (a, b) => -euclideanDistance(a, b),
    similarityName: "negative Euclidean distance (face-api's own metric; its usual match threshold is distance 0.6)",
    noFacePolicy: 'scored as different (face-api returns no detection, so no descriptor)',
    parallel: true,
    load: async () => (await import('./faceapi.ts')).loadFaceApi(),
  },
  {
    id: 'human',
    description: "Human's own pipeline with FaceRes: BlazeFace -> FaceMesh crop -> FaceRes descriptor, TF.js-WASM",
    similarity: humanSimilarity,
    similarityName: "Human's match.similarity (Euclidean, defaults) without its clamp and rounding",
    noFacePolicy: HUMAN_NO_FACE,
    parallel: true,
    load: async () => (await import('./human.ts')).loadHuman('faceres'),
  },
  {
    id: 'human-mobilefacenet',
    description: "Human's own pipeline with MobileFaceNet (face.mobilefacenet enabled, FaceRes off), TF.js-WASM",
    similarity: humanSimilarity,
    similarityName: "Human's match.similarity (Euclidean, defaults) without its clamp and rounding",
    noFacePolicy: HUMAN_NO_FACE,
    parallel: true,
    load: async () => (await import('./human.ts')).loadHuman('mobilefacenet'),
  },
  {
    id: 'pixels',
    description: 'baseline without any face model: the centre 40% of the image, 24x24 grey, mean removed',
    similarity: cosineSimilarity,
    similarityName: 'cosine (so the correlation of the pixels)',
    noFacePolicy: 'none: no face detection',
    parallel: false,
    optional: true,
    load: async () => (await import('./pixels.ts')).loadPixelBaseline(),
  },
  // Visage's own systems: visage-<embedder> and visage-<embedder>-flip, one per embedder id.
  ...(['faceapi-recognition', 'human-faceres', 'human-mobilefacenet', 'human-mobileface'] as const).flatMap((embedder) =>
    [false, true].map((flip): SystemSpec => ({
      id: `visage-${embedder}${flip ? '-flip' : ''}`,
      description: `Visage: createVisage({ embedders: ['${embedder}'], flip: ${flip} }).analyze(), the detected face nearest the image centre, onnxruntime`,
      similarity: cosineSimilarity,
      similarityName: 'cosine (embeddings are L2-normalised)',
      noFacePolicy: 'scored as different',
      parallel: false,
      load: async () => (await import('./visage.ts')).loadVisage({ embedders: [embedder], flip }),
    }))),
];

export function getSystem(id: string): SystemSpec {
  const spec = SYSTEMS.find((s) => s.id === id);
  if (!spec) throw new Error(`unknown system "${id}"; known: ${SYSTEMS.map((s) => s.id).join(', ')}`);
  return spec;
}
