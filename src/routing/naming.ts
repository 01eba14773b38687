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

/**
 * A glob (`*` any run of characters, `?` exactly one; the rest literal) as a predicate, in
 * O(name × glob) whatever the two are. The globs come from config but the names from servers: a
 * regex like `^.*a.*a.*a.*b$` backtracks polynomially on a long name of `a`s, and `.` stops at a
 * line break (a tool named `x\ny` slipped past a deny of `*`). The glob splits at `*` into
 * segments of fixed length: the first must start the name, the last end it, and each middle one
 * is taken at its earliest place after the one before (the earliest place never loses a match).
 */
function globMatcher(glob: string): (name: string) => boolean {
  const segments = glob.split('*');
  const fits = (name: string, segment: string, at: number) => {
    for (let i = 0; i < segment.length; i++) if (segment[i] !== '?' && segment[i] !== name[at + i]) return false;
    return true;
  };
  if (segments.length === 1) return (name) => name.length === glob.length && fits(name, glob, 0);
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const middle = segments.slice(1, -1).filter((s) => s.length > 0);
  return (name) => {
    if (name.length < first.length + last.length || !fits(name, first, 0) || !fits(name, last, name.length - last.length)) return false;
    let at = first.length;
    const end = name.length - last.length;
    for (const segment of middle) {
      while (at + segment.length <= end && !fits(name, segment, at)) at++;
      if (at + segment.length > end) return false;
      at += segment.length;
    }
    return true;
  };
}

/** A predicate for tool names from `allow` and `deny` globs; deny wins, empty allow admits all. */
export function toolFilter(filter: { allow?: string[] | undefined; deny?: string[] | undefined } | undefined): (name: string) => boolean {
  const allow = (filter?.allow ?? []).map(globMatcher);
  const deny = (filter?.deny ?? []).map(globMatcher);
  if (allow.length === 0 && deny.length === 0) return () => true;
  return (name) => (allow.length === 0 || allow.some((fits) => fits(name))) && !deny.some((fits) => fits(name));
}
