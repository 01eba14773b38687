import type { LogLevel } from '../core/logger.js';

/**
 * A command line that cannot be run as written (a missing argument, a bad flag value). `main`
 * prints `usage: <message>` and the command's help, and exits 2; it is not a config problem.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A non-negative integer flag, or undefined when absent. */
export function integerFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

/** A TCP port flag (0 = any free port); `flag` names it in the message (default `--port`). */
export function portFlag(value: string | undefined, flag = '--port'): number | undefined {
  const n = integerFlag(value, flag);
  if (n !== undefined && n > 65535) throw new UsageError(`${flag} must be between 0 and 65535, got ${n}`);
  return n;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** `--log-level`: one of debug, info, warn, error (default info). */
export function logLevelFlag(value: string | undefined): LogLevel {
  if (value === undefined) return 'info';
  if (!(LEVELS as readonly string[]).includes(value)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}, got "${value}"`);
  return value as LogLevel;
}

/** `--args`: a JSON object. */
export function argsFlag(value: string | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  let args: unknown;
  try {
    args = JSON.parse(value);
  } catch {
    throw new UsageError('--args must be a JSON object, e.g. --args \'{"text":"hi"}\'');
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new UsageError('--args must be a JSON object, e.g. --args \'{"text":"hi"}\'');
  return args as Record<string, unknown>;
}
