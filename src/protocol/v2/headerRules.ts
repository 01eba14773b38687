/**
 * SEP-2243 (2026-07-28): a tool may mirror arguments into HTTP headers with `x-mcp-header` on a
 * property of its input schema. A client over streamable HTTP MUST leave out a tool whose
 * declarations break the rules (and SHOULD say why): a declaration only on a property reached by a
 * chain of `properties` keys, a non-empty RFC 9110 token, on a string, integer or boolean, unique
 * ignoring case. The same rules as `@modelcontextprotocol/client` 2.4.0's
 * `scanXMcpHeaderDeclarations`, which is not exported and whose `listTools()` prints its warning
 * with `console.warn`: the library never prints, so the check is ours and the warning goes to the
 * switchboard's log.
 */

const KEY = 'x-mcp-header';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE = new Set(['string', 'integer', 'boolean']);
const UNREACHABLE = ['items', 'prefixItems', 'contains', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'propertyNames', 'patternProperties', 'dependentSchemas', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions'];
const NAMED = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);
/** How deep a schema is followed: deeper is a broken tool, not a stack overflow. */
const MAX_DEPTH = 64;

const where = (path: string[]) => (path.length === 0 ? '<root>' : path.join('.'));

/** Why a tool's `x-mcp-header` declarations are invalid, or undefined when they are fine (or absent). */
export function headerFault(inputSchema: unknown): string | undefined {
  const seen = new Map<string, string>();
  const visit = (node: unknown, path: string[], reachable: boolean, depth: number): string | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    if (depth > MAX_DEPTH) return `${where(path)}: schema nested deeper than ${MAX_DEPTH} levels`;
    const schema = node as Record<string, unknown>;
    if (KEY in schema) {
      if (!reachable || path.length === 0) return `${where(path)}: x-mcp-header is only permitted on properties reached through 'properties' keys`;
      const name = schema[KEY];
      if (typeof name !== 'string' || name.length === 0) return `${where(path)}: x-mcp-header must be a non-empty string`;
      if (!TOKEN.test(name)) return `${where(path)}: x-mcp-header ${JSON.stringify(name)} is not an RFC 9110 token`;
      const type = typeof schema.type === 'string' ? schema.type : undefined;
      if (!type || !PRIMITIVE.has(type)) return `${where(path)}: x-mcp-header is only permitted on string, integer or boolean properties (got ${type ?? 'no type'})`;
      const lower = name.toLowerCase();
      const earlier = seen.get(lower);
      if (earlier !== undefined) return `x-mcp-header ${JSON.stringify(name)} is declared twice (also as ${JSON.stringify(earlier)})`;
      seen.set(lower, name);
    }
    const properties = schema.properties;
    if (properties !== null && typeof properties === 'object') {
      for (const [key, child] of Object.entries(properties)) {
        const fault = visit(child, [...path, key], reachable, depth + 1);
        if (fault) return fault;
      }
    }
    for (const keyword of UNREACHABLE) {
      const sub = schema[keyword];
      if (sub === undefined) continue;
      const branches = Array.isArray(sub) ? sub : sub !== null && typeof sub === 'object' && NAMED.has(keyword) ? Object.values(sub) : [sub];
      for (const branch of branches) {
        const fault = visit(branch, [...path, `<${keyword}>`], false, depth + 1);
        if (fault) return fault;
      }
    }
    return undefined;
  };
  return visit(inputSchema, [], true, 0);
}
