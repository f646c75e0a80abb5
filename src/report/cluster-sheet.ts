// The contact sheet of a clustering run: one HTML page, one row of thumbnails per cluster (largest
// first), the people the gallery named, the unclustered faces and those set aside with their
// reasons. Thumbnails are JPEG files in faces/ beside the page (a photo library has thousands).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { escapeXml } from './annotate.ts';
import { faceThumbnail } from './html.ts';
import type { ClusterReport, PhotoFace } from '../recognition/clustering.ts';

const SIZE = 72;

export async function writeContactSheet(report: ClusterReport, out: string, onFace?: () => void): Promise<string> {
  const folder = path.join(out, 'faces');
  await mkdir(folder, { recursive: true });
  const thumb = async (face: PhotoFace, note = '') => {
    const name = `${face.key}.jpg`;
    const file = path.join(folder, name);
    if (!existsSync(file)) {
      const data = await faceThumbnail(face.file, face.box, SIZE);
      if (data) await writeFile(file, data);
    }
    onFace?.();
    const title = `${face.key} ${face.file}${note ? ` ${note}` : ''}`;
    return `<img src="faces/${name}" width="${SIZE}" height="${SIZE}" loading="lazy" title="${escapeXml(title)}" alt="${escapeXml(face.key)}">`;
  };
  const rows: string[] = [];
  for (const m of report.matched) {
    const images: string[] = [];
    for (const f of m.faces) images.push(await thumb(f, `similarity ${f.similarity.toFixed(3)}`));
    rows.push(`<tr><th>${escapeXml(m.subject)}<br><small>enrolled, ${m.faces.length}</small></th><td>${images.join('')}</td></tr>`);
  }
  for (const c of report.clusters) {
    const images: string[] = [];
    for (const f of c.faces) images.push(await thumb(f));
    rows.push(`<tr><th>${escapeXml(c.id)}${c.subject ? `<br>${escapeXml(c.subject)}` : ''}<br><small>${c.faces.length} faces</small></th><td>${images.join('')}</td></tr>`);
  }
  const unclustered: string[] = [];
  for (const f of report.unclustered) unclustered.push(await thumb(f));
  const aside: string[] = [];
  for (const f of report.setAside) aside.push(await thumb(f, f.reasons.join(', ')));
  const counts = Object.entries(report.setAsideCounts).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Visage clusters</title>
<style>body{font:14px system-ui,sans-serif;margin:1em}table{border-collapse:collapse}th{text-align:left;vertical-align:top;padding:4px 8px;white-space:nowrap}
td{padding:2px}tr{border-top:1px solid #ddd}img{margin:1px;vertical-align:top}small{color:#666;font-weight:normal}</style></head><body>
<h1>Who is in these photos</h1>
<p>${report.images} photos, ${report.faces} faces: ${report.matched.reduce((n, m) => n + m.faces.length, 0)} of enrolled people, ${report.clusters.length} clusters
(${report.clusters.reduce((n, c) => n + c.faces.length, 0)} faces), ${report.unclustered.length} unclustered, ${report.setAside.length} set aside (${escapeXml(counts)}).
Embedder ${escapeXml(report.embedder)}, threshold ${report.threshold}, cohesion ${report.cohesion}. Hover a face for its key and file;
name a cluster with <code>visage cluster name &lt;cluster&gt; &lt;person&gt;</code>.</p>
<table>${rows.join('\n')}</table>
<h2>Unclustered (${report.unclustered.length})</h2><div>${unclustered.join('')}</div>
<h2>Set aside by the quality gate (${report.setAside.length})</h2><div>${aside.join('')}</div>
</body></html>
`;
  const page = path.join(out, 'index.html');
  await writeFile(page, html);
  return page;
}
