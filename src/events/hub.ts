import { EventEmitter } from 'eventemitter3';
import type { EventOf, SwitchboardEvent, SwitchboardEventMap, SwitchboardEventType } from './types.js';
import { toLogLevel, type Logger, type LogLevel } from '../core/logger.js';

/**
 * The public events of one switchboard. Every listener runs isolated: one that throws can neither
 * keep a caller waiting nor crash the host, and its failure is reported as an `error` event (a
 * throwing `error` listener is only logged, never re-reported). With a `logger`, every event is
 * also written as one log line, so a host sees state changes, server logs and internal errors
 * without wiring listeners.
 */
export class EventHub {
  private readonly emitter = new EventEmitter();

  /**
   * @param redact masks secrets in messages built here (listener failures).
   */
  constructor(
    private readonly logger: Logger | undefined,
    private readonly redact: (text: string) => string,
  ) {}

  on<T extends SwitchboardEventType>(type: T, listener: SwitchboardEventMap[T]): () => void {
    this.emitter.on(type, listener as (event: EventOf<T>) => void);
    return () => {
      this.emitter.off(type, listener as (event: EventOf<T>) => void);
    };
  }

  /** Whether anyone listens for `type` (hot paths skip building events nobody reads). */
  wants(type: SwitchboardEventType): boolean {
    return this.logger !== undefined || this.emitter.listenerCount(type) > 0;
  }

  publish(event: SwitchboardEvent): void {
    for (const listener of this.emitter.listeners(event.type)) {
      try {
        (listener as (e: SwitchboardEvent) => void)(event);
      } catch (error) {
        this.listenerFailed(event.type, error);
      }
    }
    if (this.logger) this.write(event);
  }

  private listenerFailed(type: SwitchboardEventType, error: unknown): void {
    const message = this.redact(`a "${type}" listener threw: ${(error as Error)?.message ?? String(error)}`);
    if (type === 'error') this.safeLog('error', message, {});
    else this.publish({ type: 'error', error: { code: 'ListenerError', message } });
  }

  private write(event: SwitchboardEvent): void {
    const { type, ...fields } = event as SwitchboardEvent & Record<string, unknown>;
    switch (event.type) {
      case 'server.stateChanged':
        this.safeLog(event.to === 'error' ? 'error' : event.to === 'disconnected' ? 'warn' : 'info', `server "${event.server}" ${event.from} -> ${event.to} (${event.reason})`, fields);
        break;
      case 'breaker.stateChanged':
        this.safeLog(event.to === 'closed' ? 'info' : 'warn', `circuit breaker of "${event.server}" ${event.from} -> ${event.to} (${event.reason})`, fields);
        break;
      case 'server.log':
        this.safeLog(toLogLevel(event.level), event.message, { server: event.server, source: 'server' });
        break;
      case 'error':
        this.safeLog('error', event.error.message, fields);
        break;
      default:
        this.safeLog('debug', type, fields);
    }
  }

  /** A logger that throws is the host's bug; it must not break the switchboard either. */
  private safeLog(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    try {
      this.logger?.log(level, message, fields);
    } catch {
      // Nowhere left to report it.
    }
  }
}
