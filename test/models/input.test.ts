import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pixelsToInput } from '../../src/models/input.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import type { InputSpec } from '../../src/models/types.ts';

const rgbSpec: InputSpec = { size: [1, 2], channels: 3, colour: 'rgb', layout: 'nchw', mean: [10, 20, 30], std: [2, 4, 5], batch: 'dynamic' };

test('interleaved RGB becomes normalised planar NCHW', () => {
  const pixels = Uint8Array.from([12, 24, 35, 20, 40, 80]);
  assert.deepEqual(Array.from(pixelsToInput(pixels, 2, 1, 3, rgbSpec)), [1, 5, 1, 5, 1, 10]);
});

test('RGBA drops alpha, grey repeats into three channels, BGR reverses', () => {
  assert.deepEqual(Array.from(pixelsToInput(Uint8Array.from([12, 24, 35, 255, 20, 40, 80, 0]), 2, 1, 4, rgbSpec)), [1, 5, 1, 5, 1, 10]);
  assert.deepEqual(Array.from(pixelsToInput(Uint8Array.from([30, 50]), 2, 1, 1, rgbSpec)), [10, 20, 2.5, 7.5, 0, 4]);
  const bgr = { ...rgbSpec, colour: 'bgr' as const, mean: [0, 0, 0], std: [1, 1, 1] };
  assert.deepEqual(Array.from(pixelsToInput(Uint8Array.from([1, 2, 3]), 1, 1, 3, bgr)), [3, 2, 1]);
});

test('grey models weight RGB into one channel; a batch is filled in place', () => {
  const spec = getModelSpec('human-emotion').input;
  const out = new Float32Array(2 * 64 * 64);
  const white = new Uint8Array(64 * 64 * 3).fill(255);
  pixelsToInput(white, 64, 64, 3, spec, out, 64 * 64);
  assert.equal(out[0], 0);
  assert.ok(Math.abs(out[64 * 64]! - (255 * (0.2989 + 0.587 + 0.114) - spec.mean[0]!) / spec.std[0]!) < 1e-5);
});

test('a pixel buffer of the wrong size is refused', () => {
  assert.throws(() => pixelsToInput(new Uint8Array(5), 2, 1, 3, rgbSpec), { code: 'VISAGE_ERR_BAD_INPUT' });
});
