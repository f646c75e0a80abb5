// SQLite's errors as Visage's coded ones: a lock, a read-only file, a file that is not a gallery.
import { VisageError, type ErrorCode } from '../../errors.ts';

export function mapSqliteError(error: unknown, file: string, busyTimeoutMs: number, readOnlyReason: string | null): unknown {
  if (error instanceof VisageError) return error;
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  const message = (error as Error).message;
  const coded = (visageCode: ErrorCode, text: string) => new VisageError(visageCode, text, { cause: error });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return coded('VISAGE_ERR_DB_LOCKED', `gallery ${file} is locked by another process (waited ${busyTimeoutMs} ms); try again when it has finished`);
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return coded('VISAGE_ERR_DB_READ_ONLY', `gallery ${file} is read-only (${readOnlyReason ?? message}); nothing was changed`);
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return coded('VISAGE_ERR_NOT_A_GALLERY', `${file} is not a usable Visage gallery (${message})`);
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return coded('VISAGE_ERR_DB_FAILED', `cannot open gallery ${file} (${message})`);
  return coded('VISAGE_ERR_DB_FAILED', `gallery ${file}: ${message}`);
}
