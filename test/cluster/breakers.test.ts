import { afterEach, describe, expect, it } from 'vitest';
import { BREAKER_RECORD_FORMAT, breakerKey, parseBreakerRecord, type BreakerRecord } from '../../src/cluster/sharedBreakers.js';
import { SwitchboardError } from '../../src/core/errors.js';
import { settle, startCluster } from './breakersHarness.js';

/**
 * Shared breakers (DESIGN §16) on the in-memory engine and one SimulatedClock: transitions made
 * on one replica reach the others as events; admission never waits for the bus.
 */

let running: Awaited<ReturnType<typeof startCluster>> | undefined;
afterEach(() => {
  running?.stop();
  running = undefined;
});

async function cluster(ids?: string[], options?: { server?: string }) {
  running = await startCluster(ids, options);
  return running;
}

function record(overrides: Partial<BreakerRecord>): BreakerRecord {
  return { v: BREAKER_RECORD_FORMAT, cluster: 'test', server: 'api', generation: 1, state: 'open', reason: 'failureRate', by: 'x', retryAfterMs: 5000, consecutiveOpens: 1, ...overrides };
}

describe('shared breakers', () => {
  it('makes every replica refuse once one replica opens', async () => {
    const { replicas } = await cluster();
    const [a, b, c] = replicas as [typeof replicas[0], typeof replicas[0], typeof replicas[0]];
    a.fail();
    expect(a.state()).toBe('open');
    // Admission read local state only: nothing has reached the others yet, and nothing waited.
    expect(b.call()).toBe('admitted');
    await settle();
    for (const r of [b, c]) {
      const refused = r.call();
      expect(refused).toBeInstanceOf(SwitchboardError);
      expect((refused as SwitchboardError).code).toBe('CircuitOpen');
      expect((refused as SwitchboardError).retryAfterMs).toBe(5000);
      expect(r.changes).toEqual([expect.objectContaining({ from: 'closed', to: 'open', reason: 'failureRate', changedBy: 'a' })]);
    }
    expect(a.changes).toEqual([expect.objectContaining({ from: 'closed', to: 'open', reason: 'failureRate', changedBy: 'a' })]);
    expect(b.actor.getSnapshot().context.changedBy).toBe('a');
    for (const r of replicas) expect(r.errors).toEqual([]);
  });

  it('closes every replica when one is reset', async () => {
    const { replicas } = await cluster();
    const [a, b, c] = replicas;
    a!.fail();
    await settle();
    expect(c!.state()).toBe('open');
    b!.actor.send({ type: 'breaker.reset', at: 0 });
    await settle();
    for (const r of [a!, c!]) {
      expect(r.state()).toBe('closed');
      expect(r.changes.at(-1)).toMatchObject({ from: 'open', to: 'closed', reason: 'manualReset', changedBy: 'b' });
      expect(r.call()).toBe('admitted');
    }
  });

  it('ignores a stale generation and records that do not belong to it', async () => {
    const { replicas, engine, logs } = await cluster();
    const [a, b, c] = replicas;
    a!.fail();
    await settle();
    b!.actor.send({ type: 'breaker.reset', at: 0 });
    await settle();
    expect(c!.state()).toBe('closed');
    const stored = await c!.bus.readVersioned(breakerKey('api'));
    expect(stored?.generation).toBe(2);
    // The opening (generation 1) delivered again, after the reset (generation 2).
    await c!.bus.publish('breakers', JSON.stringify(record({ generation: 1, by: 'a' })));
    await c!.bus.publish('breakers', 'not json');
    await c!.bus.publish('breakers', JSON.stringify(record({ generation: 9, cluster: 'other' })));
    await c!.bus.publish('breakers', JSON.stringify({ ...record({ generation: 9 }), v: 0 }));
    await settle();
    for (const r of replicas) expect(r.state()).toBe('closed');
    expect(c!.breakers.stats.stale).toBe(1);
    expect(c!.breakers.stats.ignored).toBe(3);
    expect(logs.filter((l) => l.replica === 'c' && l.message === 'ignored a breaker record').map((l) => l.fields?.reason)).toEqual([
      'not JSON',
      'another cluster name',
      'format 0 (this replica reads 1)',
    ]);
    expect(engine.isDown).toBe(false);
  });

  it('lets exactly one replica in the cluster probe in half-open', async () => {
    const { replicas, advance } = await cluster();
    replicas[0]!.fail();
    await settle();
    await advance(5000);
    expect(replicas.map((r) => r.state())).toEqual(['half-open', 'half-open', 'half-open']);
    const admitted = replicas.map((r) => r.gate.permit(`${r.id}-probe`));
    const granted = admitted.filter((p) => !('refused' in p));
    expect(granted).toHaveLength(1);
    const refused = admitted.find((p) => 'refused' in p) as { refused: SwitchboardError };
    expect(refused.refused.code).toBe('CircuitOpen');
    const winner = replicas[admitted.findIndex((p) => !('refused' in p))]!;
    // The probe succeeds: every replica closes, told by the one that probed.
    winner.gate.record(`${winner.id}-probe`, (granted[0] as { epoch: number }).epoch, 'success', 0);
    await settle();
    for (const r of replicas) expect(r.state()).toBe('closed');
    for (const r of replicas.filter((r) => r !== winner)) expect(r.changes.at(-1)).toMatchObject({ to: 'closed', reason: 'probeSucceeded', changedBy: winner.id });
  });

  it('reopens every replica for the longer duration when the probe fails', async () => {
    const { replicas, advance } = await cluster();
    replicas[1]!.fail();
    await settle();
    await advance(5000);
    const winner = replicas.find((r) => r.call('failure') === 'admitted')!;
    expect(winner).toBeDefined();
    await settle();
    for (const r of replicas) {
      expect(r.state()).toBe('open');
      expect((r.call() as SwitchboardError).retryAfterMs).toBe(10_000);
    }
  });

  it('keeps each replica on its own while the bus is down, and shares its state when it is back', async () => {
    const { replicas, engine, advance, total } = await cluster();
    const [a, b, c] = replicas;
    engine.setDown(true);
    const before = total();
    a!.fail();
    await settle();
    expect(a!.state()).toBe('open');
    expect(b!.call()).toBe('admitted');
    expect(c!.state()).toBe('closed');
    // Half-open with nobody to ask for the lease: the replica probes on its own.
    await advance(5000);
    expect(a!.state()).toBe('half-open');
    expect(a!.call('failure')).toBe('admitted');
    a!.gate.settle();
    expect(a!.state()).toBe('open');
    // Nothing was tried, nothing waits to be sent: a bus known to be down is not asked.
    expect(total()).toBe(before);
    await advance(1000);
    engine.setDown(false);
    await settle();
    // The opening made while down is written when the bus is back, with the time left (10 s - 1 s).
    for (const r of [b!, c!]) {
      expect(r.state()).toBe('open');
      expect((r.call() as SwitchboardError).retryAfterMs).toBe(9000);
    }
    for (const r of replicas) expect(r.errors).toEqual([]);
  });

  it('re-reads the stored state when the bus comes back', async () => {
    const { replicas, engine } = await cluster();
    // Written while these replicas heard nothing (the message is lost, as in a Redis restart).
    const ghost = engine.bus();
    await ghost.writeIfNewer(breakerKey('api'), 4, JSON.stringify(record({ generation: 4, by: 'ghost', retryAfterMs: 3000 })));
    expect(replicas.map((r) => r.state())).toEqual(['closed', 'closed', 'closed']);
    engine.setDown(true);
    engine.setDown(false);
    await settle();
    for (const r of replicas) {
      expect(r.state()).toBe('open');
      expect(r.changes.at(-1)).toMatchObject({ to: 'open', changedBy: 'ghost' });
      expect((r.call() as SwitchboardError).retryAfterMs).toBe(3000);
    }
  });

  it('writes over an unreadable stored record, above its generation', async () => {
    const { replicas, engine, total } = await cluster();
    const [a, b, c] = replicas;
    await engine.bus().writeIfNewer(breakerKey('api'), 7, '{ not a record');
    engine.setDown(true);
    engine.setDown(false);
    await settle();
    expect(a!.breakers.stats.ignored).toBe(1);
    const before = total();
    a!.fail();
    await settle();
    expect(total() - before).toBe(1);
    expect((await a!.bus.readVersioned(breakerKey('api')))?.generation).toBe(8);
    for (const r of [b!, c!]) expect(r.state()).toBe('open');
  });

  it('starts a new replica in the state the cluster is in', async () => {
    const { replicas, add } = await cluster(['a', 'b']);
    replicas[0]!.fail();
    await settle();
    const late = await add('late');
    expect(late.state()).toBe('open');
    expect(late.changes.at(-1)).toMatchObject({ changedBy: 'a' });
  });

  it('orders generations again after Redis loses its data', async () => {
    const { replicas, engine, add } = await cluster();
    const [a, b] = replicas;
    a!.fail();
    await settle();
    b!.actor.send({ type: 'breaker.reset', at: 0 });
    await settle();
    a!.fail();
    await settle();
    expect((await a!.bus.readVersioned(breakerKey('api')))?.generation).toBe(3);
    // A restart without persistence: the record is gone; the replicas noticed the outage.
    engine.setDown(true);
    engine.remove(`switchboard:test:${breakerKey('api')}`);
    engine.setDown(false);
    await settle();
    // They write their (open) state back, so a replica started now learns it.
    const stored = await a!.bus.readVersioned(breakerKey('api'));
    expect(stored?.generation).toBe(4);
    const late = await add('late');
    expect(late.state()).toBe('open');
    // Lost again, unnoticed this time; a new replica (generation 1) resets: the others follow.
    engine.remove(`switchboard:test:${breakerKey('api')}`);
    const fresh = await add('fresh');
    expect(fresh.state()).toBe('closed');
    fresh.actor.send({ type: 'breaker.reset', at: 0 });
    await settle();
    for (const r of replicas) expect(r.state()).toBe('closed');
    expect(replicas[2]!.changes.at(-1)).toMatchObject({ to: 'closed', reason: 'manualReset', changedBy: 'fresh' });
  });

  it('never shares the breaker of a stdio server', async () => {
    const { replicas, total } = await cluster(['a', 'b'], { server: 'local' });
    const before = total();
    replicas[0]!.fail();
    await settle();
    expect(replicas[0]!.state()).toBe('open');
    expect(replicas[1]!.state()).toBe('closed');
    expect(total()).toBe(before);
    expect(replicas[0]!.changes.at(-1)).not.toHaveProperty('changedBy');
  });

  it('sends Redis less than one command per 100 calls', async () => {
    const { replicas, advance, total, engine } = await cluster();
    const before = total();
    const byCommand = new Map(engine.commands);
    let calls = 0;
    let refused = 0;
    // 1 000 calls round-robin over three replicas: the server fails for a while, then recovers.
    for (let i = 0; i < 1000; i++) {
      const r = replicas[i % 3]!;
      const outcome = i >= 300 && i < 320 ? 'failure' : 'success';
      if (r.call(outcome) !== 'admitted') refused++;
      calls++;
      if (i % 10 === 9) await advance(100);
    }
    await settle();
    const commands = total() - before;
    const perHundred = (commands / calls) * 100;
    console.log(`shared breakers: ${commands} commands for ${calls} calls (${perHundred.toFixed(2)} per 100 calls), ${refused} refused; by command: ${JSON.stringify(Object.fromEntries([...engine.commands].map(([k, v]) => [k, v - (byCommand.get(k) ?? 0)])))}`);
    expect(refused).toBeGreaterThan(0);
    expect(replicas.map((r) => r.state())).toEqual(['closed', 'closed', 'closed']);
    expect(commands).toBeGreaterThan(0);
    expect(perHundred).toBeLessThan(1);
  });

  it('parses only its own records', () => {
    expect(parseBreakerRecord(JSON.stringify(record({})), 'test')).toMatchObject({ state: 'open', retryAfterMs: 5000 });
    expect(parseBreakerRecord(JSON.stringify(record({ reason: 'unheard-of' as never })), 'test')).toMatchObject({ reason: 'remote' });
    expect(parseBreakerRecord(JSON.stringify(record({ retryAfterMs: -1 })), 'test')).toEqual({ ignored: 'bad retryAfterMs' });
    expect(parseBreakerRecord(JSON.stringify(record({ generation: 0 })), 'test')).toEqual({ ignored: 'bad generation' });
    expect(parseBreakerRecord('[]', 'test')).toEqual({ ignored: 'not an object' });
  });
});
