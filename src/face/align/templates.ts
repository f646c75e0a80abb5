// Where each embedder expects the face: an output size and a rule from a face's five points to
// the image -> output matrix. Template points are in output pixels, in the coordinates of
// src/types.ts (origin at the output's top-left corner; pixel i spans [i, i + 1)).
import { VisageError } from '../../errors.ts';
import type { FivePoints, Point } from '../../types.ts';
import type { Affine } from './affine.ts';
import { fivePointsList } from './landmarks.ts';
import { similarityTransform } from './similarity.ts';

export interface AlignTemplate {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Where the five points should land, for templates fitted by least squares (absent for rule-based ones). */
  readonly points?: Readonly<FivePoints>;
  /** The image -> output matrix for a face with these five points (in image pixels). */
  transform(points: FivePoints): Affine;
}

/** A template fitted by Umeyama least squares of the five points onto `points`. */
export function pointTemplate(name: string, width: number, height: number, points: FivePoints): AlignTemplate {
  const target = fivePointsList(points);
  return Object.freeze({
    name, width, height,
    points: Object.freeze({ ...points }),
    transform: (face: FivePoints) => similarityTransform(fivePointsList(face), target),
  });
}

function shift(points: Point[], by: number): Point[] {
  return points.map((p) => ({ x: p.x + by, y: p.y + by }));
}

function five(list: Point[]): FivePoints {
  const [leftEye, rightEye, nose, mouthLeft, mouthRight] = list;
  return { leftEye: leftEye!, rightEye: rightEye!, nose: nose!, mouthLeft: mouthLeft!, mouthRight: mouthRight! };
}

/**
 * ArcFace 112x112: InsightFace's `arcface_src` / `arcface_dst` (deepinsight/insightface,
 * python-package/insightface/utils/face_align.py, used by `norm_crop` for the ArcFace-family and
 * MobileFaceNet recognisers): left eye (38.2946, 51.6963), right eye (73.5318, 51.5014),
 * nose (56.0252, 71.7366), mouth left (41.5493, 92.3655), mouth right (70.7299, 92.2041).
 * Those are OpenCV pixel-index coordinates (a pixel's centre at its index); `+ 0.5` puts them
 * in ours, so a face warped here lands where `cv2.warpAffine` puts it.
 */
export const ARCFACE_112: AlignTemplate = pointTemplate('arcface-112', 112, 112, five(shift([
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
], 0.5)));

export interface FaceapiChipOptions {
  /** Where the centroid of the eye centres and the mouth centre goes, as fractions of the side. */
  centreX?: number;
  centreY?: number;
  /** Mean distance from each eye centre to the mouth centre, as a fraction of the side. */
  eyeToMouth?: number;
}

/**
 * The chip face-api defines for its recogniser (`FaceLandmarks.alignDlib` in face-api.js:
 * constants relX 0.5, relY 0.43, relScale 0.45): the mean eye-to-mouth distance is 0.45 of the
 * side, and the centroid of both eye centres and the mouth centre sits at (0.5, 0.43) of the
 * chip. face-api cuts that square without rotating; here the eyes are also levelled, which
 * keeps those two rules and removes the head's roll. face-api's mouth centre is the mean of
 * its 20 mouth points; with five points it is the midpoint of the mouth corners.
 */
export function faceapiChip(size = 150, options: FaceapiChipOptions = {}): AlignTemplate {
  const { centreX = 0.5, centreY = 0.43, eyeToMouth = 0.45 } = options;
  if (!Number.isInteger(size) || size < 1) throw new VisageError('VISAGE_ERR_BAD_OPTION', `faceapiChip: size must be a whole number >= 1, got ${size}`);
  if (!(eyeToMouth > 0)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `faceapiChip: eyeToMouth must be > 0, got ${eyeToMouth}`);
  return Object.freeze({
    name: `faceapi-chip-${size}`, width: size, height: size,
    transform(face: FivePoints): Affine {
      const { leftEye: l, rightEye: r } = face;
      const mouth = { x: (face.mouthLeft.x + face.mouthRight.x) / 2, y: (face.mouthLeft.y + face.mouthRight.y) / 2 };
      const distance = (Math.hypot(mouth.x - l.x, mouth.y - l.y) + Math.hypot(mouth.x - r.x, mouth.y - r.y)) / 2;
      if (!(distance > 0) || !Number.isFinite(distance)) {
        throw new VisageError('VISAGE_ERR_BAD_INPUT', 'faceapiChip: the eyes and the mouth coincide');
      }
      const scale = (eyeToMouth * size) / distance;
      const angle = Math.atan2(r.y - l.y, r.x - l.x);
      // Rotate by -angle so the eye line becomes horizontal, then scale.
      const a = scale * Math.cos(angle), b = scale * Math.sin(angle);
      const cx = (l.x + r.x + mouth.x) / 3, cy = (l.y + r.y + mouth.y) / 3;
      return [
        [a, b, centreX * size - (a * cx + b * cy)],
        [-b, a, centreY * size - (-b * cx + a * cy)],
      ];
    },
  });
}

/**
 * dlib's mean face (`get_face_chip_details`, dlib/image_transforms/interpolation.h,
 * davisking/dlib): the landmarks dlib fits, as fractions of the face, by 68-point index. dlib
 * uses 17-67 but skips the brows (17-26) and the lower lip (55-59, 65-67); these are the rest.
 */
const DLIB_MEAN_FACE: ReadonlyArray<readonly [index: number, x: number, y: number]> = [
  [27, 0.490127, 0.203352], [28, 0.490127, 0.307009], [29, 0.490127, 0.409805], [30, 0.490127, 0.515625],
  [31, 0.36688, 0.587326], [32, 0.426036, 0.609345], [33, 0.490127, 0.628106], [34, 0.554217, 0.609345],
  [35, 0.613373, 0.587326],
  [36, 0.121737, 0.216423], [37, 0.187122, 0.178758], [38, 0.265825, 0.179852], [39, 0.334606, 0.231733],
  [40, 0.260918, 0.245099], [41, 0.182743, 0.244077],
  [42, 0.645647, 0.231733], [43, 0.714428, 0.179852], [44, 0.793132, 0.178758], [45, 0.858516, 0.216423],
  [46, 0.79751, 0.244077], [47, 0.719335, 0.245099],
  [48, 0.254149, 0.780233], [49, 0.340985, 0.745405], [50, 0.428858, 0.727388], [51, 0.490127, 0.742578],
  [52, 0.551395, 0.727388], [53, 0.639268, 0.745405], [54, 0.726104, 0.780233],
  [60, 0.290379, 0.784792], [61, 0.428096, 0.778746], [62, 0.490127, 0.785343], [63, 0.552157, 0.778746],
  [64, 0.689874, 0.784792],
];

/**
 * A mean-face fraction to chip pixels as dlib does: `(padding + p) / (2 padding + 1) * size`.
 * dlib's chip coordinates put a pixel's centre at its index, but its chip extraction maps the
 * first and last pixel centres onto the edges of the region it cuts, which undoes that half
 * pixel: the same numbers, read in our coordinates, reproduce dlib's chips.
 */
function dlibChipPoint(x: number, y: number, size: number, padding: number): Point {
  const k = size / (2 * padding + 1);
  return { x: (padding + x) * k, y: (padding + y) * k };
}

function checkDlibOptions(what: string, size: number, padding: number): void {
  if (!Number.isInteger(size) || size < 1) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what}: size must be a whole number >= 1, got ${size}`);
  if (!(padding >= 0)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${what}: padding must be >= 0, got ${padding}`);
}

/**
 * dlib's own face chip (`get_face_chip_details(shape, size, padding)`; dlib's face recogniser
 * takes `size` 150 and `padding` 0.25) as a five-point template: the five points of dlib's mean
 * face (eye centres as the mean of the six eye points, nose tip 30, mouth corners 48 and 54).
 * dlib itself fits 33 of the 68 points; `dlibChipTransform68` does exactly that.
 */
export function dlibFaceChip(size = 150, padding = 0.25): AlignTemplate {
  checkDlibOptions('dlibFaceChip', size, padding);
  const at = new Map(DLIB_MEAN_FACE.map(([i, x, y]) => [i, dlibChipPoint(x, y, size, padding)]));
  const eye = (from: number): Point => {
    let x = 0, y = 0;
    for (let i = from; i < from + 6; i++) { x += at.get(i)!.x; y += at.get(i)!.y; }
    return { x: x / 6, y: y / 6 };
  };
  return pointTemplate(`dlib-chip-${size}-${padding}`, size, size, {
    leftEye: eye(36), rightEye: eye(42), nose: at.get(30)!, mouthLeft: at.get(48)!, mouthRight: at.get(54)!,
  });
}

/** dlib's face chip from all 68 points, fitting the same 33 points to its mean face as dlib does. */
export function dlibChipTransform68(points: readonly Point[], size = 150, padding = 0.25): Affine {
  checkDlibOptions('dlibChipTransform68', size, padding);
  if (points.length !== 68) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `dlibChipTransform68: expected 68 points, got ${points.length}`);
  }
  return similarityTransform(
    DLIB_MEAN_FACE.map(([i]) => points[i]!),
    DLIB_MEAN_FACE.map(([, x, y]) => dlibChipPoint(x, y, size, padding)),
  );
}

/**
 * face-api's rule with the eyes levelled (see faceapiChip). It was the recogniser's chip while
 * SSD boxes fed the landmarks; with BlazeFace boxes dlib's own chip below measures better.
 */
export const DLIB_CHIP_150: AlignTemplate = faceapiChip(150);

/**
 * dlib's `get_face_chip_details(shape, 150, 0.25)` as a five-point template: the crop dlib's
 * ResNet was trained on, and the default chip for face-api's (dlib's) recogniser. Measured on
 * LFW View 1 (BlazeFace tiled -> faceapi-landmark68 -> five points, flip, cosine; threshold
 * fitted on the 2200 pairsDevTrain pairs, accuracy on the 1000 pairsDevTest pairs): this chip
 * DevTrain 99.32% at its best threshold (15 errors), DevTest 99.1% (9 errors), AUC 0.99973 on
 * DevTrain and 0.99926 on DevTest; face-api's rule (DLIB_CHIP_150) 99.05% (21), 98.9% (11),
 * AUC 0.99944 and 0.99896; dlib's chip fitted on 68 points (dlibChipTransform68) 99.27% (16),
 * 98.9% (11), AUC 0.99971 and 0.99918. Same cost. (With SSD boxes, earlier, face-api's rule
 * had scored higher: 98.9% against 98.1-98.3%.)
 */
export const DLIB_MEAN_FACE_CHIP_150: AlignTemplate = dlibFaceChip(150, 0.25);
