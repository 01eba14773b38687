import type { RedisClientType } from 'redis';
import type { ClusterBus, LeaseState, ReplicaSeen } from './bus.js';

/**
 * The cluster's bus on Redis through node-redis (`redis` 6.x, an optional dependency loaded only
 * when `cluster:` is configured). Rule one (DESIGN §16): no call waits for it, so a command never
 * queues while the client is not ready (`disableOfflineQueue`) and every command, sent or not, is
 * rejected after `commandTimeoutMs` (`timeout` + `rejectInFlight`, node-redis's own deadlines).
 * Two connections: one for commands, one (a `duplicate()`) subscribed. Compare-and-set, release,
 * lease and heartbeats are Lua scripts (atomic); heartbeats are scored with Redis `TIME`, never a
 * replica's clock. Every key and channel is `keyPrefix + clusterName + ':' + key`.
 */

/** How to reach Redis: `ClusterSettings.redis` plus the cluster's name. */
export interface RedisBusOptions {
  url: string;
  /** Defaults to `switchboard:`. */
  keyPrefix?: string;
  clusterName: string;
  /** A command that takes longer is rejected. Defaults to 250 ms. */
  commandTimeoutMs?: number;
  /** Values masked out of every reason this bus gives (the Redis password). */
  secrets?: string[];
}

type RedisModule = typeof import('redis');
type Client = RedisClientType;

/** Loads `redis` (node-redis); a clear error when the optional dependency is not installed. */
export async function loadRedis(): Promise<RedisModule> {
  try {
    return await import('redis');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error('`cluster:` is configured but the optional dependency `redis` (node-redis) is not installed: run `npm install redis`', { cause: error });
    }
    throw error;
  }
}

/** Creates a bus and starts connecting; never waits for Redis (only for the module to load). */
export async function createRedisBus(options: RedisBusOptions): Promise<RedisBus> {
  return new RedisBus(await loadRedis(), options);
}

/** Reconnect after 50 ms, doubling, at most 1 s apart: Redis back is noticed within a second. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), 1000);
}

/**
 * Leftovers under a key that are not what this part stores there (another type, a generation that
 * is not a number, a lease without expiry) are treated as absent and replaced: junk in Redis must
 * never turn a part's sharing off for good (DESIGN §16).
 */
const CLEAR_UNLESS = `
local function clearUnless(key, kind)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= kind then redis.call('DEL', key) end
end`;

const WRITE_IF_NEWER = `${CLEAR_UNLESS}
clearUnless(KEYS[1], 'hash')
local held = tonumber(redis.call('HGET', KEYS[1], 'g') or '')
if held and held >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'g', ARGV[1], 'v', ARGV[2])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const LEASE = `${CLEAR_UNLESS}
clearUnless(KEYS[1], 'string')
clearUnless(KEYS[2], 'string')
local holder = redis.call('GET', KEYS[1])
-- A lease without expiry (left by hand, or by a replica of an older format) is no lease.
if holder and redis.call('PTTL', KEYS[1]) < 0 then holder = false end
local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
if not fence then
  redis.call('SET', KEYS[2], '0')
  fence = 0
end
if not holder then
  fence = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, ARGV[1], fence}
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, holder, fence}
end
return {0, holder, fence}`;

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const HEARTBEAT = `${NOW_MS}${CLEAR_UNLESS}
clearUnless(KEYS[1], 'zset')
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
return 1`;

const MEMBERS = `${NOW_MS}
if redis.call('TYPE', KEYS[1])['ok'] ~= 'zset' then return {tostring(now)} end
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf', 'WITHSCORES')
table.insert(rows, 1, tostring(now))
return rows`;

export class RedisBus implements ClusterBus {
  private readonly prefix: string;
  private readonly client: Client;
  private readonly subscriber: Client;
  private readonly listeners = new Set<(up: boolean, reason?: string) => void>();
  /** Our handlers by full channel name; one dispatcher per channel is what node-redis holds. */
  private readonly channels = new Map<string, { handlers: Set<(message: string) => void>; dispatch: (message: string) => void }>();
  /** Undefined until the first connect succeeds or fails: the first failure is news too. */
  private isUp: boolean | undefined;
  private lastReason: string | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  private readonly secrets: string[];

  constructor(redis: RedisModule, options: RedisBusOptions) {
    this.prefix = `${options.keyPrefix ?? 'switchboard:'}${options.clusterName}:`;
    this.secrets = (options.secrets ?? []).filter((s) => s.length > 0);
    const timeout = options.commandTimeoutMs ?? 250;
    this.client = redis.createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout, rejectInFlight: true },
      socket: { connectTimeout: Math.max(1000, timeout * 4), reconnectStrategy: reconnectDelay },
    }) as unknown as Client;
    // Subscriptions are not calls: they may wait to be sent, and node-redis re-sends them after a reconnect.
    this.subscriber = this.client.duplicate({ disableOfflineQueue: false, commandOptions: {} });
    this.client.on('ready', () => this.setUp(true));
    this.client.on('error', (error: Error) => this.setUp(false, error));
    this.client.on('reconnecting', () => this.setUp(false, new Error('reconnecting')));
    this.client.on('end', () => this.setUp(false, new Error('connection closed')));
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('ready', () => this.resubscribe());
    this.client.connect().catch(() => undefined);
    this.subscriber.connect().catch(() => undefined);
  }

  get up(): boolean {
    return this.isUp === true && !this.closed;
  }

  /** Why the bus is down now (secrets masked); undefined while up or before the first connect. */
  get reason(): string | undefined {
    return this.up ? undefined : this.lastReason;
  }

  /** Resolves once every subscription made so far reached Redis (or failed): for tests. */
  async whenSubscribed(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  onStatus(listener: (up: boolean, reason?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `text` with every secret (the Redis password) masked. */
  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }

  private setUp(up: boolean, error?: Error): void {
    if (this.closed) return;
    const reason = error ? this.redact(error.message || error.name || 'unknown error') : undefined;
    if (!up) this.lastReason = reason;
    if (up === this.isUp) return;
    this.isUp = up;
    for (const listener of [...this.listeners]) listener(up, reason);
  }

  /** Runs one command; a timeout while ready marks the bus down until a command succeeds. */
  private async run<T>(args: string[]): Promise<T> {
    if (this.closed) throw new Error('the cluster bus is closed');
    try {
      const reply = await this.client.sendCommand<T>(args);
      if (!this.isUp && this.client.isReady) this.setUp(true);
      return reply;
    } catch (error) {
      // node-redis's TimeoutError / TimeoutReadError keep `name` 'Error': tell them by class.
      const kind = (error as Error).constructor?.name ?? '';
      if (/Timeout/.test(kind)) this.setUp(false, new Error(`a command took longer than its timeout (${kind})`));
      throw new Error(this.redact((error as Error).message ?? String(error)), { cause: error });
    }
  }

  private script<T>(source: string, keys: string[], args: string[]): Promise<T> {
    return this.run<T>(['EVAL', source, String(keys.length), ...keys.map((k) => this.prefix + k), ...args]);
  }

  get(key: string): Promise<string | null> {
    return this.run<string | null>(['GET', this.prefix + key]);
  }

  async set(key: string, value: string, options: { ttlMs?: number } = {}): Promise<void> {
    const ttl = options.ttlMs === undefined ? [] : ['PX', String(Math.max(1, Math.round(options.ttlMs)))];
    await this.run(['SET', this.prefix + key, value, ...ttl]);
  }

  async del(key: string): Promise<void> {
    await this.run(['DEL', this.prefix + key]);
  }

  async writeIfNewer(key: string, generation: number, value: string, publish?: { channel: string; message: string }): Promise<boolean> {
    const channel = publish ? this.prefix + publish.channel : '';
    const reply = await this.script<number>(WRITE_IF_NEWER, [key], [String(generation), value, channel, publish?.message ?? '']);
    return Number(reply) === 1;
  }

  async readVersioned(key: string): Promise<{ generation: number; value: string } | null> {
    let answer: Array<string | null>;
    try {
      answer = await this.run<Array<string | null>>(['HMGET', this.prefix + key, 'g', 'v']);
    } catch (error) {
      // Another type under the key: an unreadable record (generation 0), which the part ignores
      // with a warning and the next writeIfNewer replaces.
      if (String((error as Error)?.message ?? error).startsWith('WRONGTYPE')) return { generation: 0, value: '' };
      throw error;
    }
    const [generation, value] = answer;
    if (generation === null || generation === undefined || value === null || value === undefined) return null;
    const g = Number(generation);
    return Number.isSafeInteger(g) && g >= 0 ? { generation: g, value } : { generation: 0, value: '' };
  }

  async increment(key: string): Promise<number> {
    return Number(await this.run<number>(['INCR', this.prefix + key]));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run(['PUBLISH', this.prefix + channel, message]);
  }

  subscribe(channel: string, handler: (message: string) => void): () => void {
    const full = this.prefix + channel;
    let entry = this.channels.get(full);
    if (!entry) {
      const handlers = new Set<(message: string) => void>();
      entry = { handlers, dispatch: (message: string) => this.deliver(handlers, message) };
      this.channels.set(full, entry);
      if (!this.closed) this.track(this.subscriber.subscribe(full, entry.dispatch));
    }
    const mine = entry;
    mine.handlers.add(handler);
    return () => {
      mine.handlers.delete(handler);
      if (mine.handlers.size > 0 || this.channels.get(full) !== mine) return;
      this.channels.delete(full);
      if (!this.closed) this.subscriber.unsubscribe(full, mine.dispatch).catch(() => undefined);
    };
  }

  private deliver(handlers: Set<(message: string) => void>, message: string): void {
    if (this.closed) return;
    for (const handler of [...handlers]) {
      try {
        handler(message);
      } catch {
        // A handler's failure is its own; the other handlers still hear the message.
      }
    }
  }

  /** After the subscriber (re)connects: any channel node-redis dropped is subscribed again (no-op otherwise). */
  private resubscribe(): void {
    for (const [full, entry] of this.channels) this.track(this.subscriber.subscribe(full, entry.dispatch));
  }

  private track(subscribing: Promise<unknown>): void {
    const settled = subscribing.catch(() => undefined).finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const reply = await this.run<string | null>(['SET', this.prefix + key, owner, 'NX', 'PX', String(Math.max(1, Math.round(ttlMs)))]);
    return reply === 'OK';
  }

  async release(key: string, owner: string): Promise<boolean> {
    return Number(await this.script<number>(RELEASE, [key], [owner])) === 1;
  }

  async lease(key: string, owner: string, ttlMs: number): Promise<LeaseState> {
    const [held, holder, fence] = await this.script<[number, string, number]>(LEASE, [key, `${key}:fence`], [owner, String(Math.max(1, Math.round(ttlMs)))]);
    return { held: Number(held) === 1, holder: holder ?? null, fence: Number(fence) };
  }

  async heartbeat(key: string, member: string, ttlMs: number): Promise<void> {
    await this.script(HEARTBEAT, [key], [member, String(Math.max(1, Math.round(ttlMs)))]);
  }

  async members(key: string, ttlMs: number): Promise<ReplicaSeen[]> {
    const [now, ...rows] = await this.script<string[]>(MEMBERS, [key], [String(Math.max(1, Math.round(ttlMs)))]);
    const seen: ReplicaSeen[] = [];
    for (let i = 0; i + 1 < rows.length; i += 2) seen.push({ id: rows[i]!, lastSeenMs: Math.max(0, Number(now) - Number(rows[i + 1])) });
    return seen.sort((a, b) => a.lastSeenMs - b.lastSeenMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.channels.clear();
    // destroy(): nothing waits for Redis, not even a goodbye (QUIT would wait while it is down).
    for (const client of [this.client, this.subscriber]) {
      try {
        client.destroy();
      } catch {
        // Already closed.
      }
    }
  }
}
