// What every converter returns: an ONNX graph whose image input is NCHW float32,
// already normalised as the model registry says (the runtime does the normalising).
import type { OnnxGraph } from './onnx/graph.ts';

export interface ConvertedGraph {
  graph: OnnxGraph;
  /** Name of the image input, shape [batch, channels, height, width]. */
  input: string;
  /** Output names in a fixed order that the model registry documents. */
  outputs: string[];
}
