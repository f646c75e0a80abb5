// The bilinear warp against sharp (libvips) on a real image, its borders, and its speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type Sharp } from 'sharp';
import { warpAffine, halveImage } from '../../../src/face/align/warp.ts';
import { alignFace } from '../../../src/face/align/align.ts';
import { pointTemplate } from '../../../src/face/align/templates.ts';
import type { Affine } from '../../../src/face/align/affine.ts';
import type { RgbImage } from '../../../src/types.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';
import { readRgb } from './faces.ts';

const FACE = ['lfw-view1', 'images', 'AJ_Cook', 'AJ_Cook_0001.jpg'];
const skip = skipUnless(...FACE);

function meanAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

async function sharpRaw(image: RgbImage, edit: (s: Sharp) => Sharp): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await edit(sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }))
    .raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** A small synthetic image whose pixel (x, y) is (x * 10, y * 10, 200). */
function ramp(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 200], (y * width + x) * 3);
  return { width, height, channels: 3, data };
}

test('identity and whole-pixel shifts copy pixels exactly; outside the image is black', () => {
  const image = ramp(8, 6);
  assert.deepEqual(warpAffine(image, [[1, 0, 0], [0, 1, 0]], 8, 6).data, image.data);
  // Shift right 2 and up 1: output (x, y) shows input (x - 2, y + 1).
  const shifted = warpAffine(image, [[1, 0, 2], [0, 1, -1]], 8, 6);
  for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) {
    const out = [...shifted.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)];
    const sx = x - 2, sy = y + 1;
    const expected = sx >= 0 && sy < 6 ? [sx * 10, sy * 10, 200] : [0, 0, 0];
    assert.deepEqual(out, expected, `pixel ${x},${y}`);
  }
  // Half-pixel shift: the mean of neighbours; beyond the last pixel centre the edge is kept.
  const half = warpAffine(image, [[1, 0, 0.5], [0, 1, 0]], 8, 6);
  assert.deepEqual([...half.data.subarray(3, 6)], [5, 0, 200]);
  assert.deepEqual([...half.data.subarray(0, 3)], [0, 0, 200]);
  // Far away: all black.
  assert.ok(warpAffine(image, [[1, 0, 100], [0, 1, 100]], 8, 6).data.every((v) => v === 0));
});

test('bad sizes and singular matrices are coded errors', () => {
  const image = ramp(4, 4);
  assert.throws(() => warpAffine(image, [[1, 0, 0], [0, 1, 0]], 0, 4), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => warpAffine(image, [[0, 0, 0], [0, 0, 0]], 4, 4), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => warpAffine({ ...image, data: image.data.subarray(1) }, [[1, 0, 0], [0, 1, 0]], 4, 4), { code: 'VISAGE_ERR_BAD_INPUT' });
});

test('scaling matches sharp resize on a real image', { skip }, async () => {
  const image = await readRgb(dataset(...FACE));
  // Downscaling: libvips centres the grids as we do; its linear kernel also low-pass filters,
  // bilinear sampling does not, hence a small difference rather than none.
  for (const size of [200, 240]) {
    const s = size / image.width;
    const ours = warpAffine(image, [[s, 0, 0], [0, s, 0]], size, size);
    const theirs = await sharpRaw(image, (x) => x.resize(size, size, { kernel: 'linear', fit: 'fill' }));
    const error = meanAbsoluteError(ours.data, theirs.data);
    assert.ok(error < 0.5, `resize to ${size}: mean absolute error ${error.toFixed(3)}`);
  }
  // Upscaling: libvips' linear upsampling is plain bilinear but puts the result half an output
  // pixel right and down of the centred grid; with that offset the two agree to the byte.
  const ours = warpAffine(image, [[2, 0, 0.5], [0, 2, 0.5]], 500, 500);
  const theirs = await sharpRaw(image, (x) => x.resize(500, 500, { kernel: 'linear', fit: 'fill' }));
  const error = meanAbsoluteError(ours.data, theirs.data);
  assert.ok(error < 0.05, `resize to 500: mean absolute error ${error.toFixed(3)}`);
});

test('rotation matches sharp rotate on a real image', { skip }, async () => {
  const image = await readRgb(dataset(...FACE));
  for (const degrees of [30, -17]) {
    const theirs = await sharpRaw(image, (x) => x.rotate(degrees, { background: { r: 0, g: 0, b: 0 } }));
    const angle = (degrees * Math.PI) / 180, cos = Math.cos(angle), sin = Math.sin(angle);
    const cx = image.width / 2, cy = image.height / 2;
    // Clockwise on screen (y down) about the centre, onto the centre of sharp's enlarged canvas.
    // sharp rounds that canvas to whole pixels, so its centre is only known to within a pixel:
    // search the offset in tenths of a pixel.
    const rotation = (ox: number, oy: number): Affine => [
      [cos, -sin, theirs.width / 2 + ox - (cos * cx - sin * cy)],
      [sin, cos, theirs.height / 2 + oy - (sin * cx + cos * cy)],
    ];
    let best = { error: Infinity, ox: 0, oy: 0 };
    for (let ox = -1; ox <= 1.0001; ox += 0.1) for (let oy = -1; oy <= 1.0001; oy += 0.1) {
      const error = meanAbsoluteError(warpAffine(image, rotation(ox, oy), theirs.width, theirs.height).data, theirs.data);
      if (error < best.error) best = { error, ox, oy };
    }
    assert.ok(best.error < 0.5, `rotate ${degrees}: best mean absolute error ${best.error.toFixed(3)} at offset ${best.ox.toFixed(1)},${best.oy.toFixed(1)}`);
    // The wrong direction of rotation is far off, so the test does tell them apart.
    const otherWay: Affine = [
      [cos, sin, theirs.width / 2 + best.ox - (cos * cx + sin * cy)],
      [-sin, cos, theirs.height / 2 + best.oy - (-sin * cx + cos * cy)],
    ];
    const mirrored = meanAbsoluteError(warpAffine(image, otherWay, theirs.width, theirs.height).data, theirs.data);
    assert.ok(mirrored > 5 * best.error, `rotating the other way gives ${mirrored.toFixed(3)}`);
  }
});

test('alignFace halves large faces before sampling, as a filtered resize would', { skip }, async () => {
  const image = await readRgb(dataset(...FACE));
  // A template that takes the whole 250 px image down to 50 px (5 input pixels per output pixel).
  const size = 50, s = size / image.width;
  const identityPoints = { leftEye: { x: 80, y: 100 }, rightEye: { x: 170, y: 100 }, nose: { x: 125, y: 140 }, mouthLeft: { x: 95, y: 180 }, mouthRight: { x: 155, y: 180 } };
  const scaled = (p: { x: number; y: number }) => ({ x: p.x * s, y: p.y * s });
  const template = pointTemplate('test-50', size, size, {
    leftEye: scaled(identityPoints.leftEye), rightEye: scaled(identityPoints.rightEye), nose: scaled(identityPoints.nose),
    mouthLeft: scaled(identityPoints.mouthLeft), mouthRight: scaled(identityPoints.mouthRight),
  });
  const aligned = alignFace(image, identityPoints, template);
  const direct = warpAffine(image, aligned.matrix, size, size);
  const reference = await sharpRaw(image, (x) => x.resize(size, size, { kernel: 'linear', fit: 'fill' }));
  const filtered = meanAbsoluteError(aligned.image.data, reference.data);
  const aliased = meanAbsoluteError(direct.data, reference.data);
  assert.ok(filtered < aliased, `with halving ${filtered.toFixed(2)}, without ${aliased.toFixed(2)}`);
  assert.ok(filtered < 3, `with halving ${filtered.toFixed(2)}`);
  // halveImage itself: 2x2 means.
  const half = halveImage(ramp(5, 4));
  assert.equal(half.width, 2);
  assert.deepEqual([...half.data.subarray(0, 3)], [5, 5, 200]);
});

test('warp speed for one face (150x150 and 112x112 outputs)', { skip }, async (t) => {
  const image = await readRgb(dataset(...FACE));
  const angle = 0.2, scale = 0.9;
  const cos = scale * Math.cos(angle), sin = scale * Math.sin(angle);
  const matrix: Affine = [[cos, -sin, 20], [sin, cos, -40]];
  for (const size of [150, 112]) {
    for (let i = 0; i < 50; i++) warpAffine(image, matrix, size, size); // warm up the JIT
    const runs = 500;
    const start = performance.now();
    for (let i = 0; i < runs; i++) warpAffine(image, matrix, size, size);
    const ms = (performance.now() - start) / runs;
    t.diagnostic(`warpAffine ${size}x${size}: ${ms.toFixed(3)} ms`);
    assert.ok(ms < 20, `${size}x${size} took ${ms.toFixed(3)} ms`);
  }
});
