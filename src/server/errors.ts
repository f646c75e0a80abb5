// HTTP errors: every error answer is JSON {error: {code, message}} with a stable code. The
// library's VisageError carries its own code and status (src/errors.ts); the few conditions that
// exist only over HTTP (no key, wrong scope, busy, wrong content type, body too large, no such
// route) have their codes in the same registry (src/errors.ts).
import { ErrorCodes, isVisageError } from '../errors.ts';

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Every code an answer can carry, with its status (for the OpenAPI document and the README). */
export function allErrorCodes(): { code: string; status: number; message: string }[] {
  return Object.entries(ErrorCodes).map(([code, v]) => ({ code, status: v.status, message: v.message }));
}

/**
 * The status and body for any error thrown while answering. Fastify's own errors (body parsing,
 * limits, validation) and @fastify/multipart's are mapped by their status; anything else is a
 * 500 whose message is not shown (it could name files or internals).
 */
export function toErrorAnswer(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  // No answer echoes a long input back: a message is cut at 500 characters whatever produced it.
  const answer = (status: number, code: string, message: string, internal = false) => ({
    status, body: { error: { code, message: message.length > 500 ? `${message.slice(0, 500)}…` : message } }, internal,
  });
  if (isVisageError(error)) return answer(error.status, error.code, error.message, error.status >= 500 && error.code !== 'VISAGE_ERR_BUSY' && error.code !== 'VISAGE_ERR_DB_LOCKED' && error.code !== 'VISAGE_ERR_DB_UNAVAILABLE');
  const e = error as { statusCode?: unknown; code?: unknown; message?: unknown; validation?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (e?.validation) return answer(400, 'VISAGE_ERR_BAD_INPUT', message);
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 0;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (status === 413 || /LIMIT|TOO_LARGE/.test(code)) return answer(413, 'VISAGE_ERR_PAYLOAD_TOO_LARGE', message);
  if (status === 415 || status === 406 || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return answer(415, 'VISAGE_ERR_UNSUPPORTED_MEDIA_TYPE', message);
  }
  if (status === 404) return answer(404, 'VISAGE_ERR_NOT_FOUND', message);
  if (status === 414) return answer(414, 'VISAGE_ERR_URI_TOO_LONG', ErrorCodes.VISAGE_ERR_URI_TOO_LONG.message);
  if (status === 405) return answer(405, 'VISAGE_ERR_METHOD_NOT_ALLOWED', message);
  if (status >= 400 && status < 500) return answer(400, 'VISAGE_ERR_BAD_INPUT', message);
  return answer(500, 'VISAGE_ERR_INTERNAL', ErrorCodes.VISAGE_ERR_INTERNAL.message, true);
}
