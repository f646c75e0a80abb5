// The systems bench/lfw.ts compares. A system turns an image file into an identity embedding (or
// null when it finds no face) and says how similar two embeddings are. Models are loaded only in
// the embedding processes (bench/lfw/embed-worker.ts); the parent process only scores, so
// `similarity` must be a pure function of the two embeddings.
//
// To add a system: append a SystemSpec to SYSTEMS (its load() imports its code lazily). Systems
// that can share work (Visage's embedders behind one detector, with and without flip) declare the
// same `pass`: when several are selected, one process pass over the images embeds them all.

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

/** What one system made of one image. */
export interface EmbedOutcome {
  /** Null: no embedding, and every pair with this image is scored as "different". */
  embedding: Float32Array | null;
  /** No face was found (the embedding, if any, came from embedWithoutFace). */
  noFace: boolean;
}

/** Embeds each image for several systems at once. */
export interface SharedEmbedder {
  /** One outcome per system id given to SharedPass.load, in that order. */
  embed(imagePath: string): Promise<EmbedOutcome[]>;
  close(): Promise<void>;
}

export interface SharedPass {
  /** Systems with the same key run in one pass. */
  readonly key: string;
  load(systemIds: readonly string[]): Promise<SharedEmbedder>;
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
  /**
   * Checked in the parent before any embedding starts: a reason the system cannot run here, or
   * null. Unavailable systems are skipped when --systems is not given, and refused when it is.
   */
  available?(): Promise<string | null>;
  /** Left out when --systems is not given (baselines, slow variants). */
  readonly optional?: boolean;
  /** Loads the models. Called in the embedding process(es) only. Systems with a `pass` may omit it. */
  load?(): Promise<Embedder>;
  readonly pass?: SharedPass;
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

/** Visage's pipeline is importable (it needs every stage of src/face in place). */
async function visageAvailable(): Promise<string | null> {
  try {
    await import('../../src/visage.ts');
    return null;
  } catch (error) {
    return `src/visage.ts does not load: ${(error as Error).message.split('\n')[0]}`;
  }
}

const HUMAN_NO_FACE = 'scored as different (Human returns no face, so no embedding)';

export const SYSTEMS: readonly SystemSpec[] = [
  ...[false, true].map((centre): SystemSpec => ({
    id: centre ? 'faceapi-centre' : 'faceapi',
    description: "face-api's own pipeline: detectSingleFace(SSD MobileNetV1, default options).withFaceLandmarks().withFaceDescriptor(), TF.js-WASM"
      + (centre ? '; where the SSD finds no face, its landmark and descriptor tasks on a fixed centre box' : ''),
    similarity: (a, b) => -euclideanDistance(a, b),
    similarityName: "negative Euclidean distance (face-api's own metric; its usual match threshold is distance 0.6)",
    noFacePolicy: centre
      ? "fell back to a centre box (the median SSD box on DevTrain) for face-api's landmarks and descriptor"
      : 'scored as different (face-api returns no detection, so no descriptor)',
    parallel: true,
    pass: { key: 'faceapi', load: async (ids) => (await import('./faceapi.ts')).loadFaceApiPass(ids) },
  })),
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
  // A baseline without any face model, and the harness's fast test system (with a flip variant
  // that shares its pass).
  ...[false, true].map((flip): SystemSpec => ({
    id: flip ? 'pixels-flip' : 'pixels',
    description: `baseline without any face model: the centre 40% of the image, 24x24 grey, mean removed${flip ? ', averaged with its mirror image' : ''}`,
    similarity: cosineSimilarity,
    similarityName: 'cosine (so the correlation of the pixels)',
    noFacePolicy: 'none: no face detection',
    parallel: false,
    optional: true,
    pass: { key: 'pixels', load: async (ids) => (await import('./pixels.ts')).loadPixelBaseline(ids.map((id) => id.endsWith('-flip'))) },
  })),
  // Visage's own systems: visage-<embedder> and visage-<embedder>-flip for each embedder id (the
  // ensemble included), all from one detection per image (one pass; see bench/lfw/visage.ts).
  ...(['faceapi-recognition', 'faceplugin-feature', 'human-faceres', 'human-mobilefacenet', 'human-mobileface', 'expo-mobilefacenet', 'ensemble', 'fusion', 'fusion3'] as const).flatMap((embedder) =>
    [false, true].map((flip): SystemSpec => ({
      id: `visage-${embedder}${flip ? '-flip' : ''}`,
      description: `Visage: createVisage({ embedders: ['${embedder}'], flip: ${flip} }).analyze(), the detected face nearest the image centre, onnxruntime`
        + ((embedder === 'ensemble' || embedder.startsWith('fusion')) ? '; the ensemble: its members\' cosines fused with the weights in src/face/embed/ensemble.ts, fitted on DevTrain by npm run fit:ensemble' : ''),
      similarity: cosineSimilarity,
      similarityName: (embedder === 'ensemble' || embedder.startsWith('fusion'))
        ? 'cosine of the ensemble embeddings = the weighted sum of the members\' cosines'
        : 'cosine (embeddings are L2-normalised)',
      noFacePolicy: 'scored as different',
      parallel: false,
      available: visageAvailable,
      pass: { key: 'visage', load: async (ids) => (await import('./visage.ts')).loadVisagePass(ids) },
    }))),
];

export function getSystem(id: string): SystemSpec {
  const spec = SYSTEMS.find((s) => s.id === id);
  if (!spec) throw new Error(`unknown system "${id}"; known: ${SYSTEMS.map((s) => s.id).join(', ')}`);
  return spec;
}

/** The selected systems grouped into passes over the images: systems sharing a pass key together. */
export function passesOf(specs: readonly SystemSpec[]): SystemSpec[][] {
  const passes = new Map<string, SystemSpec[]>();
  for (const spec of specs) {
    const key = spec.pass ? `pass:${spec.pass.key}` : `system:${spec.id}`;
    passes.set(key, [...(passes.get(key) ?? []), spec]);
  }
  return [...passes.values()];
}

/** Loads what embeds one pass: its shared embedder, or a single system's embedder. */
export async function loadPass(ids: readonly string[]): Promise<SharedEmbedder> {
  const specs = ids.map(getSystem);
  const pass = specs[0]?.pass;
  if (pass) {
    if (specs.some((s) => s.pass?.key !== pass.key)) throw new Error(`systems ${ids.join(', ')} do not share one pass`);
    return pass.load(ids);
  }
  const spec = specs[0];
  if (specs.length !== 1 || !spec?.load) throw new Error(`cannot embed ${ids.join(', ')} in one pass`);
  const embedder = await spec.load();
  return {
    async embed(imagePath) {
      let embedding = await embedder.embed(imagePath);
      const noFace = embedding === null;
      if (noFace && embedder.embedWithoutFace) embedding = await embedder.embedWithoutFace(imagePath);
      return [{ embedding, noFace }];
    },
    close: () => embedder.close(),
  };
}
