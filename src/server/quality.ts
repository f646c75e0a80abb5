// The enrolment quality gate's request parameters (POST /v1/subjects/{subject}/faces): each limit
// by its library name (minSize, minSharpness, minFrontalness, minScore, maxEyesClosed), in the
// form body or the query string, or qualityGate=false for none.
import type { FastifyRequest } from 'fastify';
import { VisageError } from '../errors.ts';
import { describeRefusals, ENROLMENT_GATE, QUALITY_GATE_KEYS, resolveGate, type QualityGate, type QualityRefusal } from '../face/quality/gate.ts';
import { booleanField, numberField, type RequestInput } from './images.ts';

export function qualityFields(request: FastifyRequest, input: RequestInput): Partial<QualityGate> | false | undefined {
  const changes: Partial<QualityGate> = {};
  for (const key of QUALITY_GATE_KEYS) {
    const value = numberField(request, input, key, 0, key === 'minSize' || key === 'minSharpness' ? 1e6 : 1);
    if (value !== undefined) changes[key] = value;
  }
  const gate = booleanField(request, input, 'qualityGate');
  if (gate === false) {
    if (Object.keys(changes).length) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'qualityGate=false cannot be sent with quality limits');
    return false;
  }
  resolveGate(ENROLMENT_GATE, changes);
  return Object.keys(changes).length ? changes : undefined;
}

/**
 * When no image of an enrolment request was added and every one was refused by the quality gate,
 * the answer is this error (422), naming each image's reasons; otherwise the request answers with
 * its per-image results as usual.
 */
export function lowQualityError(results: readonly { image: string; status: string; reason?: string; refusals?: QualityRefusal[] }[]): VisageError | null {
  if (results.length === 0 || results.some((r) => r.status === 'added' || r.reason !== 'low-quality')) return null;
  const each = results.map((r) => `${results.length > 1 ? `${r.image}: ` : ''}${describeRefusals(r.refusals ?? [])}`).join('; ');
  return new VisageError('VISAGE_ERR_LOW_QUALITY', `not enrolled: ${each}`);
}
