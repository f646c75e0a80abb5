// A real 100-megapixel JPEG (a photo tiled 10x10): decoded within the working limit without
// holding it at full size, or refused by a lower input limit. In its own file, so node's test
// runner gives it its own process and the memory measured is this test's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadImage, IMAGE_DEFAULTS } from '../../../src/face/image/decode.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const skip = skipUnless('media', 'group2.jpg');
const side = 10_000;
let dir = '';
let big = '';
let tileMean: number[] = [];  // average colour of one tile, per channel

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'visage-large-'));
  big = path.join(dir, 'tiled-100mp.jpg');
  const tile = await sharp(dataset('media', 'group2.jpg')).resize(1000, 1000, { fit: 'cover' }).png().toBuffer();
  tileMean = (await sharp(tile).stats()).channels.slice(0, 3).map((channel) => channel.mean);
  await sharp({ create: { width: side, height: side, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite([{ input: tile, tile: true, left: 0, top: 0 }])
    .jpeg({ quality: 80 })
    .toFile(big);
  // Let go of what sharp cached while writing it, so the measurement below starts clean.
  sharp.cache(false);
});

after(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

/** Runs `work` while sampling the resident set size; returns its result and the peak growth. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ value: T; growth: number; ms: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  const started = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growth: peak - base, ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

test('a 100-megapixel JPEG is shrunk while decoding to the 40-megapixel working size, memory bounded', { skip }, async (t) => {
  const { value: image, growth, ms } = await peakGrowth(() => loadImage(big));
  t.diagnostic(`100 MP JPEG -> ${image.width}x${image.height} in ${ms.toFixed(0)} ms, peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MB`);
  assert.deepEqual([image.originalWidth, image.originalHeight], [side, side]);
  assert.ok(image.width * image.height <= IMAGE_DEFAULTS.maxWorkingPixels);
  assert.equal(image.width, 6324);  // floor(10000 * sqrt(40 / 100))
  assert.equal(image.height, 6324);
  assert.equal(image.scale, 6324 / side);
  assert.ok(growth < 1.5 * 2 ** 30, `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MB`);

  // The picture is the tiled photo: each tile's average colour survives the shrink.
  const tile = 1000 * image.scale, inner = Math.floor(tile) - 8;
  for (const [tx, ty] of [[0, 0], [4, 7], [9, 9]] as const) {
    const left = Math.ceil(tx * tile) + 4, top = Math.ceil(ty * tile) + 4;
    const sums = [0, 0, 0];
    for (let y = top; y < top + inner; y++) {
      for (let x = left, p = (y * image.width + left) * 3; x < left + inner; x++, p += 3) {
        sums[0] += image.data[p]!; sums[1] += image.data[p + 1]!; sums[2] += image.data[p + 2]!;
      }
    }
    sums.forEach((sum, c) => {
      const mean = sum / (inner * inner);
      assert.ok(Math.abs(mean - tileMean[c]!) < 4, `tile ${tx},${ty} channel ${c}: ${mean.toFixed(1)} vs ${tileMean[c]!.toFixed(1)}`);
    });
  }
});

/** The JPEG with an EXIF block saying "orientation 6" spliced in after its start marker (no re-encoding). */
function withOrientation6(jpeg: Buffer): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('MM', 0, 'latin1');       // big-endian TIFF
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);            // first directory right after the header
  tiff.writeUInt16BE(1, 8);            // one entry:
  tiff.writeUInt16BE(0x0112, 10);      //   Orientation
  tiff.writeUInt16BE(3, 12);           //   SHORT
  tiff.writeUInt32BE(1, 14);           //   one value
  tiff.writeUInt16BE(6, 18);           //   6: rotate 90 degrees clockwise to display
  const segment = Buffer.concat([Buffer.from([0xff, 0xe1, 0, 0]), Buffer.from('Exif\0\0', 'latin1'), tiff]);
  segment.writeUInt16BE(segment.length - 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

test('with EXIF orientation 6 (a rotation needs the whole image at hand) memory stays bounded too', { skip }, async (t) => {
  const turned = path.join(dir, 'tiled-100mp-orientation-6.jpg');
  await writeFile(turned, withOrientation6(await readFile(big)));
  assert.equal((await sharp(turned).metadata()).orientation, 6);
  const { value: image, growth, ms } = await peakGrowth(() => loadImage(turned));
  t.diagnostic(`100 MP JPEG, orientation 6 -> ${image.width}x${image.height} in ${ms.toFixed(0)} ms, peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MB`);
  assert.deepEqual([image.width, image.height, image.originalWidth, image.originalHeight], [6324, 6324, side, side]);
  assert.ok(growth < 1.5 * 2 ** 30, `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MB`);
});

test('the same file under a 50-megapixel input limit is refused from its header, at once', { skip }, async (t) => {
  const { value: error, ms } = await peakGrowth(() => loadImage(big, { maxInputPixels: 50_000_000 }).then(() => null, (e: unknown) => e));
  t.diagnostic(`refused in ${ms.toFixed(1)} ms`);
  assert.ok(error instanceof Error);
  assert.equal((error as { code?: string }).code, 'VISAGE_ERR_IMAGE_TOO_LARGE');
  assert.match(error.message, /tiled-100mp\.jpg is 10000x10000 \(100 megapixels\), more than the limit of 50 \(maxInputPixels\)/);
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
});
