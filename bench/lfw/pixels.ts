// Decodes an image file to interleaved 8-bit RGB for the anchors (their Node demos decode with
// tfjs-node, which does not install offline; sharp gives the same pixels for these JPEGs).
import sharp from 'sharp';
import type { SharedEmbedder } from './systems.ts';

export async function readRgb(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * A face-model-free baseline (and the harness's fast test system): LFW's deep-funneled images
 * centre the face, so the centre of the frame, shrunk and grey, is a crude "embedding". One entry
 * of `flips` per system of the pass: true averages the crop with its mirror image.
 */
export async function loadPixelBaseline(flips: readonly boolean[]): Promise<SharedEmbedder> {
  const side = 24;
  return {
    async embed(imagePath) {
      const image = sharp(imagePath);
      const { width = 0, height = 0 } = await image.metadata();
      const crop = { left: Math.round(width * 0.3), top: Math.round(height * 0.3), width: Math.round(width * 0.4), height: Math.round(height * 0.4) };
      const { data } = await image.extract(crop).resize(side, side, { fit: 'fill' }).greyscale().raw().toBuffer({ resolveWithObject: true });
      const plain = Float32Array.from(data.subarray(0, side * side));
      const mean = plain.reduce((sum, v) => sum + v, 0) / plain.length;
      for (let i = 0; i < plain.length; i++) plain[i]! -= mean;
      const mirrored = plain.map((_, i) => (plain[i]! + plain[Math.floor(i / side) * side + side - 1 - (i % side)]!) / 2);
      return flips.map((flip) => ({ embedding: flip ? mirrored : plain, noFace: false }));
    },
    async close() {},
  };
}
