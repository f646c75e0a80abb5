// The --db option shared by the recognition commands (enroll, identify, subjects, gallery, keys,
// serve): which gallery (a SQLite file or a PostgreSQL URL), and opening it with errors that say
// what to do.
import { VisageError } from '../errors.ts';
import { openGallery as openStore, isPostgresUrl, type OpenedGallery } from '../gallery/open.ts';
import { maskPassword } from '../gallery/postgres/location.ts';
import { createRecognizer, type Recognizer } from '../recognition/recognizer.ts';
import type { RecognizerOptions } from '../recognition/types.ts';

export const DB_ENV = 'VISAGE_DB';
export const DATABASE_URL_ENV = 'VISAGE_DATABASE_URL';
export const DB_HELP = `  --db FILE|URL        the gallery: a SQLite file, or a PostgreSQL database as postgres://user:password@host/db
                       (default: $${DATABASE_URL_ENV}, else $${DB_ENV}, else ./visage.db)`;

/** The gallery: --db, else $VISAGE_DATABASE_URL, else $VISAGE_DB, else visage.db in the current folder. */
export function dbPath(value: string | undefined): string {
  return value ?? (process.env[DATABASE_URL_ENV] || process.env[DB_ENV] || 'visage.db');
}

/** The gallery as shown in messages: a file as given, a URL with its password masked. */
export function dbLabel(location: string): string {
  return isPostgresUrl(location) ? maskPassword(location) : location;
}

/**
 * Opens the gallery for a command. `create`: a missing gallery is created (enroll, import);
 * otherwise a missing one is an error that says how to make one.
 */
export async function openGallery(location: string, options: { create?: boolean; write?: boolean } = {}): Promise<OpenedGallery> {
  let gallery: OpenedGallery;
  try {
    gallery = await openStore(location, { create: options.create ?? false });
  } catch (error) {
    // A missing gallery (not a missing PostgreSQL database, which has its cause attached) is made by enrolling.
    if ((error as VisageError).code === 'VISAGE_ERR_DB_NOT_FOUND' && !options.create && !(error as Error).cause) {
      const shown = isPostgresUrl(location) ? '<url>' : location;
      throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `${(error as Error).message} (enrol people first: visage enroll <folder> --db ${shown})`, { cause: error });
    }
    throw error;
  }
  if (options.write && gallery.readOnly) {
    await gallery.close();
    throw new VisageError('VISAGE_ERR_DB_READ_ONLY', `gallery ${gallery.location} is read-only: nothing changed`);
  }
  return gallery;
}

/**
 * A recognizer over a gallery the command opened (the gallery is closed again when the recognizer
 * cannot be made), with the note on which embedder it matches with printed when there is one.
 */
export async function recognizerFor(gallery: OpenedGallery, options: Omit<RecognizerOptions, 'gallery' | 'db'> = {}): Promise<Recognizer> {
  const recognizer = await createRecognizer({ ...options, gallery }).catch(async (error) => { await gallery.close(); throw error; });
  if (recognizer.embedderChoice.note) process.stderr.write(`visage: ${recognizer.embedderChoice.note}\n`);
  return recognizer;
}
