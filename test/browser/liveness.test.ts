// The web page's attributes and liveness in Chromium (playwright-core) against the server on
// 127.0.0.1: a photo recognised with its age, gender, emotion and liveness listed and drawn; the
// live view with "require a live face" over a fake camera playing a NUAA printed-photo frame
// (labelled NOT LIVE) and one playing a live frame of the same person (not refused); the active
// check (turn or blink) over the same fake cameras: a still picture, printed photo or live frame,
// moves neither head nor eyes and is refused.
// Skipped, with the reason, without Chromium ($VISAGE_CHROMIUM), ffmpeg or the NUAA dataset.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { startServer, testVisage, type TestServer } from '../server/helpers.ts';
import { ffmpeg, hasFfmpeg, listenOnLoopback } from './helpers.ts';

const CHROMIUM = process.env.VISAGE_CHROMIUM ?? '/usr/bin/chromium';

function skipReason(): false | string {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set VISAGE_CHROMIUM)`;
  if (!hasFfmpeg()) return 'no ffmpeg on PATH (apt-get install -y ffmpeg): it makes the fake camera videos';
  return skipUnless('nuaa', 'live') || skipUnless('nuaa', 'spoof');
}
const skip = skipReason();

const frame = (kind: 'live' | 'spoof') => dataset('nuaa', kind, readdirSync(dataset('nuaa', kind)).filter((f) => f.startsWith('0004_')).sort()[0]!);


async function launch(video: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`,
    ],
  });
}

describe('web page: attributes and liveness in Chromium', () => {
  let server: TestServer;
  let base: string;
  let work: string;
  const videos: Record<'live' | 'spoof', string> = { live: '', spoof: '' };

  before(async () => {
    if (skip) return;
    work = await mkdtemp(path.join(tmpdir(), 'visage-liveness-'));
    // Each NUAA frame (640x480) as a 2-second still clip at 10 frames per second; Chromium loops it.
    for (const kind of ['live', 'spoof'] as const) {
      videos[kind] = path.join(work, `${kind}.y4m`);
      ffmpeg('-loop', '1', '-t', '2', '-i', frame(kind), '-vf', 'format=yuv420p', '-r', '10', videos[kind]);
    }
    server = await startServer({ openWithoutKeys: true });
    base = `${await listenOnLoopback(server)}/`;
  });

  after(async () => {
    if (skip) return;
    await server?.close();
    await (await testVisage()).close();
    await rm(work, { recursive: true, force: true });
  });

  /** The live view with "require a live face" on, over the fake camera: the labels once three frames are answered. */
  async function liveLabels(kind: 'live' | 'spoof'): Promise<{ labels: string[]; errors: string[] }> {
    const browser = await launch(videos[kind]);
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(base);
      await page.click('#camera-start');
      await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).videoWidth > 0);
      await page.check('#live-require');
      await page.check('#live-toggle');
      await page.waitForFunction(() => Number(document.getElementById('live-stats')!.dataset.frames) >= 3, undefined, { timeout: 60_000 });
      const labels: string[] = JSON.parse((await page.locator('#live-names').getAttribute('data-names')) ?? '[]');
      await page.click('#camera-stop');
      return { labels, errors };
    } finally {
      await browser.close();
    }
  }

  test('a printed photo held to the camera is refused (NOT LIVE); the live person is not', { skip }, async (t) => {
    const spoof = await liveLabels('spoof');
    const live = await liveLabels('live');
    t.diagnostic(`labels: printed photo ${spoof.labels.join(', ')}; live ${live.labels.join(', ')}`);
    // The photo's face is refused; the live person's face is not (nobody is enrolled: UNKNOWN).
    assert.ok(spoof.labels.length >= 1 && spoof.labels.every((l) => l === 'NOT LIVE'), spoof.labels.join(', '));
    assert.ok(live.labels.includes('UNKNOWN'), live.labels.join(', '));
    assert.deepEqual([...spoof.errors, ...live.errors], [], 'no console errors');
  });

  /** "Check liveness" over the fake camera: the verdict's text and data attributes once the server answered. */
  async function activeVerdict(kind: 'live' | 'spoof'): Promise<{ text: string; live: string; active: string; passive: string; errors: string[] }> {
    const browser = await launch(videos[kind]);
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(base);
      await page.click('#camera-start');
      await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).videoWidth > 0);
      await page.click('#active-check');
      await page.waitForFunction(() => document.getElementById('active-prompt')!.textContent!.length > 0);
      await page.waitForFunction(() => document.getElementById('active-result')!.dataset.live !== undefined, undefined, { timeout: 90_000 });
      const result = page.locator('#active-result');
      return {
        text: await result.innerText(), live: (await result.getAttribute('data-live'))!, active: (await result.getAttribute('data-active'))!,
        passive: (await result.getAttribute('data-passive'))!, errors,
      };
    } finally {
      await browser.close();
    }
  }

  test('the active check: a printed photo held still fails it (and the passive model); a live frame held still fails it too', { skip }, async (t) => {
    const spoof = await activeVerdict('spoof');
    t.diagnostic(`printed photo: ${spoof.text}`);
    assert.deepEqual([spoof.live, spoof.active, spoof.passive], ['false', 'false', 'spoof']);
    assert.match(spoof.text, /^NOT LIVE: no blink and no head turn seen/);
    // A still of a live person is no more alive to the active check than a photo is.
    const still = await activeVerdict('live');
    t.diagnostic(`live frame, still: ${still.text}`);
    assert.deepEqual([still.live, still.active], ['false', 'false']);
    assert.deepEqual([...spoof.errors, ...still.errors], [], 'no console errors');
  });

  test('enrol from the webcam with "check liveness first": a printed photo at the camera enrols nothing', { skip }, async () => {
    const browser = await launch(videos.spoof);
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(base);
      await page.click('#camera-start');
      await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).videoWidth > 0);
      await page.click('#shot-one');
      await page.waitForFunction(() => document.getElementById('shots')!.dataset.count === '1');
      await page.fill('#shots-form input[name=name]', 'printed');
      await page.check('#shots-form input[name=live]');
      await page.click('#shots-enrol');
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Not enrolled'), undefined, { timeout: 90_000 });
      assert.match(await page.locator('#status').innerText(), /^Not enrolled: no blink and no head turn seen/);
      assert.equal(await page.locator('#active-result').getAttribute('data-live'), 'false');
      assert.equal((await server.app.inject({ url: '/v1/subjects' })).json().subjects.length, 0, 'nobody enrolled');
    } finally {
      await browser.close();
    }
  });

  test('recognise a photo: age, gender, emotion and liveness listed next to the face', { skip }, async () => {
    const browser = await launch(videos.live);
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(base);
      await page.setInputFiles('#recognise-form input[name=photo]', frame('live'));
      await page.click('#recognise-form button[type=submit]');
      await page.waitForFunction(() => document.getElementById('recognise-attributes')!.children.length > 0, undefined, { timeout: 60_000 });
      const text = await page.locator('#recognise-attributes').innerText();
      assert.match(text, /UNKNOWN: \d+ y · (male|female) 0\.\d\d · \w+ 0\.\d\d · live \d\.\d\d/);
      const attributes = JSON.parse((await page.locator('#recognise-attributes').getAttribute('data-attributes'))!);
      assert.ok(attributes.length >= 1); // NUAA frames hold a second, false detection on some frames
      assert.deepEqual(Object.keys(attributes[0]).sort(), ['age', 'emotion', 'gender', 'liveness']);
    } finally {
      await browser.close();
    }
  });
});
