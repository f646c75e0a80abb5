// Shared by the face-check tests: a checked and an unchecked Visage (checkedPair); with the check on, every celeb5 val photo keeps its main face
// (the detection scoring highest with the check off), at the same box and score.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createVisage, type Visage } from '../../../src/visage.ts';
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

/**
 * Two Visages over one temporary model folder, the face check `mode` on and off, made before the
 * file's tests and closed after (nothing when `skip`): `pair.checked`, `pair.unchecked`, `pair.dir`.
 */
export function checkedPair(name: string, mode: 'onet' | 'landmarks', skip: string | false): { checked: Visage; unchecked: Visage; dir: string } {
  const pair = {} as { checked: Visage; unchecked: Visage; dir: string };
  before(async () => {
    if (skip) return;
    pair.dir = await mkdtemp(path.join(os.tmpdir(), `visage-${name}-`));
    pair.checked = await createVisage({ modelDir: pair.dir, threads: 2, faceCheck: mode });
    pair.unchecked = await createVisage({ modelDir: pair.dir, threads: 2, faceCheck: 'off' });
  });
  after(async () => {
    if (skip) return;
    await pair.checked.close();
    await pair.unchecked.close();
    await rm(pair.dir, { recursive: true, force: true });
  });
  return pair;
}
