// The server's keys and thumbnails in a PostgreSQL gallery's schema (src/server/store-postgres.ts):
// the SQLite server file's behaviour (SHA-256 only, scopes, revoke at once, thumbnails only while the
// content hash matches) plus what the database adds (versioned tables, thumbnails deleted with their
// face, keys seen valid accepted for a while when the database is away). Needs VISAGE_TEST_PG_URL.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresGallery } from '../../src/public/gallery.ts';
import { PostgresServerStore, hashKey } from '../../src/server/index.ts';
import { face } from '../gallery/helpers.ts';
import { postgresStore, PG_URL_ENV } from '../helpers/stores.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';

const store = postgresStore();
after(() => store.cleanup());
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

test('keys: only the SHA-256 kept, scopes, revoke at once; tables versioned, made once; create: false on a schema without them', { skip: store.skip }, async () => {
  const location = await store.newLocation();
  const gallery = await openPostgresGallery(location);
  try {
    await assert.rejects(PostgresServerStore.open(gallery, { create: false }), { code: 'VISAGE_ERR_DB_NOT_FOUND' });
    const keys = await PostgresServerStore.open(gallery);
    const again = await PostgresServerStore.open(gallery, { create: false });
    const created = await keys.createKey('recognise', 'kiosk');
    assert.match(created.key, /^vsk_[\w-]{43}$/);
    assert.match(created.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await assert.rejects(keys.createKey('root' as never), { code: 'VISAGE_ERR_BAD_INPUT' });
    const found = await again.findKey(created.key);
    assert.equal(found?.id, created.id);
    assert.equal(found?.scope, 'recognise');
    assert.equal(await again.findKey(`${created.key}x`), null);
    assert.equal(await again.activeKeyCount(), 1);
    const client = new pg.Client({ connectionString: process.env[PG_URL_ENV] });
    await client.connect();
    try {
      const schema = new URL(location).searchParams.get('schema');
      const rows = (await client.query(`SELECT hash FROM ${schema}.api_keys`)).rows;
      assert.deepEqual(rows, [{ hash: hashKey(created.key) }]);
      assert.deepEqual((await client.query(`SELECT version FROM ${schema}.visage_server ORDER BY version`)).rows, [{ version: 1 }, { version: 2 }]);
    } finally {
      await client.end();
    }
    const revoked = await keys.revokeKey(created.id);
    assert.ok(revoked?.revoked);
    assert.equal(await again.findKey(created.key), null, 'revoked: refused through the other connection at once');
    assert.equal(await keys.revokeKey(999), null);
    assert.equal((await keys.listKeys()).length, 0);
    assert.equal((await keys.listKeys({ includeRevoked: true })).length, 1);
  } finally {
    await gallery.close();
  }
});

test('thumbnails: served only with the face\'s content hash, deleted with the face, refused for a face that does not exist', { skip: store.skip }, async () => {
  const gallery = await openPostgresGallery(await store.newLocation());
  try {
    const keys = await PostgresServerStore.open(gallery);
    const [stored] = await gallery.addFaces('ada', [face('ada-1')], { createSubject: true });
    await keys.putThumbnail(stored!.id, stored!.contentHash, JPEG);
    assert.deepEqual(await keys.getThumbnail(stored!.id, stored!.contentHash), JPEG);
    assert.equal(await keys.getThumbnail(stored!.id, 'f'.repeat(64)), null);
    await assert.rejects(keys.putThumbnail(stored!.id + 1000, stored!.contentHash, JPEG), { code: 'VISAGE_ERR_DB_FAILED' });
    assert.equal(await keys.pruneThumbnails(), 0);
    await gallery.deleteFace(stored!.id);
    assert.equal(await keys.getThumbnail(stored!.id, stored!.contentHash), null, 'went with its face');
  } finally {
    await gallery.close();
  }
});

test('the database away: a key seen valid is still accepted (KEY_GRACE_MS), an unknown one is a 503 error, the key count is the last read', { skip: store.skip }, async () => {
  const target = new URL(process.env[PG_URL_ENV]!);
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const gallery = await openPostgresGallery(proxy.through(await store.newLocation()), { connectTimeoutMs: 2000 });
  try {
    const keys = await PostgresServerStore.open(gallery);
    const { key } = await keys.createKey('admin');
    assert.ok(await keys.findKey(key));
    assert.equal(await keys.activeKeyCount(), 1);
    proxy.cut();
    assert.equal((await keys.findKey(key))?.scope, 'admin');
    assert.equal(await keys.activeKeyCount(), 1);
    const other = `vsk_${'a'.repeat(43)}`;
    await assert.rejects(keys.findKey(other), { code: 'VISAGE_ERR_DB_UNAVAILABLE' });
    await assert.rejects(keys.createKey('admin'), { code: 'VISAGE_ERR_DB_UNAVAILABLE' });
    proxy.resume();
    assert.equal(await keys.findKey(other), null);
  } finally {
    await gallery.close();
    await proxy.close();
  }
});
