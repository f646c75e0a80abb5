// npm run bench:jobs: enrolment throughput through the job queue with 1 and then 2 `visage worker`
// processes on this machine, on real photos (LFW View 1: the first IMAGES images, people/<name>/).
// The first row is the baseline: the same images enrolled in this process by Recognizer.enroll
// one after the other (as `visage enroll` does), no queue. Each run gets a fresh gallery (a schema of its own, dropped afterwards), submits one job, starts
// the workers (child processes, models loaded before the clock starts: the clock starts when the
// job is submitted after every worker printed "ready") and polls the job until it is complete.
//
//   VISAGE_TEST_PG_URL=postgres://... npm run bench:jobs [-- --images 200 --workers 1,2 --chunk-size 8 --preset fast]
import { parseArgs } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { openJobQueue, enrolmentImages } from '../src/public/jobs.ts';
import { openGallery, createRecognizer } from '../src/public/gallery.ts';
import { dataset } from '../test/helpers/datasets.ts';
import { jobDatabase, spawnWorker } from '../test/helpers/workers.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    workers: { type: 'string', default: '1,2' },
    'chunk-size': { type: 'string', default: '8' },
    preset: { type: 'string', default: 'fast' },
  },
});
const count = Number(values.images);
const chunkSize = Number(values['chunk-size']);
const runs = values.workers.split(',').map(Number);
const db = jobDatabase();
if (db.skip) throw new Error(db.skip);

const all = (await enrolmentImages([dataset('lfw-view1', 'images')])).images.slice(0, count);
console.log(`bench:jobs — ${all.length} LFW View 1 images, chunks of ${chunkSize}, --preset ${values.preset}, ${os.availableParallelism()} cores; load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const rows: string[][] = [];
try {
  {
    const url = db.url();
    const recognizer = await createRecognizer({ db: url, visageOptions: { preset: values.preset as 'fast' } });
    await recognizer.enroll(all[0]!.file!, all[0]!.subject); // models loaded before the clock starts
    const load = os.loadavg()[0]!;
    const started = Date.now();
    let added = 1, skipped = 0;
    for (const image of all.slice(1)) {
      const outcome = await recognizer.enroll(image.file!, image.subject);
      if (outcome.status === 'added') added++; else skipped++;
    }
    const seconds = (Date.now() - started) / 1000;
    const faces = (await recognizer.gallery.stats()).faces;
    await recognizer.close();
    rows.push(['none (in-process loop)', String(all.length - 1), String(added - 1), String(skipped), '0', String(faces), seconds.toFixed(1), ((all.length - 1) / seconds).toFixed(2), '-', `${load.toFixed(1)} / ${os.loadavg()[0]!.toFixed(1)}`]);
    console.log(`baseline: ${all.length - 1} images in ${seconds.toFixed(1)} s`);
  }
  for (const workers of runs) {
    const url = db.url();
    const queue = await openJobQueue(url, { maintenanceIntervalSeconds: 5 });
    const procs = Array.from({ length: workers }, () => spawnWorker(url, ['--preset', values.preset, '--quiet']));
    await Promise.all(procs.map((p) => p.ready));
    const load = os.loadavg()[0]!;
    const started = Date.now();
    const job = await queue.submitEnrolment(all, { chunkSize });
    const done = await queue.waitFor(job.id, { timeoutMs: 3_600_000, intervalMs: 200 });
    const seconds = (Date.now() - started) / 1000;
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    const gallery = await openGallery(url, { create: false });
    const faces = (await gallery.stats()).faces;
    await gallery.close();
    await queue.close();
    const p = done.progress;
    rows.push([String(workers), String(p.total), String(p.added), String(p.skipped), String(p.failed), String(faces), seconds.toFixed(1), (p.total / seconds).toFixed(2),
      ((p.total / chunkSize) / seconds).toFixed(2), `${load.toFixed(1)} / ${os.loadavg()[0]!.toFixed(1)}`]);
    console.log(`${workers} worker(s): ${p.total} images in ${seconds.toFixed(1)} s`);
  }
} finally {
  await db.cleanup();
}
const header = ['workers', 'images', 'added', 'skipped', 'failed', 'faces in gallery', 'seconds', 'images/s', 'chunks/s', 'load 1-min (start / end)'];
console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\n(${path.basename(process.argv[1] ?? 'bench/jobs.ts')}; ${new Date().toISOString()})`);
