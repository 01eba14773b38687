import { fileURLToPath } from 'node:url';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { FAST, recordEvents, until } from '../helpers/switchboard.js';

/**
 * A JSON-RPC error the server sent with −32000 or −32001 is the server's answer, not the SDK's own
 * "connection closed" or "request timed out" (src/protocol/v1/serverAnswers.ts): a `ServerError`
 * with the server's message, never replayed, and no reason to reconnect. The SDK's own −32000 (a
 * real crash) stays `ConnectionLost`: test/faults/stdio.test.ts FM-03.
 */

type Handler = (request: { method: string; params: Record<string, unknown> }, extra: unknown) => unknown;

/** The SDK server's own request handlers (private in SDK 1.32.2), to answer with a bare JSON-RPC error. */
function handlersOf(mcp: McpServer): Map<string, Handler> {
  return (mcp.server as unknown as { _requestHandlers: Map<string, Handler> })._requestHandlers;
}

/** An SDK McpServer over the in-memory transport whose `refuse` tool answers with a JSON-RPC error. */
function server(calls: { count: number }, answer: { code: number; message: string }, refuse: 'tools/call' | 'prompts/get' | 'ping' | 'initialize' = 'tools/call') {
  return async () => {
    const mcp = new McpServer({ name: 'answers', version: '1.0.0' });
    mcp.registerTool('lookup', { annotations: { readOnlyHint: true } }, async () => ({ content: [{ type: 'text', text: 'found' }] }));
    mcp.registerPrompt('greet', { argsSchema: { who: z.string() } }, ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `hi ${who}` } }] }));
    const handlers = handlersOf(mcp);
    const original = handlers.get(refuse);
    handlers.set(refuse, async (request, extra) => {
      if (refuse === 'tools/call' && (request.params as { name?: string }).name !== 'lookup') return original!(request, extra);
      calls.count++;
      throw new McpError(answer.code, answer.message);
    });
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    return client;
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

function open(factory: ReturnType<typeof server>, callMs = 20_000) {
  const sb = createSwitchboard({ servers: {}, defaults: { ...FAST, timeouts: { ...FAST.timeouts, callMs }, replay: 'annotated' } }, { transports: { s: factory } });
  boards.push(sb);
  return sb;
}

describe('a server answering with −32000 or −32001', () => {
  for (const [code, name] of [
    [ErrorCode.ConnectionClosed, 'ConnectionClosed'],
    [ErrorCode.RequestTimeout, 'RequestTimeout'],
  ] as const) {
    it(`is a ServerError with the server's message for tools/call (${code} ${name}), neither replayed nor reconnected`, async () => {
      const calls = { count: 0 };
      const sb = open(server(calls, { code, message: 'the backing store is down for maintenance' }));
      await sb.start();
      const events = recordEvents(sb);
      const started = Date.now();
      const error = await sb.callTool('lookup', {}, { server: 's' }).catch((e: { code: string; message: string }) => e);
      expect(error).toMatchObject({ code: 'ServerError' });
      expect((error as { message: string }).message).toContain('the backing store is down for maintenance');
      // Settled by the answer, not by a deadline or a replay waiting for a reconnect.
      expect(Date.now() - started).toBeLessThan(10_000);
      // `lookup` is read-only under `replay: annotated`: a ConnectionLost would have sent it again.
      expect(calls.count).toBe(1);
      expect(sb.getServer('s')).toMatchObject({ state: 'connected', reconnects: 0 });
      expect(events.filter((e) => e.type === 'server.stateChanged')).toEqual([]);
      // The server answered: the breaker counts a success (the error table's ServerError).
      expect(sb.getServer('s')!.breaker!.failedCalls).toBe(0);
      await expect(sb.callTool('lookup', {}, { server: 's' })).rejects.toMatchObject({ code: 'ServerError' });
      expect(calls.count).toBe(2);
    });
  }

  it('is a ServerError for a request other than tools/call (prompts/get)', async () => {
    const calls = { count: 0 };
    const sb = open(server(calls, { code: ErrorCode.ConnectionClosed, message: 'prompt store offline' }, 'prompts/get'));
    await sb.start();
    const error = await sb.getPrompt('greet', { who: 'x' }, { server: 's' }).catch((e: { code: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'ServerError' });
    expect((error as { message: string }).message).toContain('prompt store offline');
    expect(calls.count).toBe(1);
    expect(sb.getServer('s')).toMatchObject({ state: 'connected', reconnects: 0 });
  });

  it('proves the server alive when it answers ping with −32000', async () => {
    const calls = { count: 0 };
    const sb = open(server(calls, { code: ErrorCode.ConnectionClosed, message: 'ping handler is busy' }, 'ping'));
    await sb.start();
    const report = await sb.health('s');
    expect(report.s).toMatchObject({ ok: true });
    expect(calls.count).toBe(1);
    expect(sb.getServer('s')).toMatchObject({ state: 'connected', reconnects: 0 });
  });

  it("fails a connect with the server's message when it answers initialize with −32000", async () => {
    const calls = { count: 0 };
    const sb = open(server(calls, { code: ErrorCode.ConnectionClosed, message: 'not accepting clients right now' }, 'initialize'));
    await sb.start();
    await until(() => sb.getServer('s')!.lastError !== null, 10_000, 'the failed connect');
    expect(sb.getServer('s')!.lastError).toMatchObject({ code: 'ConnectFailed' });
    expect(sb.getServer('s')!.lastError!.message).toContain('not accepting clients right now');
  });
});

describe('a stdio server answering with −32000', () => {
  const PIPES = fileURLToPath(new URL('../fixtures/pipesServer.mjs', import.meta.url));

  it('is a ServerError with its message, the process kept', async () => {
    const sb = createSwitchboard({ servers: { pipes: { transport: 'stdio', command: process.execPath, args: [PIPES] } }, defaults: { ...FAST, timeouts: { ...FAST.timeouts, callMs: 20_000 } } });
    boards.push(sb);
    await sb.start();
    const error = await sb.callTool('read', { mode: 'rpc-error', code: -32000, message: 'quota exceeded upstream' }).catch((e: { code: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'ServerError' });
    expect((error as { message: string }).message).toContain('quota exceeded upstream');
    await expect(sb.callTool('do')).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    // stderr is a pipe of its own: wait for the lines, then count them.
    await until(() => /CALLED ok/.test(sb.getServer('pipes')!.stderrTail), 10_000, 'the second call on stderr');
    const tail = sb.getServer('pipes')!.stderrTail;
    expect(tail.match(/CALLED rpc-error/g)?.length).toBe(1);
    expect(tail.match(/pipes pid \d+ up/g)?.length).toBe(1);
    expect(sb.getServer('pipes')).toMatchObject({ state: 'connected', reconnects: 0 });
  });
});

describe('an SDK server’s −32602 (its message already carries the SDK prefix)', () => {
  it('says "MCP error -32602: " once, not twice', async () => {
    const calls = { count: 0 };
    const sb = open(server(calls, { code: ErrorCode.InvalidParams, message: 'invalid arguments' }));
    await sb.start();
    const error = await sb.callTool('lookup', {}, { server: 's' }).catch((e: { code: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'InvalidArguments' });
    // Was: 'tool "lookup" on server "s" rejected its arguments: MCP error -32602: MCP error -32602: invalid arguments'.
    expect((error as { message: string }).message).toBe('tool "lookup" on server "s" rejected its arguments: MCP error -32602: invalid arguments');
  });
});
