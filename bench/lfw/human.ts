// Human run its own way: its Node WASM build with its default face pipeline (BlazeFace, one face,
// FaceMesh, the face crop Human makes from the mesh) and its own descriptor model. Changed from
// the defaults, and why:
// - cacheSensitivity 0: Human skips frames that look like the previous one (a video feature);
//   on a stream of similar, centred LFW faces it would return the previous image's face.
// - models that do not touch the descriptor are off (body, hand, object, gesture, segmentation,
//   emotion, iris), to save time; for MobileFaceNet, FaceRes is off too (its descriptor is
//   replaced by MobileFaceNet's anyway: Human's face.ts overrides it).
// Human loads models with fetch(), and Node's fetch has no file://; this process (an embedding
// worker of bench/lfw.ts) serves file:// URLs from disk with a fetch wrapper while Human runs.
import { createHuman } from '../anchors/human.ts';
import { readRgb } from './pixels.ts';
import type { Embedder } from './systems.ts';

export async function loadHuman(descriptor: 'faceres' | 'mobilefacenet'): Promise<Embedder> {
  const { human, close } = await createHuman({
    face: {
      enabled: true,
      emotion: { enabled: false },
      iris: { enabled: false },
      description: { enabled: descriptor === 'faceres' },
      mobilefacenet: { enabled: descriptor === 'mobilefacenet', modelPath: 'mobilefacenet.json' },
    },
  });
  return {
    async embed(imagePath) {
      const { data, width, height } = await readRgb(imagePath);
      const input = human.tf.tensor4d(data, [1, height, width, 3], 'int32');
      try {
        const result = await human.detect(input);
        const embedding: number[] | undefined = result.face[0]?.embedding;
        return embedding && embedding.length > 0 ? Float32Array.from(embedding) : null;
      } finally {
        input.dispose();
      }
    },
    async close() {
      close();
    },
  };
}
