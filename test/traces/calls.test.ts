import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { CALLER, CALLER_TRACEPARENT, registerSdk, traceparentOf } from './otel.js';

/**
 * Spans of calls, connects and reconnects through a registered SDK (in-memory exporter), against a
 * real SDK McpServer over the in-memory transport; the server's handler reads the `_meta` it got.
 */

const SECRET_ARG = 'argument-value-never-traced';

interface Probe {
  metas: Record<string, unknown>[];
  /** Closes the server side of the live connection (a killed server). */
  kill?: () => Promise<void>;
  hangs: (() => void)[];
}

function server(probe: Probe) {
  return async () => {
    const mcp = new McpServer({ name: 'traced', version: '1.0.0' });
    mcp.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }, extra) => {
      const { progressToken: _token, ...meta } = extra._meta ?? {};
      probe.metas.push(meta);
      return { content: [{ type: 'text', text }] };
    });
    mcp.registerTool('fail', { description: 'A tool error', inputSchema: { text: z.string() } }, async () => ({ isError: true, content: [{ type: 'text', text: 'no' }] }));
    mcp.registerTool('hang', { description: 'Never answers' }, async () => {
      await new Promise<void>((resolve) => probe.hangs.push(resolve));
      return { content: [] };
    });
    mcp.registerPrompt('greet', { description: 'Greets', argsSchema: { who: z.string() } }, async ({ who }, extra) => {
      const { progressToken: _token, ...meta } = extra._meta ?? {};
      probe.metas.push(meta);
      return { messages: [{ role: 'user', content: { type: 'text', text: `hello ${who}` } }] };
    });
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    probe.kill = () => serverSide.close();
    return client;
  };
}

const sdk = registerSdk();
afterAll(() => sdk.stop());

let sb: Switchboard;
let probe: Probe;
let clock: SimulatedClock;
afterEach(async () => {
  for (const finish of probe.hangs) finish();
  await sb.stop();
  sdk.reset();
});

async function start(): Promise<void> {
  clock = new SimulatedClock();
  probe = { metas: [], hangs: [] };
  sb = createSwitchboard(
    { servers: {}, defaults: { health: { intervalMs: 0 }, timeouts: { callMs: 1_000 }, reconnect: { baseMs: 10, minMs: 10, maxMs: 10 } } },
    { clock, transports: { s: server(probe) } },
  );
  await sb.start();
}

const callSpans = () => sdk.spans().filter((s) => s.name.startsWith('tools/call'));
const noArgumentIn = (span: { attributes: Record<string, unknown> }) => expect(JSON.stringify(span.attributes)).not.toContain(SECRET_ARG);

describe('call spans', () => {
  it('traces a successful call with its server, tool, era and outcome, and never its arguments', async () => {
    await start();
    await sb.callTool('s__echo', { text: SECRET_ARG });
    const [span] = callSpans();
    expect(callSpans()).toHaveLength(1);
    expect(span!.name).toBe('tools/call echo');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.instrumentationScope.name).toBe('mcp-switchboard');
    expect(span!.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'mcp_switchboard.server': 's',
      'mcp_switchboard.call.kind': 'tool',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'mcp_switchboard.era': 'legacy',
      'mcp.protocol.version': '2025-11-25',
      'mcp_switchboard.outcome': 'ok',
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    noArgumentIn(span!);
  });

  it('marks a tool error as ERROR with error.type tool_error', async () => {
    await start();
    const result = await sb.callTool('s__fail', { text: SECRET_ARG });
    expect(result.isError).toBe(true);
    const [span] = callSpans();
    expect(span!.attributes).toMatchObject({ 'gen_ai.tool.name': 'fail', 'mcp_switchboard.outcome': 'tool_error', 'error.type': 'tool_error' });
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tool_error' });
    noArgumentIn(span!);
  });

  it('marks a timed-out call as ERROR with its code', async () => {
    await start();
    const call = sb.callTool('s__hang', {});
    const settled = call.catch((error: unknown) => error);
    await until(() => probe.hangs.length === 1, 5_000, 'the call to reach the server');
    clock.increment(1_001);
    expect(await settled).toMatchObject({ code: 'ToolCallTimeout' });
    const [span] = callSpans();
    expect(span!.attributes).toMatchObject({ 'gen_ai.tool.name': 'hang', 'mcp_switchboard.outcome': 'error', 'error.type': 'ToolCallTimeout' });
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ToolCallTimeout' });
  });

  it('sends the call span context to the server in _meta.traceparent, beside the caller meta', async () => {
    await start();
    await sb.callTool('s__echo', { text: 'x' }, { meta: { 'example.com/tenant': 't1' } });
    const [span] = callSpans();
    expect(probe.metas).toEqual([{ 'example.com/tenant': 't1', traceparent: traceparentOf(span!) }]);
  });

  it('makes a traceparent the caller put in meta the parent of the call span, and sends the span instead', async () => {
    await start();
    await sb.callTool('s__echo', { text: 'x' }, { meta: { traceparent: CALLER_TRACEPARENT } });
    const [span] = callSpans();
    expect(span!.spanContext().traceId).toBe(CALLER.traceId);
    expect(span!.parentSpanContext).toMatchObject({ traceId: CALLER.traceId, spanId: CALLER.spanId, isRemote: true });
    expect(probe.metas[0]!.traceparent).toBe(traceparentOf(span!));
    expect(probe.metas[0]!.traceparent).not.toBe(CALLER_TRACEPARENT);
  });
});

describe('request spans', () => {
  it('traces a prompt by its name, never its arguments, and sends its context in _meta', async () => {
    await start();
    await sb.getPrompt('greet', { who: SECRET_ARG });
    const span = sdk.spans().find((s) => s.name === 'prompts/get greet')!;
    expect(span.attributes).toEqual({
      'mcp.method.name': 'prompts/get',
      'mcp_switchboard.server': 's',
      'mcp_switchboard.call.kind': 'prompt',
      'gen_ai.prompt.name': 'greet',
      'mcp_switchboard.era': 'legacy',
      'mcp.protocol.version': '2025-11-25',
      'mcp_switchboard.outcome': 'ok',
    });
    noArgumentIn(span);
    expect(probe.metas).toEqual([{ traceparent: traceparentOf(span) }]);
  });
});

describe('connect spans', () => {
  it('traces the first connect with its server, era and outcome', async () => {
    await start();
    const connects = sdk.spans().filter((s) => s.name === 'mcp_switchboard.connect');
    expect(connects).toHaveLength(1);
    expect(connects[0]!.parentSpanContext).toBeUndefined();
    expect(connects[0]!.attributes).toEqual({
      'mcp_switchboard.server': 's',
      'mcp_switchboard.attempt': expect.any(Number),
      'mcp_switchboard.outcome': 'connected',
      'mcp_switchboard.era': 'legacy',
      'mcp.protocol.version': '2025-11-25',
    });
    expect(sdk.spans().some((s) => s.name === 'mcp_switchboard.reconnect')).toBe(false);
  });

  it('traces the reconnect after the server was killed', async () => {
    await start();
    await probe.kill!();
    await until(() => sb.getServer('s')!.state !== 'connected', 5_000, 'the loss');
    for (let i = 0; i < 50 && sb.getServer('s')!.state !== 'connected'; i++) {
      clock.increment(20);
      for (let j = 0; j < 20; j++) await new Promise((r) => setImmediate(r));
    }
    await until(() => sdk.spans().some((s) => s.name === 'mcp_switchboard.reconnect'), 5_000, 'the reconnect span');
    const reconnect = sdk.spans().find((s) => s.name === 'mcp_switchboard.reconnect')!;
    expect(reconnect.attributes).toMatchObject({ 'mcp_switchboard.server': 's', 'mcp_switchboard.outcome': 'connected', 'mcp_switchboard.era': 'legacy' });
    expect(reconnect.status.code).toBe(SpanStatusCode.UNSET);
  });
});
