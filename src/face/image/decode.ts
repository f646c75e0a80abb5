// Any image input -> upright 8-bit sRGB pixels, within memory limits. sharp (libvips) decodes:
// it reads the header first, so a size check costs nothing, and it shrinks while decoding
// (JPEG/WebP shrink-on-load, streaming otherwise), so a 100-megapixel photo never has to sit
// in memory at full size.
import { constants as fsConstants } from 'node:fs';
import { access, open as openFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { VisageError, type ErrorCode } from '../../errors.ts';
import type { RgbImage } from '../../types.ts';
import { isVideoName, VIDEO_SNIFF_BYTES, videoContainer, videoNotImageError } from './video.ts';

/** Pixels already decoded: interleaved 8-bit grey, RGB or RGBA, row by row. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/**
 * Marks raw RGB pixels whose buffer nobody changes while Visage reads it (a video frame: a fresh
 * buffer per frame, never written after). loadImage then reads them in place instead of copying
 * them first: a 1080p frame is 6 MB, and video passes each one to detect, checkFaces and analyze.
 * The mark is a symbol: it does not cross to a worker thread, where the pixels are a copy anyway.
 */
export const UNSHARED_PIXELS = Symbol('visage.unsharedPixels');

export function unsharedPixels<T extends RawPixels>(pixels: T): T & { [UNSHARED_PIXELS]: true } {
  return Object.assign(pixels, { [UNSHARED_PIXELS]: true as const });
}

/** A file path, an encoded image in memory (JPEG, PNG, WebP, GIF, TIFF, AVIF), or raw pixels. */
export type ImageInput = string | Uint8Array | RawPixels;

export interface LoadImageOptions {
  /**
   * Refuse images whose header says they have more pixels than this (VISAGE_ERR_IMAGE_TOO_LARGE),
   * before anything is decoded: the guard against decompression bombs.
   */
  maxInputPixels?: number;
  /** Larger images are shrunk while decoding to fit within this many pixels (aspect kept). */
  maxWorkingPixels?: number;
}

export interface LoadedImage extends RgbImage {
  /** Size of the upright image at full resolution. */
  originalWidth: number;
  originalHeight: number;
  /**
   * `width / originalWidth`: 1 unless the image was shrunk to `maxWorkingPixels`. Divide
   * coordinates found in this image by it to get original pixels (the vertical ratio differs
   * from it by less than one pixel's rounding).
   */
  scale: number;
}

export const IMAGE_DEFAULTS: Readonly<Required<LoadImageOptions>> = Object.freeze({
  // 200 MP: above any camera in use (the largest phone sensors give 200 MP) and below sharp's
  // own limit of 268 MP; a header claiming more is almost surely a bomb or a mistake.
  maxInputPixels: 200_000_000,
  // 40 MP (e.g. 7700x5200) is 120 MB of RGB, and keeps the full resolution of nearly every
  // camera photo, so small faces in group photos survive; larger images gain nothing for faces.
  maxWorkingPixels: 40_000_000,
});

// Formats accepted from files and buffers. libvips can read more (SVG, PDF, FITS, ...), but
// those are no photographs, and each extra loader is more parser exposed to untrusted input.
const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);
const BLACK = { r: 0, g: 0, b: 0 };

/**
 * Loads an image as upright (EXIF orientation applied) 8-bit sRGB RGB. Grey is repeated into
 * three channels, CMYK and 16-bit are converted, only the first frame of an animation is read,
 * and alpha is flattened onto black: the colour stored under transparent pixels is whatever the
 * encoder left there, and black is also what crop() and letterbox() pad with, i.e. "no picture".
 */
export async function loadImage(input: ImageInput, options: LoadImageOptions = {}): Promise<LoadedImage> {
  const limits = resolveOptions(options);
  if (typeof input === 'string') return decodeFile(input, limits);
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'image buffer is empty');
    return decodeEncoded(input, `image buffer (${input.length} bytes)`, limits);
  }
  if (input && typeof input === 'object' && 'data' in input) return fromRawPixels(input, limits);
  throw new VisageError('VISAGE_ERR_BAD_INPUT', `image must be a file path, a Buffer or { data, width, height, channels }, got ${describe(input)}`);
}

function resolveOptions(options: LoadImageOptions): Required<LoadImageOptions> {
  if (options === null || typeof options !== 'object') {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', 'loadImage options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!(key in IMAGE_DEFAULTS)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `unknown loadImage option '${key}'`);
  }
  const resolved = { ...IMAGE_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) resolved[key as keyof LoadImageOptions] = value;
  }
  for (const key of Object.keys(IMAGE_DEFAULTS) as (keyof LoadImageOptions)[]) {
    const value = resolved[key];
    if (typeof value !== 'number' || !(value >= 1)) {
      throw new VisageError('VISAGE_ERR_BAD_OPTION', `${key} must be a number of pixels >= 1 (Infinity for no limit), got ${String(value)}`);
    }
  }
  return resolved;
}

async function decodeFile(path: string, limits: Required<LoadImageOptions>): Promise<LoadedImage> {
  if (path === '') throw new VisageError('VISAGE_ERR_BAD_INPUT', 'image path is empty');
  let info;
  try {
    info = await stat(path);
    if (info.isFile()) await access(path, fsConstants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new VisageError('VISAGE_ERR_IMAGE_NOT_FOUND', `image not found: ${path}`, { cause: error });
    }
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `cannot read image ${path}: ${code ?? String(error)}`, { cause: error });
  }
  if (info.isDirectory()) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image path is a directory: ${path}`);
  // A FIFO or device would block or never end; only regular files are images.
  if (!info.isFile()) throw new VisageError('VISAGE_ERR_BAD_INPUT', `image path is not a regular file: ${path}`);
  if (info.size === 0) throw new VisageError('VISAGE_ERR_IMAGE_DECODE', `cannot decode image ${path}: the file is empty`);
  return decodeEncoded(path, path, limits);
}

/** `source` is a path or the encoded bytes; `label` names it in messages. */
async function decodeEncoded(source: string | Uint8Array, label: string, limits: Required<LoadImageOptions>): Promise<LoadedImage> {
  const open = (limitInputPixels: number | false, ignoreIcc = false): Sharp => sharp(source, {
    // 'truncated' rejects cut-off files, yet accepts the minor warnings real camera JPEGs often
    // carry (sharp's default, 'warning', refuses those too).
    failOn: 'truncated',
    limitInputPixels,
    pages: 1,
    autoOrient: true,
    ignoreIcc,
  } satisfies SharpOptions);

  let meta: Metadata;
  try {
    // Header only; the size is checked below, with a message that says what the limit is.
    meta = await open(false).metadata();
  } catch (error) {
    await refuseVideo(source, label);
    throw decodeError(error, label);
  }
  if (!meta.format || !FORMATS.has(meta.format)) {
    await refuseVideo(source, label);
    throw new VisageError('VISAGE_ERR_IMAGE_DECODE', `cannot decode image ${label}: unsupported format ${meta.format ?? 'unknown'} (JPEG, PNG, WebP, GIF, TIFF or AVIF expected)`);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new VisageError('VISAGE_ERR_IMAGE_DECODE', `cannot decode image ${label}: no image size in its header`);
  checkInputPixels(width, height, label, limits);

  const target = workingSize(width, height, limits);
  // sharp's own pixel limit stays on as a second guard while decoding.
  // An embedded sRGB profile describes what the pixels already are: converting through it changes
  // nothing (bit-identical on face-api's demo photos) and took 15-20 ms of a 1920-px photo's ~30.
  let image = open(Number.isFinite(limits.maxInputPixels) ? Math.floor(limits.maxInputPixels) : false, isSrgbProfile(meta.icc));
  if (target.width !== width || target.height !== height) {
    // Default (Lanczos) kernel for this one-off shrink: it keeps the most detail for every later stage.
    image = image.resize(target.width, target.height, { fit: 'fill' });
  }
  if (meta.hasAlpha) image = image.flatten({ background: BLACK });
  try {
    const { data, info } = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return result(data, info.width, info.height, width, height);
  } catch (error) {
    throw decodeError(error, label);
  }
}

/**
 * Throws VISAGE_ERR_VIDEO_NOT_IMAGE when what failed to decode is a video: its first bytes are a
 * video container's, or (a file whose start is no known container) its name ends like a video's.
 * Called only once decoding has failed, so images never pay for the extra read.
 */
async function refuseVideo(source: string | Uint8Array, label: string): Promise<void> {
  let head: Uint8Array;
  if (typeof source === 'string') {
    const handle = await openFile(source, 'r').catch(() => null);
    if (!handle) return;
    try {
      const buffer = Buffer.alloc(VIDEO_SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, VIDEO_SNIFF_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } catch {
      return;
    } finally {
      await handle.close();
    }
  } else {
    head = source.subarray(0, VIDEO_SNIFF_BYTES);
  }
  const container = videoContainer(head);
  if (container || (typeof source === 'string' && isVideoName(source))) {
    throw videoNotImageError(typeof source === 'string' ? label : `the data given (${source.length} bytes)`, container);
  }
}

async function fromRawPixels(input: RawPixels, limits: Required<LoadImageOptions>): Promise<LoadedImage> {
  const { data, width, height, channels } = input;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `raw pixels: data must be a Uint8Array, got ${describe(data)}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `raw pixels: width and height must be positive integers, got ${String(width)}x${String(height)}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `raw pixels: channels must be 1, 3 or 4, got ${String(channels)}`);
  }
  if (data.length !== width * height * channels) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `raw pixels: ${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`);
  }
  checkInputPixels(width, height, 'raw pixels', limits);
  const target = workingSize(width, height, limits);
  if (target.width !== width || target.height !== height) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
    let image = sharp(bytes, { raw: { width, height, channels }, limitInputPixels: false })
      .resize(target.width, target.height, { fit: 'fill' });
    if (channels === 4) image = image.flatten({ background: BLACK });
    const shrunk = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return result(shrunk.data, shrunk.info.width, shrunk.info.height, width, height);
  }
  // Same size: convert here, which is faster than a round trip through sharp and copies, so the
  // caller may reuse its buffer; an RGB buffer marked unshared is read in place.
  if (channels === 3 && (input as { [UNSHARED_PIXELS]?: true })[UNSHARED_PIXELS] === true) {
    return { width, height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length), originalWidth: width, originalHeight: height, scale: 1 };
  }
  const pixels = width * height;
  const out = new Uint8Array(pixels * 3);
  if (channels === 3) {
    out.set(data);
  } else if (channels === 1) {
    for (let i = 0, o = 0; i < pixels; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[i]!;
  } else {
    // Flatten onto black: colour * alpha / 255, rounded.
    for (let i = 0, p = 0, o = 0; i < pixels; i++, p += 4, o += 3) {
      const alpha = data[p + 3]!;
      out[o] = (data[p]! * alpha + 127) / 255;
      out[o + 1] = (data[p + 1]! * alpha + 127) / 255;
      out[o + 2] = (data[p + 2]! * alpha + 127) / 255;
    }
  }
  return { width, height, channels: 3, data: out, originalWidth: width, originalHeight: height, scale: 1 };
}

/**
 * Whether an ICC profile names itself sRGB: its description says "sRGB" (cameras, phones set to
 * sRGB and image editors: "sRGB IEC61966-2.1", "sRGB built-in", ...) or is "c2", the compact sRGB
 * profile web services embed. On the datasets' photos both decode bit-identical with and without
 * the conversion (group2.jpg: at most 1 level apart). Anything else (Display P3, Adobe RGB,
 * "Generic RGB": up to 95 levels apart) is converted as usual, and so is a malformed profile.
 */
export function isSrgbProfile(icc: Uint8Array | undefined): boolean {
  const name = iccDescription(icc);
  return name !== undefined && (/\bsRGB\b/.test(name) || name === 'c2');
}

/** The description of an RGB ICC profile (v2 'desc' or v4 'mluc', first record), if it has one. */
function iccDescription(icc: Uint8Array | undefined): string | undefined {
  if (!icc || icc.length < 132) return undefined;
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  const ascii = (from: number, length: number) => String.fromCharCode(...icc.subarray(from, from + length));
  if (ascii(16, 4) !== 'RGB ') return undefined;
  const count = view.getUint32(128);
  for (let i = 0; i < count && 144 + 12 * i <= icc.length; i++) {
    const entry = 132 + 12 * i;
    if (ascii(entry, 4) !== 'desc') continue;
    const offset = view.getUint32(entry + 4), size = view.getUint32(entry + 8);
    if (size < 16 || offset + size > icc.length) return undefined;
    const type = ascii(offset, 4);
    if (type === 'desc') {
      const length = view.getUint32(offset + 8);
      if (length < 1 || 12 + length > size) return undefined;
      return ascii(offset + 12, length).replace(/\0+$/, '');
    }
    if (type === 'mluc' && size >= 28) {
      const length = view.getUint32(offset + 20), from = view.getUint32(offset + 24);
      if (from + length > size) return undefined;
      let name = '';
      for (let k = 0; k + 1 < length; k += 2) name += String.fromCharCode(view.getUint16(offset + from + k));
      return name.replace(/\0+$/, '');
    }
    return undefined;
  }
  return undefined;
}

function checkInputPixels(width: number, height: number, label: string, limits: Required<LoadImageOptions>): void {
  if (width * height > limits.maxInputPixels) {
    throw new VisageError('VISAGE_ERR_IMAGE_TOO_LARGE',
      `image ${label} is ${width}x${height} (${megapixels(width * height)} megapixels), more than the limit of ${megapixels(limits.maxInputPixels)} (maxInputPixels)`);
  }
}

/** The largest size within `maxWorkingPixels` with the image's aspect ratio. */
function workingSize(width: number, height: number, limits: Required<LoadImageOptions>): { width: number; height: number } {
  if (width * height <= limits.maxWorkingPixels) return { width, height };
  const factor = Math.sqrt(limits.maxWorkingPixels / (width * height));
  return { width: Math.max(1, Math.floor(width * factor)), height: Math.max(1, Math.floor(height * factor)) };
}

function result(data: Buffer, width: number, height: number, originalWidth: number, originalHeight: number): LoadedImage {
  return {
    width, height, channels: 3,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    originalWidth, originalHeight,
    scale: width / originalWidth,
  };
}

function decodeError(error: unknown, label: string): VisageError {
  const message = error instanceof Error ? error.message : String(error);
  const code: ErrorCode = /exceeds pixel limit/i.test(message) ? 'VISAGE_ERR_IMAGE_TOO_LARGE' : 'VISAGE_ERR_IMAGE_DECODE';
  // libvips messages can span lines; the CLI prints ours on one.
  const reason = message.replace(/\s+/g, ' ').trim().replace(/^Input (file|buffer) (contains|has) /i, '');
  return new VisageError(code, `cannot decode image ${label}: ${reason}`, { cause: error });
}

function megapixels(pixels: number): string {
  return Number.isFinite(pixels) ? String(Math.round(pixels / 1e5) / 10) : 'unlimited';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
