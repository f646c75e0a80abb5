// JSON schemas written once: Fastify validates request bodies with them, and the OpenAPI
// document (openapi.ts) shows the same objects.
const box = {
  type: 'object',
  description: 'Face box in the pixels of the upright image (EXIF orientation applied)',
  properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } },
  required: ['x', 'y', 'width', 'height'],
} as const;

const quality = {
  type: 'object',
  properties: {
    size: { type: 'number', description: 'shorter side of the face box, pixels' },
    sharpness: { type: 'number', description: 'variance of the Laplacian of the aligned face' },
    frontalness: { type: 'number', description: '0-1, 1 frontal' },
  },
} as const;

const candidate = {
  type: 'object',
  properties: { subjectId: { type: 'integer' }, name: { type: 'string' }, similarity: { type: 'number', description: 'cosine similarity, -1 to 1' } },
} as const;

export const schemas = {
  subjectCreate: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
      metadata: { type: 'object', description: 'any JSON object kept with the subject' },
    },
  },
  subjectRename: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' } },
  },
  keyCreate: {
    type: 'object',
    additionalProperties: false,
    required: ['scope'],
    properties: { scope: { type: 'string', enum: ['admin', 'recognise'] }, name: { type: 'string', maxLength: 200 } },
  },
  box,
  quality,
  candidate,
  subject: {
    type: 'object',
    properties: {
      id: { type: 'integer' }, name: { type: 'string' }, metadata: { type: 'object' },
      created: { type: 'string', format: 'date-time' }, faceCount: { type: 'integer' },
    },
  },
  face: {
    type: 'object',
    properties: {
      id: { type: 'integer' }, subjectId: { type: 'integer' }, subjectName: { type: 'string' },
      sourceFile: { type: ['string', 'null'], description: 'file name only; "upload:<name>" for faces enrolled through the server' },
      contentHash: { type: 'string', description: 'SHA-256 of the image bytes' },
      box: { ...box, type: ['object', 'null'] }, quality: { ...quality, type: ['object', 'null'] },
      created: { type: 'string', format: 'date-time' }, models: { type: 'array', items: { type: 'string' } },
      thumbnail: { type: ['string', 'null'], description: 'URL of its 128-px JPEG, when the server keeps one' },
    },
  },
  recognisedFace: {
    type: 'object',
    properties: {
      box, score: { type: 'number', description: 'detector confidence' }, quality,
      label: { type: 'string', description: 'the name, or UNKNOWN' },
      name: { type: ['string', 'null'], description: 'null: UNKNOWN (best similarity under the threshold, or an empty gallery)' },
      subjectId: { type: ['integer', 'null'] },
      similarity: { type: ['number', 'null'], description: 'similarity to the best subject, whether or not it passed' },
      candidates: { type: 'array', items: candidate, description: 'the k nearest people, best first' },
      attributes: { type: 'object', description: 'with attributes=...: age {value}, gender {value, confidence}, emotion {value, confidence, scores}, liveness {value, score, threshold, confidence}; each names its model' },
      refused: { type: 'string', enum: ['not-live'], description: 'with requireLive: the face was not matched because the liveness model called it a spoof' },
      threshold: { type: 'number', description: 'present when this face was held to a stricter threshold than the answer\'s (a small face at the default threshold)' },
      thresholdReason: { type: 'string', enum: ['small-face'], description: 'why this face\'s threshold is stricter' },
    },
  },
  error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object', required: ['code', 'message'],
        properties: { code: { type: 'string', description: 'stable VISAGE_ERR_* code' }, message: { type: 'string' } },
      },
    },
  },
} as const;
