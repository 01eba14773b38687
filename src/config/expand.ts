import type { ConfigIssue } from '../errors.js';
import { MAX_CONFIG_DEPTH, TOO_DEEP } from './depth.js';
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

/**
 * Returns a copy of `value` with every string expanded; problems are appended to `issues` and,
 * when `found` is given, every value taken from `env` is appended to it with its key path.
 * Nesting deeper than MAX_CONFIG_DEPTH is an issue and is not descended into (resolveConfig
 * checks depth first; this keeps a direct caller from recursing without end).
 */
export function expandVariables(
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
  if (Array.isArray(value)) return value.map((item, i) => expandVariables(item, env, issues, [...path, i], found));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = expandVariables(item, env, issues, [...path, key], found);
    return out;
  }
  return value;
}
