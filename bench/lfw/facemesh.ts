// MediaPipe FaceMesh as packaged by Human (models/facemesh.json): 468 3-D points from a 192x192
// crop. The crop follows Human (src/face/blazeface.ts and facemesh.ts, 3.x): BlazeFace's raw box
// enlarged 1.4x (config.face.detector.scale) and made square around its centre, resampled to
// 192x192, pixels divided by 255 (the registry's mean 0, std 255); no rotation (Human's
// detector.rotation is off by default). The network's x and y are in crop pixels (0-192), mapped
// back linearly onto the crop box as Human's transformRawCoords does.
//
// Visage's face boxes are BlazeFace's raw boxes after BLAZEFACE_BOX_FIT, so the raw box is
// recovered by undoing that fit. With `passes: 2` the mesh runs again on a crop recentred on the
// first mesh's bounding box and rotated so the eyes are level (what Human does for the next
// video frame, with MediaPipe's roll correction): the second crop sees the face as the network
// was trained to see it.
import type { Box, FivePoints, Point, RgbImage } from '../../src/types.ts';
import type { Engine } from '../../src/runtime/engine.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { pixelsToInput } from '../../src/models/input.ts';
import { resampleAffine } from '../../src/face/align/align.ts';
import { applyAffine, invertAffine, type Affine } from '../../src/face/align/affine.ts';
import { BLAZEFACE_BOX_FIT } from '../../src/face/detect/blazeface.ts';
import type { BoxFit } from '../../src/face/detect/box-fit.ts';
import { VisageError } from '../../src/errors.ts';

export const FACEMESH_MODEL_ID = 'human-facemesh';
const SIZE = 192;
const POINTS = 468;
/** Human's detector.scale: the crop's side is this times the raw BlazeFace box. */
export const FACEMESH_CROP_SCALE = 1.4;

/**
 * Mesh indices of the five points (MediaPipe's canonical face mesh; Human's facemeshcoords.ts
 * names them). The eyes are the six points that play the 68-point layout's eye points (corners,
 * two on the upper lid, two on the lower), so an eye centre means what it means for
 * fivePointsFrom68 and the dlib template: image-left eye (the subject's right) 33 outer corner,
 * 160 and 158 upper lid, 133 inner corner, 153 and 144 lower lid; image-right eye 362 inner
 * corner, 385 and 387 upper, 263 outer corner, 373 and 380 lower. Nose tip 1 (Human's noseTip);
 * mouth corners 61 (image left) and 291 (image right), the lip corners as 48 and 54 are.
 */
export const FACEMESH_FIVE = Object.freeze({
  leftEye: [33, 160, 158, 133, 153, 144],
  rightEye: [362, 385, 387, 263, 373, 380],
  nose: 1,
  mouthLeft: 61,
  mouthRight: 291,
});

function meanOf(points: readonly Point[], indices: readonly number[]): Point {
  let x = 0, y = 0;
  for (const i of indices) { x += points[i]!.x; y += points[i]!.y; }
  return { x: x / indices.length, y: y / indices.length };
}

/** The five alignment points from the 468 mesh points (see FACEMESH_FIVE). */
export function fivePointsFromMesh(points: readonly Point[]): FivePoints {
  if (points.length < POINTS) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `fivePointsFromMesh: expected ${POINTS} points, got ${points.length}`);
  }
  const { leftEye, rightEye, nose, mouthLeft, mouthRight } = FACEMESH_FIVE;
  return {
    leftEye: meanOf(points, leftEye),
    rightEye: meanOf(points, rightEye),
    nose: { x: points[nose]!.x, y: points[nose]!.y },
    mouthLeft: { x: points[mouthLeft]!.x, y: points[mouthLeft]!.y },
    mouthRight: { x: points[mouthRight]!.x, y: points[mouthRight]!.y },
  };
}

/** The square Human crops for a BlazeFace face box: the raw box (the fit undone), enlarged 1.4x, squared. */
export function meshCropSquare(box: Box, fit: Readonly<BoxFit> = BLAZEFACE_BOX_FIT): Box {
  const rawWidth = box.width / fit.scaleX, rawHeight = box.height / fit.scaleY;
  const cx = box.x + box.width / 2 - fit.dx * rawWidth, cy = box.y + box.height / 2 - fit.dy * rawHeight;
  const side = FACEMESH_CROP_SCALE * Math.max(rawWidth, rawHeight);
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

export interface MeshCrop {
  /** Centre of the crop in image pixels. */
  cx: number;
  cy: number;
  /** Side in image pixels. */
  side: number;
  /** Rotation in radians applied to the image before cropping (the crop's x axis along this angle). */
  angle: number;
}

/** Image -> crop (192x192) matrix for a crop square rotated by `angle` about its centre. */
export function meshCropMatrix(crop: MeshCrop): Affine {
  const scale = SIZE / crop.side;
  const a = scale * Math.cos(crop.angle), b = scale * Math.sin(crop.angle);
  return [
    [a, b, SIZE / 2 - (a * crop.cx + b * crop.cy)],
    [-b, a, SIZE / 2 - (-b * crop.cx + a * crop.cy)],
  ];
}

export interface FaceMeshResult {
  /** 468 points in image pixels; z in crop pixels (relative depth, unscaled). */
  points: (Point & { z: number })[];
  /** The network's face flag, 0-1. */
  faceScore: number;
}

export interface FaceMeshOptions {
  /** 1: Human's crop from the detector's box; 2: again on the crop recentred and levelled from the first mesh. */
  passes?: 1 | 2;
}

export class FaceMesh {
  constructor(private readonly engine: Engine) {}

  private async run(image: RgbImage, crops: MeshCrop[]): Promise<FaceMeshResult[]> {
    const spec = getModelSpec(FACEMESH_MODEL_ID).input;
    const plane = 3 * SIZE * SIZE;
    const batch = new Float32Array(crops.length * plane);
    const matrices = crops.map(meshCropMatrix);
    matrices.forEach((matrix, i) => {
      const chip = resampleAffine(image, matrix, SIZE, SIZE);
      pixelsToInput(chip.data, SIZE, SIZE, 3, spec, batch, i * plane);
    });
    const outputs = await this.engine.run(FACEMESH_MODEL_ID, batch, [crops.length, 3, SIZE, SIZE]);
    const mesh = outputs.output_mesh!.data as Float32Array;
    const flag = outputs.output_faceflag!.data as Float32Array;
    return matrices.map((matrix, i) => {
      const back = invertAffine(matrix);
      const points = Array.from({ length: POINTS }, (_, k) => {
        const o = i * POINTS * 3 + 3 * k;
        return { ...applyAffine(back, { x: mesh[o]!, y: mesh[o + 1]! }), z: mesh[o + 2]! };
      });
      return { points, faceScore: flag[i]! };
    });
  }

  /** 468 points per face box, in image pixels; one batched inference per pass. */
  async locate(image: RgbImage, boxes: Box[], options: FaceMeshOptions = {}): Promise<FaceMeshResult[]> {
    if (boxes.length === 0) return [];
    const passes = options.passes ?? 1;
    const first = boxes.map((box): MeshCrop => {
      const square = meshCropSquare(box);
      return { cx: square.x + square.width / 2, cy: square.y + square.height / 2, side: square.width, angle: 0 };
    });
    const results = await this.run(image, first);
    if (passes === 1) return results;
    const second = results.map(({ points }, i): MeshCrop => {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const p of points) { x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y); }
      const five = fivePointsFromMesh(points);
      const angle = Math.atan2(five.rightEye.y - five.leftEye.y, five.rightEye.x - five.leftEye.x);
      return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, side: first[i]!.side, angle };
    });
    return this.run(image, second);
  }
}
