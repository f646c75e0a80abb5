#!/usr/bin/env node
// Installs Visage as a user's project would: `npm pack` this repository (which builds it), then
// `npm install <tarball>` into APP_DIR, a new project with no .npmrc and none of the repository's
// npm settings. Used by the install test (test/package) and by the Dockerfile, so the container is
// built by the same steps CI runs.
//
//   node scripts/install-packed.mjs APP_DIR [--prepare-models DIR] [--json]
//
// --prepare-models DIR then converts every model the installed packages provide into DIR with the
// installed `visage models prepare`, so that the project (or image) never converts at run time.
// Prints what it did (tarball, sizes, seconds) on stderr, or as JSON on stdout with --json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const modelsAt = args.indexOf('--prepare-models');
const modelsArg = modelsAt >= 0 ? args[modelsAt + 1] : undefined;
const appArg = args.find((a, i) => !a.startsWith('--') && i !== modelsAt + 1);
if (!appArg || (modelsAt >= 0 && !modelsArg)) {
  console.error('usage: node scripts/install-packed.mjs APP_DIR [--prepare-models DIR] [--json]');
  process.exit(2);
}
const app = path.resolve(appArg);

/** The environment of a fresh shell: none of the npm_* settings of an npm script we may run under. */
function cleanEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || /^ONNXRUNTIME_NODE_INSTALL/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function run(command, commandArgs, cwd) {
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    console.error(`install-packed: ${command} ${commandArgs.join(' ')} failed in ${cwd} (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
  return { stdout: result.stdout, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
}

function sizeOf(dir) {
  let bytes = 0;
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop();
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile()) bytes += statSync(full).size;
    }
  }
  return bytes;
}

const packDir = mkdtempSync(path.join(os.tmpdir(), 'visage-pack-'));
const pack = run('npm', ['pack', '--json', '--pack-destination', packDir], root);
const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
const tarball = path.join(packDir, packed.filename);

mkdirSync(app, { recursive: true });
if (!existsSync(path.join(app, 'package.json'))) {
  writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name: 'visage-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
}
const install = run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], app);
rmSync(packDir, { recursive: true, force: true });
const prepared = modelsArg
  ? run(path.join(app, 'node_modules', '.bin', 'visage'), ['models', 'prepare', '--dir', path.resolve(modelsArg), '--json'], app)
  : null;

const summary = {
  tarball: packed.filename,
  tarballBytes: packed.size,
  unpackedBytes: packed.unpackedSize,
  files: packed.files.length,
  packSeconds: pack.seconds,
  installSeconds: install.seconds,
  nodeModulesBytes: sizeOf(path.join(app, 'node_modules')),
  models: prepared ? { dir: path.resolve(modelsArg), seconds: prepared.seconds, ...JSON.parse(prepared.stdout) } : null,
  installOutput: install.stderr.split('\n').filter((line) => line.trim()).slice(-20),
};
if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
else {
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.error(`packed ${summary.tarball}: ${mb(summary.tarballBytes)} (${summary.files} files, ${mb(summary.unpackedBytes)} unpacked) in ${summary.packSeconds.toFixed(0)} s`);
  console.error(`installed into ${app} in ${summary.installSeconds.toFixed(0)} s: node_modules ${mb(summary.nodeModulesBytes)}`);
  if (summary.models) {
    const ready = summary.models.models.filter((m) => m.status !== 'failed' && !m.status.startsWith('skipped'));
    console.error(`models prepared in ${summary.models.dir}: ${ready.length} of ${summary.models.models.length} in ${summary.models.seconds.toFixed(0)} s`);
  }
}
