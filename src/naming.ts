import { createHash } from 'node:crypto';

/**
 * Tool names (DESIGN §5): `server__tool` qualified names that LLM providers accept (at most 64
 * characters of `[A-Za-z0-9_-]`), shortened or cleaned with a stable hash suffix when needed, and
 * per-server allow/deny globs.
 */

const SAFE = /^[A-Za-z0-9_-]+$/;
const MAX_LENGTH = 64;
const HASH_LENGTH = 8;

/** The qualified name of `tool` on `server`; stable across runs and processes. */
export function qualifiedName(server: string, tool: string): string {
  const plain = `${server}__${tool}`;
  if (plain.length <= MAX_LENGTH && SAFE.test(plain)) return plain;
  const hash = createHash('sha256').update(plain).digest('hex').slice(0, HASH_LENGTH);
  const cleaned = plain.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${cleaned.slice(0, MAX_LENGTH - HASH_LENGTH - 1)}_${hash}`;
}

/**
 * A qualified name that always carries the hash of the exact (server, tool) pair: used when two
 * servers' tools would share a plain qualified name (`s_` + `x` and `s` + `_x` both give `s___x`).
 */
export function distinctQualifiedName(server: string, tool: string): string {
  const hash = createHash('sha256').update(JSON.stringify([server, tool])).digest('hex').slice(0, HASH_LENGTH);
  const cleaned = `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${cleaned.slice(0, MAX_LENGTH - HASH_LENGTH - 1)}_${hash}`;
}

/** Splits `server__tool` at the first `__` (server names cannot contain `__`). */
export function splitQualified(name: string): { server: string; tool: string } | null {
  const at = name.indexOf('__');
  if (at <= 0 || at + 2 >= name.length) return null;
  return { server: name.slice(0, at), tool: name.slice(at + 2) };
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A predicate for tool names from `allow` and `deny` globs; deny wins, empty allow admits all. */
export function toolFilter(filter: { allow?: string[] | undefined; deny?: string[] | undefined } | undefined): (name: string) => boolean {
  const allow = (filter?.allow ?? []).map(globToRegExp);
  const deny = (filter?.deny ?? []).map(globToRegExp);
  if (allow.length === 0 && deny.length === 0) return () => true;
  return (name) => (allow.length === 0 || allow.some((r) => r.test(name))) && !deny.some((r) => r.test(name));
}
