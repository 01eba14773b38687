import { SwitchboardError } from '../core/errors.js';

/**
 * Caller input is checked before a call is admitted: what cannot be sent (too deep, too large,
 * circular, a function or a BigInt) fails with `InvalidRequest` at once and never reaches a
 * server or its breaker — a caller's mistake must not open the breaker for everyone.
 */

/** Deepest nesting of tool arguments accepted. */
export const MAX_ARGUMENT_DEPTH = 64;

/** Returns the problem with `args`, or null when they can be sent. `maxBytes` caps their size. */
export function argumentsProblem(args: unknown, maxBytes: number): SwitchboardError | null {
  if (args === undefined) return null;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return invalid('arguments must be an object');
  const walk = new ArgumentWalk(maxBytes);
  return walk.visit(args, 1);
}

/**
 * A depth-first walk that adds up an estimate of the JSON size (recursion is bounded by
 * MAX_ARGUMENT_DEPTH; no per-value allocation: this runs on every call).
 */
class ArgumentWalk {
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  visit(value: unknown, depth: number): SwitchboardError | null {
    switch (typeof value) {
      case 'string':
        this.bytes += value.length + 2;
        break;
      case 'number':
      case 'boolean':
        this.bytes += 8;
        break;
      case 'undefined':
        break;
      case 'bigint':
        return invalid('arguments contain a BigInt, which JSON cannot carry');
      case 'function':
      case 'symbol':
        return invalid(`arguments contain a ${typeof value}, which JSON cannot carry`);
      default: {
        if (value === null) {
          this.bytes += 4;
          break;
        }
        if (depth > MAX_ARGUMENT_DEPTH) return invalid(`arguments are nested deeper than ${MAX_ARGUMENT_DEPTH} levels (or circular)`);
        if (Array.isArray(value)) {
          this.bytes += 2 + value.length;
          for (const item of value) {
            const problem = this.visit(item, depth + 1);
            if (problem) return problem;
          }
        } else {
          for (const key of Object.keys(value as object)) {
            this.bytes += key.length + 4;
            const problem = this.visit((value as Record<string, unknown>)[key], depth + 1);
            if (problem) return problem;
          }
        }
      }
    }
    return this.bytes > this.maxBytes ? invalid(`arguments are larger than ${this.maxBytes} bytes (limits.maxMessageBytes)`) : null;
  }
}

function invalid(message: string): SwitchboardError {
  return new SwitchboardError('InvalidRequest', message);
}
