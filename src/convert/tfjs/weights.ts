// Reads TF.js weight manifests and shards (graph models' model.json and face-api's
// *-weights_manifest.json) and decodes every weight to float32 or int32, undoing
// float16 and uint8/uint16 quantisation.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { halfToFloat } from '../half.ts';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

export interface DecodedTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

export type WeightMap = Map<string, DecodedTensor>;

const BYTES_PER = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 } as Record<string, number>;

function decodeOne(entry: WeightEntry, bytes: Uint8Array): { tensor: DecodedTensor; byteLength: number } {
  const size = entry.shape.reduce((a, b) => a * b, 1);
  const q = entry.quantization;
  const storedType = q ? q.dtype : entry.dtype;
  const width = BYTES_PER[storedType];
  if (!width) throw new Error(`weight ${entry.name}: unsupported stored dtype ${storedType}`);
  const byteLength = size * width;
  if (bytes.length < byteLength) throw new Error(`weight ${entry.name}: shard data ends early`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, byteLength);
  const isInt = entry.dtype === 'int32' || entry.dtype === 'bool';
  const out = isInt ? new Int32Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let value: number;
    switch (storedType) {
      case 'float32': value = view.getFloat32(i * 4, true); break;
      case 'int32': value = view.getInt32(i * 4, true); break;
      case 'bool': value = view.getUint8(i); break;
      case 'float16': value = halfToFloat(view.getUint16(i * 2, true)); break;
      case 'uint8': value = view.getUint8(i); break;
      case 'uint16': value = view.getUint16(i * 2, true); break;
      default: throw new Error(`weight ${entry.name}: unsupported dtype ${storedType}`);
    }
    if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) value = value * (q.scale ?? 1) + (q.min ?? 0);
    out[i] = value;
  }
  return { tensor: { shape: entry.shape, data: out }, byteLength };
}

/** Decodes all weights of a manifest whose shards sit in `dir`. */
export async function readWeights(manifest: WeightGroup[], dir: string): Promise<WeightMap> {
  const map: WeightMap = new Map();
  for (const group of manifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(dir, p))));
    const data = new Uint8Array(Buffer.concat(shards));
    let offset = 0;
    for (const entry of group.weights) {
      const { tensor, byteLength } = decodeOne(entry, data.subarray(offset));
      map.set(entry.name, tensor);
      offset += byteLength;
    }
  }
  return map;
}

/** The shard files a manifest names, for hashing the source of a conversion. */
export function shardPaths(manifest: WeightGroup[], dir: string): string[] {
  return manifest.flatMap((g) => g.paths.map((p) => path.join(dir, p)));
}

export interface TfjsGraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, any>;
}

export interface TfjsGraphModel {
  topology: { node: TfjsGraphNode[] };
  weights: WeightMap;
  signature?: any;
  files: string[];
}

/** Reads a TF.js graph model (model.json + shards). */
export async function readGraphModel(modelJsonPath: string): Promise<TfjsGraphModel> {
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  if (json.format !== 'graph-model' || !json.modelTopology?.node) {
    throw new Error(`${path.basename(modelJsonPath)} is not a TF.js graph model`);
  }
  const dir = path.dirname(modelJsonPath);
  return {
    topology: json.modelTopology,
    weights: await readWeights(json.weightsManifest, dir),
    signature: json.signature ?? json.userDefinedMetadata?.signature,
    files: [modelJsonPath, ...shardPaths(json.weightsManifest, dir)],
  };
}

/** Reads a face-api weights manifest and its shards. */
export async function readWeightsManifest(manifestPath: string): Promise<{ weights: WeightMap; files: string[] }> {
  const manifest: WeightGroup[] = JSON.parse(await readFile(manifestPath, 'utf8'));
  const dir = path.dirname(manifestPath);
  return { weights: await readWeights(manifest, dir), files: [manifestPath, ...shardPaths(manifest, dir)] };
}
