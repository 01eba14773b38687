import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { CALLER_TRACEPARENT } from './otel.js';

/** With no OpenTelemetry SDK registered, tracing changes nothing a server receives. */

let sb: Switchboard | undefined;
afterEach(async () => {
  await sb?.stop();
});

async function start(metas: Record<string, unknown>[]): Promise<Switchboard> {
  const transport = async () => {
    const mcp = new McpServer({ name: 'plain', version: '1.0.0' });
    mcp.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }, extra) => {
      const { progressToken: _token, ...meta } = extra._meta ?? {};
      metas.push(meta);
      return { content: [{ type: 'text', text }] };
    });
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    return client;
  };
  sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } }, { transports: { s: transport } });
  await sb.start();
  return sb;
}

it('sends no traceparent of its own and passes the caller one unchanged', async () => {
  const metas: Record<string, unknown>[] = [];
  const board = await start(metas);
  await board.callTool('s__echo', { text: 'a' });
  await board.callTool('s__echo', { text: 'b' }, { meta: { traceparent: CALLER_TRACEPARENT, tracestate: 'k=v' } });
  expect(metas).toEqual([{}, { traceparent: CALLER_TRACEPARENT, tracestate: 'k=v' }]);
});
