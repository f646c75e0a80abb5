// Request counts and latencies per route, kept in memory (since the server started). Latency
// percentiles come from the last 1,000 requests of each route (a ring buffer): enough for p99,
// bounded in memory whatever the traffic. The event loop's delay (how long a ready callback waited:
// what a cheap request like /health waits behind inference or parsing) is sampled by Node itself.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const WINDOW = 1000;

interface RouteMetrics {
  count: number;
  byStatus: Map<number, number>;
  latencies: Float64Array;
  next: number;
  filled: number;
  totalMs: number;
}

export interface RouteSummary {
  route: string;
  count: number;
  byStatus: Record<string, number>;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export class Metrics {
  private readonly routes = new Map<string, RouteMetrics>();
  readonly started = Date.now();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.loop.enable();
  }

  /** Starts the event-loop figures again (when the server is ready: its start-up work is not what requests wait behind). */
  resetEventLoop(): void {
    this.loop.reset();
  }

  /** The event loop's delay since the server became ready, ms (the 10 ms sampling resolution included). */
  eventLoop(): { p50Ms: number; p99Ms: number; maxMs: number } {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    return { p50Ms: ms(this.loop.percentile(50)), p99Ms: ms(this.loop.percentile(99)), maxMs: ms(this.loop.max) };
  }

  close(): void {
    this.loop.disable();
  }

  record(route: string, status: number, ms: number): void {
    let m = this.routes.get(route);
    if (!m) this.routes.set(route, m = { count: 0, byStatus: new Map(), latencies: new Float64Array(WINDOW), next: 0, filled: 0, totalMs: 0 });
    m.count++;
    m.totalMs += ms;
    m.byStatus.set(status, (m.byStatus.get(status) ?? 0) + 1);
    m.latencies[m.next] = ms;
    m.next = (m.next + 1) % WINDOW;
    m.filled = Math.min(WINDOW, m.filled + 1);
  }

  summary(): { uptimeSeconds: number; requests: number; routes: RouteSummary[] } {
    const round = (v: number) => Math.round(v * 100) / 100;
    const routes = [...this.routes.entries()].map(([route, m]) => {
      const sorted = m.latencies.slice(0, m.filled).sort();
      return {
        route, count: m.count, byStatus: Object.fromEntries([...m.byStatus].map(([s, n]) => [String(s), n])),
        meanMs: round(m.totalMs / m.count), p50Ms: round(percentile(sorted, 50)), p90Ms: round(percentile(sorted, 90)),
        p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.length ? sorted[sorted.length - 1]! : 0),
      };
    }).sort((a, b) => a.route.localeCompare(b.route));
    return { uptimeSeconds: Math.round((Date.now() - this.started) / 1000), requests: routes.reduce((n, r) => n + r.count, 0), routes };
  }
}
