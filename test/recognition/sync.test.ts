// A long-lived Recognizer on a PostgreSQL gallery follows other processes' writes by LISTEN/NOTIFY
// (src/gallery/sync.ts), searches from memory, and keeps answering when the network to the database
// goes silent (no error, no answer: found by the safety poll's probe). Real faces (bbt).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecognizer, openPostgresGallery } from '../../src/public/gallery.ts';
import { createVisage } from '../../src/index.ts';
import { postgresStore, PG_URL_ENV } from '../helpers/stores.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';

const store = postgresStore();
after(() => store.cleanup());
const person = (name: string, n: number) => dataset('bbt', 'people', name, `${name}${n}.png`);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - start;
}

test('a Recognizer follows another writer by notification, answers from memory through a silent network, and catches up after it', { skip: store.skip || skipUnless('bbt', 'people') }, async () => {
  const location = await store.newLocation();
  const target = new URL(process.env[PG_URL_ENV]!);
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const visage = await createVisage();
  const writer = await createRecognizer({ visage, db: location });
  const gallery = await openPostgresGallery(proxy.through(location), { connectTimeoutMs: 1000 });
  const reader = await createRecognizer({ visage, gallery, safetyPeriodMs: 200 });
  try {
    await reader.prepare();
    assert.equal(reader.syncStatus()!.listening, true);
    assert.equal((await writer.enroll(person('howard', 1), 'howard')).status, 'added');
    await until('the reader hears of it', () => reader.syncStatus()!.lag === 0 && reader.syncStatus()!.sequence > 0, 2000);
    assert.equal((await reader.identify(person('howard', 2))).faces[0]!.name, 'howard');
    // per-request (the other mode) sees it too, with a round trip per search
    const perRequest = await createRecognizer({ visage, db: location, sync: 'per-request' });
    assert.equal((await perRequest.identify(person('howard', 3))).faces[0]!.name, 'howard');
    assert.equal(perRequest.syncStatus(), null);
    await perRequest.close();

    proxy.silence();
    for (const n of [1, 2]) assert.equal((await writer.enroll(person('penny', n), 'penny')).status, 'added');
    // The probe (200 ms period, 1 s deadline) finds the listening connection dead.
    await until('the reader sees the silence', () => !reader.syncStatus()!.listening, 5000);
    const start = performance.now();
    const stale = await reader.identify(person('howard', 4));
    assert.equal(stale.faces[0]!.name, 'howard', 'answered from memory');
    assert.notEqual((await reader.identify(person('penny', 3))).faces[0]!.name, 'penny', 'stale while away');
    assert.ok(performance.now() - start < 5000, 'not held up by the silent database');
    assert.ok(reader.syncStatus()!.msSinceCurrent! > 0);
    proxy.resume();
    await until('the reader is current again', async () => {
      const status = reader.syncStatus()!;
      return status.listening && status.failures === 0 && status.lag === 0 && status.sequence >= (await writer.gallery.changesSince(0)).seq;
    }, 15_000);
    assert.equal((await writer.identify(person('penny', 3))).faces[0]!.name, 'penny', 'the writer, as a control');
    assert.equal((await reader.identify(person('penny', 3))).faces[0]!.name, 'penny');
  } finally {
    await reader.close();
    await gallery.close();
    await writer.close();
    await visage.close();
    await proxy.close();
  }
});
