import { getEventListeners } from 'node:events';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortFanout } from '../../src/core/abortFanout.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { requestSignal } from '../../src/protocol/v1/requests.js';
import { until } from '../helpers/switchboard.js';

const CALLS = 150;

/** A server whose every tool call, resource read and prompt waits until `release()`; counts them. */
function heldServer() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const state = { received: 0, release };
  const transport = async () => {
    const server = new Server({ name: 'held', version: '1.0.0' }, { capabilities: { tools: {}, resources: {}, prompts: {} } });
    const hold = async <T>(answer: T) => {
      state.received++;
      await gate;
      return answer;
    };
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'hold', inputSchema: { type: 'object' as const } }] }));
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [{ uri: 'held://r', name: 'r' }] }));
    server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [{ name: 'hold' }] }));
    server.setRequestHandler(CallToolRequestSchema, () => hold({ content: [{ type: 'text' as const, text: 'ok' }] }));
    server.setRequestHandler(ReadResourceRequestSchema, () => hold({ contents: [{ uri: 'held://r', text: 'ok' }] }));
    server.setRequestHandler(GetPromptRequestSchema, () => hold({ messages: [] }));
    const [client, end] = InMemoryTransport.createLinkedPair();
    await server.connect(end);
    return client;
  };
  return { state, transport };
}

/** One caller signal shared by many calls carries one abort listener, and no warning reaches stderr. */
describe('one abort signal shared by many concurrent requests', () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  let sb: Switchboard | undefined;
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    await sb?.stop();
    sb = undefined;
  });
  const flushWarnings = () => new Promise((resolve) => setImmediate(resolve));
  const open = async () => {
    const held = heldServer();
    sb = createSwitchboard(
      { servers: {}, defaults: { limits: { maxConcurrentCalls: 256 }, timeouts: { callMs: 60_000 }, health: { intervalMs: 0 } } as never },
      { transports: { held: held.transport } },
    );
    await sb.start();
    return held;
  };
  /** Tool calls, resource reads and prompts, a third each, all on `signal`. */
  const burst = (s: Switchboard, signal: AbortSignal) =>
    Array.from({ length: CALLS }, (_, n) => {
      if (n % 3 === 0) return s.callTool('hold', {}, { signal });
      if (n % 3 === 1) return s.readResource('held://r', { server: 'held', signal });
      return s.getPrompt('hold', {}, { server: 'held', signal });
    }).map((p) => (p as Promise<unknown>).then(() => 'ok', (error: { code?: string }) => error.code));

  it(`cancels ${CALLS} calls on one signal with one listener on it, none after, and no warning`, async () => {
    const held = await open();
    const controller = new AbortController();
    const outcomes = burst(sb!, controller.signal);
    await until(() => held.state.received === CALLS, 10_000, 'every request at the server');
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
    controller.abort();
    expect(await Promise.all(outcomes)).toEqual(Array.from({ length: CALLS }, () => 'Cancelled'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await flushWarnings();
    expect(warnings).toEqual([]);
    held.state.release();
  });

  it(`leaves no listener on a shared signal once ${CALLS} calls on it were answered`, async () => {
    const held = await open();
    const controller = new AbortController();
    const outcomes = burst(sb!, controller.signal);
    await until(() => held.state.received === CALLS, 10_000, 'every request at the server');
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
    held.state.release();
    expect(await Promise.all(outcomes)).toEqual(Array.from({ length: CALLS }, () => 'ok'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await flushWarnings();
    expect(warnings).toEqual([]);
  });

  it('gives the children of one attempt signal (re-subscriptions, relistings, pings) one listener on it', async () => {
    const parent = new AbortController();
    const children = Array.from({ length: CALLS }, () => requestSignal(parent.signal));
    expect(getEventListeners(parent.signal, 'abort').length).toBeLessThanOrEqual(1);
    children[0]!.done();
    parent.abort(new Error('session closed'));
    expect(children.slice(1).every((c) => c.signal.aborted && (c.signal.reason as Error).message === 'session closed')).toBe(true);
    expect(children[0]!.signal.aborted).toBe(false);
    for (const child of children) child.done();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    const kept = new AbortController();
    const done = Array.from({ length: CALLS }, () => requestSignal(kept.signal).done);
    for (const leave of done) leave();
    expect(getEventListeners(kept.signal, 'abort')).toHaveLength(0);
    await flushWarnings();
    expect(warnings).toEqual([]);
  });

  it('runs each waiter once, also two waiters with the same callback, and none that left', async () => {
    const fanout = new AbortFanout();
    const controller = new AbortController();
    let runs = 0;
    const callback = () => runs++;
    fanout.join(controller.signal, callback);
    fanout.join(controller.signal, callback);
    fanout.join(controller.signal, callback)();
    controller.abort();
    expect(runs).toBe(2);
    fanout.join(controller.signal, callback);
    await Promise.resolve();
    expect(runs).toBe(3);
  });
});
