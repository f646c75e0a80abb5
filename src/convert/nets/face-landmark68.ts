// face-api's 68-point landmark nets as ONNX graphs: FaceLandmark68Net (FaceFeatureExtractor,
// 256 channels) and FaceLandmark68TinyNet (TinyFaceFeatureExtractor, 128 channels), each
// followed by a fully connected layer to 136 values.
//
// Input: 'input' [batch, 3, 112, 112] RGB, value = (pixel - [122.782, 117.001, 104.298]) / 255,
// taken from the face crop zero-padded (black, before normalisation) to a square, centred, and
// resized to 112x112 bilinearly.
// Output: 'landmarks' [batch, 136] = x0, y0, x1, y1, ... x67, y67 as fractions of the side of that
// padded square (face-api's raw net output, before its postProcess removes the padding).
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { convertFeatureExtractorNet, FEATURE_EXTRACTOR_INPUT_SIZE } from './face-feature-extractor.ts';

export const LANDMARK68_INPUT_SIZE = FEATURE_EXTRACTOR_INPUT_SIZE;

/** FaceLandmark68Net (face_landmark_68_model). */
export function convertFaceLandmark68Net(weights: WeightMap): ConvertedGraph {
  return convertFeatureExtractorNet(weights, 'face_landmark_68', 'full', 136, 'landmarks');
}

/** FaceLandmark68TinyNet (face_landmark_68_tiny_model). */
export function convertFaceLandmark68TinyNet(weights: WeightMap): ConvertedGraph {
  return convertFeatureExtractorNet(weights, 'face_landmark_68_tiny', 'tiny', 136, 'landmarks');
}
