import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { expandVariables, formatPath } from './expand.js';
import { fromMcpServers, isMcpServersShape, normalizeTransport } from './mcpServers.js';
import { findForbiddenKeys } from './parse.js';
import {
  ConfigSchema,
  DEFAULT_POLICY,
  SERVER_NAME,
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
}

function zodIssues(error: z.ZodError, issues: ConfigIssue[]): void {
  for (const issue of error.issues) {
    const path = formatPath(issue.path.filter((p): p is string | number => typeof p !== 'symbol'));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: path ? `${path}.${key}` : key, message: 'unknown key' });
    } else if (issue.code === 'invalid_union' && path.endsWith('transport')) {
      issues.push({ path, message: 'must be one of stdio, http, sse' });
    } else {
      issues.push({ path, message: issue.message });
    }
  }
}

/** Deep-merges policy overrides onto a full policy; arrays and scalars replace. */
function mergePolicy(base: Policy, ...layers: (PolicyOverrides | undefined)[]): Policy {
  const out: Policy = structuredClone(base);
  for (const layer of layers) {
    if (!layer) continue;
    Object.assign(out.timeouts, layer.timeouts);
    Object.assign(out.reconnect, layer.reconnect);
    Object.assign(out.breaker, layer.breaker);
    Object.assign(out.health, layer.health);
    Object.assign(out.limits, layer.limits);
    if (layer.replay) out.replay = layer.replay;
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

/** Resolves one server: its own overrides over `defaults` over the built-in policy. */
export function resolveServer(name: string, server: ServerConfig, defaults: PolicyOverrides | undefined, issues: ConfigIssue[]): ResolvedServer {
  const policy = mergePolicy(DEFAULT_POLICY, defaults, server);
  checkPolicy(name, policy, issues);
  return { ...server, ...policy, name, enabled: server.enabled ?? true };
}

/** Checks a server name: `[A-Za-z0-9_.-]`, 1–32 chars, no `__` (it separates server and tool). */
export function serverNameProblem(name: string): string | null {
  if (!SERVER_NAME.test(name)) return 'server name must be 1-32 characters of A-Z a-z 0-9 _ . -';
  if (name.includes('__')) return 'server name must not contain "__" (it separates server and tool names)';
  return null;
}

/**
 * Validates raw config data (parsed YAML/JSON or an object from code) and resolves it:
 * variables expanded, `mcpServers` converted, defaults merged. Throws one ConfigError listing
 * every problem with its key path.
 */
export function resolveConfig(raw: unknown, options: ResolveOptions = {}): ResolvedConfig {
  const issues: ConfigIssue[] = findForbiddenKeys(raw);
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  const warnings: string[] = [];
  let data = expandVariables(raw, options.env ?? process.env, issues);
  if (isMcpServersShape(data)) data = fromMcpServers(data, warnings);
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    const servers = record.servers;
    if (servers !== null && typeof servers === 'object' && !Array.isArray(servers)) {
      const normalized: Record<string, unknown> = {};
      for (const [name, server] of Object.entries(servers)) {
        const problem = serverNameProblem(name);
        if (problem) issues.push({ path: `servers.${name}`, message: problem });
        normalized[name] = normalizeTransport(server);
      }
      data = { ...record, servers: normalized };
    }
  }
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) zodIssues(parsed.error, issues);
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues, options.source);

  const resolved: Record<string, ResolvedServer> = {};
  for (const [name, server] of Object.entries(parsed.data.servers)) {
    resolved[name] = resolveServer(name, server, parsed.data.defaults, issues);
  }
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  const config: ResolvedConfig = { servers: resolved, admin: parsed.data.admin ?? {}, warnings };
  if (parsed.data.defaults) config.defaults = parsed.data.defaults;
  return config;
}
