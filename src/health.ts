import { performance } from 'node:perf_hooks';
import type { ErrorInfo } from '../machines/types.js';
import type { RuntimeClock } from './core/clock.js';

/** The answer of `health()` for one server. */
export interface HealthReport {
  ok: boolean;
  /** Round trip of the ping, in ms (measured on the real clock: it is a measurement). */
  latencyMs?: number;
  error?: ErrorInfo;
}

type Pinger = (signal: AbortSignal) => Promise<void>;

/**
 * On-demand health: each connected session registers a pinger for its live client, and
 * `health()` runs it with a deadline on the runtime clock. Pings never feed the breaker.
 */
export class HealthProbes {
  private readonly pingers = new Map<string, Pinger>();

  constructor(private readonly clock: RuntimeClock) {}

  /** Registers the pinger of a server's current session; returns the unregister function. */
  register(server: string, pinger: Pinger): () => void {
    this.pingers.set(server, pinger);
    return () => {
      if (this.pingers.get(server) === pinger) this.pingers.delete(server);
    };
  }

  async probe(server: string, timeoutMs: number): Promise<HealthReport> {
    const pinger = this.pingers.get(server);
    if (!pinger) return { ok: false, error: { code: 'ServerUnavailable', message: `server "${server}" is not connected` } };
    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(new Error('ping timed out')), timeoutMs);
    const started = performance.now();
    try {
      await pinger(controller.signal);
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 1000) / 1000 };
    } catch (error) {
      const message = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : String((error as Error)?.message ?? error);
      return { ok: false, error: { code: controller.signal.aborted ? 'HealthCheckTimeout' : 'HealthCheckFailed', message } };
    } finally {
      this.clock.clearTimeout(timer);
    }
  }
}
