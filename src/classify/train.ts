// Training from a folder-per-person dataset: faces found and embedded (through the cache), the
// largest face of each image used, a validation part (a folder or a stratified split) for the
// unknown threshold, optional augmentation of the training part, then the head is fitted.
import { VisageError } from '../errors.ts';
import { stratifiedSplit, type Vector } from '../learn/index.ts';
import { readLabelledFolder, type LabelledImage } from './dataset.ts';
import { FaceSource, LARGEST_FACE_SCORE_MARGIN, largestFace } from './faces.ts';
import { augmentationCounts } from './augment.ts';
import {
  ClassifierModel, MODEL_FORMAT, MODEL_VERSION, chooseUnknownThreshold, fitHead, headOptions, type HeadKind, type LabelledViews, type ModelFile,
} from './model.ts';
import type { Box } from '../types.ts';

export const DEFAULT_KIND: HeadKind = 'logistic';
export const DEFAULT_EMBEDDER = 'faceapi-recognition';
export const STACK_EMBEDDERS = ['faceapi-recognition', 'human-faceres'] as const;

export interface EmbeddedImage {
  file: string;
  label: string;
  /** Faces found in the image. */
  faceCount: number;
  /** The largest face's box and vectors (one per embedder, in order); absent when no face. */
  box?: Box;
  views?: Float32Array[];
  error?: string;
}

/** Every labelled image's largest face, embedded (errors and faceless images kept, marked). */
export async function embedLabelled(source: FaceSource, images: readonly LabelledImage[], tick?: (file: string) => void): Promise<EmbeddedImage[]> {
  const out: EmbeddedImage[] = [];
  let sinceFlush = 0;
  for (const { file, label } of images) {
    try {
      const { faces } = await source.facesOf(file);
      const face = largestFace(faces);
      out.push(face
        ? { file, label, faceCount: faces.length, box: face.box, views: source.embedders.map((id) => face.embeddings[id]!) }
        : { file, label, faceCount: 0 });
    } catch (error) {
      out.push({ file, label, faceCount: 0, error: (error as Error).message });
    }
    // A long first run keeps its progress if interrupted.
    if (++sinceFlush >= 100) { sinceFlush = 0; await source.flush(); }
    tick?.(file);
  }
  return out;
}

export function toLabelledViews(images: readonly EmbeddedImage[], viewCount: number): LabelledViews {
  const withFace = images.filter((i) => i.views);
  return { views: Array.from({ length: viewCount }, (_, v) => withFace.map((i) => i.views![v]! as Vector)), y: withFace.map((i) => i.label) };
}

export interface TrainOptions {
  trainDir: string;
  /** A validation folder (same class names; other names are taken as strangers). */
  valDir?: string;
  /** Fraction of each class held out for validation when no valDir (default 0.2; 0: none). */
  split?: number;
  kind?: HeadKind;
  /** Embedder ids, one per view (two for 'stack'). */
  embedders?: string[];
  augment?: boolean;
  seed?: number;
  targetFalseAccept?: number;
  source: FaceSource;
  onProgress?: (phase: string, total: number) => { tick(label: string): void; done(): void } | undefined;
}

export interface TrainResult {
  model: ClassifierModel;
  summary: Record<string, unknown>;
}

export function resolveEmbedders(kind: HeadKind, embedders: string[] | undefined): string[] {
  if (kind === 'stack') {
    const list = embedders && embedders.length > 0 ? embedders : [...STACK_EMBEDDERS];
    if (list.length !== 2) throw new VisageError('VISAGE_ERR_BAD_OPTION', `a stack classifier needs two embedders, e.g. ${STACK_EMBEDDERS.join(',')}`);
    return list;
  }
  const list = embedders && embedders.length > 0 ? embedders : [DEFAULT_EMBEDDER];
  if (list.length !== 1) throw new VisageError('VISAGE_ERR_BAD_OPTION', `a ${kind} classifier reads one embedder; two only for a stack classifier`);
  return list;
}

export async function trainFromFolder(options: TrainOptions): Promise<TrainResult> {
  const kind = options.kind ?? DEFAULT_KIND;
  const seed = options.seed ?? 1;
  const source = options.source;
  const embedders = [...source.embedders];
  const train = await readLabelledFolder(options.trainDir, { minClasses: 2 });
  const val = options.valDir ? await readLabelledFolder(options.valDir) : undefined;
  const split = options.valDir ? 0 : options.split ?? 0.2;
  if (!(split >= 0 && split < 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `split must be a fraction from 0 to below 1, got ${split}`);

  const started = Date.now();
  const all = [...train.images, ...(val?.images ?? [])];
  const bar = options.onProgress?.('embedding', all.length);
  const embedded = await embedLabelled(source, all, (f) => bar?.tick(f));
  bar?.done();
  const trainImages = embedded.slice(0, train.images.length);
  const valImages = embedded.slice(train.images.length);
  const embedSeconds = (Date.now() - started) / 1000;

  const usable = trainImages.filter((i) => i.views);
  const perClass: Record<string, number> = Object.fromEntries(train.classes.map((c) => [c, 0]));
  for (const i of usable) perClass[i.label]!++;
  const faceless = train.classes.filter((c) => perClass[c] === 0);
  if (faceless.length > 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no face found in any image of class ${faceless.join(', ')}`);

  // Validation part: the val folder, or a stratified split of the training images.
  let trainPart = usable, validationPart: EmbeddedImage[] = [];
  if (val) {
    validationPart = valImages.filter((i) => i.views);
  } else if (split > 0) {
    const fold = stratifiedSplit(usable.map((i) => i.label), split, seed);
    trainPart = fold.train.map((r) => usable[r]!);
    validationPart = fold.test.map((r) => usable[r]!);
  }

  // Augmentation of the training part only (validation faces stay real photos).
  const augmented: EmbeddedImage[] = [];
  let augmentSeconds = 0;
  if (options.augment) {
    const t0 = Date.now();
    const counts: Record<string, number> = {};
    for (const i of trainPart) counts[i.label] = (counts[i.label] ?? 0) + 1;
    const copies = augmentationCounts(counts);
    const total = trainPart.reduce((n, i) => n + copies[i.label]!, 0);
    const augBar = options.onProgress?.('augmenting', total);
    for (const image of trainPart) {
      for (let k = 1; k <= copies[image.label]!; k++) {
        try {
          const { faces } = await source.facesOf(image.file, k);
          const face = largestFace(faces);
          if (face) augmented.push({ file: image.file, label: image.label, faceCount: faces.length, box: face.box, views: embedders.map((id) => face.embeddings[id]!) });
        } catch {
          // An augmented view that cannot be made is skipped; the original stays.
        }
        augBar?.tick(`${image.file} #${k}`);
      }
    }
    augBar?.done();
    augmentSeconds = (Date.now() - t0) / 1000;
  }

  const t1 = Date.now();
  const trainData = toLabelledViews([...trainPart, ...augmented], embedders.length);
  let head = fitHead(kind, trainData.views, trainData.y, seed);
  const valData = validationPart.length > 0 ? toLabelledViews(validationPart, embedders.length) : undefined;
  let validationAccuracy: number | undefined;
  if (valData) {
    const known = valData.y.map((label, i) => ({ label, i })).filter(({ label }) => head.classes.includes(label));
    const right = known.filter(({ label, i }) => head.classes[head.scoreFace(valData.views.map((view) => view[i]!)).top] === label).length;
    validationAccuracy = known.length > 0 ? right / known.length : undefined;
  }
  // Strangers are simulated from the real training faces (not their augmented copies).
  const threshold = chooseUnknownThreshold(kind, head, toLabelledViews(trainPart, embedders.length), valData, options.targetFalseAccept ?? 0.05);
  // With a split, the final head also learns from the held-out faces (the threshold stays).
  const refit = !val && validationPart.length > 0;
  if (refit) {
    const allData = toLabelledViews([...usable, ...augmented], embedders.length);
    head = fitHead(kind, allData.views, allData.y, seed);
  }
  const fitSeconds = (Date.now() - t1) / 1000;

  const multiFace = trainImages.filter((i) => i.faceCount > 1).map((i) => ({ file: i.file, faces: i.faceCount }));
  const noFace = trainImages.filter((i) => !i.views && !i.error).map((i) => i.file);
  const unreadable = trainImages.filter((i) => i.error).map((i) => ({ file: i.file, error: i.error }));
  const summary = {
    trainDir: options.trainDir,
    classes: train.classes,
    imagesPerClass: Object.fromEntries(train.classes.map((c) => [c, train.images.filter((i) => i.label === c).length])),
    facesPerClass: perClass,
    images: train.images.length,
    facesUsed: usable.length,
    multiFaceImages: multiFace,
    multiFaceRule: `the largest face of each image is used (among faces scoring within ${LARGEST_FACE_SCORE_MARGIN} of its best detection)`,
    noFaceImages: noFace,
    unreadableImages: unreadable,
    ignoredUnlabelled: train.unlabelled,
    skippedVideos: train.videos,
    classWeight: kind === 'knn' ? 'none (k-NN votes)' : 'balanced (n / (classes x class count))',
    augmentedFaces: augmented.length,
    validation: val
      ? { source: `folder ${options.valDir}`, faces: validationPart.length, noFace: valImages.filter((i) => !i.views).map((i) => i.file), accuracy: validationAccuracy }
      : split > 0 ? { source: `stratified split ${split} of the training faces (seed ${seed})`, faces: validationPart.length, accuracy: validationAccuracy, refitOnAll: true } : { source: 'none' },
    threshold: { value: threshold.threshold, score: threshold.score, rule: threshold.rule, targetFalseAccept: threshold.targetFalseAccept, falseAcceptRate: threshold.falseAcceptRate, trueAcceptRate: threshold.trueAcceptRate, method: threshold.method },
    classifier: kind,
    embedders,
    seconds: { embedding: embedSeconds, augmenting: augmentSeconds, fitting: fitSeconds },
    cache: { analysed: source.stats.analysed, fromCache: source.stats.cached },
  };
  const json = head.toJSON() as { options?: Record<string, unknown> };
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    created: new Date().toISOString(),
    classes: [...head.classes],
    embedders,
    pipeline: source.pipeline,
    classifier: { kind, params: kind === 'stack' ? headOptions(kind, seed) : { ...(json.options ?? {}) }, model: json },
    unknown: { threshold: threshold.threshold, score: threshold.score, rule: threshold.rule, targetFalseAccept: threshold.targetFalseAccept, method: threshold.method, falseAcceptRate: threshold.falseAcceptRate, trueAcceptRate: threshold.trueAcceptRate },
    training: {
      images: summary.images, facesUsed: summary.facesUsed, augmentedFaces: augmented.length, facesPerClass: perClass,
      multiFaceImages: multiFace.length, noFaceImages: noFace.length, validation: summary.validation,
    },
  };
  return { model: new ClassifierModel(file, head), summary };
}
