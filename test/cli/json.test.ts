// The JSON layout every command prints (src/cli/json.ts): objects indented, numbers and points
// on one line, pixel and degree values to 1/100, embeddings as float32, scores exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJson } from '../../src/cli/json.ts';
import { visage } from '../helpers/cli.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

test('formatJson: arrays of numbers and points, boxes and poses on one line; objects indented; JSON.stringify rules kept', () => {
  const text = formatJson({
    file: 'a.jpg',
    box: { x: 417.57424590605535, y: 129.5523935733347, width: 86.56810589553719, height: 110.80957502785931 },
    score: 0.9515606017227509,
    pose: { yaw: 17.031428904571708, pitch: -16.21371473064845, roll: 5.1677864233278425 },
    points: [{ x: 1.234, y: 5.678 }, { x: 9, y: 10 }],
    embeddings: { 'faceapi-recognition': [Math.fround(0.123456789), Math.fround(-0.05)] },
    skipped: undefined, fn: () => 1, nan: Number.NaN, empty: [], nested: { list: [1, 'two', null] },
    when: new Date('2026-12-07T00:00:00Z'),
  });
  assert.equal(text, `{
  "file": "a.jpg",
  "box": { "x": 417.57, "y": 129.55, "width": 86.57, "height": 110.81 },
  "score": 0.9515606017227509,
  "pose": { "yaw": 17.03, "pitch": -16.21, "roll": 5.17 },
  "points": [{ "x": 1.23, "y": 5.68 }, { "x": 9, "y": 10 }],
  "embeddings": {
    "faceapi-recognition": [0.123456791, -0.0500000007]
  },
  "nan": null,
  "empty": [],
  "nested": {
    "list": [1, "two", null]
  },
  "when": "2026-12-07T00:00:00.000Z"
}
`);
  // Embeddings survive as the same float32 values.
  const parsed = JSON.parse(text);
  assert.equal(Math.fround(parsed.embeddings['faceapi-recognition'][0]), Math.fround(0.123456789));
  // A long flat object or list of strings goes on several lines; scalars at the top level too.
  const long = formatJson({ names: Array.from({ length: 20 }, (_, i) => `person-${i}`) });
  assert.equal(long.split('\n').length, 25); // braces, the list's brackets, 20 names, the final newline
  assert.equal(formatJson(3.5), '3.5\n');
  assert.equal(formatJson(undefined), 'null\n');
});

test('visage analyze --json --embeddings on multiface.jpg: compact (numbers on one line), the same faces as before', { skip: skipUnless('media', 'multiface.jpg') }, async () => {
  // The ResNet's 128-number embeddings (the default fusion's are 640 numbers, the same layout).
  const result = await visage(['analyze', '--json', '--embeddings', '--embedders', 'faceapi-recognition', dataset('media', 'multiface.jpg')]);
  assert.equal(result.code, 0, result.stderr);
  const { images } = JSON.parse(result.stdout);
  assert.equal(images[0].faces.length, 6);
  // Before: 35,649 bytes, one number per line. Each 128-number embedding is now one line.
  const bytes = Buffer.byteLength(result.stdout);
  assert.ok(bytes < 18_000, `${bytes} bytes`);
  const lines = result.stdout.split('\n');
  assert.equal(lines.filter((l) => /^\s+"faceapi-recognition": \[/.test(l)).length, 6);
  assert.ok(lines.length < 150, `${lines.length} lines`);
  for (const face of images[0].faces) {
    assert.equal(face.embeddings['faceapi-recognition'].length, 128);
    for (const v of Object.values(face.box) as number[]) assert.equal(v, Math.round(v * 100) / 100);
  }
});
