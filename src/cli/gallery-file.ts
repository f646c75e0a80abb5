// The --db option shared by the recognition commands (enroll, identify, subjects, gallery, keys,
// serve): which gallery file, and opening it with errors that say what to do.
import { VisageError } from '../errors.ts';
import { openSqliteGallery, type SqliteGallery } from '../gallery/sqlite/index.ts';

export const DB_ENV = 'VISAGE_DB';
export const DB_HELP = `  --db FILE            the gallery (default: $${DB_ENV}, else ./visage.db)`;

/** The gallery file: --db, else $VISAGE_DB, else visage.db in the current folder. */
export function dbPath(value: string | undefined): string {
  return value ?? (process.env[DB_ENV] || 'visage.db');
}

/**
 * Opens the gallery for a command. `create`: a missing file is created (enroll, import);
 * otherwise a missing file is an error that says how to make one.
 */
export async function openGallery(file: string, options: { create?: boolean; write?: boolean } = {}): Promise<SqliteGallery> {
  let gallery: SqliteGallery;
  try {
    gallery = await openSqliteGallery(file, { create: options.create ?? false });
  } catch (error) {
    if ((error as VisageError).code === 'VISAGE_ERR_DB_NOT_FOUND' && !options.create) {
      throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `gallery ${file} does not exist (enrol people first: visage enroll <folder> --db ${file})`, { cause: error });
    }
    throw error;
  }
  if (options.write && gallery.readOnly) {
    await gallery.close();
    throw new VisageError('VISAGE_ERR_DB_READ_ONLY', `gallery ${file} is read-only: nothing changed`);
  }
  return gallery;
}
