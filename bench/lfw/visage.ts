// Visage's own pipeline as a bench system: createVisage() with one embedder, analyze() each image,
// and the embedding of the detected face nearest the image centre (LFW centres its subject; other
// faces in the frame are bystanders).
import type { EmbedderId } from '../../src/config.ts';
import type { Embedder } from './systems.ts';

export async function loadVisage(options: { embedders: EmbedderId[]; flip: boolean }): Promise<Embedder> {
  const { createVisage } = await import('../../src/visage.ts');
  const visage = await createVisage(options);
  const id = options.embedders[0]!;
  return {
    async embed(imagePath) {
      const { width, height, faces } = await visage.analyze(imagePath);
      let best: (typeof faces)[number] | undefined, bestDistance = Infinity;
      for (const face of faces) {
        const distance = Math.hypot(face.box.x + face.box.width / 2 - width / 2, face.box.y + face.box.height / 2 - height / 2);
        if (distance < bestDistance) { best = face; bestDistance = distance; }
      }
      const embedding = best?.embeddings[id];
      return embedding ? Float32Array.from(embedding) : null;
    },
    close: () => visage.close(),
  };
}
