// Shared by the face-check tests: with the check on, every celeb5 val photo keeps its main face
// (the detection scoring highest with the check off), at the same box and score.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import type { Visage } from '../../../src/visage.ts';
import { iou } from '../../../src/face/detect/nms.ts';
import { dataset } from '../../helpers/datasets.ts';

/** Asserts it photo by photo; returns how many photos were looked at. */
export async function assertMainFacesKept(checked: Visage, unchecked: Visage): Promise<number> {
  let photos = 0;
  for (const person of (await readdir(dataset('celeb5', 'val'))).sort()) {
    for (const name of (await readdir(dataset('celeb5', 'val', person))).sort()) {
      const file = dataset('celeb5', 'val', person, name);
      const off = await unchecked.detect(file);
      const on = await checked.detect(file);
      const best = off.faces.reduce((a, b) => (b.score > a.score ? b : a));
      assert.ok(on.faces.some((f) => iou(f.box, best.box) > 0.5 && f.score === best.score), `${person}/${name}: its best face passes`);
      photos++;
    }
  }
  return photos;
}
