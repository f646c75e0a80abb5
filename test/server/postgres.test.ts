// The server over a PostgreSQL gallery: the same answers as over SQLite, and a database that goes
// away mid-run gives 503 VISAGE_ERR_DB_UNAVAILABLE (a coded answer, never a crash), then normal
// answers again once it is back. Needs VISAGE_TEST_PG_URL (test/helpers/stores.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecognizer, openPostgresGallery } from '../../src/public/gallery.ts';
import { face } from '../gallery/helpers.ts';
import { postgresStore, PG_URL_ENV } from '../helpers/stores.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { startServer, testVisage } from './helpers.ts';

const store = postgresStore();
after(() => store.cleanup());

test('a PostgreSQL gallery that goes away: 503 VISAGE_ERR_DB_UNAVAILABLE, health still answers, back to 200 once it returns', { skip: store.skip }, async () => {
  const target = new URL(process.env[PG_URL_ENV]!);
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const gallery = await openPostgresGallery(proxy.through(await store.newLocation()));
  await gallery.addFaces('ada', [face('ada-1')], { createSubject: true });
  const server = await startServer({ gallery, openWithoutKeys: true });
  const local = { host: 'localhost' };
  try {
    const before = await server.app.inject({ url: '/v1/subjects', headers: local });
    assert.equal(before.statusCode, 200, before.body);
    assert.deepEqual(before.json().subjects.map((subject: { name: string }) => subject.name), ['ada']);
    proxy.cut();
    const list = await server.app.inject({ url: '/v1/subjects', headers: local });
    assert.equal(list.statusCode, 503, list.body);
    assert.equal(list.json().error.code, 'VISAGE_ERR_DB_UNAVAILABLE');
    assert.doesNotMatch(list.body, /visage_test:visage_test/, 'no password in the answer');
    const rename = await server.app.inject({ method: 'PATCH', url: '/v1/subjects/ada', payload: { name: 'Ada Lovelace' }, headers: local });
    assert.equal(rename.statusCode, 503);
    assert.equal((await server.app.inject({ url: '/v1/health', headers: local })).statusCode, 200);
    proxy.resume();
    const after = await server.app.inject({ url: '/v1/subjects', headers: local });
    assert.equal(after.statusCode, 200, after.body);
    assert.deepEqual(after.json().subjects.map((subject: { name: string }) => subject.name), ['ada'], 'the refused rename changed nothing');
  } finally {
    await server.close();
    await gallery.close();
    await proxy.close();
  }
});

test('createRecognizer({ db: "postgres://..." }) opens the PostgreSQL gallery: enrol, identify, and it is closed with the recognizer', { skip: store.skip || skipUnless('bbt', 'people') }, async () => {
  const url = await store.newLocation();
  const recognizer = await createRecognizer({ visage: await testVisage(), db: url });
  try {
    for (const n of [1, 2]) assert.equal((await recognizer.enroll(dataset('bbt', 'people', 'amy', `amy${n}.png`), 'amy')).status, 'added');
    const found = await recognizer.identify(dataset('bbt', 'people', 'amy', 'amy3.png'));
    assert.equal(found.faces[0]!.name, 'amy');
    assert.match((await recognizer.gallery.stats()).location, /^postgres:\/\/visage_test:\*\*\*@/);
  } finally {
    await recognizer.close();
  }
});
