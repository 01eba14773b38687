/**
 * The `mcpServers` JSON that Claude Desktop, Cursor and VS Code write, turned into our format:
 * transport inferred (`command` → stdio, `url` → http, `type: sse` → sse), `disabled: true` →
 * `enabled: false`, keys we do not know are dropped with a warning.
 */

const KNOWN_KEYS = new Set(['command', 'args', 'env', 'cwd', 'url', 'headers', 'type', 'transport', 'disabled', 'enabled']);

/** True when the data looks like an `mcpServers` file rather than our own format. */
export function isMcpServersShape(raw: unknown): raw is { mcpServers: Record<string, unknown> } {
  return typeof raw === 'object' && raw !== null && 'mcpServers' in raw && !('servers' in raw);
}

/** Converts an `mcpServers` document; `warnings` receives one line per dropped key. */
export function fromMcpServers(raw: { mcpServers: Record<string, unknown> }, warnings: string[]): Record<string, unknown> {
  const servers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw.mcpServers ?? {})) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      servers[name] = value;
      continue;
    }
    const entry: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!KNOWN_KEYS.has(key)) {
        warnings.push(`mcpServers.${name}.${key}: unknown key ignored`);
        continue;
      }
      if (key === 'disabled') entry.enabled = item !== true;
      else entry[key] = item;
    }
    servers[name] = entry;
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'mcpServers') warnings.push(`${key}: unknown top-level key ignored`);
  }
  return { servers };
}

const TRANSPORT_ALIASES: Record<string, string> = {
  stdio: 'stdio',
  http: 'http',
  'streamable-http': 'http',
  streamableHttp: 'http',
  streamable_http: 'http',
  sse: 'sse',
};

/**
 * Fills in `transport` from `type` or from the fields present, and maps its aliases. Works on
 * both formats, so `type: streamable-http` and a bare `command:` are accepted everywhere.
 */
export function normalizeTransport(server: unknown): unknown {
  if (server === null || typeof server !== 'object' || Array.isArray(server)) return server;
  const { type, ...rest } = server as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest };
  let transport = out.transport ?? type;
  if (transport === undefined) transport = 'command' in out ? 'stdio' : 'url' in out ? 'http' : undefined;
  if (typeof transport === 'string') out.transport = TRANSPORT_ALIASES[transport] ?? transport;
  else if (transport !== undefined) out.transport = transport;
  return out;
}
