import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { PingRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { PolicyOverrides } from '../../src/config/schema.js';
import { failWithProtocolError, until } from '../helpers/switchboard.js';

/**
 * Every time rule of the call path on XState's SimulatedClock, against a real SDK McpServer over
 * the in-memory transport: no real timer decides anything here.
 */

interface Probe {
  /** Progress senders of calls to `wait`, in arrival order. */
  waiting: { progress(n: number): Promise<void>; finish(): void; signal: AbortSignal }[];
  connects: number;
  pingsHang: boolean;
}

function controlledServer(probe: Probe) {
  return async () => {
    probe.connects++;
    const server = new McpServer({ name: 'clocked', version: '1.0.0' });
    server.registerTool('wait', { description: 'Answers when the test says so' }, async (extra) => {
      await new Promise<void>((resolve) => {
        const token = extra._meta?.progressToken;
        probe.waiting.push({
          progress: (n) => extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token!, progress: n } }),
          finish: resolve,
          signal: extra.signal,
        });
      });
      return { content: [{ type: 'text', text: 'done' }] };
    });
    server.registerTool('boom', { description: 'Answered with JSON-RPC -32603' }, async () => ({ content: [] }));
    server.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    failWithProtocolError(server, 'boom');
    server.server.setRequestHandler(PingRequestSchema, async () => {
      if (probe.pingsHang) await new Promise(() => undefined);
      return {};
    });
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    return client;
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

async function setup(defaults: PolicyOverrides = {}) {
  const clock = new SimulatedClock();
  const probe: Probe = { waiting: [], connects: 0, pingsHang: false };
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 }, ...defaults } }, { clock, transports: { s: controlledServer(probe) } });
  boards.push(sb);
  await sb.start();
  expect(sb.getServer('s')!.state).toBe('connected');
  return { clock, probe, sb };
}

/** Lets pending promise chains (in-memory transport, SDK) run without moving the clock. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

describe('time rules on the simulated clock', () => {
  it('times a call out at its deadline and cancels it on the server', async () => {
    const { clock, probe, sb } = await setup();
    const call = track(sb.callTool('wait', {}, { timeoutMs: 1_000 }));
    await until(() => probe.waiting.length === 1, 5_000, 'the call to arrive');
    clock.increment(999);
    await settle();
    expect(call.done).toBe(false);
    clock.increment(1);
    await settle();
    expect(call.error).toMatchObject({ code: 'ToolCallTimeout' });
    await until(() => probe.waiting[0]!.signal.aborted, 5_000, 'the server to see the cancel');
  });

  it('extends the deadline on progress, but never past maxCallMs', async () => {
    const { clock, probe, sb } = await setup({ timeouts: { callMs: 1_000, maxCallMs: 2_500 } });
    const progress: number[] = [];
    const call = track(sb.callTool('wait', {}, { onProgress: (p) => progress.push(p.progress) }));
    await until(() => probe.waiting.length === 1, 5_000, 'the call to arrive');
    clock.increment(800);
    await probe.waiting[0]!.progress(1);
    await until(() => progress.length === 1, 5_000, 'progress');
    clock.increment(900); // t = 1700: past the first deadline, within the extended one
    await settle();
    expect(call.done).toBe(false);
    await probe.waiting[0]!.progress(2); // would extend to 2700: capped at 2500
    await until(() => progress.length === 2, 5_000, 'progress');
    clock.increment(799);
    await settle();
    expect(call.done).toBe(false);
    clock.increment(1);
    await settle();
    expect(call.error).toMatchObject({ code: 'ToolCallTimeout' });
  });

  it('opens the breaker on failures, refuses while open and probes after the open duration', async () => {
    const { clock, sb } = await setup({ breaker: { minimumNumberOfCalls: 2, slidingWindowSize: 2, waitDurationInOpenMs: 5_000 } });
    for (let i = 0; i < 2; i++) await expect(sb.callTool('boom')).rejects.toMatchObject({ code: 'ProtocolError' });
    await settle();
    expect(sb.getServer('s')!.breaker!.state).toBe('open');
    await expect(sb.callTool('echo', { text: 'x' })).rejects.toMatchObject({ code: 'CircuitOpen', retryAfterMs: 5_000 });
    clock.increment(4_999);
    expect(sb.getServer('s')!.breaker!.state).toBe('open');
    clock.increment(1);
    expect(sb.getServer('s')!.breaker!.state).toBe('half-open');
    expect((await sb.callTool('echo', { text: 'probe' })).content).toEqual([{ type: 'text', text: 'probe' }]);
    await settle();
    expect(sb.getServer('s')!.breaker!.state).toBe('closed');
  });

  it('stops an idle server after idleTimeoutMs and starts it again for the next call', async () => {
    const { clock, probe, sb } = await setup({ limits: { idleTimeoutMs: 10_000 } });
    expect((await sb.callTool('echo', { text: 'a' })).content).toEqual([{ type: 'text', text: 'a' }]);
    await settle();
    clock.increment(9_999);
    expect(sb.getServer('s')!.state).toBe('connected');
    clock.increment(1);
    expect(sb.getServer('s')).toMatchObject({ state: 'disconnected', substate: 'idle' });
    expect((await sb.callTool('echo', { text: 'b' })).content).toEqual([{ type: 'text', text: 'b' }]);
    expect(probe.connects).toBe(2);
  });

  it('takes a server whose pings go unanswered down after failureThreshold missed pings', async () => {
    const { clock, probe, sb } = await setup({ health: { intervalMs: 10_000, timeoutMs: 1_000, failureThreshold: 2 } });
    probe.pingsHang = true;
    // SimulatedClock starts a timer set while it fires others at the end of the step: step exactly.
    clock.increment(10_000); // ping sent
    clock.increment(1_000); // first ping missed
    await settle();
    expect(sb.getServer('s')!.state).toBe('connected');
    clock.increment(10_000); // next ping sent
    clock.increment(999);
    await settle();
    expect(sb.getServer('s')!.state).toBe('connected');
    clock.increment(1); // second ping missed
    expect(sb.getServer('s')).toMatchObject({ state: 'disconnected', substate: 'backoff', lastError: { code: 'HealthCheckFailed' } });
  });
});
