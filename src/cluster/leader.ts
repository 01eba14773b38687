import type { Clock } from '../core/clock.js';
import type { HealthTarget, SharedHealthPort, SharedHealthResult } from '../session/attempt.js';
import type { ClusterContext } from './bus.js';
import { readEnvelope } from './envelope.js';

/**
 * One health leader per cluster (DESIGN §16). Each replica tries the lease `leader` every
 * `leaseMs / 3` (`bus.lease`: taken when free, renewed by its holder, with a fencing counter that
 * grows each time it changes hands). The holder runs the periodic health checks of remote (http,
 * sse) servers as before and publishes each result on channel `health` (and key
 * `health:<server>`, for whoever looks) stamped with its fence; the other replicas take a result
 * instead of pinging, but only one from the current holder and fence that arrived within two
 * health intervals (their own clock: results carry durations, never clock readings). Otherwise —
 * no leader, Redis down, a stale or missing result, a stdio server — every replica pings as always.
 * A dead leader stops renewing: its lease expires after `leaseMs` and the next try of another
 * replica takes it, with a higher fence, so late results of the old leader are ignored.
 *
 * Rule one: `take` and `report` are local and synchronous; lease tries and publishes run on
 * timers, off the call path, and a failed one only means "no leader known" until the next.
 */

/** The lease key, the channel and key prefix of results, and their format. */
export const LEADER_KEY = 'leader';
export const HEALTH_CHANNEL = 'health';
export const HEALTH_FORMAT = 1;
/** The default (and largest) lease: DESIGN §16 says at most 5 s. */
export const MAX_LEASE_MS = 5_000;

/** Options of `HealthLeader`. */
export interface HealthLeaderOptions {
  /** How long a lease lasts without renewal, in ms (default and at most 5000); renewed every third of it. */
  leaseMs?: number;
  /** Timers for the lease tries (default: the real ones; a SimulatedClock in tests). */
  timers?: Clock;
}

/** A result on `health`, as published. */
interface HealthMessage extends SharedHealthResult {
  v: number;
  cluster: string;
  server: string;
  fence: number;
  by: string;
}

/** A result received from the leader, with when it arrived on this replica's clock. */
interface Received extends SharedHealthResult {
  fence: number;
  by: string;
  arrivedAt: number;
}

/** Remote servers share health; stdio (and custom) servers are always probed locally. */
const isRemote = (target: HealthTarget): boolean => target.transport === 'http' || target.transport === 'sse';
/** Error messages published are short (they are already redacted by the session). */
const MAX_MESSAGE_CHARS = 300;

/** Parses a message on `health`; `problem` says why it is not one to use. */
export function parseHealthMessage(text: string, clusterName: string): { message?: HealthMessage; problem?: string } {
  const read = readEnvelope(text, HEALTH_FORMAT, clusterName);
  if ('problem' in read) return read;
  const m = read.value as Partial<HealthMessage>;
  if (typeof m.server !== 'string' || typeof m.by !== 'string' || typeof m.ok !== 'boolean' || !Number.isInteger(m.fence)) return { problem: 'missing fields' };
  if (m.error !== undefined && (typeof m.error?.code !== 'string' || typeof m.error?.message !== 'string')) return { problem: 'a malformed error' };
  return { message: m as HealthMessage };
}

/** The health leader of one replica: the lease loop, the results it publishes and those it takes. */
export class HealthLeader implements SharedHealthPort {
  private readonly leaseMs: number;
  private readonly timers: Clock;
  private holder: string | null = null;
  private fence: number | undefined;
  private readonly results = new Map<string, Received>();
  private readonly listeners = new Set<(leader: string | null) => void>();
  private timer: unknown;
  private trying = false;
  private running = false;
  private offStatus: () => void = () => undefined;
  private offMessages: () => void = () => undefined;
  /** Checks answered from the leader's results, checks left to a local ping, results published. */
  readonly counts = { taken: 0, probed: 0, published: 0 };

  constructor(
    private readonly ctx: ClusterContext,
    options: HealthLeaderOptions = {},
  ) {
    this.leaseMs = Math.min(MAX_LEASE_MS, Math.max(3, options.leaseMs ?? MAX_LEASE_MS));
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) };
  }

  /** Starts trying the lease (now, then every `leaseMs / 3`) and listening to results. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.offMessages = this.ctx.bus.subscribe(HEALTH_CHANNEL, (text) => this.receive(text));
    this.offStatus = this.ctx.bus.onStatus((up) => {
      if (!up) this.setHolder(null, undefined);
      // Back up: try at once rather than at the next tick.
      else this.tick();
    });
    this.tick();
  }

  /** Stops the loop; a held lease is released so that another replica takes over at its next try. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timers.clearTimeout(this.timer);
    this.offMessages();
    this.offStatus();
    const held = this.holder === this.ctx.replicaId;
    this.setHolder(null, undefined);
    if (held) await this.ctx.bus.release(LEADER_KEY, this.ctx.replicaId).catch(() => false);
  }

  /** The current holder of the lease (null: none known, e.g. Redis down). */
  leader(): string | null {
    return this.holder;
  }

  /** Whether this replica holds the lease now. */
  isLeader(): boolean {
    return this.holder === this.ctx.replicaId;
  }

  /** The fencing counter of the current lease (undefined while none is known). */
  currentFence(): number | undefined {
    return this.fence;
  }

  /** Calls `listener` with the new holder each time it changes; returns the unsubscribe. */
  onChange(listener: (leader: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A fresh result of the leader for a remote server, when this replica is not the leader. */
  take(target: HealthTarget): SharedHealthResult | undefined {
    const result = this.fresh(target);
    if (!result) {
      this.counts.probed += 1;
      return undefined;
    }
    this.counts.taken += 1;
    return { ok: result.ok, ...(result.latencyMs !== undefined ? { latencyMs: result.latencyMs } : {}), ...(result.error ? { error: result.error } : {}) };
  }

  /** A ping's result on this replica: the leader publishes it (fire-and-forget). */
  report(target: HealthTarget, result: SharedHealthResult): void {
    if (!isRemote(target) || !this.isLeader() || this.fence === undefined) return;
    const message: HealthMessage = {
      v: HEALTH_FORMAT,
      cluster: this.ctx.clusterName,
      server: target.name,
      ok: result.ok,
      fence: this.fence,
      by: this.ctx.replicaId,
      ...(result.latencyMs !== undefined ? { latencyMs: result.latencyMs } : {}),
      ...(result.error ? { error: { code: result.error.code, message: result.error.message.slice(0, MAX_MESSAGE_CHARS) } } : {}),
    };
    const text = JSON.stringify(message);
    const { bus } = this.ctx;
    this.counts.published += 1;
    // Two health intervals: past that, nobody would take it anyway.
    Promise.all([bus.publish(HEALTH_CHANNEL, text), bus.set(`${HEALTH_CHANNEL}:${target.name}`, text, { ttlMs: Math.max(1, 2 * target.intervalMs) })]).catch((error: unknown) =>
      this.ctx.log('warn', `health leader: a result was not published: ${(error as Error)?.message ?? error}`, { server: target.name }),
    );
  }

  private fresh(target: HealthTarget): Received | undefined {
    if (!isRemote(target) || this.holder === null || this.isLeader() || this.fence === undefined) return undefined;
    const result = this.results.get(target.name);
    if (!result || result.fence !== this.fence || result.by !== this.holder) return undefined;
    return this.ctx.now() - result.arrivedAt <= 2 * target.intervalMs ? result : undefined;
  }

  private receive(text: string): void {
    const { message, problem } = parseHealthMessage(text, this.ctx.clusterName);
    if (!message) {
      this.ctx.log('warn', `health leader: a result was ignored (${problem})`);
      return;
    }
    if (message.by === this.ctx.replicaId) return;
    // An older fence is a former leader's late word; `fresh` also checks against the fence in force.
    if (this.fence !== undefined && message.fence < this.fence) return;
    const { ok, latencyMs, error, fence, by } = message;
    this.results.set(message.server, { ok, fence, by, arrivedAt: this.ctx.now(), ...(latencyMs !== undefined ? { latencyMs } : {}), ...(error ? { error: { code: error.code, message: error.message } } : {}) });
  }

  /** One lease try; the next is scheduled whatever it answers. */
  private tick(): void {
    if (!this.running) return;
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.tick(), Math.max(1, Math.floor(this.leaseMs / 3)));
    if (this.trying) return;
    this.trying = true;
    this.ctx.bus.lease(LEADER_KEY, this.ctx.replicaId, this.leaseMs).then(
      (state) => {
        this.trying = false;
        if (this.running) this.setHolder(state.holder, state.holder === null ? undefined : state.fence);
      },
      () => {
        // Redis down or slow: no leader is known, so this replica probes for itself.
        this.trying = false;
        if (this.running) this.setHolder(null, undefined);
      },
    );
  }

  private setHolder(holder: string | null, fence: number | undefined): void {
    const changed = holder !== this.holder || fence !== this.fence;
    const was = this.holder;
    this.holder = holder;
    this.fence = fence;
    if (!changed) return;
    if (holder === this.ctx.replicaId && was !== holder) this.ctx.log('info', 'health leader: this replica leads the health checks', { fence });
    if (holder !== was) for (const listener of [...this.listeners]) listener(holder);
  }
}
