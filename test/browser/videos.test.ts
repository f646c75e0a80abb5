// The web page's video section in Chromium (playwright-core) against the server on 127.0.0.1: a
// 2.1 s cut of media/hamilton_clip.mp4 uploaded through the form, its progress shown, then who
// appears when: Lin-Manuel Miranda (enrolled from three other frames of the clip) on a strip with
// his best face, and the video listed under recent videos. The screenshot is kept in
// $TMPDIR/visage-browser-screenshots. Skipped, with the reason, without Chromium
// ($VISAGE_CHROMIUM), ffmpeg or the media dataset.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, type TestServer } from '../server/helpers.ts';
import { ffmpeg, hasFfmpeg, listenOnLoopback } from './helpers.ts';

const CHROMIUM = process.env.VISAGE_CHROMIUM ?? '/usr/bin/chromium';
const LIN = 'Lin-Manuel Miranda';

function skipReason(): false | string {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set VISAGE_CHROMIUM)`;
  if (!hasFfmpeg()) return 'no ffmpeg on PATH (apt-get install -y ffmpeg): it cuts the clip';
  return skipUnless('media', 'hamilton_clip.mp4');
}
const skip = skipReason();


let server: TestServer;
let base: string;
let work: string;
let browser: Browser;
let clip: string;

before(async () => {
  if (skip) return;
  work = await mkdtemp(path.join(tmpdir(), 'visage-web-videos-'));
  const source = dataset('media', 'hamilton_clip.mp4');
  clip = path.join(work, 'lin.mp4');
  ffmpeg('-ss', '5.5', '-i', source, '-t', '2.1', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', clip);
  server = await startServer({ openWithoutKeys: true });
  for (const t of ['3.8', '4.4', '5.0']) {
    const frame = path.join(work, `lin-${t}.jpg`);
    ffmpeg('-ss', t, '-i', source, '-frames:v', '1', frame);
    const res = await post(server.app, `/v1/subjects/${encodeURIComponent(LIN)}/faces?create=true&largest=true`, { image: { data: await readFile(frame), filename: `lin-${t}.jpg` } });
    assert.equal(res.statusCode, 201, res.body);
  }
  base = await listenOnLoopback(server);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('upload a video in the page: progress, then who appears when with the best face, and the video under recent videos', { skip, timeout: 180_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  // No event stream here (as behind a proxy that cuts it): the page falls back to polling the job.
  await page.route('**/v1/videos/*/events', (route) => route.abort());
  await page.goto(`${base}/#videos`);
  await page.setInputFiles('#video-form input[name="video"]', clip);
  await page.selectOption('#video-form select[name="fps"]', '2');
  await page.click('#video-form button[type="submit"]');
  await page.waitForSelector('#video-timeline .timeline', { timeout: 120_000 });
  const progress = page.locator('#video-progress-text');
  assert.equal(await progress.getAttribute('data-state'), 'completed');
  assert.equal(await page.locator('#video-live').getAttribute('data-mode'), 'polling');
  assert.equal(await progress.getAttribute('data-percent'), '100');
  assert.match(await progress.innerText(), /lin\.mp4: completed, 2\.1 s of 2\.1 s, \d+ frames/);
  const labels = await page.locator('#video-timeline .who[data-label]').evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.label));
  assert.ok(labels.includes(LIN), `people shown: ${labels.join(', ')}`);
  const lin = page.locator(`#video-timeline .who[data-label="${LIN}"]`);
  assert.equal(await lin.getAttribute('class'), 'who known');
  // The best face, fetched from the API and shown as a blob: URL (loaded: it has a width).
  const face = lin.locator('img');
  assert.match(await face.getAttribute('src') ?? '', /^blob:/);
  assert.ok(await face.evaluate((img) => (img as HTMLImageElement).naturalWidth) > 0);
  assert.ok(await page.locator('#video-timeline .bar.known').count() >= 1);
  await page.waitForSelector('#video-recent li');
  assert.match(await page.locator('#video-recent li').first().innerText(), /lin\.mp4 completed, \d+ track\(s\)/);
  const shots = path.join(tmpdir(), 'visage-browser-screenshots');
  await mkdir(shots, { recursive: true });
  await page.locator('#videos').screenshot({ path: path.join(shots, 'videos.png') });
  // The aborted stream is the one failure the console may show.
  assert.deepEqual(errors.filter((e) => !/ERR_FAILED/.test(e)), []);
  await page.close();
});

test('the page follows a video through its event stream: people appearing and leaving are listed while it runs, then who appears when', { skip, timeout: 240_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  const streams: string[] = [];
  page.on('request', (request) => { if (request.url().endsWith('/events')) streams.push(request.headers().accept ?? ''); });
  await page.goto(`${base}/#videos`);
  // The whole clip (10 s: the stage, the audience, Lin-Manuel Miranda's close-up): tracks start and end along it.
  await page.setInputFiles('#video-form input[name="video"]', dataset('media', 'hamilton_clip.mp4'));
  await page.selectOption('#video-form select[name="fps"]', '2');
  await page.click('#video-form button[type="submit"]');
  await page.waitForSelector('#video-live li[data-type="track-start"]', { timeout: 120_000 });
  await page.waitForSelector('#video-timeline .timeline', { timeout: 120_000 });
  assert.equal(await page.locator('#video-live').getAttribute('data-mode'), 'events');
  assert.deepEqual(streams, ['text/event-stream'], 'one event stream read, by fetch');
  const lines = await page.locator('#video-live li').evaluateAll((nodes) => nodes.map((n) => ({ ...(n as HTMLElement).dataset, text: n.textContent }) as Record<string, string | undefined>));
  const starts = lines.filter((l) => l.type === 'track-start');
  const ends = lines.filter((l) => l.type === 'track-end');
  assert.ok(starts.length >= 2, JSON.stringify(lines));
  assert.equal(ends.length, starts.length, 'every track that started ended');
  // Shown as they came, while the job ran (not all at once from the result).
  assert.ok(lines.some((l) => l.state === 'running'), `no event shown while the job ran: ${JSON.stringify(lines.map((l) => l.state))}`);
  assert.match(starts[0]!.text ?? '', /^0:0\d\.\d someone appears \(track \d+\)$/);
  assert.ok(ends.some((l) => /Lin-Manuel Miranda left \(track \d+: /.test(l.text ?? '')), JSON.stringify(ends.map((l) => l.text)));
  const progress = page.locator('#video-progress-text');
  assert.equal(await progress.getAttribute('data-state'), 'completed');
  assert.match(await progress.innerText(), /hamilton_clip\.mp4: completed, 10\.\d s of 10\.\d s/);
  assert.ok((await page.locator('#video-timeline .who[data-label]').count()) >= 2);
  const shots = path.join(tmpdir(), 'visage-browser-screenshots');
  await mkdir(shots, { recursive: true });
  await page.locator('#videos').screenshot({ path: path.join(shots, 'videos-live.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
