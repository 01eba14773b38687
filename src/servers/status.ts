import type { AnyActorRef } from 'xstate';
import type { ErrorInfo, ServerFacts } from '../../machines/types.js';
import type { ManagerContext } from '../../machines/manager.js';
import type { RuntimeClock } from '../core/clock.js';
import { SwitchboardError } from '../core/errors.js';
import { probeHealth, type HealthReport } from './health.js';
import type { Servers } from './servers.js';
import { describeServer, type ServerStatus } from './serverView.js';

/** The root actor as the status view reads it: its snapshot (context and children), nothing else. */
export interface ManagerView {
  getSnapshot(): { context: ManagerContext; children: unknown };
}

/**
 * Everything the facade reports about servers, read from the server records and the actors' snapshots
 * (no event sent): status, failures, facts, availability, health, and whether start() is done.
 */
export class ServerStatusView {
  constructor(
    private readonly servers: Servers,
    private readonly manager: ManagerView,
    private readonly clock: RuntimeClock,
    private readonly stopped: () => boolean,
  ) {}

  /** One server's status, or undefined when no such server is configured. */
  getServer(name: string): ServerStatus | undefined {
    const entry = this.servers.get(name);
    if (!entry) return undefined;
    // Outcomes still waiting in the gate's quiet window are applied first, so a read is current.
    entry.gate.settle();
    const status = describeServer(entry.config, this.child(`server:${name}`), this.child(`breaker:${name}`), entry.stderr, this.clock.now());
    const failed = this.failure(name);
    if (failed) return { ...status, state: 'error', lastError: failed };
    // After stop() no actor is left: an enabled server is then stopped, not disabled.
    return this.stopped() && entry.config.enabled ? { ...status, state: 'disconnected', substate: 'stopped' } : status;
  }

  listServers(): ServerStatus[] {
    return this.servers.all().map((entry) => this.getServer(entry.name)!);
  }

  /** Live ping round trip of every enabled server (or one); error messages are masked. */
  async health(server?: string): Promise<Record<string, HealthReport>> {
    if (server !== undefined && !this.servers.has(server)) throw new SwitchboardError('ServerNotFound', `no server named "${server}"`);
    const names = server !== undefined ? [server] : this.servers.all().filter((s) => s.config.enabled).map((s) => s.name);
    const reports = await Promise.all(
      names.map(async (name) => {
        const record = this.servers.get(name)!;
        return [name, this.mask(name, await probeHealth(name, record.probe, record.config.health.timeoutMs, this.clock))] as const;
      }),
    );
    return Object.fromEntries(reports);
  }

  /** What a server's actor threw, when it failed. */
  failure(name: string): ErrorInfo | undefined {
    const failed = this.manager.getSnapshot().context.failed;
    return Object.hasOwn(failed, name) ? failed[name]! : undefined;
  }

  /** The server's facts from its last initialize (capabilities, serverInfo, instructions). */
  facts(name: string): ServerFacts | null {
    const child = this.child(`server:${name}`);
    return (child?.getSnapshot().context as { facts?: ServerFacts | null } | undefined)?.facts ?? null;
  }

  /** Enabled servers that are connected now. */
  connected(): string[] {
    return this.servers.all().filter((s) => s.config.enabled && this.getServer(s.name)?.state === 'connected').map((s) => s.name);
  }

  /** Enabled servers that are not connected now, for messages that must say why a name is unknown. */
  unconnected(): string[] {
    return this.servers.all().filter((s) => s.config.enabled && this.getServer(s.name)?.state !== 'connected').map((s) => s.name);
  }

  /** Whether every enabled server is connected, backing off or in error (start() is done). */
  allSettled(): boolean {
    for (const entry of this.servers.all()) {
      if (!entry.config.enabled || this.failure(entry.name)) continue;
      const child = this.child(`server:${entry.name}`);
      if (child && !child.getSnapshot().hasTag('settled')) return false;
    }
    return true;
  }

  /** Marks what can be called now: its server connected and its breaker not open. */
  withAvailability<T extends { server: string }>(entries: T[]): T[] {
    const live = new Map<string, boolean>();
    const availableOn = (server: string) => {
      let ok = live.get(server);
      if (ok === undefined) {
        const status = this.getServer(server);
        ok = status?.state === 'connected' && status.breaker?.state !== 'open';
        live.set(server, ok);
      }
      return ok;
    };
    return entries.map((entry) => ({ ...entry, available: availableOn(entry.server) }));
  }

  private child(id: string): AnyActorRef | undefined {
    const children = this.manager.getSnapshot().children as Record<string, AnyActorRef | undefined>;
    return Object.hasOwn(children, id) ? children[id] : undefined;
  }

  private mask(name: string, report: HealthReport): HealthReport {
    return report.error ? { ...report, error: { ...report.error, message: this.servers.redact(name, report.error.message) } } : report;
  }
}
