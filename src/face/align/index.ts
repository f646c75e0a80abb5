// Face alignment: five points, a similarity fit and a warp onto each embedder's template.
export { applyAffine, composeAffine, invertAffine } from './affine.ts';
export type { Affine } from './affine.ts';
export { similarityTransform } from './similarity.ts';
export { warpAffine, halveImage } from './warp.ts';
export { fivePointsFrom68, fivePointsList, LANDMARKS_68 } from './landmarks.ts';
export {
  ARCFACE_112, DLIB_CHIP_150, DLIB_MEAN_FACE_CHIP_150,
  faceapiChip, dlibFaceChip, dlibChipTransform68, pointTemplate,
} from './templates.ts';
export type { AlignTemplate, FaceapiChipOptions } from './templates.ts';
export { alignFace, resampleAffine } from './align.ts';
export type { AlignedFace } from './align.ts';
