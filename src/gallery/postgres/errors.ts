// PostgreSQL's and node-postgres's errors as Visage's coded ones. A server that cannot be reached,
// goes away or refuses the login is VISAGE_ERR_DB_UNAVAILABLE (503: try again later), a database
// that does not exist VISAGE_ERR_DB_NOT_FOUND, a lock waited for past busyTimeoutMs
// VISAGE_ERR_DB_LOCKED, a write the role or the server does not allow VISAGE_ERR_DB_READ_ONLY.
// Messages are one line and never show the password.
import { VisageError, type ErrorCode } from '../../errors.ts';
import { maskPassword } from './location.ts';

/** Socket-level failures: the server is not there (any more). */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOENT']);

export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  const message = (error as Error)?.message ?? '';
  if (typeof code === 'string') {
    if (NETWORK.has(code)) return true;
    // 08: connection exception; 57P01-57P03: the server shuts down or is starting; 53300: too many connections.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  }
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|Connection refused/i.test(message);
}

export function mapPostgresError(error: unknown, display: string, busyTimeoutMs: number): unknown {
  if (error instanceof VisageError) return error;
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = maskPassword(error.message.replace(/\s+/g, ' ').trim());
  const coded = (visageCode: ErrorCode, text: string) => new VisageError(visageCode, text, { cause: error });
  if (isConnectionError(error)) {
    return coded('VISAGE_ERR_DB_UNAVAILABLE', `gallery ${display} cannot be reached (${message})`);
  }
  if (typeof code !== 'string') return error;
  if (code === '28P01' || code === '28000') return coded('VISAGE_ERR_DB_UNAVAILABLE', `gallery ${display}: login refused (${message})`);
  if (code === '3D000') return coded('VISAGE_ERR_DB_NOT_FOUND', `gallery ${display}: ${message} (create it first, e.g. createdb)`);
  if (code === '55P03' || code === '40P01') {
    return coded('VISAGE_ERR_DB_LOCKED', `gallery ${display} is locked by another writer (waited ${busyTimeoutMs} ms); try again when it has finished`);
  }
  if (code === '25006' || code === '42501') return coded('VISAGE_ERR_DB_READ_ONLY', `gallery ${display} is read-only (${message}); nothing was changed`);
  if (code === '57014') return coded('VISAGE_ERR_DB_FAILED', `gallery ${display}: statement cancelled (${message})`);
  return coded('VISAGE_ERR_DB_FAILED', `gallery ${display}: ${message} (PostgreSQL ${code})`);
}
