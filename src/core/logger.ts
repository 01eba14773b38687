/**
 * Structured JSON lines on stderr, one object per line, with a level threshold. Messages are
 * passed through a redactor first: secrets never reach a log line.
 */

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

/**
 * Characters `JSON.stringify` leaves raw that a terminal obeys (DEL, C1, bidi controls, line and
 * paragraph separators): log lines carry server-supplied text, so they are written as `\uHHHH`.
 */
const RAW_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escapeUnicode = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A logger writing JSON lines to `write` (stderr by default) at `minimum` and above. */
export function createJsonLogger(options: { minimum?: LogLevel; write?: (line: string) => void; redact?: (text: string) => string } = {}): Logger {
  const minimum = ORDER[options.minimum ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const redact = options.redact ?? ((text: string) => text);
  return {
    log(level, message, fields = {}) {
      if (ORDER[level] < minimum) return;
      const line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }).replace(RAW_IN_JSON, escapeUnicode);
      write(`${redact(line)}\n`);
    },
  };
}
