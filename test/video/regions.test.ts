// Where tracks' missed faces are looked for (pure): a crop a few face widths wide around each
// predicted box, kept inside the frame, overlapping crops merged, long-lost tracks left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trackRegions } from '../../src/video/regions.ts';

const track = (x: number, y: number, w: number, lostFor = 0.2, speed = 0) => ({ predicted: { x, y, width: w, height: w * 1.2 }, speed, lostFor });

test('one crop per missed track, four face widths across, centred on the prediction', () => {
  const [r] = trackRegions([track(900, 500, 50)], 1920, 1080);
  assert.deepEqual(r, { x: 825, y: 430, width: 200, height: 200 });
});

test('a crop is moved inside the frame, never larger than a tile (a 2.6th of the longer side)', () => {
  const [edge] = trackRegions([track(0, 0, 40)], 1920, 1080);
  assert.deepEqual(edge, { x: 0, y: 0, width: 160, height: 160 });
  const [big] = trackRegions([track(800, 300, 300, 0.2, 2000)], 1920, 1080);
  assert.equal(big!.width, Math.round(1920 / 2.6));
  assert.ok(big!.x >= 0 && big!.y + big!.height <= 1080);
});

test('overlapping crops are merged, distant ones kept apart; tracks lost for over a second left out', () => {
  const regions = trackRegions([track(900, 500, 50), track(950, 520, 50), track(100, 100, 50), track(1500, 800, 50, 1.4)], 1920, 1080);
  assert.equal(regions.length, 2);
  assert.ok(regions[0]!.width > 200 && regions[0]!.width <= 300, JSON.stringify(regions[0]));
});
