import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { inMemoryServer, until } from '../helpers/switchboard.js';

/** A factory of in-memory transports to an McpServer built by `build` (one per connect attempt). */
function serverOf(build: () => McpServer) {
  return async () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    await build().connect(server);
    return client;
  };
}

/** A server whose tools answer with their own name; low-level handlers, so any name works (McpServer keeps tools in a plain object). */
function toolsServer(names: string[]): McpServer {
  const server = new McpServer({ name: 'named', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: names.map((name) => ({ name, inputSchema: { type: 'object' as const } })) }));
  server.server.setRequestHandler(CallToolRequestSchema, async (request) => ({ content: [{ type: 'text' as const, text: request.params.name }] }));
  return server;
}

const boards: Switchboard[] = [];
function open(...args: Parameters<typeof createSwitchboard>): Switchboard {
  const sb = createSwitchboard(...args);
  boards.push(sb);
  return sb;
}

afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

describe('seams of the switchboard', () => {
  it('keeps serving the other servers when a connection actor fails, and shows the failed one in error', async () => {
    const sb = open({ servers: {} }, { transports: { a: inMemoryServer('a'), b: inMemoryServer('b') } });
    const errors: unknown[] = [];
    sb.on('error', (e) => errors.push(e));
    await sb.start();
    const a = sb.actor.getSnapshot().children['server:a'] as AnyActorRef;
    // A malformed event makes an action of the connection machine throw: the actor fails.
    a.send({ type: 'catalog.listed', attemptId: a.getSnapshot().context.attemptId, catalog: null });
    await until(() => sb.getServer('a')!.state === 'error', 5_000, 'a in error');
    expect(sb.getServer('a')!.lastError).toMatchObject({ code: 'InternalError' });
    expect(sb.actor.getSnapshot().children['breaker:a']).toBeUndefined();
    expect(errors).toContainEqual(expect.objectContaining({ server: 'a' }));
    expect((await sb.callTool('whoami', {}, { server: 'b' })).content).toEqual([{ type: 'text', text: 'b' }]);
    await expect(sb.callTool('whoami', {}, { server: 'a' })).rejects.toMatchObject({ code: 'ServerUnavailable' });
    expect(sb.actor.getSnapshot().status).toBe('active');
    // reconnect() supervises the failed server afresh.
    sb.reconnect('a');
    await until(() => sb.getServer('a')!.state === 'connected', 5_000, 'a to reconnect');
    expect((await sb.callTool('whoami', {}, { server: 'a' })).content).toEqual([{ type: 'text', text: 'a' }]);
    expect(sb.getServer('a')!.breaker).toMatchObject({ state: 'closed' });
  });

  it('settles a call whose completion listener throws and reports the listener as an error event', async () => {
    const sb = open({ servers: {} }, { transports: { a: inMemoryServer('a') } });
    const errors: { error: { code: string } }[] = [];
    sb.on('call.completed', () => {
      throw new Error('listener bug');
    });
    sb.on('error', (e) => errors.push(e));
    sb.on('error', () => {
      throw new Error('error listener bug');
    });
    await sb.start();
    expect((await sb.callTool('echo', { text: 'hi' })).content).toEqual([{ type: 'text', text: 'hi' }]);
    await expect(sb.callTool('nope', {}, { server: 'a' })).rejects.toMatchObject({ code: 'ToolNotFound' });
    expect(errors.map((e) => e.error.code)).toContain('ListenerError');
  });

  it('gives colliding qualified names distinct hashed names that route to the right server', async () => {
    const sb = open({ servers: {} }, { transports: { s_: serverOf(() => toolsServer(['x'])), s: serverOf(() => toolsServer(['_x'])) } });
    await sb.start();
    const tools = sb.listTools();
    const names = tools.map((t) => t.qualifiedName);
    expect(new Set(names).size).toBe(2);
    expect(names).not.toContain('s___x');
    for (const tool of tools) {
      expect(tool.qualifiedName).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect((await sb.callTool(tool.qualifiedName)).content).toEqual([{ type: 'text', text: tool.name }]);
    }
    await expect(sb.callTool('s___x')).rejects.toMatchObject({ code: 'AmbiguousTool' });
  });

  it('treats prototype member names as ordinary server and tool names', async () => {
    const names = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];
    const sb = open({ servers: {} }, { transports: { toString: serverOf(() => toolsServer(names)) } });
    await sb.start();
    expect(sb.listTools('toString').map((t) => t.name).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect((await sb.callTool(name)).content).toEqual([{ type: 'text', text: name }]);
      expect((await sb.callTool(`toString__${name}`)).content).toEqual([{ type: 'text', text: name }]);
    }
    expect(sb.getServer('valueOf')).toBeUndefined();
    expect(sb.listTools('valueOf')).toEqual([]);
    expect(sb.getServer('toString')!.state).toBe('connected');
    await expect(sb.callTool('echo', {}, { server: 'constructor' })).rejects.toMatchObject({ code: 'ServerNotFound' });
    await expect(sb.health('hasOwnProperty')).rejects.toMatchObject({ code: 'ServerNotFound' });
  });

  it('refuses arguments that cannot be sent before admission, leaving the breaker untouched', async () => {
    const sb = open({ servers: {}, defaults: { breaker: { minimumNumberOfCalls: 1, slidingWindowSize: 1 } } }, { transports: { a: inMemoryServer('a') } });
    await sb.start();
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 100_000; i++) {
      const next = {};
      deep.a = next;
      deep = next;
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const args of [root, circular, { n: 10n }, { f: () => 1 }, { big: 'x'.repeat(11 * 1024 * 1024) }]) {
      await expect(sb.callTool('echo', args)).rejects.toMatchObject({ code: 'InvalidRequest' });
    }
    expect(sb.getServer('a')!.breaker).toMatchObject({ state: 'closed', bufferedCalls: 0 });
    // Arguments with a __proto__ key pass through as data.
    const raw = JSON.parse('{"text":"ok","__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect((await sb.callTool('echo', raw)).content).toEqual([{ type: 'text', text: 'ok' }]);
  });

  it('names the servers that are not connected when a tool is unknown', async () => {
    const sb = open({ servers: { gone: { transport: 'stdio', command: '/nonexistent/server' } } }, { transports: { a: inMemoryServer('a') } });
    await sb.start();
    await expect(sb.callTool('read_file')).rejects.toThrow(/not connected.*"gone"/);
  });

  it('ends a listing whose cursor repeats, keeps what it got and warns', async () => {
    const build = () => {
      const server = toolsServer(['looped']);
      server.server.setRequestHandler(ListToolsRequestSchema, async () => ({
        tools: [{ name: 'looped', inputSchema: { type: 'object' as const } }],
        nextCursor: 'same',
      }));
      return server;
    };
    const sb = open({ servers: {} }, { transports: { loop: serverOf(build) } });
    const logs: string[] = [];
    sb.on('server.log', (e) => logs.push(e.message));
    await sb.start();
    expect(sb.getServer('loop')!.state).toBe('connected');
    expect(sb.listTools('loop').map((t) => t.name)).toEqual(['looped']);
    expect(logs.some((m) => /repeated the cursor/.test(m))).toBe(true);
  });

  it('writes state changes, server logs and internal errors to the logger option, surviving a throwing logger', async () => {
    const lines: { level: string; message: string }[] = [];
    let calls = 0;
    const logger = {
      log(level: string, message: string) {
        lines.push({ level, message });
        if (++calls === 1) throw new Error('logger bug');
      },
    };
    const sb = open({ servers: {} }, { transports: { a: inMemoryServer('a') }, logger });
    await sb.start();
    expect((await sb.callTool('echo', { text: 'x' })).content).toEqual([{ type: 'text', text: 'x' }]);
    expect(lines.some((l) => l.level === 'info' && /"a" connecting -> connected/.test(l.message))).toBe(true);
  });
});
