// The JSON every command prints or writes (--json, report.json, ...): objects indented by two
// spaces, but on one line an array of numbers (an embedding) or of points, a box, a point, a
// pose, and any other short flat object or array. JSON.stringify(v, null, 2) put one number per
// line: `analyze --json --embeddings` of six faces took 35 KB, most of it newlines and spaces.
//
// Numbers: measurements in pixels or degrees (x, y, width, height, size, sharpness, yaw, pitch,
// roll) are rounded to 1/100, far finer than any detector places a box; embeddings (float32 in
// the models) are written with the fewest digits that give back the same float32; scores and
// similarities are left exact, so that one compared with its threshold decides the same way.

const HUNDREDTHS = new Set(['x', 'y', 'width', 'height', 'size', 'sharpness', 'yaw', 'pitch', 'roll']);
const INDENT = '  ';

/** `value` as JSON text in the CLI's layout, with a final newline. */
export function formatJson(value: unknown): string {
  const plain = toPlain(value, '', false);
  return `${plain === undefined ? 'null' : block(plain, '')}\n`;
}

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** JSON.stringify's rules (toJSON, undefined and functions dropped, non-finite numbers null), with the rounding above. */
function toPlain(value: unknown, key: string, embedding: boolean): Plain | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  if (value === null) return null;
  switch (typeof value) {
    case 'number': return number(value, key, embedding);
    case 'bigint': throw new TypeError('formatJson: a BigInt cannot be written as JSON');
    case 'string': case 'boolean': return value;
    case 'object': break;
    default: return undefined;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return Array.from(value as ArrayLike<unknown>, (item) => toPlain(item, key, embedding) ?? null);
  }
  const out: { [key: string]: Plain } = {};
  for (const [k, v] of Object.entries(value as object)) {
    const plain = toPlain(v, k, embedding || k === 'embeddings' || k === 'embedding');
    if (plain !== undefined) out[k] = plain;
  }
  return out;
}

function number(value: number, key: string, embedding: boolean): number | null {
  if (!Number.isFinite(value)) return null;
  if (Number.isInteger(value)) return value;
  if (embedding) return Number(Math.fround(value).toPrecision(9));
  if (HUNDREDTHS.has(key)) return Math.round(value * 100) / 100;
  return value;
}

const isScalar = (v: Plain): boolean => v === null || typeof v !== 'object';
const isNumber = (v: Plain): boolean => v === null || typeof v === 'number';
const isObject = (v: Plain): v is { [key: string]: Plain } => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A point, a box, a pose: numbers only. */
const isNumericObject = (v: Plain): boolean => isObject(v) && Object.values(v).every(isNumber);
const SHORT = 100;

/**
 * On one line: scalars; arrays of numbers or of numeric objects (embeddings, 68 landmarks),
 * whatever their length; other arrays of scalars and flat objects when they are short.
 */
function fitsOneLine(v: Plain): boolean {
  if (isScalar(v)) return true;
  if (Array.isArray(v)) {
    if (v.every(isNumber) || v.every(isNumericObject)) return true;
    return v.every(isScalar) && line(v).length <= SHORT;
  }
  return isNumericObject(v) || (Object.values(v!).every(isScalar) && line(v).length <= SHORT);
}

function line(v: Plain): string {
  if (isScalar(v)) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(line).join(', ')}]`;
  const entries = Object.entries(v!);
  return entries.length ? `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${line(x)}`).join(', ')} }` : '{}';
}

function block(v: Plain, indent: string): string {
  if (fitsOneLine(v)) return line(v);
  const inner = indent + INDENT;
  if (Array.isArray(v)) return `[\n${v.map((item) => inner + block(item, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(v!);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${block(x, inner)}`).join(',\n')}\n${indent}}`;
}
