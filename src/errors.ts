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
