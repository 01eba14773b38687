import type { ConfigIssue } from '../core/errors.js';
import { unknownKeyMessage } from './keys.js';
import { McpServerEntrySchema } from './schema.js';

/**
 * The `mcpServers` JSON that Claude Desktop, Cursor and VS Code write, turned into our format:
 * transport inferred (`command` → stdio, `url` → http, `type: sse` → sse), `disabled: true` →
 * `enabled: false`. Keys we do not know are dropped with a warning (those files carry client
 * settings such as `autoApprove`), unless the entry has no transport without them: then a
 * misspelled `comand` is the real problem and is reported as an error, not as a missing transport.
 */

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(McpServerEntrySchema.shape));
const TRANSPORT_KEYS = ['command', 'url', 'type', 'transport'];

/** True when the data looks like an `mcpServers` file rather than our own format. */
export function isMcpServersShape(raw: unknown): raw is { mcpServers: Record<string, unknown> } {
  return typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'mcpServers') && !Object.hasOwn(raw, 'servers');
}

/** Our top-level blocks that an `mcpServers` file may carry beside `mcpServers` (checked as in our format). */
const OUR_TOP_LEVEL = ['defaults', 'admin', 'gateway'] as const;

/**
 * Converts an `mcpServers` document. `warnings` receives one line per dropped key; an entry with
 * no way to tell its transport is left out and reported in `issues` instead. Our own settings
 * (per server: `timeouts`, `tools`, …; top level: `defaults`, `admin`, `gateway`) are kept and
 * checked as strictly as in our format.
 */
export function fromMcpServers(raw: { mcpServers: Record<string, unknown> }, warnings: string[], issues: ConfigIssue[] = []): Record<string, unknown> {
  const servers: Record<string, unknown> = {};
  const list = raw.mcpServers;
  if (list === null || typeof list !== 'object' || Array.isArray(list)) {
    issues.push({ path: 'mcpServers', message: 'must be an object of servers by name' });
    return { servers: {} };
  }
  for (const [name, value] of Object.entries(list)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      servers[name] = value;
      continue;
    }
    const entry: Record<string, unknown> = {};
    const unknown: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (!KNOWN_KEYS.has(key)) unknown.push(key);
      else if (key === 'disabled') entry.enabled = item !== true;
      else entry[key] = item;
    }
    const at = (key: string) => `mcpServers.${name}.${key}`;
    if (!TRANSPORT_KEYS.some((key) => Object.hasOwn(entry, key))) {
      for (const key of unknown) issues.push({ path: at(key), message: unknownKeyMessage(key, KNOWN_KEYS) });
      if (unknown.length === 0) issues.push({ path: `mcpServers.${name}`, message: 'needs "command" (stdio) or "url" (http, sse)' });
      continue;
    }
    for (const key of unknown) warnings.push(`${at(key)}: ${unknownKeyMessage(key, KNOWN_KEYS).replace('unknown key', 'unknown key ignored')}`);
    servers[name] = entry;
  }
  const out: Record<string, unknown> = { servers };
  for (const key of Object.keys(raw)) {
    if ((OUR_TOP_LEVEL as readonly string[]).includes(key)) out[key] = (raw as Record<string, unknown>)[key];
    else if (key !== 'mcpServers') warnings.push(`${key}: unknown top-level key ignored`);
  }
  return out;
}

const TRANSPORT_ALIASES = new Map<string, string>([
  ['stdio', 'stdio'],
  ['http', 'http'],
  ['streamable-http', 'http'],
  ['streamableHttp', 'http'],
  ['streamable_http', 'http'],
  ['sse', 'sse'],
]);

/**
 * Fills in `transport` from `type` or from the fields present, and maps its aliases. Works on
 * both formats, so `type: streamable-http` and a bare `command:` are accepted everywhere.
 */
export function normalizeTransport(server: unknown): unknown {
  if (server === null || typeof server !== 'object' || Array.isArray(server)) return server;
  const { type, ...rest } = server as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest };
  let transport = out.transport ?? type;
  if (transport === undefined) transport = Object.hasOwn(out, 'command') ? 'stdio' : Object.hasOwn(out, 'url') ? 'http' : undefined;
  if (typeof transport === 'string') out.transport = TRANSPORT_ALIASES.get(transport) ?? transport;
  else if (transport !== undefined) out.transport = transport;
  return out;
}
