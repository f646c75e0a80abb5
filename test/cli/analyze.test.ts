import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';



test('visage analyze --json reports every face of each image, and a missing file as an error without stopping', { skip: skipUnless('media', 'multiface.jpg') }, async () => {
  const result = await visage(['analyze', '--json', dataset('media', 'multiface.jpg'), '/nonexistent/x.jpg']);
  assert.equal(result.code, 1);
  const { images } = JSON.parse(result.stdout);
  assert.equal(images.length, 2);
  assert.ok(images[0].faces.length >= 5);
  assert.equal(images[0].faces[0].embeddings, undefined);
  assert.equal(images[1].error.code, 'VISAGE_ERR_IMAGE_NOT_FOUND');
  assert.match(result.stderr, /visage: \/nonexistent\/x\.jpg: image not found/);
});

test('visage analyze without images or with a bad option is a usage error', async () => {
  const none = await visage(['analyze']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no image given/);
  const bad = await visage(['analyze', 'x.jpg', '--detector', 'yolo']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /detector must be one of/);
});
