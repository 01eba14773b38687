import { CreateMessageResultSchema, ErrorCode, McpError, type CreateMessageRequest, type CreateMessageResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { clientCapabilities, type HandlerContext, type ServerRequestHandlers } from '../../src/protocol/v1/serverRequests.js';
import { until } from '../helpers/switchboard.js';
import { ASK, closePairsAfterEach, connect, rawElicit, refusal, REPLY, TIMEOUT_MS } from './serverRequestPair.js';

closePairsAfterEach();

describe('client capabilities', () => {
  it('declares only the capabilities whose handlers exist', async () => {
    expect(clientCapabilities(undefined, undefined)).toEqual({});
    expect(clientCapabilities({ sampling: async () => REPLY }, undefined)).toEqual({ sampling: {} });
    expect(clientCapabilities({ elicitation: async () => ({ action: 'decline' }) }, undefined)).toEqual({
      elicitation: { form: { applyDefaults: true }, url: {} },
    });
    expect(clientCapabilities({ roots: [] }, undefined)).toEqual({ roots: { listChanged: true } });
    const pair = await connect({ sampling: async () => REPLY, roots: [] });
    expect(pair.mcp.server.getClientCapabilities()).toEqual({ sampling: {}, roots: { listChanged: true } });
  });

  it('withholds a capability the server config sets to false', async () => {
    const handlers: ServerRequestHandlers = { sampling: async () => REPLY, elicitation: async () => ({ action: 'cancel' }), roots: [] };
    expect(clientCapabilities(handlers, { sampling: false, roots: true })).toEqual({
      elicitation: { form: { applyDefaults: true }, url: {} },
      roots: { listChanged: true },
    });
    const pair = await connect(handlers, { withheld: { elicitation: false, roots: false } });
    expect(pair.mcp.server.getClientCapabilities()).toEqual({ sampling: {} });
    // Withheld means unanswered too, not only undeclared.
    expect((await refusal(pair.mcp.server.listRoots())).code).toBe(ErrorCode.MethodNotFound);
  });
});

describe('server → client requests', () => {
  it('refuses a request without a handler with "method not found"', async () => {
    const pair = await connect({ roots: [] });
    const sampling = await refusal(pair.mcp.server.request({ method: 'sampling/createMessage', params: ASK }, CreateMessageResultSchema));
    expect(sampling.code).toBe(ErrorCode.MethodNotFound);
    expect(sampling.message).toMatch(/Method not found/);
    const elicit = await refusal(rawElicit(pair, { mode: 'form', message: 'name?', requestedSchema: { type: 'object', properties: {} } }));
    expect(elicit.code).toBe(ErrorCode.MethodNotFound);
    const roots = await connect(undefined);
    expect((await refusal(roots.mcp.server.listRoots())).code).toBe(ErrorCode.MethodNotFound);
  });

  it('answers sampling with the handler result and tells it which server asked', async () => {
    const seen: { params: CreateMessageRequest['params']; ctx: HandlerContext }[] = [];
    const pair = await connect({
      sampling: async (params, ctx) => {
        seen.push({ params, ctx });
        return REPLY;
      },
    });
    expect(await pair.mcp.server.createMessage(ASK)).toMatchObject(REPLY);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ctx.server).toBe('files');
    expect(seen[0]!.ctx.signal.aborted).toBe(false);
    expect(seen[0]!.params.messages).toEqual(ASK.messages);
  });

  it('answers a throwing handler with a JSON-RPC error and serves the next request', async () => {
    let calls = 0;
    const pair = await connect(
      {
        sampling: async () => {
          calls += 1;
          if (calls === 1) throw new Error('model unavailable for sk-SECRET');
          return REPLY;
        },
      },
      { redact: (text) => text.replaceAll('sk-SECRET', '***') },
    );
    const error = await refusal(pair.mcp.server.createMessage(ASK));
    expect(error.code).toBe(ErrorCode.InternalError);
    expect(error.message).toContain('sampling handler failed: model unavailable for ***');
    expect(error.message).not.toContain('sk-SECRET');
    expect(pair.logs).toEqual([{ level: 'warning', message: 'sampling handler for server "files": sampling handler failed: model unavailable for ***' }]);
    expect(await pair.mcp.server.createMessage(ASK)).toMatchObject(REPLY);
  });

  it('keeps the code of an McpError the handler throws', async () => {
    const pair = await connect({
      sampling: async () => {
        throw new McpError(-1, 'User rejected sampling request');
      },
    });
    const error = await refusal(pair.mcp.server.createMessage(ASK));
    expect(error.code).toBe(-1);
    expect(error.message).toBe('MCP error -1: sampling handler failed: User rejected sampling request');
  });

  it('answers a malformed handler result with a clear JSON-RPC error', async () => {
    const pair = await connect({ sampling: async () => ({ role: 'assistant', model: 'm' }) as unknown as CreateMessageResult });
    const error = await refusal(pair.mcp.server.createMessage(ASK));
    expect(error.code).toBe(ErrorCode.InternalError);
    expect(error.message).toMatch(/sampling handler returned an invalid result: content/);
    expect(pair.logs[0]?.message).toMatch(/invalid result/);
  });

  it('times out a handler that never settles on the given clock and aborts its signal', async () => {
    let ctx: HandlerContext | undefined;
    const pair = await connect({
      sampling: (_params, context) => {
        ctx = context;
        return new Promise<never>(() => undefined);
      },
    });
    const asked = refusal(pair.mcp.server.createMessage(ASK));
    await until(() => ctx !== undefined, 5_000, 'the handler to run');
    pair.clock.increment(TIMEOUT_MS - 1);
    expect(ctx!.signal.aborted).toBe(false);
    pair.clock.increment(1);
    expect(ctx!.signal.aborted).toBe(true);
    const error = await asked;
    expect(error.code).toBe(ErrorCode.RequestTimeout);
    expect(error.message).toContain(`sampling handler timed out after ${TIMEOUT_MS} ms`);
    expect(pair.logs.map((l) => l.level)).toEqual(['warning']);
  });

  it('aborts the handler signal when the server cancels the request, its first (id 0) and later ones', async () => {
    const contexts: HandlerContext[] = [];
    const pair = await connect({
      elicitation: (_params, context) => {
        contexts.push(context);
        return new Promise<never>(() => undefined);
      },
    });
    for (const n of [1, 2]) {
      const controller = new AbortController();
      const asked = pair.mcp.server
        .elicitInput({ message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } }, { signal: controller.signal })
        .catch((e: unknown) => e);
      await until(() => contexts.length === n, 5_000, 'the handler to run');
      const ctx = contexts[n - 1]!;
      expect(ctx.signal.aborted).toBe(false);
      controller.abort('user left');
      await asked;
      await until(() => ctx.signal.aborted, 5_000, `the signal of request ${n} to abort`);
    }
    const cancelled = { level: 'debug', message: 'elicitation handler for server "files": elicitation request cancelled by the server or closed with the connection' };
    expect(pair.logs).toEqual([cancelled, cancelled]);
    // The deadline timer went with the request: stepping past it logs nothing more.
    pair.clock.increment(TIMEOUT_MS);
    expect(pair.logs).toHaveLength(2);
  });

  it('aborts the handler signal when the connection closes', async () => {
    let ctx: HandlerContext | undefined;
    const pair = await connect({
      sampling: (_params, context) => {
        ctx = context;
        return new Promise<never>(() => undefined);
      },
    });
    const asked = pair.mcp.server.createMessage(ASK).catch((e: unknown) => e);
    await until(() => ctx !== undefined, 5_000, 'the handler to run');
    await pair.client.close();
    expect(ctx!.signal.aborted).toBe(true);
    await asked;
  });
});

