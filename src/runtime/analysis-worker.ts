// The worker side of AnalysisThread (analysis-thread.ts): one Visage, one call at a time, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { createVisage, type Visage } from '../visage.ts';
import type { AnalysisReply } from './analysis-thread.ts';

const port = parentPort!;
const { config } = workerData as { config: Record<string, unknown> };
let visage: Visage | null = null;
let queue: Promise<void> = Promise.resolve();

async function handle(method: string, input: never, options: never): Promise<unknown> {
  visage ??= await createVisage({ ...config, worker: false });
  switch (method) {
    case 'ready': return null;
    case 'warmUp': return visage.warmUp();
    case 'detect': return visage.detect(input, options);
    case 'analyze': return visage.analyze(input, options);
    case 'checkFaces': return visage.checkFaces(input, options);
    case 'close': return visage.close();
    default: throw new Error(`unknown call ${method}`);
  }
}

port.on('message', ({ id, method, input, options }: { id: number; method: string; input: never; options: never }) => {
  queue = queue.then(async () => {
    let reply: AnalysisReply;
    try {
      reply = { id, result: await handle(method, input, options) };
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown };
      reply = { id, error: { code: typeof e?.code === 'string' ? e.code : undefined, message: typeof e?.message === 'string' ? e.message : String(error) } };
    }
    port.postMessage(reply);
  });
});
