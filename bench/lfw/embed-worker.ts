// One embedding process of bench/lfw.ts (argv[2]: the system id). It loads the system, then asks
// the parent for chunks of images and sends back each embedding over IPC (the parent forks it with
// advanced serialisation, which carries Float32Arrays). TF.js-WASM uses one core, so the parent
// runs one of these per core for such systems.
import { getSystem } from './systems.ts';

export interface WorkItem {
  index: number;
  path: string;
}

export type ToWorker = { type: 'work'; items: WorkItem[] } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'result'; index: number; embedding: Float32Array | null; noFace: boolean; ms: number }
  | { type: 'idle' }
  | { type: 'error'; message: string };

const send = (message: FromWorker) => process.send!(message);

async function main(): Promise<void> {
  if (!process.send) throw new Error('embed-worker.ts is started by bench/lfw.ts, not directly');
  const spec = getSystem(process.argv[2] ?? '');
  const started = performance.now();
  const embedder = await spec.load();
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
          let embedding = await embedder.embed(item.path);
          const noFace = embedding === null;
          if (noFace && embedder.embedWithoutFace) embedding = await embedder.embedWithoutFace(item.path);
          send({ type: 'result', index: item.index, embedding, noFace, ms: performance.now() - t });
        }
        send({ type: 'idle' });
      } catch (error) {
        fail(error);
      }
    })();
  });
}

/** Reports the error to the parent, then exits once the message is out. */
function fail(error: unknown): void {
  const message: FromWorker = { type: 'error', message: `${(error as Error)?.stack ?? error}` };
  if (process.send) process.send(message, () => process.exit(1));
  else { console.error(message.message); process.exit(1); }
}

main().catch(fail);
