// The structure holds: no import cycles in src/, and no import against the floors (library ->
// CLI/server, run time -> converter, converter -> run time). Runs in CI with the other tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cycles, floorViolations, readImportGraph, type ImportGraph } from './import-graph.ts';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

test('src/ has no import cycles', () => {
  const graph = readImportGraph(src);
  assert.ok(graph.size > 100, `read ${graph.size} modules`);
  assert.deepEqual(cycles(graph), []);
});

test('no import goes against the floors', () => {
  assert.deepEqual(floorViolations(readImportGraph(src)), []);
});

test('the checks find what they look for (a loop of three, a library module importing the CLI)', () => {
  const graph: ImportGraph = new Map([
    ['face/a.ts', new Set(['face/b.ts'])],
    ['face/b.ts', new Set(['gallery/c.ts'])],
    ['gallery/c.ts', new Set(['face/a.ts', 'cli/main.ts'])],
    ['cli/main.ts', new Set(['face/a.ts'])],
    ['convert/x.ts', new Set()],
    ['runtime/engine.ts', new Set(['convert/x.ts'])],
  ]);
  assert.deepEqual(cycles(graph), [['cli/main.ts', 'face/a.ts', 'face/b.ts', 'gallery/c.ts']]);
  assert.deepEqual(floorViolations(graph), [
    'gallery/c.ts -> cli/main.ts (the library never depends on its shells (CLI, server))',
    'runtime/engine.ts -> convert/x.ts (running models never needs the converter)',
  ]);
});
