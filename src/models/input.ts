// Pixels to a model's input: interleaved 0-255 RGB (or grey) bytes of an image already at
// the model's size become a planar NCHW float32 block, normalised as the registry says.
import { VisageError } from '../errors.ts';
import type { InputSpec } from './types.ts';

/**
 * Writes one image into `out` at `offset` (so a batch can be filled in place).
 * `pixelChannels` is how many bytes per pixel `pixels` holds (1 grey, 3 RGB, 4 RGBA).
 */
export function pixelsToInput(
  pixels: Uint8Array, width: number, height: number, pixelChannels: 1 | 3 | 4,
  spec: InputSpec, out?: Float32Array, offset = 0,
): Float32Array {
  const plane = width * height;
  if (pixels.length !== plane * pixelChannels) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `expected ${plane * pixelChannels} bytes for ${width}x${height}x${pixelChannels}, got ${pixels.length}`);
  }
  const target = out ?? new Float32Array(plane * spec.channels);
  const { mean, std } = spec;
  if (spec.channels === 1) {
    const [wr, wg, wb] = spec.greyWeights ?? [0.2989, 0.587, 0.114];
    const m = mean[0]!, s = std[0]!;
    for (let i = 0; i < plane; i++) {
      const p = i * pixelChannels;
      const value = pixelChannels === 1 ? pixels[p]! : wr * pixels[p]! + wg * pixels[p + 1]! + wb * pixels[p + 2]!;
      target[offset + i] = (value - m) / s;
    }
    return target;
  }
  // Three channels: grey input is repeated; BGR models take the channels reversed.
  const order = spec.colour === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const src = pixelChannels === 1 ? 0 : order[c]!;
    const m = mean[c]!, inv = 1 / std[c]!;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) target[base + i] = (pixels[i * pixelChannels + src]! - m) * inv;
  }
  return target;
}
