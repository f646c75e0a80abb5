// Inference runs one job at a time. ONNX Runtime already uses every core for one image, so
// running two at once only splits the cores, and its session.run() holds the main thread for
// parts of each call: jobs in a row, with the event loop free between them, keep cheap requests
// (health, lists, auth failures) answered within one job's time while heavy ones queue. A queue
// that is full refuses at once (503 VISAGE_ERR_BUSY, Retry-After) instead of growing without end.
import { VisageError } from '../errors.ts';

export interface QueueStats {
  running: number;
  waiting: number;
  maxWaiting: number;
  completed: number;
  refused: number;
  /** Jobs dropped before they ran because their client had gone. */
  abandoned: number;
}

export class InferenceQueue {
  private readonly maxWaiting: number;
  private readonly pending: (() => void)[] = [];
  private running = 0;
  private completed = 0;
  private refused = 0;
  private abandoned = 0;

  constructor(maxWaiting: number) {
    this.maxWaiting = maxWaiting;
  }

  /**
   * Runs `job` when its turn comes. `gone()` is asked just before: a client that disconnected
   * while waiting costs no inference.
   */
  /** Whether a job given now would be refused (checked before a request's body is read). */
  full(): boolean {
    return this.running > 0 && this.pending.length >= this.maxWaiting;
  }

  /** Counts a refused job; the message to answer it with. */
  refusal(): string {
    this.refused++;
    return `the server is busy (${this.pending.length} images waiting); try again shortly`;
  }

  /** The error for a refused job (counted as refused). */
  busyError(): VisageError {
    return new VisageError('VISAGE_ERR_BUSY', this.refusal());
  }

  async run<T>(job: () => Promise<T>, gone: () => boolean = () => false): Promise<T> {
    if (this.running > 0) {
      if (this.pending.length >= this.maxWaiting) throw this.busyError();
      await new Promise<void>((resolve) => this.pending.push(resolve));
    } else {
      this.running++;
    }
    // Here this job holds the one slot (handed over by the previous job's release()).
    try {
      if (gone()) {
        this.abandoned++;
        throw new VisageError('VISAGE_ERR_BUSY', 'client disconnected while waiting');
      }
      const result = await job();
      this.completed++;
      return result;
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.pending.shift();
    // Hand the slot straight to the next job (running stays 1), on a later turn of the event loop
    // so that requests that arrived meanwhile are read first.
    if (next) setImmediate(next);
    else this.running--;
  }

  stats(): QueueStats {
    return { running: this.running, waiting: this.pending.length, maxWaiting: this.maxWaiting, completed: this.completed, refused: this.refused, abandoned: this.abandoned };
  }
}
