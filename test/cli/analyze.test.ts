import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';



test('visage analyze --json reports every face of each image, and a missing file as an error without stopping', { skip: skipUnless('media', 'multiface.jpg') }, async () => {
  const result = await visage(['analyze', '--json', dataset('media', 'multiface.jpg'), '/nonexistent/x.jpg']);
  assert.equal(result.code, 1);
  const { images } = JSON.parse(result.stdout);
  assert.equal(images.length, 2);
  assert.ok(images[0].faces.length >= 5);
  assert.equal(images[0].faces[0].embeddings, undefined);
  assert.equal(images[1].error.code, 'VISAGE_ERR_IMAGE_NOT_FOUND');
  assert.match(result.stderr, /^visage: image not found: \/nonexistent\/x\.jpg$/m, 'one line, the file named once');
});

test('visage analyze without images or with a bad option is a usage error', async () => {
  const none = await visage(['analyze']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no image given/);
  const bad = await visage(['analyze', 'x.jpg', '--detector', 'yolo']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /detector must be one of/);
});

test('visage analyze --bogus: one line naming the option and the help, exit 2 (not node\'s parser text)', async () => {
  const result = await visage(['analyze', '--bogus', 'x.jpg']);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'visage analyze: unknown option --bogus (try: visage analyze --help)\n');
  assert.equal(result.stdout, '');
  const missing = await visage(['identify', 'x.jpg', '--db']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'visage identify: --db needs a value (try: visage identify --help)\n');
  const flag = await visage(['models', 'list', '--json=yes']);
  assert.equal(flag.code, 2);
  assert.equal(flag.stderr, 'visage models: --json takes no value (try: visage models --help)\n');
});

test('visage analyze on a video: one line saying it is a video; on a folder: its images analysed, its videos counted once', { skip: skipUnless('media', 'tiny5frames.mp4') || skipUnless('media', 'multiface.jpg') }, async () => {
  const video = dataset('media', 'tiny5frames.mp4');
  const direct = await visage(['analyze', video]);
  assert.equal(direct.code, 1);
  assert.equal(direct.stderr, `visage: ${video} is a video (MP4), not an image: this reads still images; videos are read by visage video\n`);
  assert.doesNotMatch(direct.stderr, /unsupported image format/);
  const { dir, remove } = await tempDir();
  try {
    await mkdir(path.join(dir, 'clips'));
    await copyFile(dataset('media', 'multiface.jpg'), path.join(dir, 'multiface.jpg'));
    await copyFile(video, path.join(dir, 'tiny5frames.mp4'));
    await copyFile(video, path.join(dir, 'clips', 'street.mkv'));
    const folder = await visage(['analyze', '--json', dir]);
    assert.equal(folder.code, 0, folder.stderr);
    const { images } = JSON.parse(folder.stdout);
    assert.deepEqual(images.map((i: { file: string }) => path.basename(i.file)), ['multiface.jpg']);
    assert.equal(images[0].faces.length, 6);
    assert.equal(folder.stderr, 'visage: skipped 2 video files (street.mkv, tiny5frames.mp4): this reads still images; videos are read by visage video\n');
    const only = await visage(['analyze', path.join(dir, 'clips')]);
    assert.equal(only.code, 1);
    assert.match(only.stderr, /^visage: no images in folder .*clips, only 1 video file \(street\.mkv\): this reads still images; videos are read by visage video\n$/);
  } finally {
    await remove();
  }
});
