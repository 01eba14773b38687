import { describe, expect, it } from 'vitest';
import { until } from '../helpers/switchboard.js';
import { settle, track, useWaits, waitsBoard } from './harness.js';

/**
 * A qualified name (`server__tool`) or `{ server }` on a server that has not listed its catalog
 * yet (issue 22): the call waits for the catalog within its deadline, like any call to a server
 * that is connecting, and is routed by the catalog once it is listed: ToolNotFound only when the
 * listed catalog lacks the tool, ServerUnavailable when the server failed instead.
 */

useWaits();

/** A switchboard whose server `s` is connecting (its first connect waits for `release`). */
async function connecting(defaults = {}) {
  const board = await waitsBoard(defaults, ['gate']);
  void board.sb.start();
  await until(() => board.upstream.gated(), 5_000, 'the first connect');
  expect(board.sb.getServer('s')!.state).toBe('connecting');
  expect(board.sb.listTools('s')).toEqual([]);
  return board;
}

describe('a call by qualified name to a server still connecting', () => {
  it('waits for the catalog and is routed by it', async () => {
    const { sb, upstream } = await connecting();
    const qualified = track(sb.callTool('s__echo', { text: 'qualified' }));
    const withServer = track(sb.callTool('echo', { text: 'with server' }, { server: 's' }));
    const bothForms = track(sb.callTool('s__echo', { text: 'both' }, { server: 's' }));
    await settle();
    expect([qualified.done, withServer.done, bothForms.done]).toEqual([false, false, false]);
    upstream.release();
    await until(() => qualified.done && withServer.done && bothForms.done, 5_000, 'the calls');
    expect(qualified.value).toMatchObject({ content: [{ text: 'qualified' }] });
    expect(withServer.value).toMatchObject({ content: [{ text: 'with server' }] });
    expect(bothForms.value).toMatchObject({ content: [{ text: 'both' }] });
  });

  it('says ToolNotFound once the listed catalog lacks the tool (not the server’s own error)', async () => {
    const { sb, upstream } = await connecting();
    const missing = track(sb.callTool('s__nope', {}));
    const missingWithServer = track(sb.callTool('nope', {}, { server: 's' }));
    await settle();
    expect(missing.done).toBe(false);
    upstream.release();
    await until(() => missing.done && missingWithServer.done, 5_000, 'the calls');
    expect(missing.error).toMatchObject({ code: 'ToolNotFound' });
    expect(missingWithServer.error).toMatchObject({ code: 'ToolNotFound' });
    expect(String((missing.error as Error).message)).toContain('"s__nope"');
  });

  it('is refused with ServerUnavailable, not ToolNotFound, when the server fails to connect', async () => {
    // The first connect reaches a server that never answers initialize: it times out (connectMs).
    const board = await waitsBoard({ reconnect: { maxAttempts: 1 }, timeouts: { connectMs: 10_000 } }, ['hang']);
    void board.sb.start();
    await settle();
    expect(board.sb.getServer('s')!.state).toBe('connecting');
    const call = track(board.sb.callTool('s__echo', { text: 'x' }, { timeoutMs: 60_000 }));
    await settle();
    expect(call.done).toBe(false);
    board.clock.increment(10_000);
    await until(() => call.done, 5_000, 'the call');
    expect(board.sb.getServer('s')!.state).toBe('error');
    expect(call.error).toMatchObject({ code: 'ServerUnavailable' });
  });

  it('waits within its deadline', async () => {
    const { clock, sb } = await connecting();
    const call = track(sb.callTool('s__echo', { text: 'x' }, { timeoutMs: 2_000 }));
    clock.increment(1_999);
    await settle();
    expect(call.done).toBe(false);
    clock.increment(1);
    await settle();
    expect(call.error).toMatchObject({ code: 'ToolCallTimeout' });
  });

  it('also waits for a server that never listed and is backing off within the wait', async () => {
    const { clock, sb, upstream } = await waitsBoard({}, ['refuse']);
    await sb.start();
    expect(sb.getServer('s')!.substate).toBe('backoff');
    const retryInMs = sb.getServer('s')!.retryInMs!;
    const found = track(sb.callTool('s__echo', { text: 'after backoff' }));
    const missing = track(sb.callTool('s__nope', {}));
    await settle();
    expect(found.done).toBe(false);
    clock.increment(retryInMs);
    await until(() => found.done && missing.done, 5_000, 'the calls');
    expect(found.value).toMatchObject({ content: [{ text: 'after backoff' }] });
    expect(missing.error).toMatchObject({ code: 'ToolNotFound' });
    expect(upstream.connects).toBe(2);
  });
});
