import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { loadImage, isSrgbProfile, IMAGE_DEFAULTS, unsharedPixels, type LoadedImage } from '../../../src/face/image/decode.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const photo = dataset('media', 'group2.jpg');             // 640x828 colour JPEG
const greyPng = dataset('orl', 's1', '1.png');              // 92x112 grey PNG
const pngNamedJpg = dataset('celeb5', 'train', 'ben_afflek', '14.jpg');  // an RGBA PNG despite its name
const needPhoto = skipUnless('media', 'group2.jpg');

let dir = '';
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'visage-image-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** sharp's own decode of a file, as plain RGB: the reference loadImage must agree with. */
async function sharpRgb(input: string | Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(input).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Mean absolute difference per byte. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length, 'same size');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function assertRgb(image: LoadedImage, width: number, height: number): void {
  assert.equal(image.channels, 3);
  assert.equal(image.width, width);
  assert.equal(image.height, height);
  assert.equal(image.data.length, width * height * 3);
  assert.ok(image.data instanceof Uint8Array);
}

/** A small upright RGB crop of the photo, the source for the generated files. */
async function photoPixels(width: number, height: number): Promise<{ width: number; height: number; data: Buffer }> {
  const { data } = await sharp(photo).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width, height, data };
}

async function rejects(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.ok(!error.message.includes('\n'), `one-line message: ${error.message}`);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" names ${fragment}`);
    return true;
  });
}

test('a JPEG path decodes to the same pixels sharp gives, at full size', { skip: needPhoto }, async () => {
  const image = await loadImage(photo);
  const reference = await sharpRgb(photo);
  assertRgb(image, reference.width, reference.height);
  assert.deepEqual(
    { originalWidth: image.originalWidth, originalHeight: image.originalHeight, scale: image.scale },
    { originalWidth: 640, originalHeight: 828, scale: 1 });
  // Its compact sRGB profile ("c2") is not applied (see isSrgbProfile): a few values differ by 1.
  assert.ok(meanDiff(image.data, reference.data) < 1e-4);
});

test('a Buffer decodes like the path; the format comes from the bytes, not the name', { skip: skipUnless('celeb5', 'train', 'ben_afflek', '14.jpg') }, async () => {
  const fromPath = await loadImage(pngNamedJpg);
  const fromBuffer = await loadImage(await readFile(pngNamedJpg));
  assertRgb(fromPath, 300, 224);
  assert.deepEqual(fromBuffer.data, fromPath.data);
});

test('grey PNGs become RGB with three equal channels', { skip: skipUnless('orl', 's1', '1.png') }, async () => {
  const image = await loadImage(greyPng);
  assertRgb(image, 92, 112);
  const { data: grey } = await sharp(greyPng).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  assert.equal(grey.length, 92 * 112);
  for (let i = 0; i < grey.length; i++) {
    assert.ok(image.data[3 * i] === grey[i] && image.data[3 * i + 1] === grey[i] && image.data[3 * i + 2] === grey[i], `pixel ${i}`);
  }
});

test('every encoded format sharp reads: JPEG, PNG, WebP, GIF, TIFF, AVIF', { skip: needPhoto }, async () => {
  const source = await photoPixels(160, 120);
  const raw = { raw: { width: 160, height: 120, channels: 3 as const } };
  const encoders: [string, () => Promise<Buffer>, number][] = [
    // [format, encoder, largest mean difference from the source allowed]
    ['jpeg', () => sharp(source.data, raw).jpeg({ quality: 90 }).toBuffer(), 6],
    ['png', () => sharp(source.data, raw).png().toBuffer(), 0],
    ['webp', () => sharp(source.data, raw).webp({ lossless: true }).toBuffer(), 0],
    ['webp lossy', () => sharp(source.data, raw).webp({ quality: 90 }).toBuffer(), 6],
    ['gif', () => sharp(source.data, raw).gif().toBuffer(), 12],  // 256-colour palette
    ['tiff', () => sharp(source.data, raw).tiff({ compression: 'lzw' }).toBuffer(), 0],
    ['tiff with JPEG inside', () => sharp(source.data, raw).tiff({ compression: 'jpeg', quality: 90 }).toBuffer(), 6],
    ['avif', () => sharp(source.data, raw).avif({ quality: 80 }).toBuffer(), 6],
  ];
  for (const [format, encode, tolerance] of encoders) {
    const image = await loadImage(await encode());
    assertRgb(image, 160, 120);
    const difference = meanDiff(image.data, source.data);
    assert.ok(difference <= tolerance, `${format}: mean difference ${difference.toFixed(2)} > ${tolerance}`);
  }
  // and from files with those extensions
  const file = path.join(dir, 'photo.webp');
  await sharp(source.data, raw).webp({ lossless: true }).toFile(file);
  assert.equal(meanDiff((await loadImage(file)).data, source.data), 0);
});

test('an animated GIF and a multi-page TIFF give their first frame only', async () => {
  // Three 20x20 frames stacked: red, green, blue.
  const frames = Buffer.alloc(20 * 60 * 3);
  for (let i = 0; i < 20 * 60; i++) frames[3 * i + Math.floor(i / 400)] = 255;
  const stacked = { raw: { width: 20, height: 60, channels: 3 as const, pageHeight: 20 } };
  for (const encoded of [await sharp(frames, stacked).gif().toBuffer(), await sharp(frames, stacked).tiff().toBuffer()]) {
    assert.equal((await sharp(encoded).metadata()).pages, 3);
    const image = await loadImage(encoded);
    assertRgb(image, 20, 20);
    for (let i = 0; i < 400; i++) {
      const [r, g, b] = image.data.subarray(3 * i, 3 * i + 3);
      assert.ok(r! >= 250 && g! <= 4 && b! <= 4, `pixel ${i} is red: ${r},${g},${b}`);  // GIF palettes may shift by a step
    }
  }
});

// EXIF orientation n: where the displayed (upright) pixel (x, y) is stored, for an upright
// image of `width` x `height` (written out here from the EXIF definition, not taken from sharp).
const storedAt: Record<number, (x: number, y: number, width: number, height: number) => [number, number]> = {
  1: (x, y) => [x, y],
  2: (x, y, w) => [w - 1 - x, y],
  3: (x, y, w, h) => [w - 1 - x, h - 1 - y],
  4: (x, y, _w, h) => [x, h - 1 - y],
  5: (x, y) => [y, x],
  6: (x, y, w) => [y, w - 1 - x],
  7: (x, y, w, h) => [h - 1 - y, w - 1 - x],
  8: (x, y, _w, h) => [h - 1 - y, x],
};

test('EXIF orientations 1-8 come out upright', { skip: needPhoto }, async () => {
  const upright = await photoPixels(120, 80);
  for (let orientation = 1; orientation <= 8; orientation++) {
    const turned = orientation >= 5;
    const storedWidth = turned ? 80 : 120, storedHeight = turned ? 120 : 80;
    const stored = Buffer.alloc(upright.data.length);
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 120; x++) {
        const [sx, sy] = storedAt[orientation]!(x, y, 120, 80);
        upright.data.copy(stored, (sy * storedWidth + sx) * 3, (y * 120 + x) * 3, (y * 120 + x) * 3 + 3);
      }
    }
    const file = path.join(dir, `orientation-${orientation}.jpg`);
    await sharp(stored, { raw: { width: storedWidth, height: storedHeight, channels: 3 } })
      .withMetadata({ orientation }).jpeg({ quality: 95 }).toFile(file);
    assert.equal((await sharp(file).metadata()).orientation, orientation);

    const image = await loadImage(file);
    assertRgb(image, 120, 80);
    assert.equal(image.originalWidth, 120);
    assert.equal(image.originalHeight, 80);
    // Exactly the decoded stored pixels, moved as the EXIF definition says...
    const decoded = await sharpRgb(file);
    assert.deepEqual([decoded.width, decoded.height], [storedWidth, storedHeight]);
    const expected = new Uint8Array(upright.data.length);
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 120; x++) {
        const [sx, sy] = storedAt[orientation]!(x, y, 120, 80);
        expected.set(decoded.data.subarray((sy * storedWidth + sx) * 3, (sy * storedWidth + sx) * 3 + 3), (y * 120 + x) * 3);
      }
    }
    assert.ok(meanDiff(image.data, expected) < 0.01, `orientation ${orientation}: pixels moved as EXIF says`);
    // ...which is the upright photo, up to JPEG's loss.
    const difference = meanDiff(image.data, upright.data);
    assert.ok(difference < 5, `orientation ${orientation}: mean difference from upright ${difference.toFixed(2)}`);
    // The stored pixels, read as they are, are far from upright (the test can tell them apart).
    if (orientation !== 1 && !turned) {
      assert.ok(meanDiff((await sharpRgb(file)).data, upright.data) > 10, `orientation ${orientation} is distinguishable`);
    }
  }
});

test('alpha is flattened onto black: RGBA and grey+alpha PNGs', async () => {
  // Four pixels: opaque orange, half-transparent orange, transparent white, opaque grey.
  const rgba = Buffer.from([255, 128, 0, 255, 255, 128, 0, 128, 255, 255, 255, 0, 90, 90, 90, 255]);
  const png = await sharp(rgba, { raw: { width: 4, height: 1, channels: 4 } }).png().toBuffer();
  const image = await loadImage(png);
  const expected = [255, 128, 0, 128, 64, 0, 0, 0, 0, 90, 90, 90];
  [...image.data].forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) <= 1, `byte ${i}: ${value} vs ${expected[i]}`));

  const greyAlpha = await sharp(Buffer.from([200, 255, 200, 64]), { raw: { width: 2, height: 1, channels: 2 } }).toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(greyAlpha).metadata()).channels, 2);
  const flattened = await loadImage(greyAlpha);
  assertRgb(flattened, 2, 1);
  [200, 200, 200, 50, 50, 50].forEach((value, i) => assert.ok(Math.abs(flattened.data[i]! - value) <= 1, `grey+alpha byte ${i}: ${flattened.data[i]}`));
});

test('the RGBA PNG in celeb5 matches its colour flattened onto black', { skip: skipUnless('celeb5', 'train', 'ben_afflek', '14.jpg') }, async () => {
  const image = await loadImage(pngNamedJpg);
  const { data } = await sharp(pngNamedJpg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < 300 * 224; i++) {
    for (let c = 0; c < 3; c++) {
      const expected = Math.round(data[4 * i + c]! * data[4 * i + 3]! / 255);
      assert.ok(Math.abs(image.data[3 * i + c]! - expected) <= 1, `pixel ${i} channel ${c}`);
    }
  }
});

test('16-bit PNG and CMYK JPEG become 8-bit sRGB', { skip: needPhoto }, async () => {
  const source = await photoPixels(64, 48);
  const raw = { raw: { width: 64, height: 48, channels: 3 as const } };
  const png16 = await sharp(source.data, raw).toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  const deep = await loadImage(png16);
  assertRgb(deep, 64, 48);
  assert.ok(meanDiff(deep.data, source.data) <= 0.5, '16-bit PNG within rounding of the 8-bit source');

  const cmyk = await sharp(source.data, raw).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const converted = await loadImage(cmyk);
  assertRgb(converted, 64, 48);
  const difference = meanDiff(converted.data, source.data);
  assert.ok(difference < 8, `CMYK round trip mean difference ${difference.toFixed(2)}`);
});

test('raw pixels: grey, RGB and RGBA; the input buffer is copied', async () => {
  const grey = await loadImage({ data: Uint8Array.from([0, 100, 255]), width: 3, height: 1, channels: 1 });
  assert.deepEqual([...grey.data], [0, 0, 0, 100, 100, 100, 255, 255, 255]);
  assert.equal(grey.scale, 1);

  const rgbData = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const rgb = await loadImage({ data: rgbData, width: 1, height: 2, channels: 3 });
  rgbData[0] = 99;
  assert.deepEqual([...rgb.data], [1, 2, 3, 4, 5, 6]);

  const rgba = await loadImage({ data: new Uint8ClampedArray([255, 128, 0, 128, 10, 20, 30, 255]), width: 2, height: 1, channels: 4 });
  assert.deepEqual([...rgba.data], [128, 64, 0, 10, 20, 30]);
  assert.deepEqual({ w: rgba.originalWidth, h: rgba.originalHeight }, { w: 2, h: 1 });
});

test('raw RGB pixels marked unshared (video frames) are read in place; others are copied', async () => {
  const data = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const inPlace = await loadImage(unsharedPixels({ data, width: 1, height: 2, channels: 3 }));
  assert.equal(inPlace.data.buffer, data.buffer);
  assert.deepEqual([...inPlace.data], [1, 2, 3, 4, 5, 6]);
  const copied = await loadImage({ data, width: 1, height: 2, channels: 3 });
  assert.notEqual(copied.data.buffer, data.buffer);
  // Grey is expanded to RGB whatever the mark: a new buffer.
  const grey = await loadImage(unsharedPixels({ data: Uint8Array.from([7, 8]), width: 2, height: 1, channels: 1 }));
  assert.deepEqual([...grey.data], [7, 7, 7, 8, 8, 8]);
});

test('raw pixels above maxWorkingPixels are shrunk; above maxInputPixels refused', async () => {
  const data = new Uint8Array(400 * 300 * 4).fill(200);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  const shrunk = await loadImage({ data, width: 400, height: 300, channels: 4 }, { maxWorkingPixels: 10_000 });
  assert.ok(shrunk.width * shrunk.height <= 10_000);
  assert.deepEqual([shrunk.width, shrunk.height, shrunk.originalWidth, shrunk.originalHeight], [115, 86, 400, 300]);
  assert.equal(shrunk.scale, 115 / 400);
  assert.ok(shrunk.data.every((value) => value === 200), 'opaque grey stays grey');
  await rejects(loadImage({ data, width: 400, height: 300, channels: 4 }, { maxInputPixels: 100_000 }), 'VISAGE_ERR_IMAGE_TOO_LARGE', '400x300', 'raw pixels');
});

test('raw pixels with an inconsistent length, size or channel count are bad input', async () => {
  await rejects(loadImage({ data: new Uint8Array(10), width: 2, height: 2, channels: 3 }), 'VISAGE_ERR_BAD_INPUT', '12 bytes', 'got 10');
  await rejects(loadImage({ data: new Uint8Array(12), width: 2.5, height: 2, channels: 3 }), 'VISAGE_ERR_BAD_INPUT', 'width and height');
  await rejects(loadImage({ data: new Uint8Array(8), width: 2, height: 2, channels: 2 as 1 }), 'VISAGE_ERR_BAD_INPUT', 'channels');
  await rejects(loadImage({ data: [1, 2, 3] as unknown as Uint8Array, width: 1, height: 1, channels: 3 }), 'VISAGE_ERR_BAD_INPUT', 'Uint8Array');
  await rejects(loadImage(42 as unknown as string), 'VISAGE_ERR_BAD_INPUT', 'got number');
});

test('missing path, directory, empty path: not found or bad input, naming the path', async () => {
  const missing = path.join(dir, 'no-such-image.jpg');
  await rejects(loadImage(missing), 'VISAGE_ERR_IMAGE_NOT_FOUND', missing);
  await rejects(loadImage(path.join(dir, 'no-such-folder', 'x.jpg')), 'VISAGE_ERR_IMAGE_NOT_FOUND', 'no-such-folder');
  const folder = path.join(dir, 'a-folder.jpg');
  await mkdir(folder);
  await rejects(loadImage(folder), 'VISAGE_ERR_BAD_INPUT', folder, 'directory');
  await rejects(loadImage(''), 'VISAGE_ERR_BAD_INPUT', 'empty');
});

test('text, empty, truncated and corrupt files are decode errors naming the file', { skip: needPhoto }, async () => {
  const text = path.join(dir, 'notes.jpg');
  await writeFile(text, 'this is not an image\n'.repeat(20));
  await rejects(loadImage(text), 'VISAGE_ERR_IMAGE_DECODE', text, 'unsupported image format');

  const empty = path.join(dir, 'empty.png');
  await writeFile(empty, '');
  await rejects(loadImage(empty), 'VISAGE_ERR_IMAGE_DECODE', empty, 'empty');

  const jpeg = await readFile(photo);
  const truncatedJpeg = path.join(dir, 'truncated.jpg');
  await writeFile(truncatedJpeg, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  await rejects(loadImage(truncatedJpeg), 'VISAGE_ERR_IMAGE_DECODE', truncatedJpeg);

  const png = await sharp(photo).png().toBuffer();
  const truncatedPng = path.join(dir, 'truncated.png');
  await writeFile(truncatedPng, png.subarray(0, Math.floor(png.length / 2)));
  await rejects(loadImage(truncatedPng), 'VISAGE_ERR_IMAGE_DECODE', truncatedPng);

  // A PNG whose compressed pixel data is overwritten with noise (its checksums then fail).
  const corrupt = Buffer.from(png);
  for (let i = 200; i < corrupt.length - 100; i += 7) corrupt[i] = (i * 31) & 255;
  await rejects(loadImage(corrupt), 'VISAGE_ERR_IMAGE_DECODE', 'image buffer');

  // Only a header: the JPEG start marker and nothing else.
  await rejects(loadImage(Buffer.from([0xff, 0xd8, 0xff])), 'VISAGE_ERR_IMAGE_DECODE', 'image buffer (3 bytes)');
});

test('an empty buffer is bad input; SVG is refused as an unsupported format', async () => {
  await rejects(loadImage(Buffer.alloc(0)), 'VISAGE_ERR_BAD_INPUT', 'empty');
  await rejects(loadImage(new Uint8Array(0)), 'VISAGE_ERR_BAD_INPUT', 'empty');
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
  await rejects(loadImage(svg), 'VISAGE_ERR_IMAGE_DECODE', 'unsupported format svg');
});

/** A valid PNG header claiming `width` x `height`, with a few bytes of pixel data: cheap to make. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4); length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;  // bit depth
  header[9] = 2;  // RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

test('a PNG whose header claims 10 gigapixels is refused before decoding', async () => {
  const bomb = path.join(dir, 'bomb.png');
  await writeFile(bomb, pngClaiming(100_000, 100_000));
  const started = performance.now();
  await rejects(loadImage(bomb), 'VISAGE_ERR_IMAGE_TOO_LARGE', bomb, '100000x100000', '10000 megapixels', '200 (maxInputPixels)');
  assert.ok(performance.now() - started < 1000, 'refused from the header, without decoding');
  // A claim under the limit still fails, at decoding, since the data is not there.
  await rejects(loadImage(pngClaiming(5000, 5000)), 'VISAGE_ERR_IMAGE_DECODE', 'image buffer');
});

test('limits: maxInputPixels refuses, maxWorkingPixels shrinks keeping the upright aspect', { skip: needPhoto }, async () => {
  await rejects(loadImage(photo, { maxInputPixels: 500_000 }), 'VISAGE_ERR_IMAGE_TOO_LARGE', photo, '640x828', '0.5 (maxInputPixels)');

  const small = await loadImage(photo, { maxWorkingPixels: 100_000 });
  assert.ok(small.width * small.height <= 100_000);
  assert.deepEqual([small.width, small.height, small.originalWidth, small.originalHeight], [278, 359, 640, 828]);
  assert.equal(small.scale, 278 / 640);
  const reference = await sharp(photo).resize(278, 359, { fit: 'fill' }).raw().toBuffer();
  assert.ok(meanDiff(small.data, reference) < 1, 'same picture, smaller');

  // A portrait photo stored landscape with orientation 6: the working size is upright too.
  const turned = path.join(dir, 'turned.jpg');
  await sharp(photo).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toFile(turned);
  const upright = await loadImage(turned, { maxWorkingPixels: 100_000 });
  assert.deepEqual([upright.width, upright.height, upright.originalWidth, upright.originalHeight], [278, 359, 640, 828]);
  assert.ok(meanDiff(upright.data, reference) < 4, 'upright after shrinking');
});

test('options are checked: unknown keys and non-positive limits are refused', async () => {
  await rejects(loadImage(Buffer.from([1]), { maxPixels: 5 } as never), 'VISAGE_ERR_BAD_OPTION', 'maxPixels');
  await rejects(loadImage(Buffer.from([1]), { maxWorkingPixels: 0 }), 'VISAGE_ERR_BAD_OPTION', 'maxWorkingPixels');
  await rejects(loadImage(Buffer.from([1]), { maxInputPixels: Number.NaN }), 'VISAGE_ERR_BAD_OPTION', 'maxInputPixels');
  assert.deepEqual(IMAGE_DEFAULTS, { maxInputPixels: 200_000_000, maxWorkingPixels: 40_000_000 });
  assert.ok(Object.isFrozen(IMAGE_DEFAULTS));
  // undefined means "the default", and Infinity "no limit"
  const image = await loadImage({ data: new Uint8Array(3), width: 1, height: 1, channels: 3 }, { maxInputPixels: Infinity, maxWorkingPixels: undefined });
  assert.equal(image.width, 1);
});

test('embedded sRGB profiles are recognised and skipped (same pixels, no conversion); other profiles are converted', { skip: skipUnless('bbt', 'group', 'faceapi_bbt5.jpg') }, async () => {
  const file = (...parts: string[]) => dataset(...parts);
  const profile = async (f: string) => (await sharp(f).metadata()).icc;
  const srgb = file('bbt', 'group', 'faceapi_bbt1.jpg'); // "sRGB IEC61966-2.1"
  const compact = file('media', 'group1.jpg'); // "c2", the compact sRGB profile
  const adobe = file('bbt', 'group', 'faceapi_bbt5.jpg'); // "Adobe RGB (1998)"
  assert.equal(isSrgbProfile(await profile(srgb)), true);
  assert.equal(isSrgbProfile(await profile(compact)), true);
  assert.equal(isSrgbProfile(await profile(adobe)), false);
  // Skipping the sRGB profile changes no pixel: the conversion through it is an identity.
  const converted = await sharp(srgb).raw().toBuffer();
  assert.ok(Buffer.from((await loadImage(srgb)).data).equals(converted));
  // Adobe RGB is converted: what loadImage returns is the converted picture, not the raw values.
  const adobePixels = (await loadImage(adobe)).data;
  assert.ok(Buffer.from(adobePixels).equals(await sharp(adobe).raw().toBuffer()));
  assert.ok(!Buffer.from(adobePixels).equals(await sharp(adobe, { ignoreIcc: true }).raw().toBuffer()));
  // No profile, a short or garbled one: not sRGB, and no exception.
  assert.equal(isSrgbProfile(undefined), false);
  assert.equal(isSrgbProfile(new Uint8Array(20)), false);
  const garbled = Uint8Array.from(await profile(srgb) as Uint8Array);
  new DataView(garbled.buffer).setUint32(128, 0xffffffff);
  for (let i = 132; i < garbled.length; i++) garbled[i] = (i * 7919) & 0xff;
  assert.equal(isSrgbProfile(garbled), false);
});
