import { fromCallback } from 'xstate';
import { BREAKER_REASONS, type BreakerReason, type BreakerState } from '../../machines/breakerModel.js';
import type { BreakerEvent, SharedBreakerEvent, SharedBreakerInput } from '../../machines/circuitBreaker.js';
import type { ClusterContext } from './bus.js';
import { readEnvelope } from './envelope.js';

/**
 * Shared breakers (DESIGN §16): each http/sse server's breaker transitions travel between the
 * replicas of a cluster; stdio servers stay per replica. One `SharedBreakers` per replica supplies
 * the breaker machine's `shared` actor (`circuitBreakerMachine.provide({ actors: { shared:
 * breakers.logic } })`) and holds one subscription to the `breakers` channel for all of them.
 *
 * - A transition this replica makes (`shared.changed`) is written to `breaker:<server>` with the
 *   next generation and published in the same command (`writeIfNewer`): one command per change,
 *   off the call path. Admission never waits: it reads the local breaker only. Every replica
 *   half-opens on its own timer, so only the replica whose opening it follows writes the half-open.
 * - Another replica's newer transition comes back as `breaker.remoteOpened` / `remoteHalfOpened`
 *   / `remoteClosed`; open durations travel as `retryAfterMs`, never clock readings.
 * - Generations: each replica keeps the last one it wrote or applied per server. Within one Redis
 *   lifetime stored generations only grow, so an older one is stale and ignored. A stale message
 *   from another replica, or a stored generation below ours, means Redis lost its data (a restart
 *   without persistence): the stored record is then re-read and adopted as the new order, and a
 *   replica whose breaker is not closed writes its state back (generation = its last + 1).
 * - A write that loses a race (stale) adopts the stored record; a write that fails (Redis down)
 *   leaves the change unwritten (not queued: only the latest state counts), and it is written when
 *   the bus comes back, after the stored record is re-read.
 * - Half-open: the probe lease `probe:<server>` (a lease, so the holder may renew it in its next
 *   round; TTL `maxWaitDurationInHalfOpenMs`) lets exactly one replica send probes; the others
 *   refuse until a transition arrives. With Redis down every replica probes on its own.
 */

/** The format of a record; a record of another format is ignored with a warning. */
export const BREAKER_RECORD_FORMAT = 1;
/** The channel every transition is published on. */
export const BREAKERS_CHANNEL = 'breakers';
/** The key a server's breaker record is stored under (the bus prefixes the cluster). */
export const breakerKey = (server: string): string => `breaker:${server}`;
/** The lease of a server's half-open probe. */
export const probeKey = (server: string): string => `probe:${server}`;

/** A breaker's state as one replica wrote it; the stored value and the published message are its JSON. */
export interface BreakerRecord {
  v: typeof BREAKER_RECORD_FORMAT;
  cluster: string;
  server: string;
  generation: number;
  state: BreakerState;
  reason: BreakerReason;
  /** The replica that made the transition. */
  by: string;
  /** While open: how long it stays open from the transition (a duration, never a clock reading). */
  retryAfterMs: number | null;
  consecutiveOpens: number;
}

const STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/** Reads a record, or says why it is ignored (bad JSON, another cluster, an older format). */
export function parseBreakerRecord(text: string, cluster: string): BreakerRecord | { ignored: string } {
  const read = readEnvelope(text, BREAKER_RECORD_FORMAT, cluster);
  if ('problem' in read) return { ignored: read.problem };
  const r = read.value;
  if (typeof r.server !== 'string' || typeof r.by !== 'string' || r.by === '') return { ignored: 'no server or replica' };
  if (!Number.isSafeInteger(r.generation) || (r.generation as number) < 1) return { ignored: 'bad generation' };
  if (!STATES.includes(r.state as BreakerState)) return { ignored: 'bad state' };
  const retry = r.retryAfterMs;
  if (retry !== null && (typeof retry !== 'number' || !Number.isFinite(retry) || retry < 0)) return { ignored: 'bad retryAfterMs' };
  const opens = Number.isSafeInteger(r.consecutiveOpens) && (r.consecutiveOpens as number) >= 0 ? (r.consecutiveOpens as number) : 0;
  const reason = BREAKER_REASONS.includes(r.reason as BreakerReason) ? (r.reason as BreakerReason) : 'remote';
  return { v: BREAKER_RECORD_FORMAT, cluster, server: r.server, generation: r.generation as number, state: r.state as BreakerState, reason, by: r.by, retryAfterMs: retry, consecutiveOpens: opens };
}

/** Counters for `/metrics` and tests. */
export interface SharedBreakerStats {
  /** Transitions this replica wrote and published. */
  published: number;
  /** Other replicas' transitions applied here. */
  applied: number;
  /** Messages or writes with a generation already superseded. */
  stale: number;
  /** Records that did not parse, or belong to another cluster or format. */
  ignored: number;
  /** Commands that failed (Redis down or slow); the replica went on on local state. */
  failures: number;
}

/** The state one replica knows of one server's shared breaker. */
class ServerShare {
  private lastGeneration = 0;
  private state: BreakerState = 'closed';
  private reason: BreakerReason = 'manualReset';
  private retryAfterMs: number | null = null;
  private consecutiveOpens = 0;
  /** The replica whose transition `state` is. */
  private by = '';
  /** When the state was taken here (this replica's clock): a republished open sends what is left. */
  private since = 0;
  /** Local changes made, and how many of them the cluster has (written, or superseded by a newer one). */
  private version = 0;
  private written = 0;
  private writing = false;
  stopped = false;

  constructor(
    readonly server: string,
    private readonly maxHalfOpenMs: number,
    private readonly maxOpenMs: number,
    private readonly send: (event: BreakerEvent) => void,
    private readonly hub: SharedBreakers,
  ) {}

  private get cluster(): ClusterContext {
    return this.hub.cluster;
  }

  /** This replica's own transition: written and published now, or when the bus is back. */
  changed(event: Extract<SharedBreakerEvent, { type: 'shared.changed' }>): void {
    // Every replica half-opens on its own timer (the open duration travelled with the opening):
    // only the replica that opened it writes the half-open, so a round costs one write, not N.
    const quiet = event.to === 'half-open' && this.state === 'open' && this.by !== this.cluster.replicaId;
    this.by = this.cluster.replicaId;
    this.state = event.to;
    this.reason = event.reason;
    this.retryAfterMs = event.retryAfterMs;
    this.consecutiveOpens = event.consecutiveOpens;
    this.since = this.cluster.now();
    if (quiet) return;
    this.version++;
    this.flush();
  }

  /** Asks for the probe lease of half-open round `epoch`; granted at once when the cluster cannot answer. */
  probeWanted(epoch: number): void {
    const grant = () => {
      if (!this.stopped) this.send({ type: 'breaker.probeGranted', epoch });
    };
    if (!this.cluster.bus.up) return grant();
    this.cluster.bus.lease(probeKey(this.server), this.cluster.replicaId, this.maxHalfOpenMs).then(
      (lease) => {
        if (lease.held) grant();
      },
      (error) => {
        this.hub.failed(`could not take the probe lease of "${this.server}"; probing without it`, error);
        grant();
      },
    );
  }

  /** A record another replica published. */
  received(record: BreakerRecord): void {
    if (record.by === this.cluster.replicaId) {
      this.lastGeneration = Math.max(this.lastGeneration, record.generation);
      return;
    }
    if (record.generation <= this.lastGeneration) {
      this.hub.stats.stale++;
      // The record already read (a message that raced a read) is no news. Anything else older
      // cannot happen within one Redis lifetime: Redis may have lost its data, so re-read.
      if (record.generation < this.lastGeneration || record.by !== this.by) this.sync();
      return;
    }
    this.apply(record);
  }

  /** Re-reads the stored record and reconciles (at start, after an outage, after a stale message). */
  sync(): void {
    if (!this.cluster.bus.up) return;
    this.cluster.bus.readVersioned(breakerKey(this.server)).then(
      (stored) => this.reconcile(stored),
      (error) => this.hub.failed(`could not read the breaker of "${this.server}"`, error),
    );
  }

  private reconcile(stored: { generation: number; value: string } | null): void {
    if (this.stopped) return;
    let record: BreakerRecord | null = null;
    if (stored) {
      const parsed = parseBreakerRecord(stored.value, this.cluster.clusterName);
      if (!('ignored' in parsed)) record = { ...parsed, generation: stored.generation };
      else {
        // Unreadable: overwrite it when there is something to say (above its generation).
        this.hub.ignore(parsed.ignored);
        this.lastGeneration = Math.max(this.lastGeneration, stored.generation);
      }
    }
    if (this.version > this.written) {
      // A change made while the bus was down goes on top of whatever is stored.
      this.lastGeneration = Math.max(this.lastGeneration, stored?.generation ?? 0);
      this.flush();
    } else if (record && record.generation !== this.lastGeneration) {
      // Newer (messages missed), or older than ours (Redis lost its data): the stored order wins.
      this.apply(record);
    } else if (!record && this.state !== 'closed' && this.lastGeneration > 0) {
      // Redis lost the record: write this replica's state back so newcomers learn it.
      this.version++;
      this.flush();
    }
  }

  private apply(record: BreakerRecord): void {
    this.lastGeneration = record.generation;
    this.by = record.by;
    this.state = record.state;
    this.reason = record.reason;
    this.retryAfterMs = record.retryAfterMs;
    this.consecutiveOpens = record.consecutiveOpens;
    this.since = this.cluster.now();
    if (this.stopped) return;
    this.hub.stats.applied++;
    const common = { generation: record.generation, by: record.by, reason: record.reason, at: this.since };
    if (record.state === 'open') {
      const retryAfterMs = Math.min(record.retryAfterMs ?? this.maxOpenMs, this.maxOpenMs);
      this.send({ type: 'breaker.remoteOpened', retryAfterMs, consecutiveOpens: record.consecutiveOpens, ...common });
    } else if (record.state === 'half-open') this.send({ type: 'breaker.remoteHalfOpened', ...common });
    else this.send({ type: 'breaker.remoteClosed', ...common });
  }

  /** Writes the latest local change, once at a time; nothing is queued while the bus is down. */
  private flush(): void {
    if (this.stopped || this.writing || this.version === this.written || !this.cluster.bus.up) return;
    const version = this.version;
    const generation = this.lastGeneration + 1;
    const text = JSON.stringify(this.record(generation));
    this.writing = true;
    this.cluster.bus.writeIfNewer(breakerKey(this.server), generation, text, { channel: BREAKERS_CHANNEL, message: text }).then(
      (written) => {
        this.writing = false;
        this.written = Math.max(this.written, version);
        if (written) {
          this.lastGeneration = Math.max(this.lastGeneration, generation);
          this.hub.stats.published++;
        } else {
          // Another replica wrote first: its record is the cluster's order; adopt it (from its
          // message when that came first, else read).
          this.hub.stats.stale++;
          if (this.lastGeneration < generation) this.sync();
        }
        this.flush();
      },
      (error) => {
        this.writing = false;
        this.hub.failed(`could not share the breaker of "${this.server}"; it is written when the cluster is back`, error);
      },
    );
  }

  private record(generation: number): BreakerRecord {
    const left = this.retryAfterMs === null ? null : Math.max(0, this.retryAfterMs - (this.cluster.now() - this.since));
    return {
      v: BREAKER_RECORD_FORMAT,
      cluster: this.cluster.clusterName,
      server: this.server,
      generation,
      state: this.state,
      reason: this.reason,
      by: this.cluster.replicaId,
      retryAfterMs: this.state === 'open' ? left : null,
      consecutiveOpens: this.consecutiveOpens,
    };
  }
}

/**
 * One replica's side of the shared breakers: the `shared` actor logic for every breaker machine,
 * one subscription to the `breakers` channel (while any breaker is shared), and a re-read of
 * every shared breaker when the bus comes back.
 */
export class SharedBreakers {
  readonly stats: SharedBreakerStats = { published: 0, applied: 0, stale: 0, ignored: 0, failures: 0 };
  private readonly byServer = new Map<string, ServerShare>();
  private offMessages: (() => void) | null = null;
  private offStatus: (() => void) | null = null;

  /**
   * @param shares whether a server's breaker is shared: true for http and sse servers, false for
   *   stdio ones (each replica runs its own process).
   */
  constructor(
    readonly cluster: ClusterContext,
    private readonly shares: (server: string) => boolean,
  ) {}

  /** The breaker machine's `shared` actor. */
  readonly logic = fromCallback<SharedBreakerEvent, SharedBreakerInput>(({ input, sendBack, receive }) => {
    if (!this.shares(input.server)) return undefined;
    const { maxWaitDurationInHalfOpenMs, maxWaitDurationInOpenMs } = input.policy;
    const share = new ServerShare(input.server, maxWaitDurationInHalfOpenMs, maxWaitDurationInOpenMs, (event) => sendBack(event), this);
    this.register(share);
    sendBack({ type: 'breaker.sharing', replicaId: this.cluster.replicaId } satisfies BreakerEvent);
    receive((event) => {
      if (event.type === 'shared.changed') share.changed(event);
      else share.probeWanted(event.epoch);
    });
    share.sync();
    return () => this.unregister(share);
  });

  /** @internal A command failed: the replica goes on on local state. */
  failed(message: string, error: unknown): void {
    this.stats.failures++;
    this.cluster.log('warn', message, { reason: error instanceof Error ? error.message : String(error) });
  }

  /** @internal A record that is not ours to read. */
  ignore(why: string): void {
    this.stats.ignored++;
    this.cluster.log('warn', 'ignored a breaker record', { reason: why });
  }

  private register(share: ServerShare): void {
    const old = this.byServer.get(share.server);
    if (old) old.stopped = true;
    this.byServer.set(share.server, share);
    if (this.offMessages) return;
    this.offMessages = this.cluster.bus.subscribe(BREAKERS_CHANNEL, (text) => this.onMessage(text));
    this.offStatus = this.cluster.bus.onStatus((up) => {
      if (up) for (const s of this.byServer.values()) s.sync();
    });
  }

  private unregister(share: ServerShare): void {
    share.stopped = true;
    if (this.byServer.get(share.server) !== share) return;
    this.byServer.delete(share.server);
    if (this.byServer.size > 0) return;
    this.offMessages?.();
    this.offStatus?.();
    this.offMessages = this.offStatus = null;
  }

  private onMessage(text: string): void {
    const parsed = parseBreakerRecord(text, this.cluster.clusterName);
    if ('ignored' in parsed) return this.ignore(parsed.ignored);
    this.byServer.get(parsed.server)?.received(parsed);
  }
}
