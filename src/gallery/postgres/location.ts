// A PostgreSQL gallery's location: a postgres:// (or postgresql://) URL as libpq and node-postgres
// read it, plus one parameter of Visage's own, `schema`, which puts the gallery's tables in a schema
// of their own (created when missing), so that one database can hold several galleries. The URL is
// shown in messages and stats with its password masked.
import { VisageError, shown } from '../../errors.ts';

/** Whether a gallery location names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location.trim());
}

export interface PostgresLocation {
  /** The URL handed to node-postgres: without Visage's `schema` parameter. */
  connectionString: string;
  /** The schema named by `?schema=` (or the option), else null: the connection's own (usually public). */
  schema: string | null;
  /** The URL with its password masked, for messages. */
  display: string;
}

/** Lower-case letters, digits and _, starting with a letter or _: needs no quoting anywhere. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `schema name must be lower-case letters, digits and _ (at most 63, not starting with a digit), got ${shown(schema)}`);
  }
  return schema;
}

export function parsePostgresUrl(location: string, schemaOption?: string): PostgresLocation {
  let url: URL;
  try {
    url = new URL(location.trim());
  } catch {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `not a valid PostgreSQL URL: ${shown(maskPassword(location))} (expected postgres://user:password@host:5432/database)`);
  }
  if (!/^postgres(ql)?:$/i.test(url.protocol)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `not a PostgreSQL URL: ${shown(maskPassword(location))}`);
  const fromUrl = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  if (fromUrl !== null && schemaOption !== undefined && fromUrl !== schemaOption) {
    throw new VisageError('VISAGE_ERR_BAD_OPTION', `schema given twice, differently: "${fromUrl}" in the URL and "${schemaOption}" as an option`);
  }
  const schema = schemaOption ?? fromUrl;
  if (schema !== null) checkSchemaName(schema);
  const display = new URL(url.href);
  if (display.password) display.password = '***';
  if (schema !== null) display.searchParams.set('schema', schema);
  return { connectionString: url.href, schema, display: decodeURIComponent(display.href) };
}

/** A URL-looking text with whatever stands between "user:" and "@" masked (also when unparseable). */
export function maskPassword(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}
