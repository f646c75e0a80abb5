import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ANNOTATION_COLOURS, annotateImage, annotationSvg, escapeXml } from '../../src/report/annotate.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const grey = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();

async function pixel(png: Uint8Array, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

function hex(colour: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)) as [number, number, number];
}

const near = (a: number[], b: number[], tolerance = 12) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

test('box outlines are drawn in the colour of their kind, the inside left alone', async () => {
  const png = await annotateImage(await grey(400, 300), [
    { box: { x: 40, y: 100, width: 100, height: 120 }, label: 'Ada', detail: '0.91', kind: 'known' },
    { box: { x: 240, y: 100, width: 100, height: 120 }, label: 'UNKNOWN', kind: 'unknown' },
  ], { format: 'png' });
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, 'png');
  assert.deepEqual([meta.width, meta.height], [400, 300]);
  assert.ok(near(await pixel(png, 40, 160), hex(ANNOTATION_COLOURS.known)), 'left edge of the known box');
  assert.ok(near(await pixel(png, 240, 160), hex(ANNOTATION_COLOURS.unknown)), 'left edge of the unknown box');
  assert.ok(near(await pixel(png, 90, 160), [128, 128, 128], 2), 'inside the box untouched');
  // The label tag sits above the box.
  assert.ok(near(await pixel(png, 42, 92), hex(ANNOTATION_COLOURS.known), 40) || near(await pixel(png, 42, 92), [255, 255, 255], 40));
});

test('labels are escaped, control characters and empty boxes do not break the SVG', () => {
  assert.equal(escapeXml(`<a & "b" 'c'>`), '&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
  const svg = annotationSvg(100, 100, [
    { box: { x: 10, y: 40, width: 30, height: 30 }, label: 'Tom & <Jerry>\u0007', kind: 'neutral' },
    { box: { x: 10, y: 10, width: 0, height: 30 }, label: 'nothing', kind: 'known' },
    { box: { x: Number.NaN, y: 10, width: 5, height: 30 }, label: 'nothing', kind: 'known' },
  ]);
  assert.match(svg, /Tom &amp; &lt;Jerry&gt;/);
  assert.doesNotMatch(svg, /\u0007|nothing/);
});

test('bad options and undecodable images are coded errors', async () => {
  const image = await grey(20, 20);
  await assert.rejects(annotateImage(image, [], { format: 'gif' as never }), { code: 'VISAGE_ERR_BAD_OPTION' });
  await assert.rejects(annotateImage(image, [], { quality: 0 }), { code: 'VISAGE_ERR_BAD_OPTION' });
  await assert.rejects(annotateImage(Buffer.from('not an image'), []), { code: 'VISAGE_ERR_IMAGE_DECODE' });
});

test('maxSide shrinks the annotated picture; raw pixels are accepted', async () => {
  const data = new Uint8Array(300 * 200 * 3).fill(200);
  const jpeg = await annotateImage({ data, width: 300, height: 200, channels: 3 }, [{ box: { x: 10, y: 10, width: 50, height: 50 }, label: 'x', kind: 'known' }], { maxSide: 150 });
  const meta = await sharp(jpeg).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.deepEqual([meta.width, meta.height], [150, 100]);
});

test('an EXIF-rotated photo is drawn upright, in the frame Visage reports boxes in', { skip: skipUnless('lfw-view1') }, async () => {
  const file = dataset('lfw-view1', 'images', 'Aaron_Peirsol', 'Aaron_Peirsol_0001.jpg');
  // Stored turned 90 degrees counter-clockwise with orientation 6: displayed upright, 250 x 250.
  const turned = await sharp(file).extract({ left: 0, top: 0, width: 250, height: 200 }).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const out = await annotateImage(turned, [{ box: { x: 0, y: 0, width: 50, height: 50 }, label: 'a', kind: 'known' }], { format: 'png' });
  const meta = await sharp(out).metadata();
  assert.deepEqual([meta.width, meta.height], [250, 200]);
});
