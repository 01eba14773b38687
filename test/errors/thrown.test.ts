import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import {
  AmbiguousPromptError, AmbiguousResourceError, AmbiguousToolError, CancelledError, ConfigError, createSwitchboard, ERROR_CLASSES,
  isSwitchboardError, ProtocolError, ServerNotFoundError, ServerUnavailableError, ToolCallTimeoutError, ToolNotFoundError,
  type ErrorCode, type Switchboard, type SwitchboardErrorOf,
} from '../../src/index.js';
import { failWithProtocolError, until } from '../helpers/switchboard.js';

/**
 * Errors thrown by the real library (a switchboard over SDK McpServers in memory) are instances of
 * their code's class with its fields set, wherever in the runtime they were built: routing,
 * config, admission, the pending-call table, the protocol failure path. Time is a SimulatedClock.
 */

interface Upstream {
  /** Every connect attempt fails while set. */
  refuse: boolean;
  /** The server of the last connect. */
  server: McpServer | null;
  /** Tool calls to `hang` in flight. */
  hanging: number;
}

/** A factory of connections to an McpServer with a tool, a prompt and a resource that every upstream shares. */
function upstream(name: string, probe: Upstream) {
  return async () => {
    if (probe.refuse) throw new Error(`${name} refuses to connect`);
    const server = new McpServer({ name, version: '1.0.0' });
    server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    server.registerTool('boom', {}, async () => ({ content: [] }));
    server.registerTool('hang', {}, async (extra) => {
      probe.hanging++;
      await new Promise((resolve) => extra.signal.addEventListener('abort', resolve));
      return { content: [] };
    });
    server.registerPrompt('greet', {}, async () => ({ messages: [{ role: 'user', content: { type: 'text', text: `hello from ${name}` } }] }));
    server.registerResource('shared', 'mem://shared', {}, async (uri) => ({ contents: [{ uri: uri.href, text: name }] }));
    failWithProtocolError(server, 'boom');
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    probe.server = server;
    return client;
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

/** Two servers, `a` and `b`, with the same tool, prompt and resource; connected. */
async function twoServers() {
  const clock = new SimulatedClock();
  const probes = { a: { refuse: false, server: null, hanging: 0 } as Upstream, b: { refuse: false, server: null, hanging: 0 } as Upstream };
  const sb = createSwitchboard(
    {
      servers: {},
      defaults: {
        health: { intervalMs: 0 },
        reconnect: { baseMs: 4_000, minMs: 4_000, maxMs: 4_000 },
        // Refuse at once instead of waiting for the reconnect: this file is about what is thrown.
        admission: { waitForReconnectMs: 0 },
      },
    },
    { clock, random: () => 0.5, transports: { a: upstream('a', probes.a), b: upstream('b', probes.b) } },
  );
  boards.push(sb);
  await sb.start();
  expect(sb.listServers().map((s) => s.state)).toEqual(['connected', 'connected']);
  return { sb, clock, probes };
}

/** The rejection of `promise`, checked to be a switchboard error with `code` (narrowed to its class). */
async function rejection<C extends ErrorCode>(promise: Promise<unknown>, code: C): Promise<SwitchboardErrorOf<C>> {
  const error = await promise.then(() => expect.unreachable(`expected ${code}`), (e: unknown) => e);
  expect(error).toBeInstanceOf(ERROR_CLASSES[code]);
  if (!isSwitchboardError(error, code)) return expect.unreachable(`expected ${code}, got ${String(error)}`);
  return error;
}

/** The error `fn` throws synchronously. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected a throw');
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('errors thrown by the library', () => {
  it('throws AmbiguousToolError with the servers for a bare tool name on two servers', async () => {
    const { sb } = await twoServers();
    const error = await rejection(sb.callTool('echo', { text: 'x' }), 'AmbiguousTool');
    expect(error).toBeInstanceOf(AmbiguousToolError);
    expect(error.servers).toEqual(['a', 'b']);
    expect(error.name).toBe('AmbiguousToolError');
  });

  it('throws AmbiguousPromptError and AmbiguousResourceError with the servers', async () => {
    const { sb } = await twoServers();
    const prompt = await rejection(sb.getPrompt('greet'), 'AmbiguousPrompt');
    expect(prompt).toBeInstanceOf(AmbiguousPromptError);
    expect(prompt.servers).toEqual(['a', 'b']);
    const resource = await rejection(sb.readResource('mem://shared'), 'AmbiguousResource');
    expect(resource).toBeInstanceOf(AmbiguousResourceError);
    expect(resource.servers).toEqual(['a', 'b']);
  });

  it('throws ConfigError with every issue for a bad config and a bad added server', async () => {
    const bad = thrownBy(() => createSwitchboard({ servers: { files: { command: 42 as unknown as string }, web: { url: 'ftp://x' } } }));
    expect(bad).toBeInstanceOf(ConfigError);
    if (!isSwitchboardError(bad, 'ConfigError')) return expect.unreachable('a ConfigError');
    expect(bad.issues.map((i) => i.path)).toEqual(['servers.files.command', 'servers.web.url']);
    const { sb } = await twoServers();
    const added = thrownBy(() => sb.addServer('c', { url: 'https://user:pw@example.com/mcp' }));
    expect(added).toBeInstanceOf(ConfigError);
    expect((added as ConfigError).issues).toEqual([{ path: 'servers.c.url', message: expect.stringMatching(/credentials/) }]);
  });

  it('throws ServerUnavailableError with retryAfterMs for a call to a server that is backing off', async () => {
    const { sb, probes } = await twoServers();
    probes.a.refuse = true;
    await probes.a.server!.close();
    await until(() => sb.getServer('a')!.state === 'disconnected', 5_000, 'server a to back off');
    const error = await rejection(sb.callTool('a__echo', { text: 'x' }), 'ServerUnavailable');
    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect(error.retryAfterMs).toBe(4_000);
    expect(error.message).toMatch(/server "a" is not connected/);
  });

  it('throws the code\'s class from the call table, the protocol path and routing', async () => {
    const { sb, clock, probes } = await twoServers();
    const timedOut = rejection(sb.callTool('a__hang', {}, { timeoutMs: 1_000 }), 'ToolCallTimeout');
    await until(() => probes.a.hanging === 1, 5_000, 'the call to reach a');
    clock.increment(1_000);
    await settle();
    expect(await timedOut).toBeInstanceOf(ToolCallTimeoutError);

    const controller = new AbortController();
    const cancelled = rejection(sb.callTool('b__hang', {}, { signal: controller.signal }), 'Cancelled');
    await until(() => probes.b.hanging === 1, 5_000, 'the call to reach b');
    controller.abort();
    expect(await cancelled).toBeInstanceOf(CancelledError);

    expect(await rejection(sb.callTool('a__boom'), 'ProtocolError')).toBeInstanceOf(ProtocolError);
    expect(await rejection(sb.callTool('nothing'), 'ToolNotFound')).toBeInstanceOf(ToolNotFoundError);
    expect(await rejection(sb.callTool('echo', {}, { server: 'zz' }), 'ServerNotFound')).toBeInstanceOf(ServerNotFoundError);
  });
});
