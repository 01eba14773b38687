import { resolveCluster } from './clusterSchema.js';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { snapshotConfigValue } from './depth.js';
import { expandSnapshot, formatPath, type Expansion } from './expand.js';
import { SERVER_KEYS, suggestKey, unknownKeyMessage } from './keys.js';
import { fromMcpServers, isMcpServersShape, normalizeTransport } from './mcpServers.js';
import { FORBIDDEN_KEYS } from './parse.js';
import {
  ConfigSchema,
  DEFAULT_GATEWAY_LIMITS,
  DEFAULT_POLICY,
  GatewaySchema,
  SERVER_NAME,
  STDIO_CONNECT_MS,
  type GatewaySettings,
  type Policy,
  type PolicyOverrides,
  type ResolvedConfig,
  type ResolvedServer,
  type ServerConfig,
} from './schema.js';

/** Options for turning raw config data into a resolved config. */
export interface ResolveOptions {
  /** Variables for `${VAR}`. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** File name shown in errors. */
  source?: string;
  /** Servers an embedder supplies in code (`transports`), which profiles may name beside the config's. Defaults to none. */
  codeServers?: readonly string[];
}

const TRANSPORTS = new Set(['stdio', 'http', 'sse']);

/** zod says "expected string, received undefined" for a missing key; users read "required". */
const zodErrorMap = (issue: { code?: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;

function zodIssues(error: z.ZodError, issues: ConfigIssue[], rename: (path: string) => string): void {
  for (const issue of error.issues) {
    const path = rename(formatPath(issue.path.filter((p): p is string | number => typeof p !== 'symbol')));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: path ? `${path}.${key}` : key, message: unknownKeyMessage(key) });
    } else if (issue.code === 'invalid_union' && path.endsWith('transport')) {
      issues.push({ path, message: 'must be one of stdio, http, sse' });
    } else {
      issues.push({ path, message: issue.message });
    }
  }
}

/** Deep-merges policy overrides onto a full policy; arrays and scalars replace. */
export function mergePolicy(base: Policy, ...layers: (PolicyOverrides | undefined)[]): Policy {
  const out: Policy = structuredClone(base);
  for (const layer of layers) {
    if (!layer) continue;
    Object.assign(out.timeouts, layer.timeouts);
    Object.assign(out.reconnect, layer.reconnect);
    Object.assign(out.breaker, layer.breaker);
    Object.assign(out.health, layer.health);
    Object.assign(out.limits, layer.limits);
    Object.assign(out.admission, layer.admission);
    if (layer.replay) out.replay = layer.replay;
    if (layer.protocol) out.protocol = layer.protocol;
  }
  if (out.breaker.maxWaitDurationInHalfOpenMs === 0) out.breaker.maxWaitDurationInHalfOpenMs = out.timeouts.callMs + 5_000;
  return out;
}

function checkPolicy(name: string, policy: Policy, issues: ConfigIssue[]): void {
  const at = (key: string) => `servers.${name}.${key}`;
  if (policy.reconnect.minMs > policy.reconnect.maxMs) issues.push({ path: at('reconnect.minMs'), message: 'must not exceed reconnect.maxMs' });
  if (policy.timeouts.callMs > policy.timeouts.maxCallMs) issues.push({ path: at('timeouts.callMs'), message: 'must not exceed timeouts.maxCallMs' });
  if (policy.timeouts.maxCallMs > 2_147_483_647) issues.push({ path: at('timeouts.maxCallMs'), message: 'must be at most 2147483647 ms' });
}

/**
 * Resolves one server: its own overrides over `defaults` over the built-in policy. `secrets` are
 * the values its `${VAR}` references took from the environment.
 */
export function resolveServer(
  name: string,
  server: ServerConfig,
  defaults: PolicyOverrides | undefined,
  issues: ConfigIssue[],
  secrets: readonly string[] = [],
): ResolvedServer {
  const policy = mergePolicy(DEFAULT_POLICY, defaults, server);
  // A stdio server's first start may be a cold `npx -y` download: its own default, unless set.
  if (server.transport === 'stdio' && defaults?.timeouts?.connectMs === undefined && server.timeouts?.connectMs === undefined) policy.timeouts.connectMs = STDIO_CONNECT_MS;
  checkPolicy(name, policy, issues);
  return { ...server, ...policy, name, enabled: server.enabled ?? true, secrets: [...new Set(secrets)] };
}

/** Checks a server name: `[A-Za-z0-9_.-]`, 1–32 chars, no `__` (it separates server and tool). */
export function serverNameProblem(name: string): string | null {
  if (!SERVER_NAME.test(name)) return 'server name must be 1-32 characters of A-Z a-z 0-9 _ . -';
  if (name.includes('__')) return 'server name must not contain "__" (it separates server and tool names)';
  return null;
}

/**
 * A server whose transport is missing or unknown cannot be checked by the schema (the union has
 * no branch to pick), so its unknown keys are named here: `comand` is the problem to report, not
 * the missing transport. Returns false when the entry is reported and left out.
 */
function checkTransport(name: string, server: unknown, issues: ConfigIssue[]): boolean {
  if (server === null || typeof server !== 'object' || Array.isArray(server)) return true;
  const transport = (server as Record<string, unknown>).transport;
  if (typeof transport === 'string' && TRANSPORTS.has(transport)) return true;
  const unknown = Object.keys(server).filter((key) => !SERVER_KEYS.has(key));
  for (const key of unknown) issues.push({ path: `servers.${name}.${key}`, message: unknownKeyMessage(key, SERVER_KEYS) });
  if (transport !== undefined) issues.push({ path: `servers.${name}.transport`, message: 'must be one of stdio, http, sse' });
  else if (unknown.length === 0) issues.push({ path: `servers.${name}.transport`, message: 'required: give "command" (stdio) or "url" (http), or set transport' });
  return false;
}

/** The `${VAR}` values that landed in each server, by server name. */
function secretsByServer(expansions: readonly Expansion[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { path, value } of expansions) {
    const [section, name] = path;
    if ((section !== 'servers' && section !== 'mcpServers') || typeof name !== 'string') continue;
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/**
 * Validates raw config data (parsed YAML/JSON or an object from code) and resolves it:
 * variables expanded, `mcpServers` converted, defaults merged. Throws one ConfigError listing
 * every problem with its key path.
 */
export function resolveConfig(raw: unknown, options: ResolveOptions = {}): ResolvedConfig {
  // Checked and copied before anything else iterates it: an object from code may be a list of
  // 2^32 - 1 holes, contain itself, or be a getter that answers differently the second time.
  const snapshot = snapshotConfigValue(raw, FORBIDDEN_KEYS);
  const issues: ConfigIssue[] = snapshot.issues;
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  const warnings: string[] = [];
  const expansions: Expansion[] = [];
  let data = expandSnapshot(snapshot.value, options.env ?? process.env, issues, [], expansions);
  const fromMcp = isMcpServersShape(data);
  // Problems in an mcpServers file are named by its own key paths, not by the converted form.
  const rename = (path: string) => (fromMcp && (path === 'servers' || path.startsWith('servers.')) ? `mcpServers${path.slice('servers'.length)}` : path);
  if (fromMcp) data = fromMcpServers(data as { mcpServers: Record<string, unknown> }, warnings, issues);
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    const servers = record.servers;
    if (servers !== null && typeof servers === 'object' && !Array.isArray(servers)) {
      const normalized: Record<string, unknown> = {};
      const own: ConfigIssue[] = [];
      for (const [name, server] of Object.entries(servers)) {
        const problem = serverNameProblem(name);
        if (problem) own.push({ path: `servers.${name}`, message: problem });
        const entry = normalizeTransport(server);
        if (checkTransport(name, entry, own)) normalized[name] = entry;
      }
      for (const issue of own) issues.push({ ...issue, path: rename(issue.path) });
      data = { ...record, servers: normalized };
    }
  }
  const parsed = ConfigSchema.safeParse(data, { error: zodErrorMap });
  if (!parsed.success) zodIssues(parsed.error, issues, rename);
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues, options.source);

  const secrets = secretsByServer(expansions);
  const resolved: Record<string, ResolvedServer> = {};
  for (const [name, server] of Object.entries(parsed.data.servers)) {
    resolved[name] = resolveServer(name, server, parsed.data.defaults, issues, secrets.get(name));
  }
  checkProfiles(parsed.data.gateway?.profiles, [...Object.keys(parsed.data.servers), ...(options.codeServers ?? [])], issues);
  const oauthServers = Object.entries(parsed.data.servers).filter(([, server]) => server.transport !== 'stdio' && server.auth !== undefined).map(([name]) => name);
  const cluster = resolveCluster(parsed.data.cluster, oauthServers, issues);
  if (issues.length > 0) throw new ConfigError(issues.map((issue) => ({ ...issue, path: rename(issue.path) })), options.source);
  const config: ResolvedConfig = { servers: resolved, admin: parsed.data.admin ?? {}, gateway: resolveGateway(parsed.data.gateway), warnings };
  if (parsed.data.defaults) config.defaults = parsed.data.defaults;
  if (cluster) config.cluster = cluster;
  return config;
}

/**
 * A profile's servers must be servers of this config: a typo (or a server taken out later) would
 * leave its hosts with no tools and nothing said.
 */
function checkProfiles(profiles: Record<string, { servers?: string[] | undefined }> | undefined, servers: string[], issues: ConfigIssue[]): void {
  for (const [profile, { servers: names }] of Object.entries(profiles ?? {})) {
    (names ?? []).forEach((name, i) => {
      if (servers.includes(name)) return;
      const hint = suggestKey(name, servers);
      issues.push({ path: `gateway.profiles.${profile}.servers.${i}`, message: `no server named "${name}" in servers${hint ? ` (did you mean "${hint}"?)` : ''}` });
    });
  }
}

/** The `gateway:` block with every bound filled in from `DEFAULT_GATEWAY_LIMITS`. */
function resolveGateway(block: z.output<typeof GatewaySchema> | undefined): GatewaySettings {
  const { tools, profiles, forwardHeaders, catalog, pinned, ...bounds } = block ?? {};
  return {
    ...DEFAULT_GATEWAY_LIMITS,
    ...stripUndefined(bounds),
    tools: { ...tools },
    profiles: { ...profiles },
    catalog: catalog ?? 'full',
    pinned: [...(pinned ?? [])],
    forwardHeaders: [...(forwardHeaders ?? [])],
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
