// Videos given where images belong: told apart from images by their container's first bytes
// (MP4/QuickTime vs HEIF/AVIF share the 'ftyp' box) and by name, and refused with one clear
// error (VISAGE_ERR_VIDEO_NOT_IMAGE) instead of libvips's "unsupported image format".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadImage } from '../../../src/face/image/decode.ts';
import { isVideoName, videoContainer, VIDEO_SNIFF_BYTES } from '../../../src/face/image/video.ts';
import { scanFolder } from '../../../src/face/image/files.ts';
import { ErrorCodes } from '../../../src/errors.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const VIDEOS = ['tiny5frames.mp4', 'hamilton_clip.mp4', 'street.mp4'];
const skip = VIDEOS.map((v) => skipUnless('media', v)).find(Boolean) || skipUnless('media', 'multiface.jpg');
let dir = '';
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'visage-video-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const head = async (file: string) => (await readFile(file)).subarray(0, VIDEO_SNIFF_BYTES);
const message = (file: string) => `${file} is a video (MP4), not an image: this reads still images; videos are read by visage video`;

test('videoContainer: the dataset clips are MP4; photos of every kind, HEIF and AVIF among them, are not videos', { skip }, async () => {
  for (const name of VIDEOS) {
    assert.equal(videoContainer(await head(dataset('media', name))), 'MP4', name);
  }
  assert.equal(videoContainer(await head(dataset('media', 'multiface.jpg'))), null);
  const photo = sharp(dataset('media', 'multiface.jpg')).resize(64);
  for (const format of ['png', 'webp', 'gif', 'tiff', 'avif'] as const) {
    assert.equal(videoContainer((await photo.clone().toFormat(format).toBuffer()).subarray(0, VIDEO_SNIFF_BYTES)), null, format);
  }
  const avif = await photo.clone().avif().toBuffer();
  assert.equal(avif.subarray(4, 8).toString('latin1'), 'ftyp', 'an ISO box file like MP4, told apart by its brands');
});

test('videoContainer: the signatures of other containers; too few bytes tell nothing', () => {
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
  assert.equal(videoContainer(bytes([0, 0, 0, 20], 'ftypqt  ', [0, 0, 2, 0], 'qt  ')), 'QuickTime');
  assert.equal(videoContainer(bytes([0, 0, 0, 20], 'ftyp3gp4', [0, 0, 2, 0], 'isom')), '3GP');
  assert.equal(videoContainer(bytes([0, 0, 0, 20], 'ftypM4A ', [0, 0, 2, 0], 'isom')), null, 'audio');
  assert.equal(videoContainer(bytes([0, 0, 0, 24], 'ftypmif1', [0, 0, 0, 0], 'mif1heic')), null, 'HEIC photo');
  assert.equal(videoContainer(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81])), 'Matroska/WebM');
  assert.equal(videoContainer(bytes('RIFF', [0, 0, 0, 0], 'AVI LIST')), 'AVI');
  assert.equal(videoContainer(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')), null, 'WebP is RIFF too');
  assert.equal(videoContainer(bytes([0, 0, 1, 0xba, 0x44])), 'MPEG');
  assert.equal(videoContainer(bytes('FLV', [1, 5])), 'FLV');
  assert.equal(videoContainer(new Uint8Array([0, 0])), null);
  assert.equal(videoContainer(new Uint8Array(0)), null);
});

test('isVideoName: by ending, case-insensitive; not .ts (TypeScript), not hidden files', () => {
  for (const name of ['a.mp4', 'b.MOV', 'c.mkv', 'd.webm', 'e.avi', 'f.m4v', 'dir/g.M2TS']) assert.ok(isVideoName(name), name);
  for (const name of ['a.jpg', 'b.ts', 'c.mp3', '.hidden.mp4', 'mp4']) assert.ok(!isVideoName(name), name);
});

test('loadImage refuses a video path or buffer with VISAGE_ERR_VIDEO_NOT_IMAGE (415), one line naming it', { skip }, async () => {
  assert.equal(ErrorCodes.VISAGE_ERR_VIDEO_NOT_IMAGE.status, 415);
  const clip = dataset('media', 'tiny5frames.mp4');
  await assert.rejects(loadImage(clip), { code: 'VISAGE_ERR_VIDEO_NOT_IMAGE', status: 415, message: message(clip) });
  const bytes = await readFile(clip);
  await assert.rejects(loadImage(bytes), {
    code: 'VISAGE_ERR_VIDEO_NOT_IMAGE',
    message: `the data given (${bytes.length} bytes) is a video (MP4), not an image: this reads still images; videos are read by visage video`,
  });
  // Named like a photo, sniffed as a video; named like a video but no known container: a video by its name.
  const disguised = path.join(dir, 'holiday.jpg');
  await copyFile(clip, disguised);
  await assert.rejects(loadImage(disguised), { code: 'VISAGE_ERR_VIDEO_NOT_IMAGE', message: message(disguised) });
  const unknown = path.join(dir, 'talk.rmvb');
  await writeFile(unknown, Buffer.from('.RMF\0\0\0\x12\0\x01'.repeat(20), 'latin1'));
  await assert.rejects(loadImage(unknown), { code: 'VISAGE_ERR_VIDEO_NOT_IMAGE', message: `${unknown} is a video, not an image: this reads still images; videos are read by visage video` });
  // Text named .jpg stays a decode error.
  const text = path.join(dir, 'notes.jpg');
  await writeFile(text, 'not a picture\n'.repeat(20));
  await assert.rejects(loadImage(text), { code: 'VISAGE_ERR_IMAGE_DECODE' });
});

test('scanFolder: images listed, videos set apart (by name), hidden files ignored', { skip }, async () => {
  const folder = path.join(dir, 'mixed');
  await mkdir(path.join(folder, 'sub'), { recursive: true });
  await copyFile(dataset('media', 'multiface.jpg'), path.join(folder, 'a.jpg'));
  await copyFile(dataset('media', 'tiny5frames.mp4'), path.join(folder, 'clip.mp4'));
  await copyFile(dataset('media', 'tiny5frames.mp4'), path.join(folder, 'sub', 'b.MOV'));
  await copyFile(dataset('media', 'tiny5frames.mp4'), path.join(folder, '.hidden.mp4'));
  await writeFile(path.join(folder, 'notes.txt'), 'x');
  const found = await scanFolder(folder);
  assert.deepEqual(found.images, [path.join(folder, 'a.jpg')]);
  assert.deepEqual(found.videos, [path.join(folder, 'clip.mp4'), path.join(folder, 'sub', 'b.MOV')]);
});
