// One embedding process of bench/lfw.ts (argv[2]: the comma-separated ids of the systems of one
// pass). It loads them, then asks the parent for chunks of images and sends back each image's
// embeddings over IPC (the parent forks it with advanced serialisation, which carries
// Float32Arrays). TF.js-WASM uses one core, so the parent runs one of these per core for such systems.
import { loadPass, type EmbedOutcome } from './systems.ts';

export interface WorkItem {
  index: number;
  path: string;
}

export type ToWorker = { type: 'work'; items: WorkItem[] } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; loadMs: number }
  /** One outcome per system of the pass, in the order of argv[2]. */
  | { type: 'result'; index: number; outcomes: EmbedOutcome[]; ms: number; cpuMs: number }
  | { type: 'idle' }
  | { type: 'error'; message: string };

const send = (message: FromWorker) => process.send!(message);

/** Reports the error to the parent, then exits once the message is out. */
function fail(error: unknown): void {
  const message: FromWorker = { type: 'error', message: `${(error as Error)?.stack ?? error}` };
  if (process.send) process.send(message, () => process.exit(1));
  else { console.error(message.message); process.exit(1); }
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('embed-worker.ts is started by bench/lfw.ts, not directly');
  const started = performance.now();
  const embedder = await loadPass((process.argv[2] ?? '').split(','));
  send({ type: 'ready', loadMs: performance.now() - started });
  process.on('message', (message: ToWorker) => {
    void (async () => {
      try {
        if (message.type === 'stop') {
          await embedder.close();
          process.exit(0); // TF.js and Human may keep handles open
        }
        for (const item of message.items) {
          const t = performance.now();
          const cpu = process.cpuUsage();
          const outcomes = await embedder.embed(item.path);
          const used = process.cpuUsage(cpu);
          send({ type: 'result', index: item.index, outcomes, ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 });
        }
        send({ type: 'idle' });
      } catch (error) {
        fail(error);
      }
    })();
  });
}

main().catch(fail);
