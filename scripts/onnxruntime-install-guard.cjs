#!/usr/bin/env node
// Visage's preinstall step: keeps onnxruntime-node's postinstall from going to the network.
//
// onnxruntime-node's postinstall (script/install.js) runs when it is installed as a dependency. On
// linux/x64 it then wants three CUDA 12 provider libraries next to its CPU binary and, when they are
// missing, fetches them from NuGet; offline, the whole `npm install` fails. It skips the fetch when
// told to (`--onnxruntime-node-install=skip`, ONNXRUNTIME_NODE_INSTALL=skip) or when the three files
// are already there. A dependency cannot set the first for its dependent project, so this step, which
// npm runs before any package's postinstall, puts empty placeholders where those files go.
// Visage runs on the CPU only and never loads them.
//
// It leaves everything alone when the project chose for itself (any onnxruntime-node install
// setting or variable), off linux/x64, when the files exist, or when onnxruntime-node is not found.
// It never fails the install: the worst case is onnxruntime-node's own behaviour.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const PROVIDER_FILES = [
  'libonnxruntime_providers_cuda.so',
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_tensorrt.so',
];
const SETTINGS = [
  'ONNXRUNTIME_NODE_INSTALL',
  'ONNXRUNTIME_NODE_INSTALL_CUDA',
  'npm_config_onnxruntime_node_install',
  'npm_config_onnxruntime_node_install_cuda',
];

function onnxruntimeDir() {
  // From Visage's own folder, as Node would resolve it at run time (nested or hoisted).
  try {
    return path.dirname(require.resolve('onnxruntime-node/package.json', { paths: [path.join(__dirname, '..')] }));
  } catch {
    return null;
  }
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'not linux/x64';
  const chosen = SETTINGS.find((name) => process.env[name]);
  if (chosen) return `${chosen} is set`;
  const dir = onnxruntimeDir();
  if (!dir) return 'onnxruntime-node not found';
  const bin = path.join(dir, 'bin', 'napi-v6', 'linux', 'x64');
  if (!fs.existsSync(path.join(bin, 'onnxruntime_binding.node'))) return 'no CPU binary where expected';
  const missing = PROVIDER_FILES.filter((file) => !fs.existsSync(path.join(bin, file)));
  for (const file of missing) fs.writeFileSync(path.join(bin, file), '');
  return missing.length ? `placeholders for ${missing.length} CUDA provider files` : 'nothing missing';
}

try {
  const outcome = main();
  if (process.env.VISAGE_INSTALL_DEBUG) console.error(`visage preinstall: ${outcome}`);
} catch (error) {
  console.error(`visage preinstall: left onnxruntime-node as it is (${error.message})`);
}
