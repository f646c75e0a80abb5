// The open-set protocol's pure functions, by hand: the seeded split, enrolment and probes, and
// the figures (rank-1, FAR, DIR, the threshold at a target FAR); and one run end to end on bbt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { skipUnless } from '../helpers/datasets.ts';
import { chooseFace, type ImageFaces } from '../../bench/openset/embed.ts';
import {
  dirAt, enrolAndProbes, farAt, openSetFigures, seededShuffle, splitPeople, strangerCount, thresholdAtFar, type ScoredProbe,
} from '../../bench/openset/protocol.ts';

test('strangerCount: the fraction rounded, at least 2 strangers (none when asked for none) and at least 2 known people', () => {
  assert.equal(strangerCount(180, 0.25), 45);
  assert.equal(strangerCount(40, 0.25), 10);
  assert.equal(strangerCount(8, 0.25), 2);
  assert.equal(strangerCount(5, 0.25), 2); // round(1.25) = 1, raised to 2
  assert.equal(strangerCount(4, 0.9), 2); // 4 would leave nobody known
  assert.equal(strangerCount(3, 0.25), 1);
  assert.equal(strangerCount(2, 0.25), 0);
  assert.equal(strangerCount(40, 0), 0);
});

test('splitPeople: seeded, repeatable, disjoint, and in input order', () => {
  const names = Array.from({ length: 40 }, (_, i) => `s${i + 1}`);
  const a = splitPeople(names, 0.25, 7), b = splitPeople(names, 0.25, 7), c = splitPeople(names, 0.25, 8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.strangers, c.strangers);
  assert.equal(a.strangers.length, 10);
  assert.equal(a.known.length, 30);
  assert.deepEqual([...a.known, ...a.strangers].sort(), [...names].sort());
  assert.deepEqual(a.known, names.filter((n) => a.known.includes(n)));
  assert.deepEqual(seededShuffle(names, 3).sort(), [...names].sort());
});

test('enrolAndProbes: the first K with a face enrol, the rest with a face probe, no-face images skipped', () => {
  const images = ['1', '2x', '3', '4', '5x', '6'];
  const hasFace = (name: string) => !name.endsWith('x');
  assert.deepEqual(enrolAndProbes(images, 3, hasFace), { enrol: ['1', '3', '4'], probes: ['6'], noFace: ['2x', '5x'] });
  assert.deepEqual(enrolAndProbes(['1x', '2'], 3, hasFace), { enrol: ['2'], probes: [], noFace: ['1x'] });
});

const probe = (truth: string | null, best: string, similarity: number): ScoredProbe => ({ truth, best, similarity });

test('figures: rank-1 ignores the threshold; DIR needs right and accepted; FAR counts strangers at or above', () => {
  const probes = [
    probe('ada', 'ada', 0.97), // right, accepted
    probe('ada', 'ada', 0.93), // right, rejected at 0.95
    probe('bob', 'ada', 0.96), // wrong, accepted
    probe('bob', 'bob', 0.95), // right, exactly at the threshold: accepted
    probe(null, 'ada', 0.95), // stranger at the threshold: accepted
    probe(null, 'bob', 0.90),
    probe(null, 'bob', 0.80),
    probe(null, 'ada', 0.85),
  ];
  const f = openSetFigures(probes, 0.95, 0.25);
  assert.equal(f.knownProbes, 4);
  assert.equal(f.strangerProbes, 4);
  assert.equal(f.rank1, 3 / 4);
  assert.equal(f.dir, 2 / 4);
  assert.equal(f.wrongAccept, 1 / 4);
  assert.equal(f.far, 1 / 4);
  // 25% of 4 strangers: one may be accepted, so the threshold sits just above the second highest (0.90).
  assert.ok(f.farThreshold! > 0.90 && f.farThreshold! < 0.9000001, String(f.farThreshold));
  assert.equal(f.farReached, 1 / 4);
  assert.equal(f.dirAtFar, 3 / 4); // the 0.93 probe is now accepted; the wrong 0.96 one still is not right
});

test('thresholdAtFar: at most floor(rate * n) strangers accepted; none when too few strangers for the rate', () => {
  const strangers = Array.from({ length: 50 }, (_, i) => probe(null, 'x', 0.5 + i / 100)); // 0.50 .. 0.99
  const t = thresholdAtFar(strangers, 0.01)!; // 1% of 50 = 0.5: none may be accepted
  assert.ok(t > 0.99);
  assert.equal(farAt(strangers, t), 0);
  const t4 = thresholdAtFar(strangers, 0.08)!; // 4 may be accepted: just above the fifth highest
  assert.equal(farAt(strangers, t4), 4 / 50);
  assert.ok(t4 > 0.95 && t4 < 0.96); // 0.99, 0.98, 0.97, 0.96 accepted, 0.95 not
  assert.equal(thresholdAtFar([], 0.01), null);
  assert.equal(farAt([], 0.5), null);
  assert.equal(dirAt([], 0.5), 0);
  // Ties at the cut accept fewer than allowed, never more.
  const tied = [probe(null, 'x', 0.9), probe(null, 'x', 0.9), probe(null, 'x', 0.9), probe(null, 'x', 0.1)];
  assert.equal(farAt(tied, thresholdAtFar(tied, 0.5)!), 0);
});

test('chooseFace: the largest box, or the one nearest the centre; null without faces', () => {
  const face = (x: number, y: number, size: number) => ({ box: { x, y, width: size, height: size }, score: 0.9, embedding: new Float32Array(2) });
  const image: ImageFaces = { width: 250, height: 250, faces: [face(0, 0, 120), face(100, 100, 50)] };
  assert.equal(chooseFace(image, 'largest'), image.faces[0]);
  assert.equal(chooseFace(image, 'centre'), image.faces[1]);
  assert.equal(chooseFace({ width: 10, height: 10, faces: [] }, 'largest'), null);
});

// End to end on the 40 bbt crops (a few seconds): the figures in --json, then the same again from
// the --cache file without loading a model.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/openset.ts', ...args], { cwd: repo });

test('bench:openset on bbt: --json figures, and a second run from --cache', { skip: skipUnless('bbt', 'people') }, async () => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'visage-openset-test-'));
  try {
    const args = ['--parts', 'bbt', '--json', '--threshold', '0.93', '--sweep', '0.9,0.95', '--splits', '2', '--cache', path.join(folder, 'cache.json')];
    const first = await run(args);
    const out = JSON.parse(first.stdout);
    assert.equal(out.threshold, 0.93);
    assert.equal(out.threshold_source, 'from --threshold');
    assert.deepEqual(out.results.map((r: { part: string; strategy: string }) => `${r.part} ${r.strategy}`), ['bbt best-face', 'bbt mean-template']);
    const row = out.results[0];
    for (const key of ['system', 'part', 'rank1', 'far', 'dir', 'threshold', 'threshold_at_far', 'dir_at_far', 'no_face', 'no_face_policy']) assert.ok(key in row, key);
    assert.equal(row.known_people, 6);
    assert.equal(row.strangers, 2);
    assert.equal(row.enrolled_faces + row.no_face_enrol, 18); // per split
    assert.equal(row.known_probes + row.stranger_probes + row.enrolled_faces * 2 + row.no_face * 2, 80); // 2 splits of 40 images
    assert.ok(row.rank1 >= 80, `rank-1 ${row.rank1}%`);
    assert.ok(row.far_reached <= 1);
    assert.deepEqual(row.sweep.map((s: { threshold: number }) => s.threshold), [0.9, 0.95]);
    assert.equal(out.parts.length, 2);
    const second = await run(args);
    assert.match(second.stderr, /all 40 images from the cache/);
    assert.deepEqual(JSON.parse(second.stdout).results, out.results);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
