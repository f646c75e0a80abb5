// Every error Visage throws on purpose carries a stable code; the CLI prints the message
// on one line and exits non-zero, the server maps the code to an HTTP status.

export const ErrorCodes = {
  VISAGE_ERR_BAD_OPTION: { status: 400, message: 'invalid option' },
  VISAGE_ERR_UNKNOWN_MODEL: { status: 404, message: 'unknown model' },
  VISAGE_ERR_MODEL_SOURCE_MISSING: { status: 500, message: 'model source files not found' },
  VISAGE_ERR_CONVERSION_FAILED: { status: 500, message: 'model conversion failed' },
  VISAGE_ERR_MODEL_LOAD_FAILED: { status: 500, message: 'model could not be loaded' },
  VISAGE_ERR_INFERENCE_FAILED: { status: 500, message: 'inference failed' },
  VISAGE_ERR_BAD_INPUT: { status: 400, message: 'invalid input' },
  VISAGE_ERR_CLOSED: { status: 500, message: 'used after close()' },
  VISAGE_ERR_USAGE: { status: 400, message: 'bad command line' },
  VISAGE_ERR_IMAGE_NOT_FOUND: { status: 404, message: 'image not found' },
  VISAGE_ERR_IMAGE_DECODE: { status: 400, message: 'image could not be decoded' },
  VISAGE_ERR_IMAGE_TOO_LARGE: { status: 413, message: 'image too large' },
  VISAGE_ERR_VIDEO_NOT_IMAGE: { status: 415, message: 'a video was given where an image belongs; videos are read by visage video' },
  VISAGE_ERR_VIDEO_NOT_FOUND: { status: 404, message: 'video not found' },
  VISAGE_ERR_VIDEO_DECODE: { status: 400, message: 'video could not be decoded' },
  VISAGE_ERR_VIDEO_TIMEOUT: { status: 504, message: 'the video source sent nothing in time' },
  VISAGE_ERR_FFMPEG_MISSING: { status: 500, message: 'ffmpeg not found' },
  VISAGE_ERR_LOW_QUALITY: { status: 422, message: 'the face did not pass the quality gate (too small, blurred, turned away or eyes closed)' },
  VISAGE_ERR_NOT_LIVE: { status: 422, message: 'the face did not pass the liveness check (a photo or a screen?)' },
  VISAGE_ERR_BAD_CLASSIFIER: { status: 400, message: 'invalid or unsupported classifier model' },
  VISAGE_ERR_UNKNOWN_SUBJECT: { status: 404, message: 'unknown subject' },
  VISAGE_ERR_DUPLICATE_SUBJECT: { status: 409, message: 'a subject with this name exists' },
  VISAGE_ERR_UNKNOWN_FACE: { status: 404, message: 'unknown face' },
  VISAGE_ERR_UNKNOWN_NEGATIVE: { status: 404, message: 'unknown negative example' },
  VISAGE_ERR_DUPLICATE_FACE: { status: 409, message: 'this image is already enrolled for this subject' },
  VISAGE_ERR_DB_NOT_FOUND: { status: 404, message: 'gallery database not found' },
  VISAGE_ERR_DB_LOCKED: { status: 503, message: 'gallery database is locked by another process' },
  VISAGE_ERR_DB_UNAVAILABLE: { status: 503, message: 'gallery database server cannot be reached or refused the login' },
  VISAGE_ERR_DB_READ_ONLY: { status: 403, message: 'gallery database is read-only' },
  VISAGE_ERR_NOT_A_GALLERY: { status: 400, message: 'not a Visage gallery database' },
  VISAGE_ERR_DB_TOO_NEW: { status: 500, message: 'gallery database was written by a newer Visage' },
  VISAGE_ERR_DB_FAILED: { status: 500, message: 'gallery database error' },
  VISAGE_ERR_JOBS_NEED_POSTGRES: { status: 400, message: 'batch jobs need a PostgreSQL gallery (--db postgres://...)' },
  VISAGE_ERR_UNKNOWN_JOB: { status: 404, message: 'unknown job' },
  VISAGE_ERR_UNKNOWN_CLUSTER: { status: 404, message: 'unknown cluster' },
  // Conditions that exist only over HTTP (the REST server):
  VISAGE_ERR_UNAUTHORIZED: { status: 401, message: 'an API key is needed (Authorization: Bearer <key> or X-API-Key)' },
  VISAGE_ERR_FORBIDDEN: { status: 403, message: 'this API key does not allow this call' },
  VISAGE_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  VISAGE_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed' },
  VISAGE_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'request body too large' },
  VISAGE_ERR_URI_TOO_LONG: { status: 414, message: 'request URL too long' },
  VISAGE_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'request headers too large' },
  VISAGE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  VISAGE_ERR_BUSY: { status: 503, message: 'the server is busy; try again shortly' },
  VISAGE_ERR_INTERNAL: { status: 500, message: 'internal server error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class VisageError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code].message, options);
    this.name = 'VisageError';
    this.code = code;
    this.status = ErrorCodes[code].status;
  }
}

export function isVisageError(error: unknown): error is VisageError {
  return error instanceof VisageError;
}

/**
 * A value the user gave, quoted for an error message and cut short: a message never echoes a
 * long input back (a 100 KB form field, a whole URL) into logs or answers.
 */
export function shown(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return `${JSON.stringify(cut)}${text.length > max ? ` (${text.length} characters)` : ''}`;
}
