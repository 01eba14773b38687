import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startBalancer, stopAllBalancers, type Balancer } from '../helpers/haproxy.js';
import { startRedis, stopAllRedis, type TestRedis } from '../helpers/redis.js';
import { startService, writeConfig, type RunningService } from '../helpers/service.js';

/**
 * Real replicas for the multi-replica tests (DESIGN §16): one `redis-server` on a free loopback
 * port, N `switchboard serve` processes (from dist: `npm run build` first) reading the same
 * config file with a `cluster:` block — each its own port, its own state directory and its
 * replica id from `$REPLICA_ID` — and a real haproxy round-robin in front of them.
 * `stopReplicas()` stops everything a test file started.
 */

export const ADMIN_TOKEN = 'replicas-admin-token-0123456789';
/** 32 bytes, base64 (the cluster's token key). */
export const TOKEN_KEY = Buffer.from('replicas-token-key-0123456789abc').toString('base64');

export interface Replica {
  id: string;
  url: string;
  service: RunningService;
  /** An admin API request to this replica, with the token. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

export interface ReplicaSet {
  redis: TestRedis;
  balancer: Balancer;
  replicas: Replica[];
  configPath: string;
  /** An admin API request through the balancer. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

const started = new Set<RunningService>();

/** An admin API request to `base` with the admin token (JSON body when `init.body` is given). */
export function adminRequest(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) },
  });
}

/**
 * The config file's text: `servers` (YAML lines under `servers:`) and `extra` top-level YAML,
 * plus the cluster block and the admin block (its token, and the balancer's Host allowed).
 */
export function clusterYaml(redisUrl: string, servers: string, extra = ''): string {
  return `servers:
${servers}
cluster:
  redis: { url: "${redisUrl}", commandTimeoutMs: 1000 }
  name: replicas
  replicaId: "\${REPLICA_ID}"
  tokenKey: "\${TOKEN_KEY}"
  heartbeatMs: 200
admin: { token: "\${ADMIN_TOKEN}", allowedHosts: ["\${BALANCER_HOST}"] }
${extra}
`;
}

/**
 * Starts redis, `count` replicas on the config `yaml(redisUrl)` and haproxy over them; resolves
 * once every replica is ready and sees the others in `GET /mcp/cluster`. `beforeStart` runs once
 * Redis runs and the config file is written (e.g. a `switchboard login`).
 */
export async function startReplicas(yaml: (redisUrl: string) => string, count = 3, env: NodeJS.ProcessEnv = {}, beforeStart?: (configPath: string) => Promise<void>): Promise<ReplicaSet> {
  const redis = await startRedis();
  const configPath = writeConfig(yaml(redis.url));
  await beforeStart?.(configPath);
  // The balancer first, on the replicas' ports chosen now: the replicas then allow its Host.
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const balancer = await startBalancer(ports.map((port) => `http://127.0.0.1:${port}`));
  const replicas = await Promise.all(
    ports.map(async (port, i) => {
      const id = `r${i + 1}`;
      const state = mkdtempSync(join(tmpdir(), `sb-replica-${id}-`));
      const service = await startService(['--config', configPath, '--port', String(port)], {
        REPLICA_ID: id,
        TOKEN_KEY,
        ADMIN_TOKEN,
        BALANCER_HOST: `127.0.0.1:${balancer.port}`,
        SWITCHBOARD_STATE_DIR: state,
        ...env,
      });
      started.add(service);
      const replica: Replica = { id, url: service.url, service, api: (path, init) => adminRequest(service.url, path, init) };
      return replica;
    }),
  );
  const set: ReplicaSet = { redis, balancer, replicas, configPath, api: (path, init) => adminRequest(balancer.url, path, init) };
  const ids = replicas.map((r) => r.id).sort();
  await until(async () => {
    const views = await Promise.all(replicas.map((r) => clusterOf(r)));
    return views.every((v) => v?.redis === 'up' && JSON.stringify(v.replicas.map((x) => x.id).sort()) === JSON.stringify(ids));
  }, 15_000, 'every replica sees the others');
  return set;
}

/** What `GET /mcp/cluster` answers. */
export interface ClusterView {
  name: string;
  redis: 'up' | 'down';
  self: string;
  leader: string | null;
  replicas: { id: string; lastSeenMs: number }[];
}

/** A replica's `GET /mcp/cluster`, or undefined when it does not answer. */
export async function clusterOf(replica: Replica): Promise<ClusterView | undefined> {
  try {
    const answer = await replica.api('/mcp/cluster', { signal: AbortSignal.timeout(2000) });
    return answer.status === 200 ? ((await answer.json()) as ClusterView) : undefined;
  } catch {
    return undefined;
  }
}

/** Polls `predicate` (every 20 ms) until it holds; throws naming `what` after `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One event of `/mcp/events`, with when (performance.now()) this process received it. */
export interface TimedEvent {
  type: string;
  data: Record<string, unknown>;
  at: number;
}

/** A live reader of a replica's `/mcp/events` that timestamps each event on arrival. */
export interface EventWatch {
  events: TimedEvent[];
  /** Resolves with the first event (received from now on, or already received after `since`) that `match` accepts. */
  next(match: (e: TimedEvent) => boolean, timeoutMs?: number, since?: number): Promise<TimedEvent>;
  close(): Promise<void>;
}

/** Opens `/mcp/events` of `replica`; resolves once the stream said `ready`. */
export async function watchEvents(replica: Replica): Promise<EventWatch> {
  const controller = new AbortController();
  const response = await replica.api('/mcp/events', { signal: controller.signal });
  if (response.status !== 200) throw new Error(`/mcp/events of ${replica.id} answered ${response.status}`);
  const reader = response.body!.getReader();
  const events: TimedEvent[] = [];
  const waiters = new Set<(e: TimedEvent) => void>();
  let buffer = '';
  let ready: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (ready = resolve));
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      const at = performance.now();
      buffer += Buffer.from(value!).toString();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type === 'ready') ready();
        if (!type || data === undefined) continue;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(data) as Record<string, unknown>;
        } catch {
          continue;
        }
        const event = { type, data: parsed, at };
        events.push(event);
        for (const waiter of [...waiters]) waiter(event);
      }
    }
  })();
  await Promise.race([opened, reading.then(() => Promise.reject(new Error('/mcp/events ended before ready')))]);
  return {
    events,
    next: (match, timeoutMs = 5000, since) =>
      new Promise((resolve, reject) => {
        if (since !== undefined) {
          const found = events.find((e) => e.at >= since && match(e));
          if (found) return resolve(found);
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching event on ${replica.id} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (e: TimedEvent) => {
          if (!match(e)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(e);
        };
        waiters.add(waiter);
      }),
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Stops every replica, balancer and redis-server this file started (afterEach/afterAll). */
export async function stopReplicas(): Promise<void> {
  const services = [...started];
  started.clear();
  await Promise.all(
    services.map(async (s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return;
      s.child.kill('SIGCONT');
      const code = s.stop();
      // A replica that does not stop within 5 s is killed (a test must never leave one behind).
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
      await code;
      clearTimeout(timer);
    }),
  );
  await stopAllBalancers();
  await stopAllRedis();
}
