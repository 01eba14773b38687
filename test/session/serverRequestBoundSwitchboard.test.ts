import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { Blocker, refused, registerFlood, type FloodProbe } from './serverRequestFlood.js';

/**
 * The bound on server → client requests through `createSwitchboard(config, { handlers })`: a
 * server floods sampling during one tool call; the embedder's handler runs at most 4 at once
 * (`limits.maxServerRequests`), 16 wait (`limits.maxServerRequestQueue`), the rest are refused.
 */

const boards: Switchboard[] = [];
const servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
  await Promise.all(servers.splice(0).map((mcp) => mcp.close()));
});

/** A fresh flooding McpServer per connect, reporting into `probe`. */
function flooder(probe: FloodProbe): () => Promise<Transport> {
  return async () => {
    const mcp = new McpServer({ name: 'flooder', version: '1.0.0' });
    servers.push(mcp);
    registerFlood(mcp, probe);
    const [client, server] = InMemoryTransport.createLinkedPair();
    await mcp.connect(server);
    return client;
  };
}

describe('bounded server → client requests through the switchboard', () => {
  it('runs the sampling handler at most 4 times at once and refuses past 16 queued by default', async () => {
    const blocker = new Blocker();
    const probe: FloodProbe = { ok: 0, errors: {} };
    const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 }, timeouts: { callMs: 60_000 } } }, {
      handlers: { sampling: blocker.handlers.sampling! },
      transports: { flooder: flooder(probe) },
    });
    boards.push(sb);
    await sb.start();
    const call = sb.callTool('flood', { n: 500, kinds: ['sampling'] }, { server: 'flooder' });
    await until(() => refused(probe) === 480, 20_000, 'the requests past the queue to be refused');
    expect(blocker.started).toHaveLength(4);
    for (let i = 0; i < 20; i += 1) {
      await until(() => blocker.started.length > i, 10_000, `handler ${i} to start`);
      blocker.started[i]!.release();
    }
    await call;
    expect(probe).toEqual({ ok: 20, errors: { '-32603 MCP error -32603: too many concurrent server requests (4 running, 16 queued)': 480 } });
    expect(blocker.max).toBe(4);
    expect(blocker.started.map((run) => run.label)).toEqual(Array.from({ length: 20 }, (_, i) => `#${i}`));
  });
});
