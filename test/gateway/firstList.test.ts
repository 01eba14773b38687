import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayRouter, type Gateway } from '../../src/gateway/index.js';
import { FirstLists } from '../../src/gateway/firstList.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { CLI, toolsOnceListed, writeConfig } from '../helpers/service.js';
import { until } from '../helpers/switchboard.js';
import { closeDownstreams, connectDownstream, ERAS, type Downstream } from './eras.js';
import { newProbe, upstreamTransport } from './upstream.js';

/**
 * The gateway's first list waits for slow starts (DESIGN §18, issue 22): a host that lists once,
 * right after initialize, still sees a server that takes seconds to answer its initialize (a cold
 * `npx -y`). Real stdio servers that start late (slowStartServer.mjs) beside an in-memory one.
 */

const SLOW = fileURLToPath(new URL('./slowStartServer.mjs', import.meta.url));
const slowServer = (name: string, delay: number | 'never') => ({ transport: 'stdio' as const, command: process.execPath, args: [SLOW, name, String(delay)] });

const running: { sb: Switchboard; gateway: Gateway }[] = [];
afterEach(async () => {
  await closeDownstreams();
  for (const { sb, gateway } of running.splice(0)) {
    await gateway.close();
    await sb.stop();
  }
});

/** A switchboard (started, not waited for) with `servers` from config and `up` in memory, behind a gateway. */
function start(config: { servers: Record<string, unknown>; gateway?: Record<string, unknown> }): { sb: Switchboard; gateway: Gateway; config: Record<string, unknown> } {
  const router = createGatewayRouter();
  const full = { defaults: { health: { intervalMs: 0 } }, ...config };
  const sb = createSwitchboard(full as never, { transports: { up: upstreamTransport('up', newProbe()) }, handlers: router.handlers });
  const gateway = createGateway(sb, { router, listChangedDebounceMs: 10 });
  running.push({ sb, gateway });
  void sb.start();
  return { sb, gateway, config: full };
}

const names = async (client: Downstream) => (await client.listTools()).tools.map((t) => t.name);
const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
};

describe.each(ERAS)('the first list of a session (%s client)', (era) => {
  it('waits for a server that is still starting and lists its tools, ending when it connects', async () => {
    const { sb, gateway } = start({ servers: { slow: slowServer('slow', 2_500) } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    expect(sb.getServer('slow')!.state).not.toBe('connected');
    const { value, ms } = await timed(() => names(client));
    expect(value).toEqual(expect.arrayContaining(['slow__echo', 'slow__whoami', 'up__echo']));
    // Ended by the connect, not by gateway.initialWaitMs (15 s).
    expect(ms).toBeLessThan(12_000);
  });

  it('waits on a first resources list too, after which the tools are there', async () => {
    const { gateway } = start({ servers: { slow: slowServer('slow', 2_500) } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    await client.listResources();
    expect(await names(client)).toContain('slow__echo');
  });

  it('answers at gateway.initialWaitMs without a server that is not up, then later lists at once', async () => {
    const { sb, gateway } = start({ servers: { stuck: slowServer('stuck', 'never') }, gateway: { initialWaitMs: 1_500 } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const first = await timed(() => names(client));
    expect(first.value).toContain('up__echo');
    expect(first.value.some((n) => n.startsWith('stuck__'))).toBe(false);
    expect(first.ms).toBeGreaterThanOrEqual(1_400);
    expect(sb.getServer('stuck')!.state).toBe('connecting');
    const later = await timed(() => names(client));
    expect(later.value).toEqual(first.value);
    expect(later.ms).toBeLessThan(1_000);
  });

  it('answers at once with gateway.initialWaitMs 0; the late server follows with list_changed', async () => {
    const { gateway } = start({ servers: { slow: slowServer('slow', 2_500) }, gateway: { initialWaitMs: 0 } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    let changed = 0;
    await client.onToolsChanged(() => void changed++);
    const first = await timed(() => names(client));
    expect(first.value).not.toContain('slow__echo');
    expect(first.ms).toBeLessThan(1_000);
    await until(() => changed > 0, 20_000, 'list_changed for the late server');
    expect(await toolsOnceListed(client, 'slow__echo')).toContain('slow__echo');
  });

  it('ends the wait on a reload', async () => {
    const { sb, gateway, config } = start({ servers: { stuck: slowServer('stuck', 'never') }, gateway: { initialWaitMs: 60_000 } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    const listing = timed(() => names(client));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sb.reload(config as never);
    const { value, ms } = await listing;
    expect(value).toContain('up__echo');
    expect(ms).toBeLessThan(10_000);
  });

  it('lets a call to a tool of a server that is still starting wait for it', async () => {
    const { gateway } = start({ servers: { slow: slowServer('slow', 2_500) } });
    const client = await connectDownstream(era, { kind: 'memory', gateway });
    expect(await client.callTool({ name: 'slow__whoami' })).toMatchObject({ content: [{ type: 'text', text: 'slow' }] });
  });
});

describe('first-list waits', () => {
  it('end when the gateway closes or the request is cancelled', async () => {
    const { sb } = start({ servers: { stuck: slowServer('stuck', 'never') } });
    await until(() => sb.getServer('stuck')!.state === 'connecting' && sb.getServer('up')!.state === 'connected', 10_000, 'stuck to connect, up to be in');
    const first = new FirstLists(sb, () => 60_000, undefined);
    expect(first.pending(() => true)).toEqual(['stuck']);
    const controller = new AbortController();
    const cancelled = first.wait(() => true, controller.signal);
    controller.abort();
    expect(await cancelled).toBe(true);
    const closing = first.wait(() => true);
    first.close();
    expect(await closing).toBe(true);
    // Closed: a later wait does not wait at all.
    expect(await first.wait(() => true)).toBe(false);
  });

  it('do not wait for servers the session cannot see', async () => {
    const { sb } = start({ servers: { stuck: slowServer('stuck', 'never') } });
    await until(() => sb.getServer('stuck')!.state === 'connecting' && sb.getServer('up')!.state === 'connected', 10_000, 'stuck to connect, up to be in');
    const first = new FirstLists(sb, () => 60_000, undefined);
    expect(await first.wait((server) => server !== 'stuck')).toBe(false);
  });
});

describe('switchboard gateway with a server that starts in 5 s', () => {
  it('answers initialize at once and waits with its first tools/list until the server is in', async () => {
    const config = writeConfig(JSON.stringify({ servers: { slow: slowServer('slow', 5_000) }, defaults: { health: { intervalMs: 0 } } }));
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'gateway', '--config', config], stderr: 'pipe' });
    let stderr = '';
    transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'host', version: '1.0.0' });
    try {
      await client.connect(transport);
      const connectedAt = Date.now();
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['slow__echo', 'slow__whoami']));
      // initialize did not wait for the server; the list did.
      expect(Date.now() - connectedAt).toBeGreaterThan(1_000);
      expect(stderr).toMatch(/"msg":"gateway: serving MCP on stdio"/);
    } finally {
      await client.close();
    }
  });
});
