import { createHash } from 'node:crypto';
import type { JSONRPCMessage, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { ClusterContext } from '../cluster/bus.js';
import { readEnvelope } from '../cluster/envelope.js';

/**
 * Legacy-era (2025-11-25) `/mcp` sessions shared by the replicas of a cluster (DESIGN §16), so
 * a round-robin balancer needs no stickiness. The replica that opens a session stores a small
 * record under `gateway:session:<sha256 of the id>`, with a TTL of the idle limit, refreshed on
 * use at most once per `refreshMs` by whichever replica serves it. A replica asked for an id it
 * does not hold reads the record (bounded by `timeoutMs`: only that request waits for Redis, never
 * an upstream call) and builds the session locally by replaying its `initialize`
 * (`replayInitialize`). A DELETE on any replica deletes the record and tells the others, which
 * drop their copies.
 *
 * The record holds what serving the session elsewhere needs and nothing secret: the protocol
 * version, capabilities and clientInfo the client sent in `initialize`, the profile, and the
 * replica that created it (plus a format number and the cluster name). Never headers, tokens, or
 * the id itself: the id is the session's credential, so keys and messages carry only its hash.
 *
 * Not shared: the session's GET notification stream (list_changed, resource updates, log
 * messages and server → client requests outside a POST go to the replica that holds it),
 * `resources/subscribe` and `logging/setLevel` (each stays on the replica that received it),
 * and requests in flight. With Redis down every replica serves its own sessions as before and an
 * unknown id is 404; records of sessions opened meanwhile are stored when Redis returns.
 */

/** The format of a stored record; another one is ignored with a warning. */
export const SESSION_RECORD_VERSION = 1;
/** Where a replica tells the others that a session ended (DELETE). */
export const SESSION_ENDED_CHANNEL = 'gateway:session:ended';
/** Refreshes of one session's TTL are at least this far apart (or a tenth of the TTL when shorter). */
export const SESSION_REFRESH_MS = 5_000;

/** What a replica needs to serve a session another one opened (the stored JSON). */
export interface SessionRecord {
  v: typeof SESSION_RECORD_VERSION;
  cluster: string;
  /** The version the client asked for in `initialize` (negotiation replays the same). */
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown>;
  /** The gateway profile (`/mcp/<profile>`); null for `/mcp`. */
  profile: string | null;
  /** The replica that created it. */
  replica: string;
}

/** The parts of a client's `initialize` a record keeps. */
export type InitializeParams = Pick<SessionRecord, 'protocolVersion' | 'capabilities' | 'clientInfo'>;

export interface SharedSessionsOptions {
  /** The record's TTL: the gateway's `sessionIdleMs`. */
  ttlMs: number;
  /** Longest wait for a record of an unknown id, and for storing one at `initialize`. Defaults to 250 ms (`cluster.redis.commandTimeoutMs`). */
  timeoutMs?: number;
  /** The profile of the handler (`/mcp/<profile>`); records of another are not its sessions. */
  profile?: string | undefined;
}

export interface SharedSessions {
  /** Stores the record of a session this replica opened; resolves when stored, failed, or after `timeoutMs`. */
  created(id: string, init: InitializeParams): Promise<void>;
  /** A request of session `id` was served here: refreshes its TTL, at most once per refresh interval. */
  touched(id: string): void;
  /** The record of an id this replica does not hold, of this profile and cluster; undefined when none (or Redis is down, or slow). */
  find(id: string): Promise<SessionRecord | undefined>;
  /** The session ended (a DELETE here): deletes the record and tells the other replicas. */
  ended(id: string): Promise<void>;
  /** This replica's copy closed (idle, shutdown): forgets it here, the record stays for the others. */
  dropped(id: string): void;
  /** Calls `handler` with the id of a session held here that another replica ended. */
  onEnded(handler: (id: string) => void): () => void;
  /** Ends the subscription and status listener. */
  close(): void;
}

/** The parts a record keeps of `message` when it is an `initialize` request; undefined for any other. */
export function initializeOf(message: JSONRPCMessage): InitializeParams | undefined {
  if (!('method' in message) || message.method !== 'initialize' || !('id' in message)) return undefined;
  const params = (message.params ?? {}) as Partial<InitializeParams>;
  return { protocolVersion: String(params.protocolVersion), capabilities: params.capabilities ?? {}, clientInfo: params.clientInfo ?? {} };
}

/** The key part of a session id: its hash (the id is a credential). */
export function sessionKey(id: string): string {
  return `gateway:session:${createHash('sha256').update(id).digest('base64url')}`;
}

/** `promise`, or `fallback` after `ms` (the bus bounds its commands too; this is the gateway's own bound). */
function bounded<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The record in `text`, or the reason it is ignored. */
function parseRecord(text: string, cluster: string): SessionRecord | string {
  const read = readEnvelope(text, SESSION_RECORD_VERSION, cluster);
  if ('problem' in read) return read.problem;
  const record = read.value as Partial<SessionRecord>;
  const object = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (typeof record.protocolVersion !== 'string' || !object(record.capabilities) || !object(record.clientInfo) || typeof record.replica !== 'string' || (record.profile !== null && typeof record.profile !== 'string')) {
    return 'a field is missing or of the wrong type';
  }
  return record as SessionRecord;
}

/** The shared sessions of one gateway HTTP handler (one per profile) on `cluster`. */
export function createSharedSessions(cluster: ClusterContext, options: SharedSessionsOptions): SharedSessions {
  const { bus } = cluster;
  const timeoutMs = options.timeoutMs ?? 250;
  /** The pause before a missed record is read again. */
  const FIND_RETRY_MS = Math.min(50, timeoutMs);
  const refreshMs = Math.max(1, Math.min(SESSION_REFRESH_MS, Math.floor(options.ttlMs / 10)));
  const profile = options.profile ?? null;
  /** Sessions held here, by key: the record's JSON (to refresh it) and when it was last written. */
  const held = new Map<string, { id: string; json: string; written: number; stored: boolean }>();
  const handlers = new Set<(id: string) => void>();
  const warn = (message: string) => cluster.log('warn', `gateway: ${message}`);

  const store = async (key: string, entry: { json: string; written: number; stored: boolean }): Promise<void> => {
    entry.written = cluster.now();
    try {
      await bus.set(key, entry.json, { ttlMs: options.ttlMs });
      entry.stored = true;
    } catch (error) {
      warn(`an /mcp session record was not stored (other replicas answer it 404 until it is): ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const offMessages = bus.subscribe(SESSION_ENDED_CHANNEL, (message) => {
    let key: unknown;
    try {
      key = (JSON.parse(message) as { key?: unknown }).key;
    } catch {
      key = undefined;
    }
    if (typeof key !== 'string') return warn('ignored a session-ended message that does not parse');
    const entry = held.get(key);
    if (!entry) return;
    held.delete(key);
    // A refresh here may have raced the DELETE elsewhere and stored the record again.
    void bus.del(key).catch(() => undefined);
    for (const handler of [...handlers]) handler(entry.id);
  });

  // Back from an outage: store the records of sessions opened meanwhile (and refresh the others).
  const offStatus = bus.onStatus((up) => {
    if (!up) return;
    for (const [key, entry] of held) void store(key, entry);
  });

  return {
    async created(id, init) {
      const record: SessionRecord = { v: SESSION_RECORD_VERSION, cluster: cluster.clusterName, protocolVersion: init.protocolVersion, capabilities: init.capabilities, clientInfo: init.clientInfo, profile, replica: cluster.replicaId };
      const key = sessionKey(id);
      const entry = { id, json: JSON.stringify(record), written: cluster.now(), stored: false };
      held.set(key, entry);
      if (!bus.up) return;
      await bounded(store(key, entry), timeoutMs, undefined);
      // Once more on a slow moment (a loaded host, a Redis hiccup): the client's next request may land
      // on another replica, which answers 404 without the record. At most one more timeout, at initialize only.
      if (!entry.stored && bus.up) await bounded(store(key, entry), timeoutMs, undefined);
    },

    touched(id) {
      const key = sessionKey(id);
      const entry = held.get(key);
      if (!entry || !bus.up || cluster.now() - entry.written < refreshMs) return;
      void store(key, entry);
    },

    async find(id) {
      if (!bus.up) return undefined;
      const key = sessionKey(id);
      // `{ text }` when Redis answered (text null: no record), undefined when it failed or was too slow.
      const read = () => bounded(bus.get(key).then((text) => ({ text }), () => undefined), timeoutMs, undefined);
      // A miss Redis answered is read once more shortly after: the replica that opened the session may
      // still be storing its record (its write and this read raced on a loaded host). A failed or slow
      // read is not repeated: Redis is in trouble, and the request gets its 404 within one timeout.
      let answer = await read();
      if (answer?.text === null) answer = await new Promise<void>((resolve) => setTimeout(resolve, FIND_RETRY_MS)).then(read);
      const text = answer?.text ?? null;
      if (text === null) return undefined;
      const record = parseRecord(text, cluster.clusterName);
      if (typeof record === 'string') {
        warn(`ignored a shared /mcp session record: ${record}`);
        return undefined;
      }
      // Another profile's session: not one of this handler's (as locally, 404).
      if (record.profile !== profile) return undefined;
      held.set(key, { id, json: text, written: cluster.now(), stored: true });
      return record;
    },

    async ended(id) {
      const key = sessionKey(id);
      held.delete(key);
      if (!bus.up) return;
      await bounded(
        bus
          .del(key)
          .then(() => bus.publish(SESSION_ENDED_CHANNEL, JSON.stringify({ key, by: cluster.replicaId })))
          .catch((error: unknown) => warn(`an ended /mcp session was not removed from the cluster: ${error instanceof Error ? error.message : String(error)}`)),
        timeoutMs,
        undefined,
      );
    },

    dropped(id) {
      held.delete(sessionKey(id));
    },

    onEnded(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },

    close() {
      offMessages();
      offStatus();
      handlers.clear();
      held.clear();
    },
  };
}

/** A JSON-RPC id of the replayed `initialize`; its answer stays here. */
const REPLAY_ID = 'switchboard-adopt';

/** True when the SSE (or JSON) answer `text` holds a result for the replayed `initialize`. */
function answered(text: string): boolean {
  const bodies = text.trimStart().startsWith('{') ? [text] : text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5));
  return bodies.some((body) => {
    try {
      const message = JSON.parse(body) as { id?: unknown; result?: unknown };
      return message.id === REPLAY_ID && typeof message.result === 'object' && message.result !== null;
    } catch {
      return false;
    }
  });
}

/**
 * Makes `transport` (whose `sessionIdGenerator` answers `id`, its `Server` connected) the
 * already-initialized session of `record`, through the transport's public API only: the v2 SDK
 * (2.4) has no option to adopt a session id and initialized state (its `_initialized` is private;
 * see modelcontextprotocol/typescript-sdk#1658 and #1882), so the client's `initialize` and
 * `notifications/initialized` are replayed from the record. The `Server` then knows the client's
 * capabilities too (sampling, elicitation, roots are forwarded as on the replica that created
 * it). Resolves true when both were accepted.
 */
export async function replayInitialize(transport: WebStandardStreamableHTTPServerTransport, id: string, record: SessionRecord): Promise<boolean> {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const initialize = { jsonrpc: '2.0', id: REPLAY_ID, method: 'initialize', params: { protocolVersion: record.protocolVersion, capabilities: record.capabilities, clientInfo: record.clientInfo } };
  const opened = await transport.handleRequest(new Request('http://replica.local/mcp', { method: 'POST', headers }), { parsedBody: initialize });
  // The SSE answer ends once the result is written: read it to its end, then drop it.
  const answer = await opened.text();
  if (!opened.ok || transport.sessionId !== id || !answered(answer)) return false;
  const initialized = await transport.handleRequest(new Request('http://replica.local/mcp', { method: 'POST', headers: { ...headers, 'mcp-session-id': id } }), {
    parsedBody: { jsonrpc: '2.0', method: 'notifications/initialized' },
  });
  await initialized.text();
  return initialized.ok;
}
