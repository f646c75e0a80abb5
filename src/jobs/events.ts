// The events of an in-process job as they happen (a video's track-start / track-end), for
// GET /v1/videos/{id}/events: kept in memory, at most `max` per job (the oldest dropped first and
// counted), numbered so that a client reconnecting with Last-Event-ID gets only what it missed,
// and ended by one final event (done, failed or cancelled). Progress is passed to those listening
// and not kept. A queue's jobs run in other processes: their events are not here (see the route).

export interface JobEvent {
  /** 1, 2, 3, ... within the job; null for progress (not kept, not replayed). */
  id: number | null;
  type: string;
  data: unknown;
}

export type JobEventListener = (event: JobEvent) => void;

export const DEFAULT_MAX_JOB_EVENTS = 1000;

export class JobEventLog {
  private readonly kept: JobEvent[] = [];
  private readonly listeners = new Set<JobEventListener>();
  private nextId = 1;
  private finalEvent: JobEvent | null = null;
  /** Events dropped to keep at most `max`. */
  dropped = 0;

  constructor(private readonly max = DEFAULT_MAX_JOB_EVENTS) {}

  get ended(): boolean {
    return this.finalEvent !== null;
  }

  /** Keeps an event and passes it to those listening. */
  push(type: string, data: unknown): void {
    if (this.finalEvent) return;
    const event = { id: this.nextId++, type, data };
    this.kept.push(event);
    if (this.kept.length > this.max) { this.kept.shift(); this.dropped++; }
    this.emit(event);
  }

  /** Passes an event to those listening without keeping it (progress). */
  notify(type: string, data: unknown): void {
    if (!this.finalEvent) this.emit({ id: null, type, data });
  }

  /** The last event (once; later calls do nothing); listeners are let go after it. */
  end(type: string, data: unknown): void {
    if (this.finalEvent) return;
    this.finalEvent = { id: this.nextId++, type, data };
    this.emit(this.finalEvent);
    this.listeners.clear();
  }

  /**
   * The kept events after `afterId` (and the final one, when the job has ended), and from then on
   * each new event to `listener`, until unsubscribe() or the final event. `missed`: events after
   * `afterId` no longer kept.
   */
  subscribe(afterId: number, listener: JobEventListener): { backlog: JobEvent[]; missed: number; unsubscribe: () => void } {
    const backlog = this.kept.filter((event) => event.id! > afterId);
    const oldest = this.kept[0]?.id ?? (this.finalEvent?.id ?? this.nextId);
    const missed = Math.max(0, Math.min(this.dropped, oldest - afterId - 1));
    if (this.finalEvent) {
      if (this.finalEvent.id! > afterId) backlog.push(this.finalEvent);
      return { backlog, missed, unsubscribe: () => undefined };
    }
    this.listeners.add(listener);
    return { backlog, missed, unsubscribe: () => { this.listeners.delete(listener); } };
  }

  private emit(event: JobEvent): void {
    for (const listener of [...this.listeners]) {
      try { listener(event); } catch { this.listeners.delete(listener); }
    }
  }
}
