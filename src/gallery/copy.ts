// copyGallery(from, to): every subject (name, metadata, created), face and embedding of one gallery
// into another, whatever their stores (SQLite to PostgreSQL and back). Through the portable format
// (portable.ts) in a temporary file: the export reads one consistent snapshot, the import is one
// transaction, so a copy that fails leaves the target as it was. A target that already holds
// subjects is refused unless `merge` (then subjects are matched by name and images already
// enrolled for a subject are skipped, as importFrom() does).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VisageError } from '../errors.ts';
import type { ExportSummary, Gallery, ImportSummary } from './gallery.ts';

export interface CopyOptions {
  /** Add to a target that already holds subjects (default false: refused). */
  merge?: boolean;
  /** Called as subjects are read from the source ('export') and written to the target ('import'). */
  onProgress?: (phase: 'export' | 'import', done: number, total: number) => void;
}

export interface CopySummary {
  exported: ExportSummary;
  imported: ImportSummary;
}

export async function copyGallery(from: Gallery, to: Gallery, options: CopyOptions = {}): Promise<CopySummary> {
  const [source, target] = await Promise.all([from.stats(), to.stats()]);
  if (source.location === target.location) throw new VisageError('VISAGE_ERR_BAD_INPUT', `cannot copy gallery ${source.location} onto itself`);
  if (target.readOnly) throw new VisageError('VISAGE_ERR_DB_READ_ONLY', `gallery ${target.location} is read-only: nothing copied`);
  if (!options.merge && target.subjects > 0) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `gallery ${target.location} already holds ${target.subjects} subject(s) and ${target.faces} face(s); copy into an empty gallery, or merge into it (--merge)`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'visage-copy-'));
  try {
    const file = path.join(dir, 'gallery.json');
    const exported = await from.exportTo(file, { onProgress: (done, total) => options.onProgress?.('export', done, total) });
    const imported = await to.importFrom(file, { onProgress: (done, total) => options.onProgress?.('import', done, total) });
    return { exported: { ...exported, file: source.location }, imported };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
