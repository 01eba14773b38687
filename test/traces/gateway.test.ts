import { afterAll, afterEach, expect, it } from 'vitest';
import { connectClient, setup, teardown } from '../gateway/upstream.js';
import { CALLER, CALLER_TRACEPARENT, registerSdk } from './otel.js';

/** Trace continuity across the gateway: a downstream request's `_meta.traceparent` parents the upstream call's span. */

const sdk = registerSdk();
afterAll(() => sdk.stop());
afterEach(async () => {
  await teardown();
  sdk.reset();
});

it('makes a downstream request traceparent the parent of the upstream call span', async () => {
  const { gateway } = await setup();
  const client = await connectClient(gateway);
  await client.callTool({ name: 'up__echo', arguments: { text: 'hi' }, _meta: { traceparent: CALLER_TRACEPARENT } });
  const span = sdk.spans().find((s) => s.name === 'tools/call echo')!;
  expect(span.attributes).toMatchObject({ 'mcp_switchboard.server': 'up', 'gen_ai.tool.name': 'echo', 'mcp_switchboard.outcome': 'ok' });
  expect(span.spanContext().traceId).toBe(CALLER.traceId);
  expect(span.parentSpanContext).toMatchObject({ traceId: CALLER.traceId, spanId: CALLER.spanId, isRemote: true });
});

it('starts a new trace for a downstream request without one', async () => {
  const { gateway } = await setup();
  const client = await connectClient(gateway);
  await client.callTool({ name: 'up__echo', arguments: { text: 'hi' } });
  const span = sdk.spans().find((s) => s.name === 'tools/call echo')!;
  expect(span.parentSpanContext).toBeUndefined();
  expect(span.spanContext().traceId).not.toBe(CALLER.traceId);
});
