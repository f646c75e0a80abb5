// The confusion matrix as a picture: a heat-map grid (rows: true class, columns: predicted class),
// the count in each cell, class names on both axes and a title. Drawn as SVG and rendered to PNG
// by sharp (librsvg), as the annotated images are.
import sharp from 'sharp';
import { escapeXml } from './annotate.ts';

export interface ConfusionPicture {
  labels: readonly string[];
  /** matrix[t][p]: faces of true class t predicted as p. */
  matrix: readonly (readonly number[])[];
  title: string;
}

/** Cell colour: white to deep blue by the cell's share of its row (so small classes show too). */
function shade(share: number): string {
  const t = Math.max(0, Math.min(1, share));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${mix(247, 8)},${mix(251, 48)},${mix(255, 107)})`;
}

/** Natural order for display (s2 before s10); the matrix is permuted to match. */
function naturalOrder(picture: ConfusionPicture): ConfusionPicture {
  const order = picture.labels.map((_, i) => i).sort((a, b) => picture.labels[a]!.localeCompare(picture.labels[b]!, 'en', { numeric: true }));
  return { title: picture.title, labels: order.map((i) => picture.labels[i]!), matrix: order.map((t) => order.map((p) => picture.matrix[t]![p]!)) };
}

export function confusionSvg(picture: ConfusionPicture): string {
  const { labels, matrix, title } = naturalOrder(picture);
  const n = labels.length;
  const font = 14;
  const longest = Math.max(4, ...labels.map((l) => l.length));
  const labelSpace = Math.min(260, Math.round(longest * font * 0.62) + 16);
  const cell = Math.max(28, Math.min(72, Math.floor(720 / Math.max(1, n))));
  const cellFont = Math.max(9, Math.min(16, Math.floor(cell / 2.6)));
  const axisFont = n > 25 ? Math.max(9, Math.min(font, cell - 4)) : font;
  const top = 56 + labelSpace, left = 30 + labelSpace;
  const width = left + n * cell + 24, height = top + n * cell + 24;
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="#ffffff"/>`];
  parts.push(`<text x="${width / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(`<text x="${left + (n * cell) / 2}" y="50" text-anchor="middle" font-size="${font}" fill="#444">predicted</text>`);
  parts.push(`<text transform="translate(16 ${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle" font-size="${font}" fill="#444">true</text>`);
  for (let t = 0; t < n; t++) {
    const rowTotal = matrix[t]!.reduce((a, b) => a + b, 0);
    for (let p = 0; p < n; p++) {
      const count = matrix[t]![p]!;
      const share = rowTotal > 0 ? count / rowTotal : 0;
      const x = left + p * cell, y = top + t * cell;
      const wrong = t !== p && count > 0;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(share)}" stroke="${wrong ? '#d62828' : '#cccccc'}" stroke-width="${wrong ? 2 : 1}"/>`);
      if (count > 0 || n <= 12) {
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + cellFont * 0.35}" text-anchor="middle" font-size="${cellFont}" fill="${share > 0.5 ? '#ffffff' : '#222222'}">${count}</text>`);
      }
    }
    // Row (true) label at the left, column (predicted) label above, rotated.
    const name = escapeXml(labels[t]!);
    parts.push(`<text x="${left - 8}" y="${top + t * cell + cell / 2 + axisFont * 0.35}" text-anchor="end" font-size="${axisFont}">${name}</text>`);
    parts.push(`<text transform="translate(${left + t * cell + cell / 2 + axisFont * 0.35} ${top - 8}) rotate(-90)" text-anchor="start" font-size="${axisFont}">${name}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">${parts.join('')}</svg>`;
}

export async function confusionPng(picture: ConfusionPicture): Promise<Buffer> {
  return sharp(Buffer.from(confusionSvg(picture))).png().toBuffer();
}
