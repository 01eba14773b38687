import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { connectClient, setup, teardown } from '../gateway/upstream.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
import { CALLER, CALLER_TRACEPARENT, registerSdk, traceparentOf } from '../traces/otel.js';

/** Review of issue 23 part 5: traces at the edges (malformed context, secrets never in spans, search mode through the gateway). */

const SECRET = 'review23-never-in-a-span-7Hq';
const sdk = registerSdk();
afterAll(() => sdk.stop());

const metas: Record<string, unknown>[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await teardown();
  metas.length = 0;
  sdk.reset();
});

function traced() {
  return async () => {
    const mcp = new McpServer({ name: 'traced', version: '1.0.0' });
    mcp.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }, extra) => {
      const { progressToken: _t, ...meta } = extra._meta ?? {};
      metas.push(meta);
      return { content: [{ type: 'text', text: `result ${text} ${SECRET}` }], structuredContent: { secret: SECRET } };
    });
    mcp.registerTool('boom', { description: 'Throws' }, async () => {
      throw new Error(`boom with ${SECRET}`);
    });
    const [client, server] = InMemoryTransport.createLinkedPair();
    await mcp.connect(server);
    return client;
  };
}

async function started(): Promise<Switchboard> {
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } } as never, { transports: { s: traced() } });
  cleanups.push(() => sb.stop());
  await sb.start();
  return sb;
}

const callSpans = () => sdk.spans().filter((s) => s.name.startsWith('tools/call'));
const noSecretIn = (span: { attributes: unknown; events: unknown; status: unknown; name: string }) => {
  expect(JSON.stringify([span.name, span.attributes, span.events, span.status])).not.toContain(SECRET);
};

describe('review23: trace context from meta', () => {
  it('a malformed traceparent is ignored: the span is a root, and the server receives the span\'s own valid traceparent', async () => {
    const sb = await started();
    for (const bad of ['garbage', '00-zzzz-yyyy-01', `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`, `ff-${CALLER.traceId}-${CALLER.spanId}-01`]) {
      sdk.reset();
      metas.length = 0;
      await sb.callTool('s__echo', { text: 'x' }, { meta: { traceparent: bad } });
      const [span] = callSpans();
      expect(span!.parentSpanContext, bad).toBeUndefined();
      expect(metas[0]!.traceparent, bad).toBe(traceparentOf(span!));
    }
  });

  it('a traceparent of a non-string type neither throws nor becomes a parent', async () => {
    const sb = await started();
    await sb.callTool('s__echo', { text: 'x' }, { meta: { traceparent: 42 as never } });
    const [span] = callSpans();
    expect(span!.parentSpanContext).toBeUndefined();
    expect(metas[0]!.traceparent).toBe(traceparentOf(span!));
  });

  it('a caller tracestate rides along with the caller traceparent', async () => {
    const sb = await started();
    await sb.callTool('s__echo', { text: 'x' }, { meta: { traceparent: CALLER_TRACEPARENT, tracestate: 'vendor=abc' } });
    const [span] = callSpans();
    expect(span!.spanContext().traceId).toBe(CALLER.traceId);
    expect(metas[0]!.tracestate).toBe('vendor=abc');
  });
});

describe('review23: never arguments, results or header values in a span', () => {
  it('arguments, text results, structuredContent and a thrown error message stay out of span attributes, events and status', async () => {
    const sb = await started();
    await sb.callTool('s__echo', { text: SECRET });
    const boom = await sb.callTool('s__boom', {}).catch((e: unknown) => e);
    void boom;
    const spans = callSpans();
    expect(spans.length).toBe(2);
    for (const span of spans) noSecretIn(span);
    const failed = spans.find((s) => s.name === 'tools/call boom')!;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes['error.type']).toBeDefined();
  });

  it('per-call header values never appear in spans (http server)', async () => {
    const up = await startV2HttpServer('h');
    cleanups.push(() => up.close());
    const sb = createSwitchboard({ servers: { h: { url: up.url } }, defaults: { health: { intervalMs: 0 } } } as never);
    cleanups.push(() => sb.stop());
    await sb.start();
    await sb.callTool('whoami', {}, { headers: { 'X-User-Token': SECRET } });
    await sb.callTool('whoami', {}, { headers: { 'X-User-Token': `${SECRET}\r\n` } }).catch(() => undefined);
    for (const span of sdk.spans()) noSecretIn(span);
  });

  it('a call refused before it is sent (unknown tool) still ends any span it opened with an error code', async () => {
    const sb = await started();
    const error = (await sb.callTool('s__nosuch', {}).catch((e: unknown) => e)) as { code: string };
    expect(error.code).toBe('ToolNotFound');
    for (const span of callSpans()) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('ToolNotFound');
    }
  });
});

describe('review23: through a search-mode gateway', () => {
  it('call_tool with a downstream traceparent parents the upstream call span, like a direct call', async () => {
    const { gateway } = await setup({ config: { gateway: { catalog: 'search' } } });
    const client = await connectClient(gateway);
    const result = await client.callTool({ name: 'call_tool', arguments: { name: 'up__echo', arguments: { text: SECRET } }, _meta: { traceparent: CALLER_TRACEPARENT } });
    expect(result.isError).toBeFalsy();
    const span = sdk.spans().find((s) => s.name === 'tools/call echo')!;
    expect(span).toBeDefined();
    expect(span.parentSpanContext).toMatchObject({ traceId: CALLER.traceId, spanId: CALLER.spanId, isRemote: true });
    noSecretIn(span);
  });

  it('a downstream malformed traceparent is ignored (new trace), the call still works', async () => {
    const { gateway } = await setup();
    const client = await connectClient(gateway);
    const result = await client.callTool({ name: 'up__echo', arguments: { text: 'x' }, _meta: { traceparent: 'not-a-traceparent' } });
    expect(result.isError).toBeFalsy();
    const span = sdk.spans().find((s) => s.name === 'tools/call echo')!;
    expect(span.parentSpanContext).toBeUndefined();
  });

  it('search_tools itself makes no upstream call span', async () => {
    const { gateway } = await setup({ config: { gateway: { catalog: 'search' } } });
    const client = await connectClient(gateway);
    await client.callTool({ name: 'search_tools', arguments: { query: SECRET } });
    expect(callSpans()).toEqual([]);
    for (const span of sdk.spans()) noSecretIn(span);
  });
});
