// face-api's FaceExpressionNet as an ONNX graph: FaceFeatureExtractor (256 channels), a fully
// connected layer to 7 values, softmax.
//
// Input: 'input' [batch, 3, 112, 112] RGB, value = (pixel - [122.782, 117.001, 104.298]) / 255,
// taken from the face crop zero-padded to a centred square and resized to 112x112 bilinearly.
// Output: 'expressions' [batch, 7], probabilities in FACE_EXPRESSION_LABELS order.
import { OnnxGraph } from '../onnx/graph.ts';
import type { WeightMap } from '../tfjs/weights.ts';
import type { ConvertedGraph } from '../types.ts';
import { FaceApiWeights, faceFeatureExtractor, fullyConnected, FEATURE_EXTRACTOR_INPUT_SIZE } from './face-feature-extractor.ts';

/** face-api's label order for the expression probabilities. */
export const FACE_EXPRESSION_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;

export const EXPRESSION_INPUT_SIZE = FEATURE_EXTRACTOR_INPUT_SIZE;

/** FaceExpressionNet (face_expression_model). */
export function convertFaceExpressionNet(weights: WeightMap): ConvertedGraph {
  const name = 'face_expression';
  const g = new OnnxGraph(name);
  const w = new FaceApiWeights(weights, name);
  const size = EXPRESSION_INPUT_SIZE;
  const input = g.input('input', ['batch', 3, size, size]);
  const features = faceFeatureExtractor(g, input, w, 'full');
  const logits = fullyConnected(g, features, w, 'fc', FACE_EXPRESSION_LABELS.length);
  w.finish();
  const probs = g.node('Softmax', [logits], { axis: 1 }, 'softmax');
  const output = g.output(probs, 'expressions', ['batch', FACE_EXPRESSION_LABELS.length]);
  return { graph: g, input, outputs: [output] };
}
