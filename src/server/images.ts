// Images and fields out of a request: multipart/form-data (files and text fields), JSON with
// base64 images (plain or data: URLs), or a raw image body (image/jpeg, ..., octet-stream).
// Images stay bytes in memory all the way to the library: a request never names a file.
import type { FastifyRequest } from 'fastify';
import { VisageError, shown } from '../errors.ts';

export interface Upload {
  data: Buffer;
  /** The client's file name, reduced to a safe base name (informational only). */
  filename: string | null;
}

export interface RequestInput {
  files: Map<string, Upload[]>;
  fields: Record<string, string>;
}

export interface UploadLimits {
  /** Bytes per image. */
  maxImageBytes: number;
  /** Images per request. */
  maxImages: number;
  /** Largest request body, bytes (JSON with base64 images, multipart, raw image): multipart counted as it streams. */
  maxBodyBytes: number;
}

/** Text fields of a multipart request (threshold, k, subject ...): short values only. */
export const MAX_FIELD_BYTES = 4096;

/** busboy's limits for a multipart request: the plugin's defaults and each reading use these. */
export function multipartLimits(limits: UploadLimits) {
  return { fileSize: limits.maxImageBytes, files: limits.maxImages, fields: 20, fieldSize: MAX_FIELD_BYTES, parts: limits.maxImages + 20, headerPairs: 200 };
}

/** JSON members that hold images (base64); every other scalar member is a field. */
const IMAGE_MEMBERS = new Set(['image', 'images', 'a', 'b']);
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** A client's file name, reduced to letters, digits, dot, dash and underscore (never a path). */
export function safeFileName(name: string | undefined | null): string | null {
  if (!name) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^\p{L}\p{N}._ -]/gu, '_').replace(/^\.+/, '').slice(0, 120).trim();
  return cleaned || null;
}

function decodeBase64(value: unknown, member: string, limits: UploadLimits): Buffer {
  if (typeof value !== 'string') throw new VisageError('VISAGE_ERR_BAD_INPUT', `"${member}" must be a base64 string`);
  let text = value;
  const comma = text.startsWith('data:') ? text.indexOf(',') : -1;
  if (text.startsWith('data:')) {
    if (comma < 0 || !text.slice(0, comma).endsWith(';base64')) throw new VisageError('VISAGE_ERR_BAD_INPUT', `"${member}": a data: URL must be base64`);
    text = text.slice(comma + 1);
  }
  text = text.replace(/\s+/g, '');
  if (!text) throw new VisageError('VISAGE_ERR_BAD_INPUT', `"${member}" is empty`);
  if (!BASE64.test(text)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `"${member}" is not base64`);
  if (Math.floor(text.length * 3 / 4) > limits.maxImageBytes) {
    throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `"${member}": image larger than ${limits.maxImageBytes} bytes`);
  }
  return Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
}

function add(input: RequestInput, name: string, upload: Upload, limits: UploadLimits): void {
  let count = 0;
  for (const list of input.files.values()) count += list.length;
  if (count >= limits.maxImages) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `at most ${limits.maxImages} images per request`);
  if (upload.data.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `"${name}" is empty`);
  if (upload.data.length > limits.maxImageBytes) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `"${name}": image larger than ${limits.maxImageBytes} bytes`);
  const list = input.files.get(name) ?? [];
  list.push(upload);
  input.files.set(name, list);
}

/** Reads every image and field of a request, whichever of the three encodings it uses. */
export async function readInput(request: FastifyRequest, limits: UploadLimits): Promise<RequestInput> {
  const input: RequestInput = { files: new Map(), fields: {} };
  if (request.isMultipart()) {
    // The body limit is enforced here, as the parts stream in: Fastify's bodyLimit does not see
    // multipart bodies, and a request of many parts each under the image limit must not be held
    // whole before it is refused. Chunks are counted as they arrive; past maxBodyBytes, 413.
    let total = 0;
    const count = (bytes: number) => {
      total += bytes;
      if (total > limits.maxBodyBytes) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `request body larger than ${limits.maxBodyBytes} bytes`);
    };
    try {
      for await (const part of request.parts({ limits: multipartLimits(limits) })) {
        if (part.type === 'file') {
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of part.file as AsyncIterable<Buffer>) {
            count(chunk.length);
            if (part.file.truncated) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `"${part.fieldname.slice(0, 40)}": image larger than ${limits.maxImageBytes} bytes`);
            size += chunk.length;
            chunks.push(chunk);
          }
          if (part.file.truncated) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `"${part.fieldname.slice(0, 40)}": image larger than ${limits.maxImageBytes} bytes`);
          add(input, part.fieldname, { data: Buffer.concat(chunks, size), filename: safeFileName(part.filename) }, limits);
        } else {
          const value = String(part.value ?? '');
          count(Buffer.byteLength(value));
          if (part.valueTruncated) throw new VisageError('VISAGE_ERR_PAYLOAD_TOO_LARGE', `field "${part.fieldname.slice(0, 40)}" longer than ${MAX_FIELD_BYTES} bytes`);
          input.fields[part.fieldname] = value;
        }
      }
    } catch (error) {
      const e = error as { statusCode?: number; code?: string };
      if (error instanceof VisageError || typeof e.statusCode === 'number') throw error;
      // busboy's complaints about a broken body ("Unexpected end of form", a bad boundary ...).
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `malformed multipart body: ${(error as Error).message.slice(0, 200)}`);
    }
    return input;
  }
  const body = request.body;
  if (Buffer.isBuffer(body)) {
    add(input, 'image', { data: body, filename: null }, limits);
  } else if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [member, value] of Object.entries(body as Record<string, unknown>)) {
      if (IMAGE_MEMBERS.has(member)) {
        const values = Array.isArray(value) ? value : [value];
        if (member !== 'images' && Array.isArray(value)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `"${member}" holds one image; use "images" for several`);
        for (const v of values) add(input, member === 'images' ? 'image' : member, { data: decodeBase64(v, member, limits), filename: null }, limits);
      } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        input.fields[member] = String(value);
      } else if (value !== null && value !== undefined) {
        input.fields[member] = JSON.stringify(value);
      }
    }
  } else if (body !== undefined && body !== null) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', 'the JSON body must be an object');
  }
  return input;
}

/** The one image named `name` (a usage error when absent or repeated). */
export function oneImage(input: RequestInput, name: string): Upload {
  const list = input.files.get(name);
  if (!list?.length) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no image "${name}" in the request (multipart file field, base64 JSON member or raw image body)`);
  if (list.length > 1) throw new VisageError('VISAGE_ERR_BAD_INPUT', `one image "${name}" expected, got ${list.length}`);
  return list[0]!;
}

/** A field from the body or the query string (the body wins). */
export function field(request: FastifyRequest, input: RequestInput | null, name: string): string | undefined {
  const fromBody = input?.fields[name];
  if (fromBody !== undefined) return fromBody;
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
}

export function numberField(request: FastifyRequest, input: RequestInput | null, name: string, min: number, max: number, integer = false): number | undefined {
  const text = field(request, input, name);
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${shown(text)}`);
  }
  return value;
}

export function booleanField(request: FastifyRequest, input: RequestInput | null, name: string): boolean | undefined {
  const text = field(request, input, name);
  if (text === undefined || text === '') return undefined;
  if (['true', '1', 'yes', 'on'].includes(text.toLowerCase())) return true;
  if (['false', '0', 'no', 'off'].includes(text.toLowerCase())) return false;
  throw new VisageError('VISAGE_ERR_BAD_INPUT', `${name} must be true or false, got ${shown(text)}`);
}

// Thumbnails are made by the library (the job workers make the same ones).
export { faceThumbnail, THUMBNAIL_SIZE } from '../report/face-thumbnail.ts';
