// The /v1/subjects/{subject}/negatives paths of the OpenAPI document (routes/negatives.ts).

type Json = Record<string, unknown>;

const json = (schema: unknown, description: string, example: unknown) => ({ description, content: { 'application/json': { schema, example } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const SUBJECT = { name: 'subject', in: 'path', required: true, description: 'subject id (digits) or name', schema: { type: 'string' }, example: 'sheldon' };
const ID = { name: 'id', in: 'path', required: true, description: 'negative example id', schema: { type: 'string' }, example: '1' };

const NEGATIVE_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, subjectId: { type: 'integer' }, contentHash: { type: 'string' }, sourceFile: { type: ['string', 'null'] },
    box: { type: ['object', 'null'] }, created: { type: 'string' }, models: { type: 'array', items: { type: 'string' }, description: 'embedders it has a vector of' },
  },
};
const negative = {
  id: 1, subjectId: 1, contentHash: '94f64a7c5b3c1e1dd6bd2c12d1f6a3e0c5d3f8b2e2a4c8b7d6e5f4a3b2c1d0e9', sourceFile: 'howard4.jpg',
  box: { x: 58, y: 41, width: 120, height: 151 }, created: '2026-12-07T16:40:12.311Z', models: ['facenet-512'],
};
const sheldon = { id: 1, name: 'sheldon', metadata: {}, created: '2026-12-07T16:39:58.102Z', faceCount: 2 };

/** The negative examples' paths; `op` is the document's operation builder (tag, summary, details). */
export function negativePaths(op: (tag: string, summary: string, extra: Json) => Json): Json {
  return {
    '/v1/subjects/{subject}/negatives': {
      parameters: [SUBJECT],
      get: op('subjects', 'A person\'s negative examples ("not this person": faces never matched to them)', {
        responses: { 200: json({ type: 'object', properties: { subject: { $ref: '#/components/schemas/Subject' }, negatives: { type: 'array', items: NEGATIVE_SCHEMA } } }, 'OK', { subject: sheldon, negatives: [negative] }), ...errors(401, 403, 404) },
      }),
    },
    '/v1/subjects/{subject}/negatives/{id}': {
      parameters: [SUBJECT, ID],
      delete: op('subjects', 'Remove a negative example (admin): undoes a "not this person", so the face may be matched to the person again', {
        responses: { 200: json({ type: 'object', properties: { deleted: NEGATIVE_SCHEMA } }, 'OK', { deleted: negative }), ...errors(400, 401, 403, 404) },
      }),
    },
  };
}
