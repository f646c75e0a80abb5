// Telling a video from an image, so that a video given where an image belongs is refused with a
// message that says so (libvips only says "unsupported image format"): videos are read by src/video/
// (visage video), not here. Two ways: the file name's ending (cheap, used when a folder is
// searched) and the container's first bytes (used once decoding has failed, so images pay nothing).
import path from 'node:path';
import { VisageError } from '../../errors.ts';

/**
 * File name endings of video containers. Not `.ts` (MPEG transport streams share it with
 * TypeScript sources) nor audio-only endings.
 */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([
  '.mp4', '.m4v', '.mov', '.qt', '.mkv', '.webm', '.avi', '.wmv', '.asf', '.flv', '.f4v', '.mpg', '.mpeg',
  '.mpe', '.m2v', '.vob', '.mts', '.m2ts', '.3gp', '.3g2', '.ogv', '.mxf', '.dv', '.divx', '.rm', '.rmvb', '.y4m',
]);

export function isVideoName(name: string): boolean {
  return VIDEO_EXTENSIONS.has(path.extname(name).toLowerCase()) && !path.basename(name).startsWith('.');
}

/** Bytes needed by videoContainer(): an MPEG transport stream's second sync byte is at 188. */
export const VIDEO_SNIFF_BYTES = 512;

const ascii = (bytes: Uint8Array, from: number, length: number): string =>
  bytes.length < from + length ? '' : String.fromCharCode(...bytes.subarray(from, from + length));

// ISO base media files (MP4, QuickTime, 3GP) and HEIF/AVIF images share the 'ftyp' box; its brands
// tell them apart. Image brands (HEIF, AVIF, Canon CR3 raw) and audio-only ones are not videos.
const IMAGE_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'mif2', 'msf1', 'crx ', 'jpx ', 'jpm ']);
const AUDIO_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']);

/**
 * The video container these first bytes start, by its signature ('MP4', 'QuickTime', 'Matroska',
 * 'AVI', ...), or null when they are not a video's (or too few to tell). Give at least
 * VIDEO_SNIFF_BYTES when there are that many.
 */
export function videoContainer(bytes: Uint8Array): string | null {
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
    const major = ascii(bytes, 8, 4);
    const brands = [major];
    for (let at = 16; at + 4 <= Math.min(size, bytes.length); at += 4) brands.push(ascii(bytes, at, 4));
    if (brands.some((b) => IMAGE_BRANDS.has(b)) || AUDIO_BRANDS.has(major)) return null;
    if (major === 'qt  ') return 'QuickTime';
    if (major.startsWith('3g')) return '3GP';
    return 'MP4';
  }
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'Matroska/WebM';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'AVI ') return 'AVI';
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1 && (bytes[3] === 0xba || bytes[3] === 0xb3)) return 'MPEG';
  if (ascii(bytes, 0, 3) === 'FLV' && bytes[3] === 1) return 'FLV';
  const asf = [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11];
  if (asf.every((b, i) => bytes[i] === b)) return 'ASF/WMV';
  if (ascii(bytes, 0, 4) === 'OggS' && ascii(bytes, 29, 6) === 'theora') return 'Ogg Theora';
  if (bytes[0] === 0x47 && bytes[188] === 0x47 && bytes.length > 376 && bytes[376] === 0x47) return 'MPEG-TS';
  return null;
}

/** The error for a video given where an image belongs; `what` names it (a path, or "the data given"). */
export function videoNotImageError(what: string, container: string | null): VisageError {
  return new VisageError('VISAGE_ERR_VIDEO_NOT_IMAGE',
    `${what} is a video${container ? ` (${container})` : ''}, not an image: this reads still images; videos are read by visage video`);
}
