import type { ConfigIssue } from '../core/errors.js';
import { MAX_CONFIG_DEPTH, snapshotConfigValue, TOO_DEEP } from './depth.js';
import { FORBIDDEN_KEYS } from './parse.js';
import { formatPath } from './path.js';

export { formatPath };

/**
 * `${VAR}`, `${VAR:-default}` and `$$` in string values (never keys), in one pass: a value that
 * expands to `${OTHER}` stays literal. A missing variable without a default is an issue naming
 * the key path, never an empty string sent to a server.
 */

const REFERENCE = /\$\$|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One value taken from the environment during expansion, at the key path where it landed. Every
 * such value is a secret; a default written in the file (`${VAR:-info}`) is not, since the file
 * already shows it.
 */
export interface Expansion {
  path: (string | number)[];
  value: string;
}

function expandString(value: string, env: NodeJS.ProcessEnv, path: (string | number)[], issues: ConfigIssue[], found: Expansion[] | undefined): string {
  if (!value.includes('$')) return value;
  return value.replace(REFERENCE, (match, body: string | undefined) => {
    if (match === '$$') return '$';
    const text = body ?? '';
    const split = text.indexOf(':-');
    const name = split === -1 ? text : text.slice(0, split);
    if (!NAME.test(name)) {
      issues.push({ path: formatPath(path), message: `malformed variable reference "${match}" (use \${NAME}, \${NAME:-default} or $$ for a literal $)` });
      return match;
    }
    // Own property only: a variable named `toString` must not find Object.prototype.toString.
    const fromEnv = Object.hasOwn(env, name) ? env[name] : undefined;
    if (fromEnv !== undefined && (split === -1 || fromEnv !== '')) {
      if (fromEnv !== '') found?.push({ path, value: fromEnv });
      return fromEnv;
    }
    if (split !== -1) return text.slice(split + 2);
    issues.push({ path: formatPath(path), message: `environment variable ${name} is not set (give a default with \${${name}:-value})` });
    return match;
  });
}

/** `inner` (a path relative to the value at `outer`) as a path from the root. */
function under(outer: (string | number)[], inner: string): string {
  const prefix = formatPath(outer);
  if (!prefix || !inner) return prefix || inner;
  return inner.startsWith('[') ? `${prefix}${inner}` : `${prefix}.${inner}`;
}

/**
 * Returns a copy of `value` with every string expanded; problems are appended to `issues` and,
 * when `found` is given, every value taken from `env` is appended to it with its key path.
 * `value` is first checked and copied by `snapshotConfigValue` (too deep, too many values, a
 * forbidden key, not plain data: issues, and `value` is returned as it is), so a direct caller
 * never recurses without end or iterates a list of 2^32 − 1 holes.
 */
export function expandVariables(
  value: unknown,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  path: (string | number)[] = [],
  found?: Expansion[],
): unknown {
  const snapshot = snapshotConfigValue(value, FORBIDDEN_KEYS);
  if (snapshot.issues.length > 0) {
    for (const issue of snapshot.issues) issues.push({ ...issue, path: under(path, issue.path) });
    return value;
  }
  return expandSnapshot(snapshot.value, env, issues, path, found);
}

/**
 * `expandVariables` for a value that already is a `snapshotConfigValue` copy (resolveConfig
 * makes one before anything else). Nesting deeper than MAX_CONFIG_DEPTH is still an issue and
 * is not descended into, so even a wrong caller cannot recurse without end.
 */
export function expandSnapshot(
  value: unknown,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  path: (string | number)[] = [],
  found?: Expansion[],
): unknown {
  if (typeof value === 'string') return expandString(value, env, path, issues, found);
  if (value !== null && typeof value === 'object' && path.length >= MAX_CONFIG_DEPTH) {
    issues.push({ path: formatPath(path), message: TOO_DEEP });
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => expandSnapshot(item, env, issues, [...path, i], found));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = expandSnapshot(item, env, issues, [...path, key], found);
    return out;
  }
  return value;
}
