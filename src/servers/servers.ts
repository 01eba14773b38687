import { BreakerGate, type BreakerStore } from '../breaker/index.js';
import { mergePolicy } from '../config/resolve.js';
import { DEFAULT_POLICY, type PolicyOverrides, type RuntimeServer } from '../config/schema.js';
import type { RuntimeClock } from '../core/clock.js';
import { redactText } from '../secrets/index.js';
import type { TransportSource } from '../protocol/index.js';
import { ServerRecord } from './record.js';

/**
 * The one collection of configured servers, and the one place that creates, replaces and deletes
 * their records: adding, removing or reloading a server creates, replaces or deletes one record,
 * and everything per server hangs off it. Every part that needs a server's config, secrets,
 * session, gate, probe or subscriptions (the facade, the session actors, the admin API through
 * the facade) reads it here. The manager's children are the supervised (enabled) subset.
 */
export class Servers {
  private readonly records = new Map<string, ServerRecord>();

  constructor(
    /** Where every server's breaker lives; each record's gate reads it. */
    private readonly store: BreakerStore,
    private readonly clock: RuntimeClock,
  ) {}

  /** How many records exist (one per configured server). */
  get size(): number {
    return this.records.size;
  }

  /** Creates the record of a server whose name is new. */
  create(config: RuntimeServer, transport: TransportSource | undefined): ServerRecord {
    if (this.records.has(config.name)) throw new Error(`a record of server "${config.name}" exists already`);
    const record = new ServerRecord(config, transport, new BreakerGate(this.store, config.name, this.clock));
    this.records.set(config.name, record);
    return record;
  }

  /** Creates the record of a server given only as a transport; it still gets the config's `defaults`. */
  createCustom(name: string, transport: TransportSource, defaults: PolicyOverrides | undefined): ServerRecord {
    return this.create({ ...mergePolicy(DEFAULT_POLICY, defaults), name, transport: 'custom', enabled: true, secrets: [] }, transport);
  }

  /** Deletes a server's record and everything it holds (see `ServerRecord.retire`). */
  delete(name: string): void {
    const record = this.records.get(name);
    if (!record) return;
    this.records.delete(name);
    record.retire();
  }

  /** The record of a configured server, or undefined. */
  get(name: string): ServerRecord | undefined {
    return this.records.get(name);
  }

  /** Whether a server of that name is configured. */
  has(name: string): boolean {
    return this.records.has(name);
  }

  /** Whether that server is configured and enabled (supervised). */
  isEnabled(name: string): boolean {
    return this.records.get(name)?.config.enabled === true;
  }

  /** Every record, in creation order. */
  all(): ServerRecord[] {
    return [...this.records.values()];
  }

  /** Masks one server's secrets in `text`. */
  redact(name: string, text: string): string {
    return this.records.get(name)?.redact(text) ?? text;
  }

  /** Masks every server's secrets in `text`. */
  redactAll(text: string): string {
    let out = text;
    for (const record of this.records.values()) out = redactText(out, record.secrets);
    return out;
  }

  /** Applies every server's waiting breaker outcomes now (before a stop). */
  settleBreakers(): void {
    for (const record of this.records.values()) record.gate.settle();
  }
}
