import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countWire, measureConnect, wireText } from '../../bench/lib/connectRow.js';
import { loadTarget } from '../../bench/lib/registry.js';
import type { Target } from '../../bench/lib/targets.js';

describe('connect row wire counts', () => {
  it('counts processes and requests by method, leaving out the calls and broken lines', () => {
    const count = countWire(['11 start', '11 server/discover', '11 tools/list', '11 tools/call', '', 'garbage', '12 start'], new Set(['tools/call']));
    expect(count).toEqual({ processes: 2, methods: { 'server/discover': 1, 'tools/list': 1 } });
    expect(wireText(count)).toBe('2 proc: server/discover 1, tools/list 1');
    expect(wireText(countWire([]))).toBe('0 proc');
  });
});

/**
 * The modern rows against the real v2 benchmark server over stdio (a child per connect): the floor
 * must cost what a bare pinned v2 Client costs (one process, no probe sibling), and every target
 * must really speak 2026-07-28, so the rows never compare a fallback with the floor.
 */
describe('modern connect row over stdio', () => {
  const wireLog = join(tmpdir(), `bench-wire-test-${process.pid}.log`);
  let target: Target | undefined;

  beforeAll(() => {
    // serverCommand hands the log to every benchmark server it starts (bench/lib/targets.ts).
    process.env.BENCH_WIRE_LOG = wireLog;
  });
  afterEach(async () => {
    await target?.close();
    target = undefined;
  });
  afterAll(() => {
    delete process.env.BENCH_WIRE_LOG;
    rmSync(wireLog, { force: true });
  });

  const measure = async (name: string) => {
    target = await loadTarget(name, 'modern');
    return measureConnect(target, { name: 's0', transport: 'stdio' }, wireLog, 'modern');
  };

  it('starts one process for the pinned v2 floor and sends no server/discover on its reconnect', async () => {
    const row = await measure('floor');
    expect(row).toMatchObject({ era: 'modern', connectProcesses: 1, connectWire: '1 proc: server/discover 1, tools/list 1', reconnectProcesses: 1, reconnectWire: '1 proc: tools/list 1' });
  });

  it('speaks 2026-07-28 through the switchboard on auto with the round trips of the pinned one, and none of its own on a reconnect', async () => {
    const auto = await measure('switchboard-auto');
    await target!.close();
    const pinned = await measure('switchboard');
    expect(auto.era).toBe('modern');
    expect(pinned.era).toBe('modern');
    expect(auto.connectProcesses).toBe(1);
    expect(auto.connectRoundTrips).toBe(pinned.connectRoundTrips);
    expect(auto.connectWire).toContain('server/discover 1');
    expect(auto.reconnectWire).not.toContain('server/discover');
    expect(auto.reconnectRoundTrips).toBe(pinned.reconnectRoundTrips);
  });

  it('shows the v2 SDK’s own auto starting a probe process beside the real one (why the floor probes in place)', async () => {
    const row = await measure('sdk-auto');
    expect(row).toMatchObject({ era: 'modern', connectProcesses: 2 });
  });

  it('fails a measurement whose target connected in another era', async () => {
    target = await loadTarget('floor', 'legacy');
    await expect(measureConnect(target, { name: 's0', transport: 'memory' }, wireLog, 'modern')).rejects.toThrow(/legacy era, not modern/);
  });
});
