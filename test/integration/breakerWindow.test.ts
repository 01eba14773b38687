import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock, type AnyActorRef, type InspectionEvent } from 'xstate';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { PolicyOverrides } from '../../src/config/schema.js';
import { QUIET_WINDOW_MS } from '../../src/breaker/index.js';
import type { Outcome } from '../../machines/breakerModel.js';
import { failWithProtocolError, until } from '../helpers/switchboard.js';

/**
 * Breaker outcomes in the quiet window (src/breaker/gate.ts), on XState's SimulatedClock
 * against a real SDK McpServer over the in-memory transport: fast successes of a closed breaker
 * travel together, everything else at once and in order, and every read sees them.
 */

function server(finishers: (() => void)[]) {
  return async () => {
    const mcp = new McpServer({ name: 'windowed', version: '1.0.0' });
    mcp.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    mcp.registerTool('wait', {}, async () => {
      await new Promise<void>((resolve) => finishers.push(resolve));
      return { content: [] };
    });
    mcp.registerTool('boom', {}, async () => ({ content: [] }));
    failWithProtocolError(mcp, 'boom');
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    return client;
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

type Recorded = { outcome: string }[];

async function setup(defaults: PolicyOverrides = {}) {
  const clock = new SimulatedClock();
  const finishers: (() => void)[] = [];
  /** Every burst of outcomes the breaker received, in order. */
  const recorded: Recorded[] = [];
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.event') return;
    const e = event.event as { type: string; outcome?: string; calls?: Recorded };
    if (e.type === 'call.recorded') recorded.push([{ outcome: e.outcome! }]);
    if (e.type === 'calls.recorded') recorded.push(e.calls!.map((c) => ({ outcome: c.outcome })));
  };
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 }, ...defaults } }, { clock, inspect, transports: { s: server(finishers) } });
  boards.push(sb);
  await sb.start();
  const window = () => ((sb.actor.system.get('breaker:s') as AnyActorRef).getSnapshot().context.window as Outcome[]).map((o) => (o.f ? 'f' : '') + (o.s ? 's' : '') || 'ok');
  return { clock, sb, recorded, window, finishers };
}

/** Lets pending promise chains run without moving the clock. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('breaker outcomes in the quiet window', () => {
  it('applies sequential fast successes of a closed breaker together, once the window has passed', async () => {
    const { clock, sb, recorded, window } = await setup();
    for (let i = 0; i < 10; i++) await sb.callTool('echo', { text: String(i) });
    await settle();
    expect(recorded).toEqual([]);
    expect(window()).toEqual([]);
    clock.increment(QUIET_WINDOW_MS - 1);
    expect(recorded).toEqual([]);
    clock.increment(1);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toHaveLength(10);
    expect(window()).toEqual(Array(10).fill('ok'));
  });

  it('applies a failure at once, with the successes waiting before it, in order', async () => {
    const { sb, recorded, window } = await setup();
    for (let i = 0; i < 3; i++) await sb.callTool('echo', { text: 'a' });
    await expect(sb.callTool('boom')).rejects.toMatchObject({ code: 'ProtocolError' });
    await settle();
    expect(recorded).toEqual([[{ outcome: 'success' }, { outcome: 'success' }, { outcome: 'success' }, { outcome: 'failure' }]]);
    expect(window()).toEqual(['ok', 'ok', 'ok', 'f']);
  });

  it('decides as if every outcome came alone: the oldest success leaves the window before the failures open it', async () => {
    const { sb, window } = await setup({ breaker: { slidingWindowSize: 3, minimumNumberOfCalls: 3, failureRateThreshold: 100 } });
    await sb.callTool('echo', { text: 'a' });
    await expect(sb.callTool('boom')).rejects.toMatchObject({ code: 'ProtocolError' });
    await expect(sb.callTool('boom')).rejects.toMatchObject({ code: 'ProtocolError' });
    await settle();
    expect(sb.getServer('s')!.breaker!.state).toBe('closed');
    expect(window()).toEqual(['ok', 'f', 'f']);
    await expect(sb.callTool('boom')).rejects.toMatchObject({ code: 'ProtocolError' });
    await settle();
    expect(sb.getServer('s')!.breaker).toMatchObject({ state: 'open' });
  });

  it('shows waiting successes to every status read, without waiting for the window', async () => {
    const { sb } = await setup();
    for (let i = 0; i < 5; i++) await sb.callTool('echo', { text: 'a' });
    expect(sb.getServer('s')!.breaker).toMatchObject({ bufferedCalls: 5, failedCalls: 0 });
    expect(sb.listServers()[0]!.breaker).toMatchObject({ bufferedCalls: 5 });
  });

  it('applies a slow success at once: it can open the breaker', async () => {
    const { clock, sb, recorded, window, finishers } = await setup({ breaker: { slowCallDurationThresholdMs: 100 } });
    const call = sb.callTool('wait');
    await until(() => finishers.length === 1, 5_000, 'the call to arrive');
    clock.increment(150);
    finishers[0]!();
    await call;
    await settle();
    expect(recorded).toEqual([[{ outcome: 'success' }]]);
    expect(window()).toEqual(['s']);
  });

  it('applies waiting successes before a reset and before stop', async () => {
    const { sb, recorded } = await setup();
    for (let i = 0; i < 3; i++) await sb.callTool('echo', { text: 'a' });
    sb.resetBreaker('s');
    expect(recorded).toEqual([[{ outcome: 'success' }, { outcome: 'success' }, { outcome: 'success' }]]);
    await sb.callTool('echo', { text: 'b' });
    await sb.stop();
    expect(recorded).toHaveLength(2);
    expect(recorded[1]).toEqual([{ outcome: 'success' }]);
  });
});
