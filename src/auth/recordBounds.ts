/**
 * Bounds on a token record as a store reads and writes it. `tokens` keeps whatever extra fields
 * an authorization server sent, so a record can hold a value 100 000 levels deep (JSON.parse
 * reads that, JSON.stringify then overflows the stack) or, built in code, a value that contains
 * itself or shares its parts (`[b, b]` sixty times over). Both ways a record is checked here, by a
 * loop with a byte budget, before anything recurses over it.
 */

/** The deepest nesting a token record may have (a real one has three or four levels). */
export const MAX_TOKEN_RECORD_DEPTH = 32;

/**
 * Why `record` cannot be stored, or undefined when it can: nested deeper than
 * MAX_TOKEN_RECORD_DEPTH (or containing itself), or larger than `maxBytes` as JSON (counted
 * from below as the walk goes, so a shared DAG stops the walk long before it is unfolded).
 */
export function recordProblem(record: unknown, maxBytes: number): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: record, depth: 1 }];
  let bytes = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    // At least one byte a value, a string its length: never more than the JSON text takes.
    bytes += typeof value === 'string' ? value.length + 2 : 1;
    if (bytes > maxBytes) return `larger than ${maxBytes} bytes`;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_TOKEN_RECORD_DEPTH) return `nested deeper than ${MAX_TOKEN_RECORD_DEPTH} levels (or contains itself)`;
    if (Array.isArray(value)) {
      if (value.length > maxBytes - bytes) return `larger than ${maxBytes} bytes`;
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], depth: depth + 1 });
    } else {
      const keys = Object.keys(value);
      if (keys.length > maxBytes - bytes) return `larger than ${maxBytes} bytes`;
      for (const key of keys) {
        bytes += key.length + 3;
        stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
      }
    }
  }
  return undefined;
}
