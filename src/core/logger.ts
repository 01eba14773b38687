/**
 * Structured JSON lines on stderr, one object per line, with a level threshold. Messages are
 * passed through a redactor first: secrets never reach a log line.
 */
import { HIDDEN_CHARACTERS, jsonEscape } from './text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** MCP log levels (RFC 5424 names) mapped onto ours. */
export function toLogLevel(level: string): LogLevel {
  if (level === 'debug') return 'debug';
  if (level === 'info' || level === 'notice') return 'info';
  if (level === 'warning' || level === 'warn') return 'warn';
  return level === 'error' || level === 'critical' || level === 'alert' || level === 'emergency' ? 'error' : 'info';
}

/** What `JSON.stringify` leaves raw that a terminal obeys or that hides text: log lines carry server-supplied text. */
const RAW_IN_JSON = new RegExp(`[${HIDDEN_CHARACTERS}]`, 'gu');

/** Bytes of log lines waiting for a reader of stderr before further lines are dropped (and counted). */
export const MAX_PENDING_LOG_BYTES = 1024 * 1024;

/**
 * Writes lines to `stream`, but never queues more than `maxPending` bytes for a reader that does
 * not read (a host that never drains our stderr, during a flood of upstream log lines, made the
 * process grow by hundreds of MB): past it lines are dropped and counted, and once the stream
 * drains one line says how many were lost.
 */
export function boundedLineWriter(stream: NodeJS.WritableStream & { writableLength: number }, maxPending = MAX_PENDING_LOG_BYTES): (line: string) => void {
  let dropped = 0;
  let waiting = false;
  return (line) => {
    if (stream.writableLength + line.length <= maxPending) {
      stream.write(line);
      return;
    }
    dropped++;
    if (waiting) return;
    waiting = true;
    stream.once('drain', () => {
      waiting = false;
      const lost = dropped;
      dropped = 0;
      stream.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: `dropped ${lost} log line(s): stderr was not read` })}\n`);
    });
  };
}

/** A logger writing JSON lines to `write` (stderr, bounded by `boundedLineWriter`, by default) at `minimum` and above. */
export function createJsonLogger(options: { minimum?: LogLevel; write?: (line: string) => void; redact?: (text: string) => string } = {}): Logger {
  const minimum = ORDER[options.minimum ?? 'info'];
  const write = options.write ?? boundedLineWriter(process.stderr);
  const redact = options.redact ?? ((text: string) => text);
  return {
    log(level, message, fields = {}) {
      if (ORDER[level] < minimum) return;
      const line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }).replace(RAW_IN_JSON, jsonEscape);
      write(`${redact(line)}\n`);
    },
  };
}
