import { z } from 'zod';
import type { LoggingLevel } from './types.js';

/**
 * MCP's log severities, lowest first (RFC 5424 order), as a runtime list: validating a level or
 * ranking two needs values, and the SDK's `LoggingLevelSchema` must stay behind the protocol seam.
 */
export const LOGGING_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const satisfies readonly LoggingLevel[];

/** Validates a `LoggingLevel` (e.g. an admin or CLI argument). */
export const LoggingLevelSchema = z.enum(LOGGING_LEVELS);

/** Whether `value` is one of MCP's log severities. */
export function isLoggingLevel(value: unknown): value is LoggingLevel {
  return typeof value === 'string' && (LOGGING_LEVELS as readonly string[]).includes(value);
}

/** Rank of a level, 0 (`debug`) to 7 (`emergency`), for "at least this severe" filters. */
export function loggingLevelRank(level: LoggingLevel): number {
  return LOGGING_LEVELS.indexOf(level);
}
