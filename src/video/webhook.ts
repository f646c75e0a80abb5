// Webhook delivery for video events (`visage video --webhook URL`, a video job's `webhook`): each
// event POSTed as JSON, one at a time in the order the events came (a receiver sees a track start
// before it ends), each given `timeoutMs`. A failure (refused, an error status, a timeout) is
// counted, never thrown: the video goes on. At most `maxPending` wait; past that an event is
// dropped and counted, so a dead receiver costs a bounded amount of memory.
import { VisageError } from '../errors.ts';

export interface WebhookCounts {
  /** Answered with a 2xx. */
  posted: number;
  /** Refused, an error status, or no answer within the timeout. */
  failed: number;
  /** Never sent: more than maxPending waiting, or still waiting when settle() gave up. */
  dropped: number;
}

export interface WebhookOptions {
  /** Milliseconds one POST may take (default 10 s). */
  timeoutMs?: number;
  /** Events waiting at most (default 100). */
  maxPending?: number;
}

export class WebhookPoster implements WebhookCounts {
  readonly url: string;
  posted = 0;
  failed = 0;
  dropped = 0;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly abort = new AbortController();

  constructor(url: string, options: WebhookOptions = {}) {
    if (typeof url !== 'string' || !/^https?:\/\/./i.test(url)) throw new VisageError('VISAGE_ERR_BAD_OPTION', `a webhook is an http(s) URL, got ${JSON.stringify(String(url).slice(0, 100))}`);
    this.url = url;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxPending = options.maxPending ?? 100;
  }

  /** Queues one event (returns at once). */
  post(body: unknown): void {
    if (this.pending >= this.maxPending || this.abort.signal.aborted) {
      this.dropped++;
      return;
    }
    this.pending++;
    const text = JSON.stringify(body);
    this.chain = this.chain.then(async () => {
      if (this.abort.signal.aborted) { this.dropped++; return; }
      const ok = await this.send(text);
      if (ok) this.posted++;
      else this.failed++;
    }).finally(() => { this.pending--; });
  }

  /** Waits for the events queued to be sent, at most `maxWaitMs` (default 15 s); what is left then is dropped. */
  async settle(maxWaitMs = 15_000): Promise<WebhookCounts> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([this.chain.then(() => false), new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), maxWaitMs); })]);
    clearTimeout(timer);
    if (gaveUp) this.abort.abort();
    return { posted: this.posted, failed: this.failed, dropped: this.dropped + (gaveUp ? this.pending : 0) };
  }

  private async send(text: string): Promise<boolean> {
    try {
      const answer = await fetch(this.url, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: text,
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.abort.signal]), redirect: 'error',
      });
      await answer.arrayBuffer().catch(() => undefined);
      return answer.ok;
    } catch {
      return false;
    }
  }
}
