// visage keys create|list|revoke: the REST server's API keys, kept hashed in the server file
// beside a SQLite gallery (visage.db -> visage.server.db), or in a PostgreSQL gallery's own schema,
// shared by every API node on it (see src/server/store.ts, store-postgres.ts).
import { parseArgs } from 'node:util';
import { VisageError } from '../../errors.ts';
import { SCOPES, SqliteServerStore, serverStorePath, type Scope, type ServerStore } from '../../server/store.ts';
import { PostgresServerStore } from '../../server/store-postgres.ts';
import { isPostgresUrl } from '../../gallery/postgres/location.ts';
import { PostgresGallery } from '../../gallery/postgres/gallery.ts';
import { DB_HELP, dbLabel, dbPath, openGallery } from '../gallery-file.ts';
import { printTable } from './models.ts';
import { formatJson } from '../json.ts';

export const keysHelp = `Usage: visage keys <create|list|revoke> [options]

  create --scope admin|recognise [--name NAME]
                       make an API key and print it (once: only its SHA-256 is kept)
  list [--all]         the keys (--all: revoked ones too); never the secrets
  revoke <id>          revoke a key: it stops working at its next request, also on a running server

Scopes: recognise = read-only calls (recognise, verify, detect, look-alike, list people and faces);
admin = everything, including adding and deleting people, faces and keys.

Options:
${DB_HELP}
  --server-file FILE   keep keys in this SQLite file (default: the gallery's name with .server:
                       visage.server.db; a PostgreSQL gallery keeps them in its own schema)
  --json               print JSON
  -h, --help           this help
`;

export function serverFile(values: { db?: string; 'server-file'?: string }): string {
  return values['server-file'] ?? serverStorePath(dbPath(values.db));
}

/** The keys' store for these flags, and how to close it (with the PostgreSQL gallery it lives in). */
async function openKeyStore(values: { db?: string; 'server-file'?: string }, create: boolean): Promise<{ store: ServerStore; close(): Promise<void> }> {
  const db = dbPath(values.db);
  if (values['server-file'] === undefined && isPostgresUrl(db)) {
    const gallery = await openGallery(db, { create }).catch((error: unknown) => {
      // An empty schema (not a missing database, whose message says to create it).
      if (((error as Error).cause as VisageError | undefined)?.code !== 'VISAGE_ERR_DB_NOT_FOUND') throw error;
      throw new VisageError('VISAGE_ERR_DB_NOT_FOUND', `${dbLabel(db)} holds no gallery and no API keys yet (visage keys create makes them)`, { cause: error });
    });
    try {
      if (!(gallery instanceof PostgresGallery)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `${db} is not a PostgreSQL gallery`);
      const store = await PostgresServerStore.open(gallery, { create });
      return { store, close: async () => { store.close(); await gallery.close(); } };
    } catch (error) {
      await gallery.close();
      throw error;
    }
  }
  const store = SqliteServerStore.open(serverFile(values), { create });
  return { store, close: async () => store.close() };
}

export async function keysCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scope: { type: 'string' },
      name: { type: 'string' },
      all: { type: 'boolean', default: false },
      db: { type: 'string' },
      'server-file': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [action, ...rest] = positionals;
  if (values.help || !action) {
    process.stdout.write(keysHelp);
    return values.help ? 0 : 2;
  }
  const print = (data: unknown) => process.stdout.write(formatJson(data));
  switch (action) {
    case 'create': {
      if (rest.length) throw new VisageError('VISAGE_ERR_USAGE', 'keys create takes no positional arguments');
      if (!values.scope || !SCOPES.includes(values.scope as Scope)) throw new VisageError('VISAGE_ERR_USAGE', `keys create needs --scope ${SCOPES.join('|')}`);
      const { store, close } = await openKeyStore(values, true);
      try {
        const created = await store.createKey(values.scope as Scope, values.name);
        if (values.json) print(created);
        else {
          process.stdout.write(`${created.key}\n`);
          process.stderr.write(`key ${created.id} (${created.scope}, "${created.name}") saved hashed in ${store.location}; this is the only time it is shown\n`);
        }
      } finally {
        await close();
      }
      return 0;
    }
    case 'list': {
      const { store, close } = await openKeyStore(values, false);
      try {
        const keys = await store.listKeys({ includeRevoked: values.all });
        if (values.json) print(keys);
        else if (keys.length === 0) process.stderr.write(`no keys in ${store.location}\n`);
        else printTable(['id', 'scope', 'name', 'prefix', 'created', 'last used', 'revoked'], keys.map((k) => [String(k.id), k.scope, k.name, `${k.prefix}…`, k.created, k.lastUsed ?? '-', k.revoked ?? '-']));
      } finally {
        await close();
      }
      return 0;
    }
    case 'revoke': {
      if (rest.length !== 1 || !/^\d+$/.test(rest[0]!)) throw new VisageError('VISAGE_ERR_USAGE', 'keys revoke takes one key id (see visage keys list)');
      const { store, close } = await openKeyStore(values, false);
      try {
        const revoked = await store.revokeKey(Number(rest[0]));
        if (!revoked) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no key with id ${rest[0]} in ${store.location}`);
        if (values.json) print(revoked);
        else process.stdout.write(`revoked key ${revoked.id} (${revoked.scope}, "${revoked.name}")\n`);
      } finally {
        await close();
      }
      return 0;
    }
    default:
      throw new VisageError('VISAGE_ERR_USAGE', `unknown keys action "${action}" (create, list, revoke)`);
  }
}
