import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { clientCapabilities, installServerRequests } from '../../src/protocol/v1/serverRequests.js';
import { until } from '../helpers/switchboard.js';
import { ASK, refusal, TIMEOUT_MS } from './serverRequestPair.js';
import { Blocker, closeFloodPairsAfterEach, CountingClock, floodPair, floodRequest, refused, type FloodProbe } from './serverRequestFlood.js';

/**
 * Server → client requests are bounded per server (issue 18): `maxServerRequests` handlers run at
 * once, `maxServerRequestQueue` wait in arrival order, one more is refused with a JSON-RPC error.
 * A queued request leaves the queue when cancelled, timed out or closed, and never runs.
 */

closeFloodPairsAfterEach();

const BUSY = (running: number, queued: number) => `${ErrorCode.InternalError} MCP error -32603: too many concurrent server requests (${running} running, ${queued} queued)`;

/** Releases the handlers one at a time, in start order, until `count` have run. */
async function releaseInTurn(blocker: Blocker, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await until(() => blocker.started.length > i, 10_000, `handler ${i} to start`);
    blocker.started[i]!.release();
  }
}

describe('bounded server → client requests', () => {
  it('runs at most maxServerRequests handlers of a 2 000-request sampling flood and refuses past the queue', async () => {
    const blocker = new Blocker();
    const pair = await floodPair(blocker.handlers, { maxServerRequests: 4, maxServerRequestQueue: 16 });
    const call = pair.client.callTool({ name: 'flood', arguments: { n: 2_000, kinds: ['sampling'] } });
    await until(() => refused(pair.probe) === 1_980, 20_000, 'the requests past the queue to be refused');
    expect(blocker.started).toHaveLength(4);
    expect(blocker.max).toBe(4);
    await releaseInTurn(blocker, 20);
    const result = JSON.parse((((await call) as { content: { text: string }[] }).content[0]!.text)) as FloodProbe;
    expect(result).toEqual({ ok: 20, errors: { [BUSY(4, 16)]: 1_980 } });
    // FIFO: the 20 admitted are the first 20 that arrived, started in arrival order.
    expect(blocker.started.map((run) => run.label)).toEqual(Array.from({ length: 20 }, (_, i) => `#${i}`));
    expect(blocker.max).toBe(4);
    // One warning for the flood, not one per refused request.
    expect(pair.logs).toEqual([
      { level: 'warning', message: 'sampling handler for server "flooder": too many concurrent server requests (4 running, 16 queued); refusing more until the queue has room' },
    ]);
    expect(pair.clock.live.size).toBe(0);
  });

  it('bounds sampling, elicitation and roots together', async () => {
    const blocker = new Blocker();
    const pair = await floodPair(blocker.handlers, { maxServerRequests: 2, maxServerRequestQueue: 3 });
    const call = pair.client.callTool({ name: 'flood', arguments: { n: 300, kinds: ['elicitation', 'roots', 'sampling'] } });
    await until(() => refused(pair.probe) === 295, 20_000, 'the requests past the queue to be refused');
    expect(blocker.started).toHaveLength(2);
    await releaseInTurn(blocker, 5);
    await call;
    expect(pair.probe).toEqual({ ok: 5, errors: { [BUSY(2, 3)]: 295 } });
    expect(blocker.started.map((run) => run.label)).toEqual(['#0', 'roots', '#2', '#3', 'roots']);
    expect(blocker.max).toBe(2);
    expect(pair.clock.live.size).toBe(0);
  });

  it('with no queue refuses every request that cannot run at once, and serves the next when a slot frees', async () => {
    const blocker = new Blocker();
    const pair = await floodPair(blocker.handlers, { maxServerRequests: 1, maxServerRequestQueue: 0 });
    const first = floodRequest(pair.mcp, 'sampling', 1);
    await until(() => blocker.started.length === 1, 10_000, 'the first handler to start');
    const error = await refusal(floodRequest(pair.mcp, 'elicitation', 2));
    expect(error.code).toBe(ErrorCode.InternalError);
    expect(error.message).toBe('MCP error -32603: too many concurrent server requests (1 running, 0 queued)');
    blocker.started[0]!.release();
    await first;
    const third = floodRequest(pair.mcp, 'sampling', 3);
    await until(() => blocker.started.length === 2, 10_000, 'the third handler to start');
    blocker.started[1]!.release();
    await third;
    expect(blocker.started.map((run) => run.label)).toEqual(['#1', '#3']);
  });

  it('drops a queued request the server cancels: it never runs and its place is free again', async () => {
    const blocker = new Blocker();
    const pair = await floodPair(blocker.handlers, { maxServerRequests: 1, maxServerRequestQueue: 1 });
    const a = floodRequest(pair.mcp, 'sampling', 1);
    const cancel = new AbortController();
    const b = floodRequest(pair.mcp, 'elicitation', 2, cancel.signal).catch((e: unknown) => e);
    // The queue (one place) is full: one more is refused.
    expect((await refusal(floodRequest(pair.mcp, 'sampling', 3))).message).toMatch(/1 running, 1 queued/);
    cancel.abort('the user left');
    await b;
    await until(() => pair.logs.some((l) => l.level === 'debug' && /elicitation request cancelled/.test(l.message)), 10_000, 'the cancel to reach the client');
    // Its place is free: the next request queues instead of being refused.
    const d = floodRequest(pair.mcp, 'sampling', 4);
    blocker.started[0]!.release();
    await a;
    await until(() => blocker.started.length === 2, 10_000, 'the queued request to start');
    blocker.started[1]!.release();
    await d;
    expect(blocker.started.map((run) => run.label)).toEqual(['#1', '#4']);
    expect(pair.clock.live.size).toBe(0);
  });

  it('times out a request still waiting in the queue without running its handler', async () => {
    const blocker = new Blocker();
    const pair = await floodPair(blocker.handlers, { maxServerRequests: 1, maxServerRequestQueue: 1 });
    const a = refusal(floodRequest(pair.mcp, 'sampling', 1));
    const b = refusal(floodRequest(pair.mcp, 'sampling', 2));
    // A third one refused tells that both reached the client.
    await refusal(floodRequest(pair.mcp, 'sampling', 3));
    pair.clock.increment(TIMEOUT_MS - 1);
    expect(blocker.started).toHaveLength(1);
    pair.clock.increment(1);
    expect((await a).message).toBe(`MCP error ${ErrorCode.RequestTimeout}: sampling handler timed out after ${TIMEOUT_MS} ms`);
    const queued = await b;
    expect(queued.code).toBe(ErrorCode.RequestTimeout);
    expect(queued.message).toMatch(new RegExp(`sampling request timed out after ${TIMEOUT_MS} ms waiting for a handler slot`));
    expect(blocker.started.map((run) => run.label)).toEqual(['#1']);
    expect(blocker.running).toBe(0);
    expect(pair.clock.live.size).toBe(0);
  });

  it('counts the deadline from arrival, time in the queue included', async () => {
    const blocker = new Blocker();
    const pair = await floodPair(blocker.handlers, { maxServerRequests: 1, maxServerRequestQueue: 1 });
    const a = refusal(floodRequest(pair.mcp, 'sampling', 1));
    await until(() => blocker.started.length === 1, 10_000, 'the first handler to start');
    pair.clock.increment(1_000);
    const b = refusal(floodRequest(pair.mcp, 'sampling', 2));
    await refusal(floodRequest(pair.mcp, 'sampling', 3));
    expect(blocker.started).toHaveLength(1);
    // The first times out at 5 000; the second starts then, but its deadline is 6 000, not 10 000.
    pair.clock.increment(TIMEOUT_MS - 1_000);
    await a;
    await until(() => blocker.started.length === 2, 10_000, 'the queued handler to start');
    const second = blocker.started[1]!.ctx!;
    pair.clock.increment(999);
    expect(second.signal.aborted).toBe(false);
    pair.clock.increment(1);
    expect(second.signal.aborted).toBe(true);
    expect((await b).message).toContain(`sampling handler timed out after ${TIMEOUT_MS} ms`);
    expect(pair.clock.live.size).toBe(0);
  });

  it('drops queued requests and aborts running ones when the connection closes', async () => {
    const blocker = new Blocker();
    const pair = await floodPair(blocker.handlers, { maxServerRequests: 2, maxServerRequestQueue: 3 });
    const asked = [1, 2, 3, 4, 5].map((n) => floodRequest(pair.mcp, n % 2 ? 'sampling' : 'elicitation', n).catch((e: unknown) => e));
    await refusal(floodRequest(pair.mcp, 'sampling', 6));
    expect(blocker.started).toHaveLength(2);
    await pair.client.close();
    expect(blocker.started.every((run) => run.ctx!.signal.aborted)).toBe(true);
    await Promise.all(asked);
    // Nothing queued ran once the slots were freed by the close.
    await new Promise((resolve) => setImmediate(resolve));
    expect(blocker.started.map((run) => run.label)).toEqual(['#1', '#2']);
    expect(blocker.running).toBe(0);
    expect(pair.clock.live.size).toBe(0);
  });

  it('settles every request on close even when a hostile server reused a request id', async () => {
    const blocker = new Blocker();
    const capabilities = clientCapabilities(blocker.handlers, undefined);
    const client = new Client({ name: 'switchboard', version: '0.0.0' }, { capabilities });
    const clock = new CountingClock();
    installServerRequests(client, {
      server: 'hostile',
      handlers: blocker.handlers,
      capabilities,
      timeoutMs: TIMEOUT_MS,
      clock,
      log: () => undefined,
      roots: () => undefined,
      limits: { maxServerRequests: 1, maxServerRequestQueue: 1 },
    });
    // A raw server: it answers initialize, then sends two sampling requests with the same id.
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serverSide.onmessage = (message: JSONRPCMessage) => {
      if ('method' in message && message.method === 'initialize' && 'id' in message) {
        void serverSide.send({ jsonrpc: '2.0', id: message.id, result: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, serverInfo: { name: 'hostile', version: '1' } } });
      }
    };
    await serverSide.start();
    await client.connect(clientSide);
    try {
      for (let i = 0; i < 2; i += 1) await serverSide.send({ jsonrpc: '2.0', id: 7, method: 'sampling/createMessage', params: ASK });
      await until(() => blocker.started.length === 1, 10_000, 'the first handler to start');
      await client.close();
      // The SDK kept only the second request's signal; the first, running, is settled all the same.
      expect(blocker.started[0]!.ctx!.signal.aborted).toBe(true);
      expect(blocker.started).toHaveLength(1);
      expect(clock.live.size).toBe(0);
    } finally {
      await client.close();
      await serverSide.close();
    }
  });
});
