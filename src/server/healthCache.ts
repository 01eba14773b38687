import type { HealthReport } from '../servers/index.js';
import type { Switchboard } from '../switchboard/switchboard.js';

type Reports = Record<string, HealthReport>;

/**
 * `/mcp/health` answers from one probe for up to `ttlMs`; concurrent requests share the probe in
 * flight, and any server or breaker state change throws the answer away (an answer computed while
 * servers were still connecting must not outlive their connecting).
 */
export class HealthCache {
  private generation = 0;
  private cached: { at: number; generation: number; reports: Reports } | null = null;
  private inFlight: { generation: number; promise: Promise<Reports> } | null = null;
  private readonly offs: (() => void)[];

  constructor(
    private readonly sb: Switchboard,
    private readonly ttlMs = 1_000,
  ) {
    const invalidate = () => {
      this.generation++;
      this.cached = null;
    };
    this.offs = [sb.on('server.stateChanged', invalidate), sb.on('breaker.stateChanged', invalidate)];
  }

  /** The current reports: cached, shared with a probe in flight, or from a new probe. */
  get(): Promise<Reports> {
    const generation = this.generation;
    if (this.cached && this.cached.generation === generation && Date.now() - this.cached.at <= this.ttlMs) return Promise.resolve(this.cached.reports);
    if (this.inFlight && this.inFlight.generation === generation) return this.inFlight.promise;
    const promise = this.sb.health().then((reports) => {
      if (this.generation === generation) this.cached = { at: Date.now(), generation, reports };
      return reports;
    });
    const entry = { generation, promise };
    this.inFlight = entry;
    const clear = () => {
      if (this.inFlight === entry) this.inFlight = null;
    };
    promise.then(clear, clear);
    return promise;
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
