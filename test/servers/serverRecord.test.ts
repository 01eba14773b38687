import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { BreakerState, RecordedCall } from '../../machines/breakerModel.js';
import { ConsentSlot, ConsentFlow } from '../../src/auth/consent.js';
import { FlowSecrets } from '../../src/auth/errors.js';
import { QUIET_WINDOW_MS, type BreakerStore, type CachedBreaker } from '../../src/breaker/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { Servers } from '../../src/servers/index.js';
import { DEFAULT_BREAKER_POLICY_FOR_TESTS } from '../breaker/policy.js';

/** A breaker store that records what reaches it, by server name (as a shared store would see it). */
class RecordingStore implements BreakerStore {
  state: BreakerState = 'closed';
  readonly recorded: { server: string; ids: string[] }[] = [];
  view(): CachedBreaker {
    return { state: this.state, epoch: 1, openUntil: null, policy: DEFAULT_BREAKER_POLICY_FOR_TESTS };
  }
  refused(): void {}
  acquire(): number | undefined {
    return 1;
  }
  record(server: string, calls: RecordedCall[]): void {
    this.recorded.push({ server, ids: calls.map((c) => c.requestId) });
  }
}

const config = (name: string) => resolveConfig({ servers: { [name]: { transport: 'stdio', command: 'node' } } }).servers[name]!;

describe('Servers: the one collection of server records', () => {
  it('creates one record per name, refuses a second, and deletes it with everything that hung off it', () => {
    const servers = new Servers(new RecordingStore(), new SimulatedClock());
    const record = servers.create(config('a'), undefined);
    expect(servers.size).toBe(1);
    expect(() => servers.create(config('a'), undefined)).toThrow(/exists already/);
    record.subscriptions.set('res://x', 2);
    record.subscribing.set('res://x', Promise.resolve());
    const unregister = record.registerProbe(async () => undefined);
    servers.delete('a');
    expect(servers.size).toBe(0);
    expect(servers.get('a')).toBeUndefined();
    expect(record.isRetired).toBe(true);
    expect(record.subscriptions.size).toBe(0);
    expect(record.subscribing.size).toBe(0);
    expect(record.probe).toBeUndefined();
    expect(record.session).toBeNull();
    // A session of the old server that finishes late neither registers a probe nor a session again.
    unregister();
    record.registerProbe(async () => undefined);
    expect(record.probe).toBeUndefined();
    expect(servers.create(config('a'), undefined)).not.toBe(record);
    expect(servers.get('a')!.subscriptions.size).toBe(0);
  });

  it('applies a removed server’s waiting breaker outcomes, and lets no later one reach a new server of that name', () => {
    const clock = new SimulatedClock();
    const store = new RecordingStore();
    const servers = new Servers(store, clock);
    const old = servers.create(config('a'), undefined);
    // A fast success while closed waits for the quiet window.
    old.gate.record('r1', 1, 'success', clock.now());
    expect(store.recorded).toEqual([]);
    servers.delete('a');
    expect(store.recorded).toEqual([{ server: 'a', ids: ['r1'] }]);
    servers.create(config('a'), undefined);
    // The old server's call that ends after the removal: the store (keyed by name) must not see it.
    old.gate.record('r2', 1, 'success', clock.now());
    clock.increment(QUIET_WINDOW_MS);
    old.gate.record('r3', 1, 'failure', clock.now());
    old.gate.settle();
    expect(store.recorded).toEqual([{ server: 'a', ids: ['r1'] }]);
  });
});

describe('ConsentSlot: one open consent flow per server record', () => {
  const start = (slot: ConsentSlot) =>
    ConsentFlow.start({ server: 'x', slot, authorize: async () => ({ code: 'the-code' }), timeoutMs: 60_000, clock: new SimulatedClock(), secrets: new FlowSecrets() });

  it('closes the open flow of its slot when another starts, but never the flow of another slot of the same server name', async () => {
    const first = new ConsentSlot();
    const second = new ConsentSlot();
    const a = await start(first);
    const b = await start(second);
    try {
      // Two switchboards of one process, each with a server named "x": both flows stay open.
      expect(first.current).toBe(a);
      await expect(a.obtainCode(new URL('https://as.example.com/authorize'))).resolves.toBe('the-code');
      const c = await start(second);
      expect(second.current).toBe(c);
      await expect(b.obtainCode(new URL('https://as.example.com/authorize'))).rejects.toThrow('the authorization flow was closed');
      await c.close();
      expect(second.current).toBeUndefined();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
