// face-api's FaceExpressionNet as an ONNX graph: FaceFeatureExtractor (256 channels), a fully
// connected layer to 7 values, softmax.
//
// Input: 'input' [batch, 3, 112, 112] RGB, value = (pixel - [122.782, 117.001, 104.298]) / 255,
// taken from the face crop zero-padded to a centred square and resized to 112x112 bilinearly.
// Output: 'expressions' [batch, 7], probabilities in FACE_EXPRESSION_LABELS order.
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { convertFeatureExtractorNet, FEATURE_EXTRACTOR_INPUT_SIZE } from './face-feature-extractor.ts';

/** face-api's label order for the expression probabilities. */
export const FACE_EXPRESSION_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;

export const EXPRESSION_INPUT_SIZE = FEATURE_EXTRACTOR_INPUT_SIZE;

/** FaceExpressionNet (face_expression_model). */
export function convertFaceExpressionNet(weights: WeightMap): ConvertedGraph {
  return convertFeatureExtractorNet(weights, 'face_expression', 'full', FACE_EXPRESSION_LABELS.length, 'expressions',
    (g, logits) => g.node('Softmax', [logits], { axis: 1 }, 'softmax'));
}
