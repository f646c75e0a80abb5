// visage cluster: celeb5's validation photos grouped by person (JSON, report, contact sheet), a
// second run from the cache, then name / merge / split / not on the command line; bad input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { tempDir, visage } from '../helpers/cli.ts';
import { resolveConfig } from '../../src/config.ts';

const skip = skipUnless('celeb5', 'val');
let temp: Awaited<ReturnType<typeof tempDir>>;
before(async () => { temp = await tempDir(); });
after(() => temp.remove());

test('visage cluster --json: clusters of one person each, the contact sheet, and the corrections', { skip, timeout: 300_000 }, async () => {
  const out = path.join(temp.dir, 'out'), cache = path.join(temp.dir, 'cache'), db = path.join(temp.dir, 'g.db');
  const run = () => visage(['cluster', dataset('celeb5', 'val'), '--out', out, '--cache', cache, '--json']);
  const first = await run();
  assert.equal(first.code, 0, first.stderr);
  const document = JSON.parse(first.stdout);
  assert.ok(document.clusters.length >= 4);
  for (const c of document.clusters) {
    assert.match(c.id, /^c\d+$/);
    assert.equal(new Set(c.faces.map((f: { file: string }) => path.basename(path.dirname(f.file)))).size, 1, `cluster ${c.id} mixes people`);
    for (const f of c.faces) assert.ok(f.box && f.quality && typeof f.key === 'string');
  }
  assert.ok(Array.isArray(document.unclustered) && Array.isArray(document.setAside));
  assert.match(first.stderr, /25 images, \d+ faces/);
  const html = await readFile(path.join(out, 'index.html'), 'utf8');
  assert.equal(html.match(/<tr>/g)!.length, document.clusters.length, 'one row per cluster');
  assert.ok(existsSync(path.join(out, 'faces', `${document.clusters[0].faces[0].key}.jpg`)));

  const second = await run();
  assert.equal(JSON.parse(second.stdout).analysed, 0, 'the second run reads the cache');
  assert.deepEqual(JSON.parse(second.stdout).clusters.map((c: { id: string }) => c.id), document.clusters.map((c: { id: string }) => c.id));

  const [a, b] = document.clusters;
  const merged = await visage(['cluster', 'merge', a.id, b.id, '--out', out]);
  assert.equal(merged.code, 0, merged.stderr);
  const split = await visage(['cluster', 'split', a.id, ...b.faces.map((f: { key: string }) => f.key), '--out', out, '--json']);
  assert.equal(split.code, 0, split.stderr);
  assert.equal(JSON.parse(split.stdout).clusters.length, document.clusters.length);
  const named = await visage(['cluster', 'name', a.id, 'Someone', '--out', out, '--db', db, '--cache', cache]);
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stderr, new RegExp(`${a.faces.length} face\\(s\\) enrolled`));
  const not = await visage(['cluster', 'not', a.faces[0].key, 'Someone', '--out', out, '--db', db, '--cache', cache]);
  assert.equal(not.code, 0, not.stderr);
  const third = JSON.parse((await visage(['cluster', dataset('celeb5', 'val'), '--out', out, '--cache', cache, '--db', db, '--json'])).stdout);
  const someone = third.matched.find((m: { subject: string }) => m.subject === 'Someone');
  assert.ok(someone && !someone.faces.some((f: { key: string }) => f.key === a.faces[0].key), 'the negative example is not matched');

  const bad = await visage(['cluster', 'merge', 'c999', a.id, '--out', out]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no cluster "c999"/);
  const none = await visage(['cluster', 'name', 'c1', 'x', '--out', path.join(temp.dir, 'nowhere')]);
  assert.equal(none.code, 2);
});

test('visage cluster --preset: fast clusters with the ResNet alone; another preset on the same folder is refused; an unknown preset is a usage error', { skip, timeout: 300_000 }, async () => {
  const out = path.join(temp.dir, 'fast'), cache = path.join(temp.dir, 'cache');
  const fast = await visage(['cluster', dataset('celeb5', 'val'), '--out', out, '--cache', cache, '--preset', 'fast', '--json']);
  assert.equal(fast.code, 0, fast.stderr);
  assert.equal(JSON.parse(fast.stdout).embedder, 'faceapi-recognition');
  const state = JSON.parse(await readFile(path.join(out, 'clusters.json'), 'utf8'));
  assert.equal(state.embedder, 'faceapi-recognition');
  const accurate = await visage(['cluster', dataset('celeb5', 'val'), '--out', out, '--cache', cache, '--preset', 'accurate']);
  if (resolveConfig({ preset: 'accurate' }).embedders[0] !== 'faceapi-recognition') {
    assert.equal(accurate.code, 2, accurate.stderr);
    assert.match(accurate.stderr, /made with embedder faceapi-recognition/);
  }
  const bogus = await visage(['cluster', dataset('celeb5', 'val'), '--out', out, '--preset', 'bogus']);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /preset/);
});

test('visage cluster --embedder fusion3: the three-network fusion with its fitted parameters; with --preset, or an unknown embedder, a usage error', { skip, timeout: 300_000 }, async () => {
  const out = path.join(temp.dir, 'fusion3'), cache = path.join(temp.dir, 'cache');
  const run = await visage(['cluster', dataset('celeb5', 'val'), '--out', out, '--cache', cache, '--embedder', 'fusion3', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const document = JSON.parse(run.stdout);
  assert.equal(document.embedder, 'fusion3');
  assert.equal(document.threshold, 0.865);
  assert.ok(document.clusters.length >= 4);
  for (const c of document.clusters) assert.equal(new Set(c.faces.map((f: { file: string }) => path.basename(path.dirname(f.file)))).size, 1, `cluster ${c.id} mixes people`);
  const both = await visage(['cluster', dataset('celeb5', 'val'), '--out', out, '--embedder', 'fusion3', '--preset', 'fast']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--preset or --embedder/);
  const bogus = await visage(['cluster', dataset('celeb5', 'val'), '--out', path.join(temp.dir, 'bogus'), '--embedder', 'bogus']);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /bogus/);
});
