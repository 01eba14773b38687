import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createSwitchboard, type CallCompleted, type PolicyOverrides, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';

/**
 * The surface beyond tools goes through the same admission as tool calls (DESIGN §10, issue 9
 * item 8), on XState's SimulatedClock: backoff → ServerUnavailable, open breaker → CircuitOpen,
 * full queue → ServerBusy, deadline → ToolCallTimeout with a cancel to the server, caller abort →
 * Cancelled, `call.completed` with a kind, and reads that time out counted on the breaker.
 */

interface Probe {
  connects: number;
  /** Makes every further connect attempt fail. */
  refuse: boolean;
  live: McpServer | null;
  /** Requests to `res://slow` / `slow`, waiting for the test. */
  waiting: { release(): void; signal: AbortSignal }[];
}

function storeServer(probe: Probe): () => Promise<Transport> {
  return async () => {
    probe.connects++;
    if (probe.refuse) throw new Error('connection refused');
    const server = new McpServer({ name: 'store', version: '1.0.0' }, { capabilities: { logging: {}, resources: { subscribe: true } } });
    const hold = (signal: AbortSignal) => new Promise<void>((release) => probe.waiting.push({ release, signal }));
    server.registerResource('a', 'res://a', {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'a' }] }));
    server.registerResource('bad', 'res://bad', {}, async () => {
      throw new Error('disk error');
    });
    server.registerResource('slow', 'res://slow', {}, async (uri, extra) => (await hold(extra.signal), { contents: [{ uri: uri.href, text: 'slow' }] }));
    server.registerResource('item', new ResourceTemplate('item://{id}', { list: undefined, complete: { id: () => ['1', '2'] } }), {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'i' }] }));
    server.registerPrompt('p', {}, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'p' } }] }));
    server.registerPrompt('slowp', {}, async (extra) => (await hold(extra.signal), { messages: [] }));
    server.registerTool('echo', {}, async () => ({ content: [{ type: 'text', text: 'echo' }] }));
    server.server.setRequestHandler(SubscribeRequestSchema, async () => ({}));
    probe.live = server;
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    return client;
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

/** Lets pending promise chains (in-memory transport, SDK) run without moving the clock. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

async function setup(defaults: PolicyOverrides = {}) {
  const clock = new SimulatedClock();
  const probe: Probe = { connects: 0, refuse: false, live: null, waiting: [] };
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 }, ...defaults } }, { clock, transports: { store: storeServer(probe) } });
  boards.push(sb);
  const completed: CallCompleted[] = [];
  sb.on('call.completed', (e) => completed.push(e));
  await sb.start();
  expect(sb.getServer('store')!.state).toBe('connected');
  return { clock, probe, sb, completed };
}

const COMPLETE = { ref: { type: 'ref/resource' as const, uri: 'item://{id}' }, argument: { name: 'id', value: '' } };

describe('admission of resources, prompts and completion', () => {
  it('refuses requests to a server in backoff with ServerUnavailable, and shows its prompts and tools unavailable', async () => {
    // Waiting for the reconnect is off: this is the refusal itself (test/waits/ covers the wait).
    const { probe, sb } = await setup({ admission: { waitForReconnectMs: 0 } });
    expect(sb.listPrompts().every((p) => p.available)).toBe(true);
    probe.refuse = true;
    await probe.live!.close();
    await until(() => sb.getServer('store')!.substate === 'backoff', 5_000, 'backoff');
    await expect(sb.readResource('res://a')).rejects.toMatchObject({ code: 'ServerUnavailable' });
    await expect(sb.getPrompt('p')).rejects.toMatchObject({ code: 'ServerUnavailable' });
    await expect(sb.complete(COMPLETE)).rejects.toMatchObject({ code: 'ServerUnavailable' });
    await expect(sb.subscribeResource('res://a')).rejects.toMatchObject({ code: 'ServerUnavailable' });
    await expect(sb.setLogLevel('info', { server: 'store' })).rejects.toMatchObject({ code: 'ServerUnavailable' });
    expect(sb.listPrompts().map((p) => [p.name, p.available])).toEqual([
      ['p', false],
      ['slowp', false],
    ]);
    expect(sb.listTools().map((t) => t.available)).toEqual([false]);
  });

  it('counts reads that time out on the breaker and refuses with CircuitOpen while it is open', async () => {
    const { clock, probe, sb, completed } = await setup({ breaker: { minimumNumberOfCalls: 2, slidingWindowSize: 2, waitDurationInOpenMs: 5_000 } });
    for (let i = 0; i < 2; i++) {
      const read = sb.readResource('res://slow', { timeoutMs: 1_000 }).catch((e: unknown) => e);
      await until(() => probe.waiting.length === i + 1, 5_000, 'the slow read');
      clock.increment(1_000);
      expect(await read).toMatchObject({ code: 'ToolCallTimeout' });
    }
    await settle();
    expect(sb.getServer('store')!.breaker!.state).toBe('open');
    await expect(sb.readResource('res://a')).rejects.toMatchObject({ code: 'CircuitOpen', retryAfterMs: 5_000 });
    await expect(sb.getPrompt('p')).rejects.toMatchObject({ code: 'CircuitOpen' });
    await expect(sb.complete(COMPLETE)).rejects.toMatchObject({ code: 'CircuitOpen' });
    await expect(sb.callTool('echo')).rejects.toMatchObject({ code: 'CircuitOpen' });
    expect(sb.listPrompts().some((p) => p.available)).toBe(false);
    expect(sb.listTools()[0]!.available).toBe(false);
    expect(completed.slice(0, 2).map((e) => [e.kind, e.tool, e.ok, e.errorCode])).toEqual([
      ['resource', 'res://slow', false, 'ToolCallTimeout'],
      ['resource', 'res://slow', false, 'ToolCallTimeout'],
    ]);
  });

  it('answers a read whose callback throws (-32603) with ServerError and leaves the breaker closed', async () => {
    const { sb } = await setup({ breaker: { minimumNumberOfCalls: 2, slidingWindowSize: 2 } });
    for (let i = 0; i < 3; i++) {
      const error = await sb.readResource('res://bad').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ServerError' });
      expect((error as Error).message).toContain('disk error');
    }
    await settle();
    expect(sb.getServer('store')!.breaker!.state).toBe('closed');
  });

  it('does not count a read the server rejects as invalid (InvalidArguments) as a breaker failure', async () => {
    const { sb } = await setup({ breaker: { minimumNumberOfCalls: 2, slidingWindowSize: 2 } });
    for (let i = 0; i < 3; i++) await expect(sb.readResource('res://missing', { server: 'store' })).rejects.toMatchObject({ code: 'InvalidArguments' });
    await settle();
    expect(sb.getServer('store')!.breaker!.state).toBe('closed');
  });

  it('refuses with ServerBusy when the slots and the queue are full', async () => {
    const { probe, sb } = await setup({ limits: { maxConcurrentCalls: 1, maxQueue: 0 } });
    const slow = sb.readResource('res://slow');
    await until(() => probe.waiting.length === 1, 5_000, 'the slow read');
    await expect(sb.getPrompt('p')).rejects.toMatchObject({ code: 'ServerBusy' });
    await expect(sb.readResource('res://a')).rejects.toMatchObject({ code: 'ServerBusy' });
    await expect(sb.complete(COMPLETE)).rejects.toMatchObject({ code: 'ServerBusy' });
    probe.waiting[0]!.release();
    expect((await slow).contents).toEqual([{ uri: 'res://slow', text: 'slow' }]);
    expect((await sb.getPrompt('p')).messages).toHaveLength(1);
  });

  it('times a read and a prompt out at their deadline and cancels them on the server', async () => {
    const { clock, probe, sb } = await setup();
    const read = sb.readResource('res://slow', { timeoutMs: 1_000 }).catch((e: unknown) => e);
    const prompt = sb.getPrompt('slowp', {}, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    await until(() => probe.waiting.length === 2, 5_000, 'both requests');
    clock.increment(1_000);
    expect(await read).toMatchObject({ code: 'ToolCallTimeout' });
    await until(() => probe.waiting[0]!.signal.aborted, 5_000, 'the server to see the read cancelled');
    expect(probe.waiting[1]!.signal.aborted).toBe(false);
    clock.increment(1_000);
    expect(await prompt).toMatchObject({ code: 'ToolCallTimeout' });
    await until(() => probe.waiting[1]!.signal.aborted, 5_000, 'the server to see the prompt cancelled');
  });

  it('rejects with Cancelled when the caller aborts, and the server sees the cancel', async () => {
    const { probe, sb } = await setup();
    const controller = new AbortController();
    const read = sb.readResource('res://slow', { signal: controller.signal }).catch((e: unknown) => e);
    await until(() => probe.waiting.length === 1, 5_000, 'the slow read');
    controller.abort();
    expect(await read).toMatchObject({ code: 'Cancelled' });
    await until(() => probe.waiting[0]!.signal.aborted, 5_000, 'the server to see the cancel');
    const aborted = new AbortController();
    aborted.abort();
    await expect(sb.getPrompt('p', {}, { signal: aborted.signal })).rejects.toMatchObject({ code: 'Cancelled' });
  });

  it('reports every request as call.completed with its kind and subject', async () => {
    const { sb, completed } = await setup();
    await sb.callTool('echo');
    await sb.readResource('res://a');
    await sb.getPrompt('p');
    await sb.complete(COMPLETE);
    await sb.setLogLevel('info', { server: 'store' });
    await sb.subscribeResource('res://a');
    await sb.readResource('res://bad').catch(() => undefined);
    expect(completed.map((e) => [e.server, e.kind, e.tool, e.ok])).toEqual([
      ['store', 'tool', 'echo', true],
      ['store', 'resource', 'res://a', true],
      ['store', 'prompt', 'p', true],
      ['store', 'completion', 'item://{id}', true],
      ['store', 'logging', 'info', true],
      ['store', 'subscription', 'res://a', true],
      ['store', 'resource', 'res://bad', false],
    ]);
    expect(completed.at(-1)!.errorCode).toBe('ServerError');
    for (const event of completed) expect(typeof event.requestId).toBe('string');
  });
});
