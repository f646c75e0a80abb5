// The JSON form of fitted models, and its checks. Weight matrices are stored as base64 of
// little-endian float64, which round-trips every weight exactly (identical predictions after
// loading) at about 11 characters per number instead of ~19 for decimal text.
import { VisageError } from '../errors.ts';

export const MODEL_VERSION = 1;

export interface MatrixJson {
  readonly rows: number;
  readonly cols: number;
  /** base64 of rows * cols little-endian float64, row-major. */
  readonly float64: string;
}

export function bad(message: string): never {
  throw new VisageError('VISAGE_ERR_BAD_CLASSIFIER', message);
}

export function encodeMatrix(values: Float64Array, rows: number, cols: number): MatrixJson {
  const bytes = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i], i * 8);
  return { rows, cols, float64: bytes.toString('base64') };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeMatrix(json: unknown, what: string, rows?: number, cols?: number): { values: Float64Array; rows: number; cols: number } {
  const m = object(json, what);
  const r = integer(m.rows, `${what}.rows`, 0);
  const c = integer(m.cols, `${what}.cols`, 0);
  if (rows !== undefined && r !== rows) bad(`${what}: ${r} rows, expected ${rows}`);
  if (cols !== undefined && c !== cols) bad(`${what}: ${c} columns, expected ${cols}`);
  if (typeof m.float64 !== 'string' || !BASE64.test(m.float64)) bad(`${what}.float64: expected base64 text`);
  const bytes = Buffer.from(m.float64, 'base64');
  if (bytes.length !== r * c * 8) bad(`${what}: ${bytes.length} bytes of data for ${r} x ${c} float64`);
  const values = new Float64Array(r * c);
  for (let i = 0; i < values.length; i++) {
    values[i] = bytes.readDoubleLE(i * 8);
    if (!Number.isFinite(values[i])) bad(`${what}: value ${i} is not finite`);
  }
  return { values, rows: r, cols: c };
}

export function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(`${what}: expected an object`);
  return value as Record<string, unknown>;
}

export function integer(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) bad(`${what}: expected a whole number >= ${min}`);
  return value;
}

export function finite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${what}: expected a finite number`);
  return value;
}

export function stringArray(value: unknown, what: string, minLength: number): string[] {
  if (!Array.isArray(value) || value.length < minLength) bad(`${what}: expected at least ${minLength} names`);
  for (const item of value) if (typeof item !== 'string' || item.length === 0) bad(`${what}: every name must be a non-empty string`);
  if (new Set(value).size !== value.length) bad(`${what}: names repeat`);
  return value as string[];
}

/** The envelope every model JSON shares: { format, version, ... }. */
export function checkEnvelope(json: unknown, format: string): Record<string, unknown> {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (error) {
      bad(`not JSON: ${(error as Error).message}`);
    }
  }
  const model = object(json, 'model');
  if (model.format !== format) bad(`model: format ${JSON.stringify(model.format)}, expected "${format}"`);
  if (model.version !== MODEL_VERSION) bad(`model: version ${JSON.stringify(model.version)} is not supported (this Visage reads version ${MODEL_VERSION})`);
  return model;
}
