#!/usr/bin/env node
// npm run build (and prepare): src/ -> dist/ (ESM JavaScript, .d.ts, source maps) with TypeScript,
// then the files tsc does not emit: the inference lane worker and the web page.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = ['runtime/lane-worker.mjs', 'server/web'];

let tsc;
try {
  tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  // An installed package (dist/ shipped, no development tools) has nothing to build.
  if (existsSync(path.join(root, 'dist', 'index.js')) && !existsSync(path.join(root, 'src'))) process.exit(0);
  console.error('visage build: TypeScript is not installed (it is a development dependency: run npm install in the repository)');
  process.exit(1);
}
const started = Date.now();
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error('visage build: tsc failed');
  process.exit(result.status ?? 1);
}
for (const asset of ASSETS) {
  cpSync(path.join(root, 'src', asset), path.join(root, 'dist', asset), { recursive: true });
}
console.error(`visage build: dist/ written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
