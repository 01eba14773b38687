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

/** A logger writing JSON lines to `write` (stderr by default) at `minimum` and above. */
export function createJsonLogger(options: { minimum?: LogLevel; write?: (line: string) => void; redact?: (text: string) => string } = {}): Logger {
  const minimum = ORDER[options.minimum ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const redact = options.redact ?? ((text: string) => text);
  return {
    log(level, message, fields = {}) {
      if (ORDER[level] < minimum) return;
      const line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }).replace(RAW_IN_JSON, jsonEscape);
      write(`${redact(line)}\n`);
    },
  };
}
