import { Lexer, Parser } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import { formatPath } from './path.js';

/**
 * Config nesting is bounded before anything recurses over it. A 200 000-level file (`[[[[…`,
 * `- - - - …`, `{"a":{"a":…`) fits in a few hundred kB, and every later step (the YAML composer,
 * the key scan, variable expansion, zod) walks it recursively: without this check the first one
 * to run out of stack throws a RangeError instead of a ConfigError. Both checks here are loops.
 */

/** Deepest nesting of maps and lists a config may have (a real one needs fewer than ten). */
export const MAX_CONFIG_DEPTH = 100;

/**
 * Most values (maps, lists and scalars, each counted wherever it appears) a config given as data
 * may hold: more than any 4 MiB file can, and a bound on every later walk of an object built in
 * code whose parts are shared (`a = [b, b]`, `b = [c, c]`, …: sixty levels are 2^60 values).
 */
export const MAX_CONFIG_VALUES = 4 * 1024 * 1024;

/** The message of a config nested too deeply. */
export const TOO_DEEP = `nested deeper than ${MAX_CONFIG_DEPTH} levels`;

function drain(tokens: Iterator<unknown>): void {
  while (!tokens.next().done);
}

/**
 * The offset in YAML or JSON text (JSON is YAML) where nesting passes `MAX_CONFIG_DEPTH`, or -1.
 * Runs the YAML lexer and parser step by step, which keep open collections on an explicit stack
 * (the document, each open map or list, at most a pending key and a scalar: a few more entries
 * than the nesting), and stops at the first step that goes too deep, before any tree is built.
 */
export function tooDeepOffset(text: string): number {
  const parser = new Parser();
  const limit = MAX_CONFIG_DEPTH + 3;
  for (const lexeme of new Lexer().lex(text)) {
    drain(parser.next(lexeme));
    if (parser.stack.length > limit) return parser.offset;
  }
  return -1;
}

interface Frame {
  value: unknown;
  key: string | number | undefined;
  parent: Frame | undefined;
  depth: number;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}

/**
 * Checks data given as a value (parsed from a file or built in code): keys in `forbidden` are
 * issues, and so are nesting deeper than `MAX_CONFIG_DEPTH` (a value that contains itself is
 * infinitely deep) and more than MAX_CONFIG_VALUES values; the walk stops at the first of these.
 */
export function checkConfigValue(root: unknown, forbidden: ReadonlySet<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stack: Frame[] = [{ value: root, key: undefined, parent: undefined, depth: 1 }];
  for (let count = 1; stack.length > 0; count++) {
    if (count > MAX_CONFIG_VALUES) {
      issues.push({ path: '', message: `holds more than ${MAX_CONFIG_VALUES} values` });
      return issues;
    }
    const frame = stack.pop()!;
    const { value, depth } = frame;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_CONFIG_DEPTH) {
      issues.push({ path: formatPath(pathOf(frame)), message: `${TOO_DEEP} (or contains itself)` });
      return issues;
    }
    const keys: (string | number)[] = Array.isArray(value) ? Array.from(value, (_, i) => i) : Object.getOwnPropertyNames(value);
    const children: Frame[] = [];
    for (const key of keys) {
      if (typeof key === 'string' && forbidden.has(key)) {
        issues.push({ path: formatPath([...pathOf(frame), key]), message: `key "${key}" is not allowed` });
      } else {
        children.push({ value: (value as Record<string | number, unknown>)[key], key, parent: frame, depth: depth + 1 });
      }
    }
    // Pushed in reverse so the walk, and the issues it finds, follow document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return issues;
}
