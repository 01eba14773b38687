import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { until } from '../helpers/switchboard.js';
import { connectClient, setup, teardown } from './upstream.js';

/**
 * Refusals and failures reach a model as tool results (DESIGN §12): `isError`, the message, and
 * `_meta["mcp-switchboard/error"] = { code, retryAfterMs? }`. Time runs on XState's SimulatedClock.
 */

afterEach(teardown);

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('failed calls', () => {
  it('answers an upstream timeout and then an open breaker as isError results with their codes', async () => {
    const clock = new SimulatedClock();
    const config = { defaults: { health: { intervalMs: 0 }, timeouts: { callMs: 1_000 }, breaker: { minimumNumberOfCalls: 1, slidingWindowSize: 1, waitDurationInOpenMs: 7_000 } } };
    const { gateway, probe } = await setup({ config, sb: { clock } });
    const client = await connectClient(gateway);
    const call = client.callTool({ name: 'up__hang' });
    await until(() => probe.hanging === 1, 5_000, 'the call to reach the upstream');
    clock.increment(1_000);
    const timedOut = await call;
    expect(timedOut).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'tool "hang" on server "up" did not answer within 1000 ms' }],
      _meta: { 'mcp-switchboard/error': { code: 'ToolCallTimeout' } },
    });
    await until(() => probe.cancelled.length === 1, 5_000, 'the timed-out call to be cancelled upstream');
    await settle();
    const refused = await client.callTool({ name: 'up__echo', arguments: { text: 'x' } });
    expect(refused.isError).toBe(true);
    expect(refused._meta).toEqual({ 'mcp-switchboard/error': { code: 'CircuitOpen', retryAfterMs: 7_000 } });
    expect((refused.content as { text: string }[])[0]!.text).toMatch(/up/);
  });

  it('answers a call to a server that is down as ServerUnavailable with retryAfterMs', async () => {
    const clock = new SimulatedClock();
    // admission.waitForReconnectMs 0: refused at once (a call would otherwise wait for the retry).
    const config = { defaults: { health: { intervalMs: 0 }, reconnect: { baseMs: 4_000, minMs: 4_000, maxMs: 4_000 }, admission: { waitForReconnectMs: 0 } } };
    const { sb, gateway, probe } = await setup({ config, sb: { clock, random: () => 0.5 } });
    const client = await connectClient(gateway);
    probe.refuse = true;
    await probe.server!.close();
    await until(() => sb.getServer('up')!.state === 'disconnected', 5_000, 'the server to back off');
    const result = await client.callTool({ name: 'up__echo', arguments: { text: 'x' } });
    expect(result.isError).toBe(true);
    expect(result._meta).toEqual({ 'mcp-switchboard/error': { code: 'ServerUnavailable', retryAfterMs: expect.any(Number) } });
    expect((result.content as { text: string }[])[0]!.text).toMatch(/server "up" is not connected/);
  });
});
