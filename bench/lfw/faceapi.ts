// face-api run its own way: its Node WASM build, its SSD MobileNetV1 detector with default
// options (minConfidence 0.5), 68 landmarks, and the ResNet descriptor of the detected box.
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageDir } from '../../src/models/store.ts';
import { initTf, tf } from '../../test/helpers/tfjs-reference.ts';
import { readRgb } from './pixels.ts';
import type { Embedder } from './systems.ts';

const require = createRequire(import.meta.url);

export async function loadFaceApi(): Promise<Embedder> {
  // Requires the same @tensorflow/tfjs instance as tfjs-reference.ts, so initTf() picks its backend.
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await initTf();
  if (tf.getBackend() !== 'wasm') throw new Error(`TF.js backend is ${tf.getBackend()}, expected wasm`);
  const modelDir = path.join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const options = new faceapi.SsdMobilenetv1Options();
  return {
    async embed(imagePath) {
      const { data, width, height } = await readRgb(imagePath);
      const input = tf.tensor3d(data, [height, width, 3], 'int32');
      try {
        const result = await faceapi.detectSingleFace(input, options).withFaceLandmarks().withFaceDescriptor();
        return result ? Float32Array.from(result.descriptor) : null;
      } finally {
        input.dispose();
      }
    },
    async close() {
      for (const net of [faceapi.nets.ssdMobilenetv1, faceapi.nets.faceLandmark68Net, faceapi.nets.faceRecognitionNet]) net.dispose();
    },
  };
}
