import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayRouter, type Gateway } from '../../src/gateway/index.js';
import { FirstLists, firstConnecting, ownersOf } from '../../src/gateway/firstList.js';
import { createSwitchboard, qualifiedName, type Switchboard } from '../../src/index.js';
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
/** A stdio server that exits `afterMs` after each start without ever answering (a server that crashes at start). */
const crashingServer = (afterMs: number) => ({ transport: 'stdio' as const, command: process.execPath, args: ['-e', `setTimeout(() => process.exit(1), ${afterMs})`] });

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

describe('what a wait waits for', () => {
  it('does not let a server that never starts slow calls to a connected server', async () => {
    const { sb, gateway } = start({ servers: { stuck: slowServer('stuck', 'never') }, gateway: { initialWaitMs: 20_000 } });
    await until(() => sb.getServer('up')!.state === 'connected', 10_000, 'up to connect');
    // No list first: each call below is the session's first request.
    const client = await connectDownstream('legacy', { kind: 'memory', gateway });
    const { value, ms } = await timed(async () => {
      const answers: unknown[] = [await client.callTool({ name: 'up__echo', arguments: { text: 'hi' } })];
      // Unknown names of a connected, listed server, of no server at all, bare: -32602 at once.
      for (const name of ['up__no_such_tool', 'nobody__echo', 'echo']) answers.push(await client.callTool({ name }).then(() => 'answered', (error: Error) => error.message));
      answers.push(await client.getPrompt({ name: 'up__no_such_prompt' }).then(() => 'answered', (error: Error) => error.message));
      return answers;
    });
    expect(value[0]).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
    expect(value.slice(1)).toEqual([
      expect.stringMatching(/-32602.*up__no_such_tool not found/),
      expect.stringMatching(/-32602.*nobody__echo not found/),
      expect.stringMatching(/-32602.*echo not found/),
      expect.stringMatching(/-32602.*up__no_such_prompt not found/),
    ]);
    expect(sb.getServer('stuck')!.state).toBe('connecting');
    // Five requests; one of them waiting for "stuck" would take gateway.initialWaitMs (20 s).
    expect(ms).toBeLessThan(5_000);
  }, 40_000);

  it('stops waiting for a server that crashes at start once its first attempt failed', async () => {
    const { sb, gateway } = start({ servers: { crash: crashingServer(1_000) }, gateway: { initialWaitMs: 20_000 } });
    const first = await connectDownstream('legacy', { kind: 'memory', gateway });
    expect(sb.getServer('crash')!.lastError).toBeNull();
    // The first list waits for the first attempt, and ends when it fails (not at initialWaitMs).
    const firstList = await timed(() => names(first));
    expect(firstList.value).toContain('up__echo');
    expect(sb.getServer('crash')!.lastError).not.toBeNull();
    expect(firstList.ms).toBeLessThan(15_000);
    // It keeps retrying and never connects: it is not starting any more, so nothing waits for it.
    const status = sb.getServer('crash')!;
    expect(['connecting', 'disconnected']).toContain(status.state);
    expect({ reconnects: status.reconnects, connectedAt: status.connectedAt }).toEqual({ reconnects: 0, connectedAt: null });
    expect(firstConnecting(status)).toBe(false);
    const later = await connectDownstream('legacy', { kind: 'memory', gateway });
    const { value, ms } = await timed(async () => [await names(later), await later.callTool({ name: 'crash__echo' }).then(() => 'answered', (error: Error) => error.message)]);
    expect(value[0]).toContain('up__echo');
    expect(value[1]).toMatch(/-32602.*crash__echo not found/);
    expect(ms).toBeLessThan(5_000);
    expect(sb.getServer('crash')!.connectedAt).toBeNull();
  }, 40_000);

  it("names a name's servers by their qualified names' prefix", () => {
    expect(ownersOf('up__echo', ['up', 'upper', 'stuck'])).toEqual(['up']);
    // Server names may end in "_": "s_" + "x" and "s" + "_x" both give "s___x".
    expect(ownersOf('s___x', ['s', 's_', 't'])).toEqual(['s', 's_']);
    // An unsafe server or tool name (a rename to "who.am.i") gives a hashed name under the cleaned server name.
    expect(ownersOf(qualifiedName('my.slow', 'who.am.i'), ['my.slow', 'my', 'slow'])).toEqual(['my.slow']);
    expect(ownersOf('echo', ['up', 'echo'])).toEqual([]);
    expect(ownersOf('nobody__echo', ['up'])).toEqual([]);
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
