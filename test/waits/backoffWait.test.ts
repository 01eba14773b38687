import { describe, expect, it } from 'vitest';
import { until } from '../helpers/switchboard.js';
import { settle, track, useWaits, waitsBoard, type Upstream } from './harness.js';
import type { Switchboard } from '../../src/index.js';

/**
 * Short outages (issue 22, DESIGN §18): a call to a server that is backing off waits for the
 * reconnect when the retry is due within `admission.waitForReconnectMs` and within the call's
 * deadline, and runs on the new session; any other (and every call while the breaker is open or
 * the server is in `error`) is refused at once with ServerUnavailable and the time left. A waiting
 * call still settles by its deadline, its signal, the server's removal and `stop()`.
 */

useWaits();

/** Crashes the live server and resolves once the switchboard backs off; returns the retry delay. */
async function crashed(sb: Switchboard, upstream: Upstream): Promise<number> {
  await upstream.crash();
  await until(() => sb.getServer('s')?.substate === 'backoff', 5_000, 'backoff');
  return sb.getServer('s')!.retryInMs!;
}

describe('a call to a server that is backing off', () => {
  it('waits for the reconnect and runs on the new session', async () => {
    const { clock, sb, upstream } = await waitsBoard();
    await sb.start();
    const retryInMs = await crashed(sb, upstream);
    expect(retryInMs).toBeGreaterThan(0);
    expect(retryInMs).toBeLessThanOrEqual(5_000);
    const call = track(sb.callTool('echo', { text: 'after the outage' }));
    await settle();
    expect(call.done).toBe(false);
    clock.increment(retryInMs);
    await until(() => call.done, 5_000, 'the call');
    expect(call.error).toBeUndefined();
    expect(call.value).toMatchObject({ content: [{ type: 'text', text: 'after the outage' }] });
    expect(upstream.connects).toBe(2);
  });

  it('lets requests beyond tools wait too (a prompt)', async () => {
    const { clock, sb, upstream } = await waitsBoard();
    await sb.start();
    const retryInMs = await crashed(sb, upstream);
    const prompt = track(sb.getPrompt('greet'));
    await settle();
    expect(prompt.done).toBe(false);
    clock.increment(retryInMs);
    await until(() => prompt.done, 5_000, 'the prompt');
    expect(prompt.value).toMatchObject({ messages: [{ content: { text: 'hello' } }] });
  });

  it('is refused at once when the retry is due later than waitForReconnectMs, with the time left', async () => {
    const { clock, sb, upstream } = await waitsBoard({ admission: { waitForReconnectMs: 100 }, reconnect: { minMs: 1_000, baseMs: 1_000 } });
    await sb.start();
    const retryInMs = await crashed(sb, upstream);
    expect(retryInMs).toBe(1_000);
    clock.increment(400);
    await expect(sb.callTool('echo', { text: 'x' })).rejects.toMatchObject({ code: 'ServerUnavailable', retryAfterMs: 600 });
    // Within the setting now: the same call waits.
    clock.increment(550);
    const call = track(sb.callTool('echo', { text: 'y' }));
    await settle();
    expect(call.done).toBe(false);
    clock.increment(50);
    await until(() => call.done, 5_000, 'the call');
    expect(call.value).toMatchObject({ content: [{ text: 'y' }] });
  });

  it('is refused at once when the retry is due after the call’s own deadline', async () => {
    const { sb, upstream } = await waitsBoard({ reconnect: { minMs: 1_000, baseMs: 1_000 } });
    await sb.start();
    await crashed(sb, upstream);
    await expect(sb.callTool('echo', { text: 'x' }, { timeoutMs: 999 })).rejects.toMatchObject({ code: 'ServerUnavailable', retryAfterMs: 1_000 });
    const call = track(sb.callTool('echo', { text: 'x' }, { timeoutMs: 1_000 }));
    await settle();
    expect(call.done).toBe(false);
  });

  it('is refused at once with waitForReconnectMs 0, as before', async () => {
    const { sb, upstream } = await waitsBoard({ admission: { waitForReconnectMs: 0 } });
    await sb.start();
    const retryInMs = await crashed(sb, upstream);
    await expect(sb.callTool('echo', { text: 'x' })).rejects.toMatchObject({ code: 'ServerUnavailable', retryAfterMs: retryInMs });
  });

  it('is refused at once while the breaker is open', async () => {
    const { sb, upstream } = await waitsBoard({ breaker: { minimumNumberOfCalls: 2, slidingWindowSize: 2, waitDurationInOpenMs: 60_000 } });
    await sb.start();
    for (let i = 0; i < 2; i++) await expect(sb.callTool('boom')).rejects.toMatchObject({ code: 'ProtocolError' });
    await settle();
    expect(sb.getServer('s')!.breaker!.state).toBe('open');
    await crashed(sb, upstream);
    await expect(sb.callTool('echo', { text: 'x' })).rejects.toMatchObject({ code: 'ServerUnavailable' });
  });

  it('is refused at once when the server is in error', async () => {
    const { sb, upstream } = await waitsBoard({ reconnect: { maxAttempts: 1 } });
    await sb.start();
    await upstream.crash();
    await until(() => sb.getServer('s')?.state === 'error', 5_000, 'error');
    await expect(sb.callTool('echo', { text: 'x' })).rejects.toMatchObject({ code: 'ServerUnavailable' });
  });

  it('is refused with ServerUnavailable when the reconnect it waited for fails', async () => {
    const { clock, sb, upstream } = await waitsBoard();
    await sb.start();
    const retryInMs = await crashed(sb, upstream);
    upstream.next = ['refuse'];
    const call = track(sb.callTool('echo', { text: 'x' }));
    clock.increment(retryInMs);
    await until(() => call.done, 5_000, 'the call');
    expect(call.error).toMatchObject({ code: 'ServerUnavailable' });
    expect(String((call.error as Error).message)).toContain('connect refused');
  });
});

describe('a call waiting for a reconnect still settles', () => {
  it('by its deadline, when the reconnect takes longer', async () => {
    const { clock, sb, upstream } = await waitsBoard();
    await sb.start();
    const retryInMs = await crashed(sb, upstream);
    upstream.next = ['hang'];
    const call = track(sb.callTool('echo', { text: 'x' }, { timeoutMs: retryInMs + 500 }));
    clock.increment(retryInMs);
    await settle();
    expect(sb.getServer('s')!.state).toBe('connecting');
    clock.increment(499);
    await settle();
    expect(call.done).toBe(false);
    clock.increment(1);
    await settle();
    expect(call.error).toMatchObject({ code: 'ToolCallTimeout' });
  });

  it('by its abort signal', async () => {
    const { sb, upstream } = await waitsBoard();
    await sb.start();
    await crashed(sb, upstream);
    const controller = new AbortController();
    const call = track(sb.callTool('echo', { text: 'x' }, { signal: controller.signal }));
    await settle();
    expect(call.done).toBe(false);
    controller.abort();
    await settle();
    expect(call.error).toMatchObject({ code: 'Cancelled' });
  });

  it('when the server is removed', async () => {
    const { sb, upstream } = await waitsBoard();
    await sb.start();
    await crashed(sb, upstream);
    const call = track(sb.callTool('echo', { text: 'x' }));
    await settle();
    expect(call.done).toBe(false);
    await sb.removeServer('s');
    await settle();
    expect(call.error).toMatchObject({ code: 'ServerUnavailable' });
  });

  it('when the switchboard stops', async () => {
    const { sb, upstream } = await waitsBoard();
    await sb.start();
    await crashed(sb, upstream);
    const call = track(sb.callTool('echo', { text: 'x' }));
    await settle();
    expect(call.done).toBe(false);
    await sb.stop();
    await settle();
    expect(call.error).toMatchObject({ code: 'Stopped' });
  });
});
