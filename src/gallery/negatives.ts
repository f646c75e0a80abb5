// A subject's negative examples ("not this person") as a person sees them: one entry per example,
// with the models it has a vector of (the gallery keeps a row per model). For listings (CLI, server)
// and undoing one (Gallery.deleteNegative).
import type { Box } from '../types.ts';
import type { Gallery, SubjectRef } from './gallery.ts';

export interface NegativeExample {
  id: number;
  subjectId: number;
  contentHash: string;
  sourceFile: string | null;
  box: Box | null;
  created: string;
  /** Model ids it has a vector of. */
  models: string[];
}

/** The negative examples of one subject (every subject's when none is named), by id. */
export async function negativeExamples(gallery: Gallery, subject?: SubjectRef): Promise<NegativeExample[]> {
  const byId = new Map<number, NegativeExample>();
  for (const row of await gallery.listNegatives(undefined, subject)) {
    const held = byId.get(row.id);
    if (held) held.models.push(row.modelId);
    else byId.set(row.id, { id: row.id, subjectId: row.subjectId, contentHash: row.contentHash, sourceFile: row.sourceFile, box: row.box, created: row.created, models: [row.modelId] });
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}
