import { z } from 'zod';
import type { ConfigIssue } from '../core/errors.js';

/**
 * The `cluster:` block (DESIGN §16): replicas of `serve` with the same `name` share breakers of
 * remote servers, OAuth tokens, one health leader and reloads through Redis. Absent: every
 * process is on its own (nothing loads `redis`).
 */

export const DEFAULT_KEY_PREFIX = 'switchboard:';
export const DEFAULT_COMMAND_TIMEOUT_MS = 250;
export const DEFAULT_CLUSTER_NAME = 'default';
/** Heartbeats at least every second; a replica unseen for 3 heartbeats is gone (DESIGN §16). */
export const DEFAULT_HEARTBEAT_MS = 1000;

export const ClusterSchema = z.strictObject({
  redis: z.strictObject({
    /** `redis://[user:password@]host:port[/db]` or `rediss://…`; its password is a secret. */
    url: z.string().min(1),
    /** Every key and channel starts with it (then the cluster name). Defaults to `switchboard:`. */
    keyPrefix: z.string().max(64).optional(),
    /** A Redis command that takes longer fails (and the replica goes on on local state). Defaults to 250 ms. */
    commandTimeoutMs: z.number().int().min(10).max(10_000).optional(),
  }),
  /** Replicas with the same name share state. 1-64 characters of A-Z a-z 0-9 _ . -; defaults to `default`. */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a cluster name is 1-64 characters of A-Z a-z 0-9 _ . -').optional(),
  /** This replica's id; empty or absent: host-pid-random. */
  replicaId: z.string().regex(/^[A-Za-z0-9_.:-]{0,128}$/, 'a replica id is up to 128 characters of A-Z a-z 0-9 _ . : -').optional(),
  /** 32 bytes, base64: OAuth tokens are encrypted in Redis with it (AES-256-GCM). Required when a server uses OAuth. */
  tokenKey: z.string().optional(),
  /** How often this replica says it is alive. 100-1000 ms; defaults to 1000. */
  heartbeatMs: z.number().int().min(100).max(1000).optional(),
});

/** The resolved `cluster:` block. */
export interface ClusterSettings {
  redis: { url: string; keyPrefix: string; commandTimeoutMs: number };
  name: string;
  /** Empty: made at start (host-pid-random). */
  replicaId: string;
  /** The 32-byte key, decoded; undefined when not configured. */
  tokenKey: Buffer | undefined;
  heartbeatMs: number;
  /** Values of this block that must never appear in output (the Redis password, the token key). */
  secrets: string[];
}

/**
 * The `cluster:` block resolved, or undefined when absent. Problems are pushed to `issues` with
 * their exact key: a URL that is not redis(s)://, a token key that is not 32 bytes of base64, no
 * token key while a server uses OAuth (`oauthServers` names them).
 */
export function resolveCluster(block: z.output<typeof ClusterSchema> | undefined, oauthServers: string[], issues: ConfigIssue[]): ClusterSettings | undefined {
  if (!block) return undefined;
  const secrets: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(block.redis.url);
  } catch {
    issues.push({ path: 'cluster.redis.url', message: 'not a URL: expected redis://[user:password@]host:port[/db] or rediss://…' });
  }
  if (url && url.protocol !== 'redis:' && url.protocol !== 'rediss:') issues.push({ path: 'cluster.redis.url', message: `expected a redis:// or rediss:// URL, not ${url.protocol}//` });
  if (url && url.hostname === '') issues.push({ path: 'cluster.redis.url', message: 'the URL names no host' });
  if (url && url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) issues.push({ path: 'cluster.redis.url', message: 'the database after the host must be a number (redis://host:port/0)' });
  // The prefix ends where the cluster's name begins: it must end with a character a name cannot
  // hold, or `s` + `b1` and `sb` + `1` would be one cluster.
  const prefix = block.redis.keyPrefix;
  if (prefix !== undefined && prefix !== '' && /[A-Za-z0-9_.-]$/.test(prefix)) issues.push({ path: 'cluster.redis.keyPrefix', message: 'must be empty or end with a character a cluster name cannot hold, such as ":" (e.g. "switchboard:")' });
  if (url?.password) secrets.push(decodeURIComponent(url.password), url.password);
  let tokenKey: Buffer | undefined;
  if (block.tokenKey !== undefined && block.tokenKey !== '') {
    const text = block.tokenKey.trim();
    // Read from a file it may end with a newline: the key as used is masked too.
    secrets.push(block.tokenKey, text);
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(text) || /^[A-Za-z0-9_-]+={0,2}$/.test(text) ? Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64') : undefined;
    if (!decoded || decoded.length !== 32) {
      issues.push({ path: 'cluster.tokenKey', message: `must be 32 bytes in base64 (e.g. from \`openssl rand -base64 32\`)${decoded ? `, not ${decoded.length} bytes` : ''}` });
    } else tokenKey = decoded;
  } else if (oauthServers.length > 0) {
    issues.push({
      path: 'cluster.tokenKey',
      message: `required while servers use OAuth (${oauthServers.map((s) => `"${s}"`).join(', ')}): their tokens are shared in Redis, encrypted with it (32 bytes, base64)`,
    });
  }
  return {
    redis: { url: block.redis.url, keyPrefix: block.redis.keyPrefix ?? DEFAULT_KEY_PREFIX, commandTimeoutMs: block.redis.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS },
    name: block.name ?? DEFAULT_CLUSTER_NAME,
    replicaId: block.replicaId ?? '',
    tokenKey,
    heartbeatMs: block.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    secrets: [...new Set(secrets.filter((s) => s.length > 0))],
  };
}
