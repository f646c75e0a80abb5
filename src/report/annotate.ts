// Annotated pictures: boxes with a label drawn over an image, shared by the CLI (identify,
// detect, classify) and the server. The overlay is one SVG composited by sharp; text is set in
// the system's sans-serif font (DejaVu on Debian) through librsvg.
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { VisageError } from '../errors.ts';
import type { RawPixels } from '../face/image/decode.ts';
import type { Box } from '../types.ts';

/** 'known': a recognised person; 'unknown': nobody matched; 'neutral': a face with no decision. */
export type AnnotationKind = 'known' | 'unknown' | 'neutral';

export interface Annotation {
  /** In the pixels of the upright image (EXIF orientation applied), as Visage reports boxes. */
  box: Box;
  /** First line of the label, e.g. a name or "UNKNOWN". */
  label: string;
  /** Optional second part, e.g. "0.87"; drawn after the label. */
  detail?: string;
  kind: AnnotationKind;
}

export interface AnnotateOptions {
  /** Output format (default 'jpeg'). */
  format?: 'jpeg' | 'png';
  /** JPEG quality 1-100 (default 90). */
  quality?: number;
  /** Shrink the output so its longer side is at most this (default: no limit). */
  maxSide?: number;
}

/** Box and label colours: green for known people, red for strangers, blue otherwise. */
export const ANNOTATION_COLOURS: Readonly<Record<AnnotationKind, string>> = Object.freeze({
  known: '#1fa34a',
  unknown: '#d62828',
  neutral: '#1f6fd6',
});

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Characters kept in labels: control characters would make the SVG invalid. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 80);
}

/**
 * The SVG drawn over a `width` x `height` image: per annotation, the box outline and a filled
 * label tag above the box (inside it when there is no room above). Sizes follow the image so
 * labels stay legible on small crops and on 40-megapixel photos. Pure, for tests.
 */
export function annotationSvg(width: number, height: number, annotations: readonly Annotation[]): string {
  const shorter = Math.min(width, height);
  const stroke = Math.max(2, Math.round(shorter / 300));
  const parts: string[] = [];
  for (const a of annotations) {
    const { x, y, width: w, height: h } = a.box;
    if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) continue;
    const colour = ANNOTATION_COLOURS[a.kind] ?? ANNOTATION_COLOURS.neutral;
    parts.push(`<rect x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`);
    const text = clean(a.detail ? `${a.label} ${a.detail}` : a.label);
    if (!text.trim()) continue;
    // Font: about a fifth of the box width, within limits set by the picture's size.
    const font = Math.round(Math.min(Math.max(w / 5.5, shorter / 45, 11), shorter / 12, 64));
    const pad = Math.max(2, Math.round(font * 0.25));
    // DejaVu Sans advances ~0.6 em on average and up to ~0.75 em for capitals (UNKNOWN); the tag is
    // sized at 0.66 em a character so that capitals near the right edge are not cut (the text may run a
    // little short or long; the tag is only a backdrop).
    const tagWidth = Math.round(text.length * font * 0.66 + 2 * pad);
    const tagHeight = font + 2 * pad;
    const above = y - tagHeight >= 0;
    const tagY = above ? y - tagHeight : y;
    const tagX = Math.min(Math.max(0, x - stroke / 2), Math.max(0, width - tagWidth));
    parts.push(`<rect x="${r(tagX)}" y="${r(tagY)}" width="${tagWidth}" height="${tagHeight}" fill="${colour}"/>`);
    parts.push(`<text x="${r(tagX + pad)}" y="${r(tagY + pad + font * 0.82)}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(text)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function r(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function open(image: string | Uint8Array | RawPixels): Sharp {
  if (typeof image === 'string' || image instanceof Uint8Array) return sharp(image, { autoOrient: true, failOn: 'truncated', pages: 1 });
  const { data, width, height, channels } = image;
  return sharp(data, { raw: { width, height, channels } });
}

/**
 * The image with every annotation drawn, encoded as JPEG (default) or PNG. `image` is what was
 * analysed (a path, encoded bytes or raw pixels); boxes are in its upright full-size pixels.
 */
export async function annotateImage(image: string | Uint8Array | RawPixels, annotations: readonly Annotation[], options: AnnotateOptions = {}): Promise<Uint8Array> {
  const format = options.format ?? 'jpeg';
  if (format !== 'jpeg' && format !== 'png') throw new VisageError('VISAGE_ERR_BAD_OPTION', `annotate format must be 'jpeg' or 'png', got ${String(format)}`);
  const quality = options.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new VisageError('VISAGE_ERR_BAD_OPTION', `annotate quality must be a whole number 1-100, got ${String(quality)}`);
  let base: { data: Buffer; info: OutputInfo };
  try {
    base = await open(image).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new VisageError('VISAGE_ERR_IMAGE_DECODE', `cannot decode image to annotate: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const { width, height, channels } = base.info;
  const overlay = Buffer.from(annotationSvg(width, height, annotations));
  let out = sharp(base.data, { raw: { width, height, channels } }).composite([{ input: overlay, top: 0, left: 0 }]);
  if (options.maxSide !== undefined) {
    if (!(options.maxSide >= 1)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `annotate maxSide must be >= 1, got ${String(options.maxSide)}`);
    if (Math.max(width, height) > options.maxSide) {
      // Composite first, then shrink: a second pipeline, since sharp resizes before compositing.
      const composed = await out.raw().toBuffer({ resolveWithObject: true });
      out = sharp(composed.data, { raw: { width: composed.info.width, height: composed.info.height, channels: composed.info.channels } })
        .resize({ width: options.maxSide, height: options.maxSide, fit: 'inside' });
    }
  }
  return format === 'png' ? out.png().toBuffer() : out.jpeg({ quality }).toBuffer();
}
