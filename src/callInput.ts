import { SwitchboardError } from './errors.js';

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
  const stack: [unknown, number][] = [[args, 1]];
  let bytes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    switch (typeof value) {
      case 'string':
        bytes += value.length + 2;
        break;
      case 'number':
      case 'boolean':
        bytes += 8;
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
          bytes += 4;
          break;
        }
        if (depth > MAX_ARGUMENT_DEPTH) return invalid(`arguments are nested deeper than ${MAX_ARGUMENT_DEPTH} levels (or circular)`);
        if (Array.isArray(value)) {
          for (const item of value) stack.push([item, depth + 1]);
          bytes += 2 + value.length;
        } else {
          for (const key of Object.keys(value as object)) {
            bytes += key.length + 4;
            stack.push([(value as Record<string, unknown>)[key], depth + 1]);
          }
        }
      }
    }
    if (bytes > maxBytes) return invalid(`arguments are larger than ${maxBytes} bytes (limits.maxMessageBytes)`);
  }
  return null;
}

function invalid(message: string): SwitchboardError {
  return new SwitchboardError('InvalidRequest', message);
}
