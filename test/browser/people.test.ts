// "People to name" in a real browser: Debian's Chromium driven by playwright-core against the server
// listening on 127.0.0.1 (a temporary gallery). 26 LFW photos of five people added through the
// page, shown as strips of thumbnails; a cluster named in the page, then listed as that person; a
// face split off by clicking it. A screenshot goes to $TMPDIR/visage-browser-screenshots (or
// $VISAGE_SCREENSHOTS). Skipped, with the reason, without /usr/bin/chromium ($VISAGE_CHROMIUM) or LFW.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { skipUnless } from '../helpers/datasets.ts';
import { startServer, testVisage, type TestServer } from '../server/helpers.ts';
import { listenOnLoopback } from './helpers.ts';
import { lfwPeople, PEOPLE } from '../server/lfw-people.ts';

const CHROMIUM = process.env.VISAGE_CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set VISAGE_CHROMIUM)` : skipUnless('lfw-view1', 'images', PEOPLE[0]!);

let server: TestServer;
let base: string;

before(async () => {
  if (skip) return;
  server = await startServer({ openWithoutKeys: true });
  base = `${await listenOnLoopback(server)}/`;
});

after(async () => {
  if (skip) return;
  await server?.close();
  await (await testVisage()).close();
});

test('People to name in Chromium: add photos, strips of thumbnails, name a cluster, split a face off', { skip, timeout: 600_000 }, async (t) => {
  const files = [...(await lfwPeople()).values()].flatMap((list) => list.slice(0, -1));
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}#to-name`);
    await page.locator('#clusters-summary', { hasText: 'No photos yet.' }).waitFor();

    await page.setInputFiles('#clusters-photos', files);
    await page.click('#clusters-form button[type=submit]');
    await page.locator('#clusters-summary', { hasText: '26 photos' }).waitFor({ timeout: 300_000 });
    const rows = page.locator('#clusters-list li.cluster');
    assert.ok(await rows.count() >= PEOPLE.length, `${await rows.count()} clusters shown`);
    // Every thumbnail of the first strip is loaded (a blob: picture of 128 px).
    const first = rows.first();
    await page.waitForFunction(() => [...document.querySelectorAll('#clusters-list li.cluster:first-child .strip img')].every((img) => (img as HTMLImageElement).naturalWidth === 128));
    const size = await first.locator('.strip img').count();
    assert.ok(size >= 4, `the largest cluster shows ${size} faces`);

    // Name it: it leaves the "not named yet" list, and shows under its name without the filter.
    const id = await first.getAttribute('data-id');
    await first.locator('input').fill('Person One');
    await first.locator('button', { hasText: 'Name' }).click();
    await page.locator('#clusters-status', { hasText: 'is Person One' }).waitFor();
    assert.equal(await page.locator(`#clusters-list li[data-id="${id}"]`).count(), 0);
    await page.uncheck('#clusters-unnamed');
    await page.locator(`#clusters-list li[data-id="${id}"] strong`, { hasText: 'Person One' }).waitFor();
    assert.deepEqual((await server.gallery.listSubjects()).map((s) => s.name), ['Person One']);

    // Split one face off another cluster by clicking it.
    await page.check('#clusters-unnamed');
    const other = page.locator('#clusters-list li.cluster').first();
    await other.locator('.strip img').first().waitFor();
    const before = await other.locator('.strip img').count();
    await other.locator('.strip img').first().click();
    await other.locator('button', { hasText: 'Split selected off' }).click();
    await page.locator('#clusters-status', { hasText: 'moved to' }).waitFor();
    const shots = process.env.VISAGE_SCREENSHOTS ?? path.join(tmpdir(), 'visage-browser-screenshots');
    await mkdir(shots, { recursive: true });
    await page.locator('#to-name').screenshot({ path: path.join(shots, 'people-to-name.png') });
    t.diagnostic(`screenshot: ${path.join(shots, 'people-to-name.png')}; the split cluster had ${before} faces`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
