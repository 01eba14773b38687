import { Lexer, Parser } from 'yaml';
import type { ConfigIssue } from '../core/errors.js';
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

/** A list or map being copied: where it sits (`key` in `parent`), how deep, its copy, and how far the copy got. */
interface Frame {
  source: Record<string | number, unknown>;
  key: string | number | undefined;
  parent: Frame | undefined;
  depth: number;
  copy: unknown[] | Record<string, unknown>;
  /** The map's own property names; undefined for a list (its indices are counted, never listed). */
  keys: string[] | undefined;
  size: number;
  next: number;
}

function pathOf(frame: Frame | undefined, last?: string | number): (string | number)[] {
  const path: (string | number)[] = last === undefined ? [] : [last];
  for (let at = frame; at?.key !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}

/** A map as config data has them: `{}`, `Object.create(null)` or such an object from another realm. */
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** What `snapshotConfigValue` found: the issues, and a plain copy of the value when there are none. */
export interface ConfigSnapshot {
  issues: ConfigIssue[];
  /** Plain arrays, plain objects and scalars only; undefined when there are issues. */
  value: unknown;
}

/**
 * Checks data given as a value (parsed from a file or built in code) and copies it. Keys in
 * `forbidden` are issues, and so are: nesting deeper than `MAX_CONFIG_DEPTH` (a value that
 * contains itself is infinitely deep), more than MAX_CONFIG_VALUES values in all, and objects
 * that are not plain data (a Map, a Date, a typed array, a class instance). Sizes are checked
 * before anything is iterated: a list's length (`a.length = 2 ** 32 - 1` holds no item and
 * costs nothing to make) counts against the budget before one index is read, so a huge one is
 * an issue at once, naming its key path. Every property is read exactly once (a getter or a
 * Proxy cannot show the check one value and later steps another), and every later step (variable
 * expansion, zod) walks the copy. The walk is a loop over a stack of open lists and maps, one
 * entry per level; it stops at the first depth or size issue.
 */
export function snapshotConfigValue(root: unknown, forbidden: ReadonlySet<string>): ConfigSnapshot {
  const issues: ConfigIssue[] = [];
  const stack: Frame[] = [];
  // Values counted so far: the root, then every container's entries as it is opened.
  let total = 1;
  /** Copies a scalar, or opens a list or map (pushing it); false when the walk must stop. */
  const enter = (value: unknown, parent: Frame | undefined, key: string | number | undefined, depth: number): { stop: boolean; out: unknown } => {
    if (value === null || typeof value !== 'object') return { stop: false, out: value };
    const at = () => formatPath(pathOf(parent, key));
    if (depth > MAX_CONFIG_DEPTH) {
      issues.push({ path: at(), message: `${TOO_DEEP} (or contains itself)` });
      return { stop: true, out: undefined };
    }
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) {
      issues.push({ path: at(), message: `must be plain data (a map, a list or a scalar), not a ${Object.prototype.toString.call(value).slice(8, -1)}` });
      return { stop: false, out: undefined };
    }
    const keys = isArray ? undefined : Object.getOwnPropertyNames(value);
    const size = keys ? keys.length : (value as unknown[]).length;
    if (size > MAX_CONFIG_VALUES) {
      issues.push({ path: at(), message: `holds ${size} entries, more than the ${MAX_CONFIG_VALUES} values a config may hold` });
      return { stop: true, out: undefined };
    }
    total += size;
    if (total > MAX_CONFIG_VALUES) {
      issues.push({ path: '', message: `holds more than ${MAX_CONFIG_VALUES} values` });
      return { stop: true, out: undefined };
    }
    const copy: unknown[] | Record<string, unknown> = keys ? {} : new Array<unknown>(size);
    stack.push({ source: value as Record<string | number, unknown>, key, parent, depth, copy, keys, size, next: 0 });
    return { stop: false, out: copy };
  };
  const first = enter(root, undefined, undefined, 1);
  if (first.stop) return { issues, value: undefined };
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.size) {
      stack.pop();
      continue;
    }
    const index = frame.next++;
    const key = frame.keys ? frame.keys[index]! : index;
    if (typeof key === 'string') {
      if (forbidden.has(key)) {
        issues.push({ path: formatPath(pathOf(frame, key)), message: `key "${key}" is not allowed` });
        continue;
      }
      // Only own enumerable keys are config (what Object.entries and zod see).
      if (!Object.prototype.propertyIsEnumerable.call(frame.source, key)) continue;
    }
    // A hole in a list reads as undefined, as every later step would read it.
    const { stop, out } = enter(frame.source[key], frame, key, frame.depth + 1);
    if (stop) return { issues, value: undefined };
    (frame.copy as Record<string | number, unknown>)[key] = out;
  }
  return { issues, value: issues.length > 0 ? undefined : first.out };
}

/** The issues `snapshotConfigValue` finds in `root` (for data whose copy is not needed). */
export function checkConfigValue(root: unknown, forbidden: ReadonlySet<string>): ConfigIssue[] {
  return snapshotConfigValue(root, forbidden).issues;
}
