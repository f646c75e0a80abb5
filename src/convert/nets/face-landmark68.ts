// face-api's 68-point landmark nets as ONNX graphs: FaceLandmark68Net (FaceFeatureExtractor,
// 256 channels) and FaceLandmark68TinyNet (TinyFaceFeatureExtractor, 128 channels), each
// followed by a fully connected layer to 136 values.
//
// Input: 'input' [batch, 3, 112, 112] RGB, value = (pixel - [122.782, 117.001, 104.298]) / 255,
// taken from the face crop zero-padded (black, before normalisation) to a square, centred, and
// resized to 112x112 bilinearly.
// Output: 'landmarks' [batch, 136] = x0, y0, x1, y1, ... x67, y67 as fractions of the side of that
// padded square (face-api's raw net output, before its postProcess removes the padding).
import { OnnxGraph } from '../onnx/graph.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { FaceApiWeights, faceFeatureExtractor, fullyConnected, FEATURE_EXTRACTOR_INPUT_SIZE, type FeatureExtractorKind } from './face-feature-extractor.ts';

export const LANDMARK68_INPUT_SIZE = FEATURE_EXTRACTOR_INPUT_SIZE;

function convertLandmarks(weights: WeightMap, kind: FeatureExtractorKind, name: string): ConvertedGraph {
  const g = new OnnxGraph(name);
  const w = new FaceApiWeights(weights, name);
  const size = LANDMARK68_INPUT_SIZE;
  const input = g.input('input', ['batch', 3, size, size]);
  const features = faceFeatureExtractor(g, input, w, kind);
  const fc = fullyConnected(g, features, w, 'fc', 136);
  w.finish();
  const output = g.output(fc, 'landmarks', ['batch', 136]);
  return { graph: g, input, outputs: [output] };
}

/** FaceLandmark68Net (face_landmark_68_model). */
export function convertFaceLandmark68Net(weights: WeightMap): ConvertedGraph {
  return convertLandmarks(weights, 'full', 'face_landmark_68');
}

/** FaceLandmark68TinyNet (face_landmark_68_tiny_model). */
export function convertFaceLandmark68TinyNet(weights: WeightMap): ConvertedGraph {
  return convertLandmarks(weights, 'tiny', 'face_landmark_68_tiny');
}
