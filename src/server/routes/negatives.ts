// /v1/subjects/{subject}/negatives: a person's negative examples ("not this person": faces never
// matched to them), listed, and removed one by one (undoing a correction).
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import { negativeExamples, type NegativeExample } from '../../gallery/negatives.ts';
import { subjectRefFromText } from '../../gallery/validate.ts';
import type { ServerContext } from '../context.ts';

function negativeId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `a negative example id is a whole number, got ${shown(text)}`);
  return Number(text);
}

/** As the API shows it: the source file reduced to its name (never a server path). */
function negativeJson(negative: NegativeExample) {
  const source = negative.sourceFile === null || negative.sourceFile.startsWith('upload:') ? negative.sourceFile : path.basename(negative.sourceFile);
  return { ...negative, sourceFile: source };
}

export async function negativeRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const { gallery } = context;

  app.get<{ Params: { subject: string } }>('/v1/subjects/:subject/negatives', { config: { scope: 'recognise' } }, async (request) => {
    const subject = await gallery.getSubject(subjectRefFromText(request.params.subject));
    return { subject, negatives: (await negativeExamples(gallery, subject.id)).map(negativeJson) };
  });

  app.delete<{ Params: { subject: string; id: string } }>('/v1/subjects/:subject/negatives/:id', { config: { scope: 'admin' } }, async (request) => {
    const subject = await gallery.getSubject(subjectRefFromText(request.params.subject));
    const id = negativeId(request.params.id);
    const negative = (await negativeExamples(gallery, subject.id)).find((n) => n.id === id);
    if (!negative) throw new VisageError('VISAGE_ERR_UNKNOWN_NEGATIVE', `${subject.name} has no negative example ${id}`);
    await gallery.deleteNegative(id, subject.id);
    return { deleted: negativeJson(negative) };
  });
}
