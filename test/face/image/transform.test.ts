import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { loadImage } from '../../../src/face/image/decode.ts';
import { crop, letterbox, mapBoxBack, mapPointBack, resizeTo, toGrey } from '../../../src/face/image/transform.ts';
import type { Box, RgbImage } from '../../../src/types.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const landscape = dataset('media', 'group1.jpg');   // 640x405
const portrait = dataset('media', 'group2.jpg');    // 640x828
const skip = skipUnless('media', 'group1.jpg') || skipUnless('media', 'group2.jpg');

function meanDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length, 'same size');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function pixel(image: RgbImage, x: number, y: number): number[] {
  const p = (y * image.width + x) * 3;
  return [...image.data.subarray(p, p + 3)];
}

/** Whether every pixel of the rectangle [x0, x1) x [y0, y1) is black. */
function allBlack(image: RgbImage, x0: number, y0: number, x1: number, y1: number): boolean {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(image, x, y).some((v) => v !== 0)) return false;
  return true;
}

/** Rows [y0, y1) of the columns [x0, x1), as bytes. */
function region(image: RgbImage, x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const out = new Uint8Array((x1 - x0) * (y1 - y0) * 3);
  for (let y = y0; y < y1; y++) out.set(image.data.subarray((y * image.width + x0) * 3, (y * image.width + x1) * 3), (y - y0) * (x1 - x0) * 3);
  return out;
}

test('resizeTo halves a real photo like a 2x2 average, enlarges smoothly, and copies at the same size', { skip }, async () => {
  const image = await loadImage(portrait);
  const half = await resizeTo(image, 320, 414);
  assert.deepEqual([half.width, half.height, half.channels, half.data.length], [320, 414, 3, 320 * 414 * 3]);
  // Independent reference: the mean of each 2x2 block.
  const average = new Uint8Array(half.data.length);
  for (let y = 0; y < 414; y++) {
    for (let x = 0; x < 320; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (dx: number, dy: number): number => image.data[((2 * y + dy) * 640 + 2 * x + dx) * 3 + c]!;
        average[(y * 320 + x) * 3 + c] = Math.round((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4);
      }
    }
  }
  const difference = meanDiff(half.data, average);
  assert.ok(difference < 2, `mean difference from 2x2 averages ${difference.toFixed(2)}`);

  const ramp: RgbImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 0, 0, 240, 240, 240]) };
  const wide = await resizeTo(ramp, 8, 2);
  const row = Array.from({ length: 8 }, (_, x) => pixel(wide, x, 0)[0]!);
  for (let x = 1; x < 8; x++) assert.ok(row[x]! >= row[x - 1]!, `non-decreasing: ${row.join(',')}`);
  assert.ok(row[0]! <= 10 && row[7]! >= 230, `ends keep their values: ${row.join(',')}`);
  assert.deepEqual(pixel(wide, 3, 1), pixel(wide, 3, 0));

  const same = await resizeTo(image, 640, 828);
  assert.deepEqual(same.data, image.data);
  assert.notEqual(same.data, image.data);
});

test('letterbox top-left: the resized photo at the corner, black elsewhere', { skip }, async () => {
  const image = await loadImage(landscape);
  const { image: square, transform } = await letterbox(image, 320);
  assert.deepEqual([square.width, square.height, square.data.length], [320, 320, 320 * 320 * 3]);
  assert.deepEqual(transform, { scaleX: 0.5, scaleY: 203 / 405, offsetX: 0, offsetY: 0 });  // 405 / 2 = 202.5, rounded
  const resized = await resizeTo(image, 320, 203);
  assert.deepEqual(region(square, 0, 0, 320, 203), resized.data);
  assert.ok(allBlack(square, 0, 203, 320, 320));
  // The default corner is top-left.
  assert.deepEqual((await letterbox(image, 320, { corner: 'top-left' })).image.data, square.data);
});

test('letterbox centre: a portrait photo in the middle, black bars left and right', { skip }, async () => {
  const image = await loadImage(portrait);
  const { image: square, transform } = await letterbox(image, 256, { corner: 'centre' });
  const width = Math.round(640 * 256 / 828);  // 198
  const left = Math.floor((256 - width) / 2);  // 29
  assert.deepEqual(transform, { scaleX: width / 640, scaleY: 256 / 828, offsetX: left, offsetY: 0 });
  assert.ok(allBlack(square, 0, 0, left, 256));
  assert.ok(allBlack(square, left + width, 0, 256, 256));
  assert.deepEqual(region(square, left, 0, left + width, 256), (await resizeTo(image, width, 256)).data);
});

test('letterbox of an image already at the size is the image itself', async () => {
  const image: RgbImage = { width: 4, height: 4, channels: 3, data: Uint8Array.from({ length: 48 }, (_, i) => i * 5) };
  for (const corner of ['top-left', 'centre'] as const) {
    const { image: square, transform } = await letterbox(image, 4, { corner });
    assert.deepEqual(transform, { scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 });
    assert.deepEqual(square.data, image.data);
  }
});

test('letterbox round trip: a marker found in the square maps back onto the original box', async () => {
  // A white rectangle on black, at a place that does not fall on whole pixels after scaling.
  const width = 700, height = 433;
  const marker: Box = { x: 503, y: 211, width: 61, height: 37 };
  const data = new Uint8Array(width * height * 3);
  for (let y = marker.y; y < marker.y + marker.height; y++) data.fill(255, (y * width + marker.x) * 3, (y * width + marker.x + marker.width) * 3);
  const image: RgbImage = { width, height, channels: 3, data };

  for (const [size, corner] of [[512, 'top-left'], [512, 'centre'], [160, 'centre'], [1024, 'centre']] as const) {
    const { image: square, transform } = await letterbox(image, size, { corner });
    let minX: number = size, minY: number = size, maxX = -1, maxY = -1;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (pixel(square, x, y)[0]! < 128) continue;
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
    const found = mapBoxBack({ x: minX, y: minY, width: maxX + 1 - minX, height: maxY + 1 - minY }, transform);
    const tolerance = 1 / transform.scaleX + 0.5;  // one letterbox pixel, in original pixels
    for (const key of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs(found[key] - marker[key]) <= tolerance, `${size} ${corner}: ${key} ${found[key].toFixed(2)} vs ${marker[key]} (±${tolerance.toFixed(2)})`);
    }
    // Exact algebra both ways for points.
    for (const point of [{ x: 0, y: 0 }, { x: 700, y: 433 }, { x: 123.25, y: 321.5 }]) {
      const into = { x: point.x * transform.scaleX + transform.offsetX, y: point.y * transform.scaleY + transform.offsetY };
      const back = mapPointBack(into, transform);
      assert.ok(Math.abs(back.x - point.x) < 1e-9 && Math.abs(back.y - point.y) < 1e-9);
    }
    // The longer side fills the square; the shorter one is centred or at the top.
    assert.equal(700 * transform.scaleX + transform.offsetX, size);
    const bottom = 433 * transform.scaleY + transform.offsetY;
    assert.ok(corner === 'centre' ? Math.abs(size - bottom - transform.offsetY) <= 1 : transform.offsetY === 0);
  }
});

test('crop copies the box, rounds it to whole pixels and fills outside the image with black', { skip }, async () => {
  const image = await loadImage(landscape);
  const inside = crop(image, { x: 100, y: 50, width: 120, height: 90 });
  const reference = await sharp(image.data, { raw: { width: 640, height: 405, channels: 3 } })
    .extract({ left: 100, top: 50, width: 120, height: 90 }).raw().toBuffer();
  assert.deepEqual([inside.width, inside.height], [120, 90]);
  assert.deepEqual(Buffer.from(inside.data), reference);

  // Over the top-left corner: the first 20 columns and 10 rows are black, the rest is the image.
  const corner = crop(image, { x: -20, y: -10, width: 60, height: 40 });
  assert.deepEqual([corner.width, corner.height], [60, 40]);
  assert.ok(allBlack(corner, 0, 0, 60, 10) && allBlack(corner, 0, 0, 20, 40));
  assert.deepEqual(region(corner, 20, 10, 60, 40), region(image, 0, 0, 40, 30));

  // Over the bottom-right corner.
  const far = crop(image, { x: 620, y: 395, width: 40, height: 30 });
  assert.deepEqual(region(far, 0, 0, 20, 10), region(image, 620, 395, 640, 405));
  assert.ok(allBlack(far, 20, 0, 40, 30) && allBlack(far, 0, 10, 40, 30));

  // Wholly outside, and larger than the image.
  assert.ok(crop(image, { x: 1000, y: 1000, width: 5, height: 5 }).data.every((v) => v === 0));
  const larger = crop(image, { x: -10, y: -10, width: 660, height: 425 });
  assert.deepEqual(region(larger, 10, 10, 650, 415), image.data);

  // Fractions round: x 10.4 -> 10, y 20.6 -> 21, width 30.5 -> 31, height 9.4 -> 9.
  const rounded = crop(image, { x: 10.4, y: 20.6, width: 30.5, height: 9.4 });
  assert.deepEqual([rounded.width, rounded.height], [31, 9]);
  assert.deepEqual(rounded.data, region(image, 10, 21, 41, 30));
});

test('crop refuses boxes without a positive, finite size', () => {
  const image: RgbImage = { width: 2, height: 2, channels: 3, data: new Uint8Array(12) };
  for (const box of [{ x: 0, y: 0, width: 0, height: 2 }, { x: 0, y: 0, width: 2, height: -1 }, { x: Number.NaN, y: 0, width: 1, height: 1 }, { x: 0, y: 0, width: Infinity, height: 1 }]) {
    assert.throws(() => crop(image, box), { code: 'VISAGE_ERR_BAD_INPUT' });
  }
  assert.throws(() => crop(image, { x: 0, y: 0, width: 1e6, height: 1e6 }), { code: 'VISAGE_ERR_BAD_INPUT', message: /megapixels/ });
});

test('toGrey: BT.601 luma within 1 of the exact formula; grey stays as it is', { skip }, async () => {
  const image = await loadImage(landscape);
  const grey = toGrey(image);
  assert.deepEqual([grey.width, grey.height, grey.channels, grey.data.length], [640, 405, 1, 640 * 405]);
  for (let i = 0; i < grey.data.length; i++) {
    const exact = 0.299 * image.data[3 * i]! + 0.587 * image.data[3 * i + 1]! + 0.114 * image.data[3 * i + 2]!;
    assert.ok(Math.abs(grey.data[i]! - exact) <= 1, `pixel ${i}: ${grey.data[i]} vs ${exact.toFixed(2)}`);
  }
  const levels: RgbImage = { width: 256, height: 1, channels: 3, data: Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3)) };
  assert.deepEqual([...toGrey(levels).data], Array.from({ length: 256 }, (_, i) => i));
});

test('helpers check their image and sizes', async () => {
  const image: RgbImage = { width: 2, height: 2, channels: 3, data: new Uint8Array(12) };
  const broken = { ...image, data: new Uint8Array(11) };
  await assert.rejects(resizeTo(broken, 4, 4), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(resizeTo(image, 0, 4), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(resizeTo(image, 2.5, 4), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(resizeTo(image, 20_000, 20_000), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(letterbox(image, -1), { code: 'VISAGE_ERR_BAD_INPUT' });
  await assert.rejects(letterbox(image, 8, { corner: 'middle' as 'centre' }), { code: 'VISAGE_ERR_BAD_OPTION', message: /corner/ });
  assert.throws(() => crop(broken, { x: 0, y: 0, width: 1, height: 1 }), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => toGrey(broken), { code: 'VISAGE_ERR_BAD_INPUT' });
});

test('timings on a 1920x1080 frame (reported, not asserted)', { skip }, async (t) => {
  const data = await sharp(portrait).resize(1920, 1080, { fit: 'fill' }).raw().toBuffer();
  const frame: RgbImage = { width: 1920, height: 1080, channels: 3, data: new Uint8Array(data) };
  const time = async (name: string, work: () => unknown): Promise<void> => {
    await work();
    const started = performance.now();
    for (let i = 0; i < 10; i++) await work();
    t.diagnostic(`${name}: ${((performance.now() - started) / 10).toFixed(2)} ms`);
  };
  await time('resizeTo 512x288', () => resizeTo(frame, 512, 288));
  await time('letterbox 640', () => letterbox(frame, 640));
  await time('crop 300x300', () => crop(frame, { x: 800, y: 300, width: 300, height: 300 }));
  await time('toGrey', () => toGrey(frame));
});
