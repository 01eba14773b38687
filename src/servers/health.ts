import { performance } from 'node:perf_hooks';
import type { ErrorInfo } from '../../machines/types.js';
import type { RuntimeClock } from '../core/clock.js';
import type { Pinger } from './record.js';

/** The answer of `health()` for one server. */
export interface HealthReport {
  ok: boolean;
  /** Round trip of the ping, in ms (measured on the real clock: it is a measurement). */
  latencyMs?: number;
  error?: ErrorInfo;
}

/**
 * On-demand health: a connected session registers a pinger on its server's record, and `health()`
 * runs it with a deadline on the runtime clock. Pings never feed the breaker.
 */
export async function probeHealth(server: string, pinger: Pinger | undefined, timeoutMs: number, clock: RuntimeClock): Promise<HealthReport> {
  if (!pinger) return { ok: false, error: { code: 'ServerUnavailable', message: `server "${server}" is not connected` } };
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new Error('ping timed out')), timeoutMs);
  const started = performance.now();
  try {
    await pinger(controller.signal);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 1000) / 1000 };
  } catch (error) {
    const message = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : String((error as Error)?.message ?? error);
    return { ok: false, error: { code: controller.signal.aborted ? 'HealthCheckTimeout' : 'HealthCheckFailed', message } };
  } finally {
    clock.clearTimeout(timer);
  }
}
