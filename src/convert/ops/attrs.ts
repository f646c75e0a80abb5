// Decoding of TF.js graph-model node attributes. In model.json they keep the JSON form of
// TensorFlow's AttrValue proto: {i: "1"}, {f: 0.5}, {b: true}, {s: <base64>}, {type: "DT_FLOAT"},
// {shape: {dim: [{size: "-1"}]}} and {list: {i: [...], s: [...], f: [...]}}.
import type { TfjsGraphNode } from '../tfjs/weights.ts';

type RawAttr = Record<string, any> | undefined;

function raw(node: TfjsGraphNode, name: string): RawAttr {
  return node.attr?.[name];
}

function decodeString(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

export function attrInt(node: TfjsGraphNode, name: string, fallback?: number): number {
  const a = raw(node, name);
  if (a?.i !== undefined) return Number(a.i);
  if (fallback !== undefined) return fallback;
  throw new Error(`node "${node.name}" (${node.op}): missing int attribute "${name}"`);
}

export function attrFloat(node: TfjsGraphNode, name: string, fallback?: number): number {
  const a = raw(node, name);
  if (a?.f !== undefined) return Number(a.f);
  if (fallback !== undefined) return fallback;
  throw new Error(`node "${node.name}" (${node.op}): missing float attribute "${name}"`);
}

export function attrBool(node: TfjsGraphNode, name: string, fallback = false): boolean {
  const a = raw(node, name);
  return a?.b !== undefined ? Boolean(a.b) : fallback;
}

export function attrString(node: TfjsGraphNode, name: string, fallback?: string): string {
  const a = raw(node, name);
  if (a?.s !== undefined) return decodeString(a.s);
  if (fallback !== undefined) return fallback;
  throw new Error(`node "${node.name}" (${node.op}): missing string attribute "${name}"`);
}

export function attrInts(node: TfjsGraphNode, name: string, fallback?: number[]): number[] {
  const a = raw(node, name);
  if (a?.list) return (a.list.i ?? []).map(Number);
  if (fallback !== undefined) return fallback;
  throw new Error(`node "${node.name}" (${node.op}): missing int list attribute "${name}"`);
}

export function attrStrings(node: TfjsGraphNode, name: string): string[] {
  const a = raw(node, name);
  return (a?.list?.s ?? []).map(decodeString);
}

/** A Placeholder's shape, -1 for unknown dimensions; undefined when the rank is unknown. */
export function attrShape(node: TfjsGraphNode, name = 'shape'): number[] | undefined {
  const a = raw(node, name);
  if (!a?.shape || a.shape.unknownRank) return undefined;
  return (a.shape.dim ?? []).map((d: { size?: string | number }) => Number(d.size ?? -1));
}

export function attrType(node: TfjsGraphNode, name: string): string | undefined {
  return raw(node, name)?.type;
}
