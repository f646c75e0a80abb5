// face-api run its own way: its Node WASM build, its SSD MobileNetV1 detector with default
// options (minConfidence 0.5), 68 landmarks, and the ResNet descriptor of the box the landmarks
// give (face-api crops that box; it does not rotate the face upright).
//
// When the SSD finds nothing (about one image in ten of LFW's deep-funneled 250x250 images, on
// faces it scores below 0.5), face-api itself returns no descriptor: the `faceapi` system scores
// those pairs as different. The `faceapi-centre` system instead hands face-api's own landmark and
// descriptor tasks a fixed box, the median SSD box on 300 DevTrain images (x 0.300, y 0.280,
// w 0.399, h 0.470 of the image), which is what a user who knows LFW centres its faces would do.
// Both come from one pass: the SSD runs once per image.
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageDir } from '../../src/models/store.ts';
import { initTf, tf } from '../../test/helpers/tfjs-reference.ts';
import { readRgb } from './pixels.ts';
import type { EmbedOutcome, SharedEmbedder } from './systems.ts';

const require = createRequire(import.meta.url);

/** Relative to the image: the median of face-api's SSD boxes on DevTrain images. */
export const LFW_CENTRE_BOX = { x: 0.3, y: 0.28, width: 0.399, height: 0.47 };

export async function loadFaceApiPass(systemIds: readonly string[]): Promise<SharedEmbedder> {
  // Requires the same @tensorflow/tfjs instance as tfjs-reference.ts, so initTf() picks its backend.
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await initTf();
  if (tf.getBackend() !== 'wasm') throw new Error(`TF.js backend is ${tf.getBackend()}, expected wasm`);
  const modelDir = path.join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const options = new faceapi.SsdMobilenetv1Options();
  const fallback = systemIds.map((id) => {
    if (id !== 'faceapi' && id !== 'faceapi-centre') throw new Error(`not a face-api system: ${id}`);
    return id === 'faceapi-centre';
  });
  return {
    async embed(imagePath): Promise<EmbedOutcome[]> {
      const { data, width, height } = await readRgb(imagePath);
      const input = tf.tensor3d(data, [height, width, 3], 'int32');
      try {
        const found = await faceapi.detectSingleFace(input, options).withFaceLandmarks().withFaceDescriptor();
        if (found) {
          const embedding = Float32Array.from(found.descriptor);
          return fallback.map(() => ({ embedding, noFace: false }));
        }
        let centre: Float32Array | null = null;
        if (fallback.includes(true)) {
          const box = new faceapi.Rect(LFW_CENTRE_BOX.x, LFW_CENTRE_BOX.y, LFW_CENTRE_BOX.width, LFW_CENTRE_BOX.height);
          const detection = new faceapi.FaceDetection(1, box, { width, height });
          // face-api's own landmark and descriptor tasks, fed the box instead of a detection.
          const result = await new faceapi.DetectSingleFaceLandmarksTask(Promise.resolve({ detection }), input, false).withFaceDescriptor();
          centre = Float32Array.from(result.descriptor);
        }
        return fallback.map((useCentre) => ({ embedding: useCentre ? centre : null, noFace: true }));
      } finally {
        input.dispose();
      }
    },
    async close() {
      for (const net of [faceapi.nets.ssdMobilenetv1, faceapi.nets.faceLandmark68Net, faceapi.nets.faceRecognitionNet]) net.dispose();
    },
  };
}
