import type { Logger } from '../core/logger.js';

/**
 * Warnings about refused host lines, rate-limited: a host that sends 200 000 bad lines must not
 * turn into 200 000 log lines on stderr. The first refusal is logged as it happens; later ones
 * within `intervalMs` are counted and logged as one line per interval (and once more on `flush`).
 */
export class RefusalLog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unlogged = 0;
  private last = '';

  /** `intervalMs` defaults to 10 000 ms. */
  constructor(
    private readonly logger: Logger | undefined,
    private readonly intervalMs = 10_000,
  ) {}

  /** Notes one refusal with the message the host was sent. */
  warn(message: string): void {
    this.last = message;
    if (this.timer !== undefined) {
      this.unlogged++;
      return;
    }
    this.logger?.log('warn', `gateway: refused a line from the stdio host: ${message}`);
    this.arm();
  }

  /** Logs what is counted and stops the timer (the session ended). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.logCount();
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.unlogged === 0) return;
      this.logCount();
      // Still refusing: keep counting per interval instead of logging the next one at once.
      this.arm();
    }, this.intervalMs);
    // A log summary must never keep the host alive.
    this.timer.unref();
  }

  private logCount(): void {
    if (this.unlogged === 0) return;
    this.logger?.log('warn', `gateway: refused ${this.unlogged} more line(s) from the stdio host in the last ${this.intervalMs / 1000} s; the last: ${this.last}`);
    this.unlogged = 0;
  }
}
