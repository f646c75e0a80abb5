// Visage's own pipeline as bench systems: one createVisage() with every embedder the pass needs
// (flip off), analyze() once per image, and of the detected faces the one nearest the image centre
// (LFW centres its subject; other faces in the frame are bystanders). Its embeddings serve the
// visage-<embedder> systems; for visage-<embedder>-flip the same aligned crop is embedded again
// with flip, exactly as createVisage({ flip: true }) would (mean of the crop's and its mirror's
// L2-normalised embeddings), so detection and landmarks run once for all of them. An ensemble's
// flip variant fuses its members' flipped embeddings (each member's crop is embedded with flip
// once per image, shared with visage-<member>-flip when that runs too).
import type { EmbedderId } from '../../src/config.ts';
import type { EmbedOutcome, SharedEmbedder } from './systems.ts';

export async function loadVisagePass(systemIds: readonly string[]): Promise<SharedEmbedder> {
  const { createVisage } = await import('../../src/visage.ts');
  const { Engine } = await import('../../src/runtime/engine.ts');
  const { ModelEmbedder } = await import('../../src/face/embed/embedder.ts');
  const { ENSEMBLES, createEnsembleEmbedder, isEnsembleId } = await import('../../src/face/embed/ensemble.ts');
  const wanted = systemIds.map((id) => {
    const match = /^visage-(.+?)(-flip)?$/.exec(id);
    if (!match) throw new Error(`not a Visage system id: ${id}`);
    return { embedder: match[1] as EmbedderId, flip: match[2] !== undefined };
  });
  const flippedEnsembleIds = [...new Set(wanted.filter((w) => isEnsembleId(w.embedder) && w.flip).map((w) => w.embedder))];
  // An ensemble's flip variant needs its members' aligned crops, so its members are analysed too
  // (the ensemble reuses their embeddings: no model runs twice).
  const memberIds = flippedEnsembleIds.flatMap((id) => (isEnsembleId(id) ? ENSEMBLES[id].map((m) => m.id as EmbedderId) : []));
  const embedders = [...new Set([...wanted.map((w) => w.embedder), ...memberIds])];
  const visage = await createVisage({ embedders, flip: false });
  const needFlip = wanted.some((w) => w.flip);
  const flipEngine = needFlip ? await Engine.create() : undefined;
  const flipped = new Map<string, InstanceType<typeof ModelEmbedder> | undefined>(embedders.filter((id) => !isEnsembleId(id)).map((id) => [id, flipEngine ? new ModelEmbedder(flipEngine, id) : undefined]));
  const flippedEnsembles = new Map(flippedEnsembleIds.map((id) => [id, createEnsembleEmbedder((member) => flipped.get(member)!, undefined, id)]));
  return {
    async embed(imagePath): Promise<EmbedOutcome[]> {
      const { width, height, faces } = await visage.analyze(imagePath, { alignedCrops: needFlip });
      let face: (typeof faces)[number] | undefined, bestDistance = Infinity;
      for (const f of faces) {
        const distance = Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
        if (distance < bestDistance) { face = f; bestDistance = distance; }
      }
      if (!face) return wanted.map(() => ({ embedding: null, noFace: true }));
      const withFlip = new Map<string, Float32Array>();
      const flippedOf = async (id: string) => {
        let embedding = withFlip.get(id);
        if (!embedding) withFlip.set(id, embedding = (await flipped.get(id)!.embed([face.alignedCrops![id]!], true))[0]!);
        return embedding;
      };
      const outcomes: EmbedOutcome[] = [];
      for (const { embedder, flip } of wanted) {
        let embedding: Float32Array;
        if (!flip) embedding = Float32Array.from(face.embeddings[embedder]!);
        else if (flippedEnsembles.has(embedder)) {
          const ensemble = flippedEnsembles.get(embedder)!;
          const parts: Float32Array[] = [];
          for (const member of ensemble.members) parts.push(await flippedOf(member.id));
          embedding = ensemble.fuse(parts);
        } else embedding = await flippedOf(embedder);
        outcomes.push({ embedding, noFace: false });
      }
      return outcomes;
    },
    async close() {
      await visage.close();
      await flipEngine?.close();
    },
  };
}
