import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { startEverything, type EverythingServer } from '../helpers/everything.js';
import { until } from '../helpers/switchboard.js';

/** A server whose tool `report` sends the progress values it is given, in order, then answers. */
function reportingServer() {
  return async () => {
    const server = new McpServer({ name: 'reporter', version: '1.0.0' });
    server.registerTool('report', { inputSchema: { values: z.array(z.number()) } }, async ({ values }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (const progress of values) {
        if (progressToken !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 4 } });
      }
      return { content: [{ type: 'text', text: 'reported' }] };
    });
    const [client, end] = InMemoryTransport.createLinkedPair();
    await server.connect(end);
    return client;
  };
}

/** What a caller's onProgress sees: strictly increasing values per call, whatever the server sends. */
describe('progress seen by the caller', () => {
  let sb: Switchboard | undefined;
  let everything: EverythingServer | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    await everything?.stop();
    everything = undefined;
  });

  it('passes on only progress that increases (duplicates and steps back are dropped)', async () => {
    sb = createSwitchboard({ servers: {} }, { transports: { mem: reportingServer() } });
    await sb.start();
    const seen: number[] = [];
    const result = await sb.callTool('report', { values: [1, 1, 2, 0.5, 2, 3, 3, 2.5, 4, 4] }, { onProgress: (p) => seen.push(p.progress) });
    expect(result.content).toEqual([{ type: 'text', text: 'reported' }]);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('gives the next call its progress once each after a cancelled call over streamable HTTP, without resuming the cancelled stream', async () => {
    // server-everything keeps an event store: the SDK client would resume the stream of the
    // cancelled call from its last event id, and that store replays every stream's events.
    everything = await startEverything('http');
    sb = createSwitchboard({ servers: { http: { transport: 'http', url: everything.url } } });
    await sb.start();
    const tool = 'trigger-long-running-operation';
    const controller = new AbortController();
    let firstProgress = false;
    const cancelled = sb.callTool(tool, { duration: 20, steps: 40 }, { signal: controller.signal, onProgress: () => void (firstProgress = true) }).catch((e: { code?: string }) => e.code);
    await until(() => firstProgress, 10_000, 'the first call to report progress');
    controller.abort();
    expect(await cancelled).toBe('Cancelled');
    // Steps of 0.6 s: the SDK's resumption (1 s after the stream ended) would replay the first one.
    const seen: string[] = [];
    await sb.callTool(tool, { duration: 2.4, steps: 4 }, { onProgress: (p) => seen.push(`${p.progress}/${p.total}`) });
    expect(seen).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(everything.output()).not.toContain('Last-Event-ID');
  });
});
