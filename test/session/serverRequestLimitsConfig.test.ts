import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { Blocker, refused, registerFlood, type FloodProbe } from './serverRequestFlood.js';

/**
 * `limits.maxServerRequests` and `limits.maxServerRequestQueue` from config (in `defaults` or on
 * one server) bound that server's server → client requests.
 */

const boards: Switchboard[] = [];
const servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
  await Promise.all(servers.splice(0).map((mcp) => mcp.close()));
});

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

/** Floods `server` with `n` sampling requests, releases the admitted ones, returns what ran. */
async function flood(sb: Switchboard, blocker: Blocker, probe: FloodProbe, server: string, n: number, admitted: number) {
  const before = blocker.started.length;
  const call = sb.callTool('flood', { n, kinds: ['sampling'] }, { server });
  // Settled by sb.stop() when the test fails early: not an unhandled rejection on top.
  call.catch(() => undefined);
  await until(() => refused(probe) === n - admitted, 20_000, `the requests to ${server} past its queue to be refused`);
  const runningAtOnce = blocker.started.length - before;
  for (let i = before; i < before + admitted; i += 1) {
    await until(() => blocker.started.length > i, 10_000, `handler ${i} to start`);
    blocker.started[i]!.release();
  }
  await call;
  return { runningAtOnce, servers: new Set(blocker.started.slice(before).map((run) => run.ctx!.server)) };
}

describe('configured bounds on server → client requests', () => {
  it('takes maxServerRequests and maxServerRequestQueue from defaults and from the server', async () => {
    const blocker = new Blocker();
    const own: FloodProbe = { ok: 0, errors: {} };
    const inherited: FloodProbe = { ok: 0, errors: {} };
    const config = {
      servers: { own: { transport: 'stdio' as const, command: 'unused', limits: { maxServerRequests: 2, maxServerRequestQueue: 1 } } },
      defaults: { health: { intervalMs: 0 }, timeouts: { callMs: 60_000 }, limits: { maxServerRequests: 3, maxServerRequestQueue: 0 } },
    };
    const sb = createSwitchboard(config, {
      handlers: { sampling: blocker.handlers.sampling! },
      transports: { own: flooder(own), inherited: flooder(inherited) },
    });
    boards.push(sb);
    await sb.start();

    expect(await flood(sb, blocker, own, 'own', 40, 3)).toEqual({ runningAtOnce: 2, servers: new Set(['own']) });
    expect(own).toEqual({ ok: 3, errors: { '-32603 MCP error -32603: too many concurrent server requests (2 running, 1 queued)': 37 } });

    expect(await flood(sb, blocker, inherited, 'inherited', 40, 3)).toEqual({ runningAtOnce: 3, servers: new Set(['inherited']) });
    expect(inherited).toEqual({ ok: 3, errors: { '-32603 MCP error -32603: too many concurrent server requests (3 running, 0 queued)': 37 } });
    expect(blocker.max).toBe(3);
  });
});
