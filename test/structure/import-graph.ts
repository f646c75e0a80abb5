// The import graph of src/: which module imports which (static, dynamic and type-only imports all
// count, since each couples two rooms), its cycles, and imports that go against the floors.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export type ImportGraph = Map<string, Set<string>>;

const SPECIFIER = /(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Every .ts/.mjs file under `src`, keyed by its path relative to `src`, with the files it imports. */
export function readImportGraph(src: string): ImportGraph {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) files.push(full);
    }
  };
  walk(src);
  const known = new Set(files.map((f) => path.relative(src, f)));
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const from = path.relative(src, file);
    const targets = new Set<string>();
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (!specifier.startsWith('.')) continue;
      const target = path.normalize(path.join(path.dirname(from), specifier));
      const candidates = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, path.join(target, 'index.ts')];
      const hit = candidates.find((c) => known.has(c));
      if (hit) targets.add(hit);
      else if (!target.startsWith('..')) throw new Error(`${from} imports ${specifier}, which is not a file under src/`);
    }
    graph.set(from, targets);
  }
  return graph;
}

/** Groups of modules that import each other, directly or round a loop (Tarjan's components of size > 1). */
export function cycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** A rule: modules under `from` must not import modules under any of `mustNotImport`. */
export interface FloorRule { from: RegExp; mustNotImport: RegExp; why: string }

export const FLOOR_RULES: readonly FloorRule[] = [
  { from: /^(face|gallery|recognition|classify|learn|eval|models|runtime|report|convert|jobs)\//, mustNotImport: /^(cli|server)\//, why: 'the library never depends on its shells (CLI, server)' },
  { from: /^(face|runtime|gallery|recognition|classify|report)\//, mustNotImport: /^convert\//, why: 'running models never needs the converter' },
  { from: /^(face|gallery|recognition|runtime|models|cluster|jobs)\//, mustNotImport: /^classify\//, why: 'training sits above recognition: what both use (the embedding cache, the cached face source) lives in recognition/' },
  { from: /^convert\//, mustNotImport: /^(face|runtime|gallery|recognition|classify)\//, why: 'the converter stands alone' },
  { from: /^(?!cli\/|server\/|public\/|index\.ts$)/, mustNotImport: /^(public\/|index\.ts$)/, why: 'the public entries only re-export; inside, modules import each other directly' },
];

/** Imports that break a rule, as "a -> b (why)". */
export function floorViolations(graph: ImportGraph, rules: readonly FloorRule[] = FLOOR_RULES): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    for (const target of targets) {
      for (const rule of rules) {
        if (rule.from.test(from) && rule.mustNotImport.test(target)) found.push(`${from} -> ${target} (${rule.why})`);
      }
    }
  }
  return found.sort();
}
