// The evaluation report as one self-contained HTML file: accuracy and cross-validation, the
// classification report table, the confusion matrix (a PNG, inlined), and the misclassified
// faces as thumbnails (crops of the photos, inlined) with their true and predicted labels.
import sharp from 'sharp';
import { escapeXml } from './annotate.ts';
import type { Box } from '../types.ts';
import type { ClassificationReport } from '../learn/index.ts';

export interface ReportFace {
  file: string;
  box: Box;
  label: string;
  predicted: string;
  probability: number;
  decision: string;
}

export interface EvaluationReportInput {
  title: string;
  /** Lines shown under the title (model, data, threshold ...). */
  facts: [string, string][];
  report: ClassificationReport;
  confusionPng: Buffer;
  misclassified: ReportFace[];
  /** Rightly classified faces set to UNKNOWN at the threshold. */
  rejected: ReportFace[];
  crossValidation?: { folds: number; accuracies: number[]; mean: number; std: number; kind: string };
}

const THUMBNAIL = 112;
/** At most this many thumbnails per section (the rest are counted). */
const MAX_THUMBNAILS = 200;

/** The face's box widened by 20% each side, as a square JPEG thumbnail; undefined if unreadable. */
export async function faceThumbnail(file: string, box: Box, size = THUMBNAIL): Promise<Buffer | undefined> {
  try {
    const image = sharp(file, { autoOrient: true });
    const { width = 0, height = 0, orientation } = await image.metadata();
    const [w, h] = orientation && orientation >= 5 ? [height, width] : [width, height];
    const side = Math.max(box.width, box.height) * 1.4;
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    const left = Math.max(0, Math.floor(cx - side / 2)), top = Math.max(0, Math.floor(cy - side / 2));
    const right = Math.min(w, Math.ceil(cx + side / 2)), bottom = Math.min(h, Math.ceil(cy + side / 2));
    if (right <= left || bottom <= top) return undefined;
    return await sharp(file, { autoOrient: true }).extract({ left, top, width: right - left, height: bottom - top })
      .resize(size, size, { fit: 'contain', background: '#ffffff' }).flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
  } catch {
    return undefined;
  }
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

async function gallery(faces: ReportFace[], caption: (f: ReportFace) => string): Promise<string> {
  if (faces.length === 0) return '<p class="none">None.</p>';
  const items: string[] = [];
  for (const face of faces.slice(0, MAX_THUMBNAILS)) {
    const thumb = await faceThumbnail(face.file, face.box);
    const img = thumb ? `<img src="data:image/jpeg;base64,${thumb.toString('base64')}" width="${THUMBNAIL}" height="${THUMBNAIL}" alt="face">` : '<div class="missing">no thumbnail</div>';
    items.push(`<figure>${img}<figcaption>${caption(face)}<br><span class="file" title="${escapeXml(face.file)}">${escapeXml(face.file.split(/[\\/]/).slice(-2).join('/'))}</span></figcaption></figure>`);
  }
  const more = faces.length > MAX_THUMBNAILS ? `<p>… and ${faces.length - MAX_THUMBNAILS} more (see the JSON).</p>` : '';
  return `<div class="faces">${items.join('')}</div>${more}`;
}

export async function evaluationHtml(input: EvaluationReportInput): Promise<string> {
  const { report } = input;
  const num = (v: number) => v.toFixed(3);
  const rows = report.classes.map((m) => `<tr><th>${escapeXml(m.label)}</th><td>${num(m.precision)}</td><td>${num(m.recall)}</td><td>${num(m.f1)}</td><td>${m.support}</td></tr>`).join('\n');
  const cv = input.crossValidation
    ? `<h2>Cross-validation</h2><p>${input.crossValidation.folds}-fold stratified, ${escapeXml(input.crossValidation.kind)} retrained each fold: <b>${pct(input.crossValidation.mean)} ± ${pct(input.crossValidation.std)}</b> (folds: ${input.crossValidation.accuracies.map(pct).join(', ')})</p>`
    : '';
  const misclassified = await gallery(input.misclassified, (f) => `true <b>${escapeXml(f.label)}</b><br>predicted <b class="wrong">${escapeXml(f.predicted)}</b> ${f.probability.toFixed(2)}`);
  const rejected = await gallery(input.rejected, (f) => `<b>${escapeXml(f.label)}</b> ${f.probability.toFixed(2)}<br><span class="wrong">UNKNOWN</span> at the threshold`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(input.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child { text-align: left; }
.facts th { text-align: left; font-weight: normal; color: #555; }
.facts td { text-align: left; }
.faces { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; width: ${THUMBNAIL + 8}px; font-size: 12px; }
figure img { border: 2px solid #d62828; }
.file { color: #777; word-break: break-all; }
.wrong { color: #d62828; }
.none { color: #777; }
</style>
</head>
<body>
<h1>${escapeXml(input.title)}</h1>
<table class="facts">
${input.facts.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('\n')}
</table>
<h2>Classification report</h2>
<p>Accuracy <b>${pct(report.accuracy)}</b> on ${report.macro.support} faces.</p>
<table class="report">
<thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>
<tbody>
${rows}
<tr><th>macro avg</th><td>${num(report.macro.precision)}</td><td>${num(report.macro.recall)}</td><td>${num(report.macro.f1)}</td><td>${report.macro.support}</td></tr>
<tr><th>weighted avg</th><td>${num(report.weighted.precision)}</td><td>${num(report.weighted.recall)}</td><td>${num(report.weighted.f1)}</td><td>${report.weighted.support}</td></tr>
</tbody>
</table>
${cv}
<h2>Confusion matrix</h2>
<img src="data:image/png;base64,${input.confusionPng.toString('base64')}" alt="confusion matrix" style="max-width: 100%">
<h2>Misclassified faces (${input.misclassified.length})</h2>
${misclassified}
<h2>Rightly classified but below the unknown threshold (${input.rejected.length})</h2>
${rejected}
</body>
</html>
`;
}
