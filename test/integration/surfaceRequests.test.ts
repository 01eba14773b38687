import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { RootsListChangedNotificationSchema, type CreateMessageResult, type ElicitResult, type Root } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { createSwitchboard, type Switchboard, type SwitchboardOptions } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';

/**
 * Server → client requests through `createSwitchboard(config, { handlers })` (DESIGN §10): an SDK
 * McpServer asks for sampling, elicitation and roots during a tool call; the handlers answer and
 * learn which server asked; capabilities are declared only for given handlers and withheld per
 * server by config; a throwing or late handler answers with a JSON-RPC error and the session goes
 * on; elicitation defaults (SEP-1034) are applied; `setRoots` notifies the servers.
 */

const SCHEMA = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const, default: 'anon' }, age: { type: 'number' as const, default: 30 }, subscribe: { type: 'boolean' as const, default: true } },
};

interface Probe {
  rootsChanged: Record<string, number>;
}

/** A server whose tool `ask` makes one server → client request and answers with its outcome as JSON. */
function asker(name: string, probe: Probe): () => Promise<Transport> {
  return async () => {
    const server = new McpServer({ name, version: '1.0.0' });
    const outcome = async (request: () => Promise<unknown>) => {
      try {
        return { content: [{ type: 'text' as const, text: JSON.stringify({ ok: await request() }) }] };
      } catch (error) {
        const { code, message } = error as { code?: number; message: string };
        return { content: [{ type: 'text' as const, text: JSON.stringify({ error: { code, message } }) }] };
      }
    };
    server.registerTool('ask', { inputSchema: { what: z.enum(['sampling', 'elicitation', 'roots', 'capabilities']) } }, async ({ what }) =>
      outcome(async () => {
        if (what === 'sampling') return server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 });
        if (what === 'elicitation') return server.server.elicitInput({ message: 'Who are you?', requestedSchema: SCHEMA });
        if (what === 'roots') return server.server.listRoots();
        return server.server.getClientCapabilities() ?? {};
      }),
    );
    server.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
      probe.rootsChanged[name] = (probe.rootsChanged[name] ?? 0) + 1;
    });
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    return client;
  };
}

const boards: Switchboard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((sb) => sb.stop()));
});

/** `asker` with every handler given, `mute` with sampling withheld by config. */
async function setup(handlers: SwitchboardOptions['handlers'], extra: { clock?: SimulatedClock; callMs?: number } = {}) {
  const probe: Probe = { rootsChanged: {} };
  const config = {
    // `mute` is configured (for its capabilities) and gets its transport from `transports`.
    servers: { mute: { transport: 'stdio' as const, command: 'unused', capabilities: { sampling: false } } },
    defaults: { health: { intervalMs: 0 }, timeouts: { callMs: extra.callMs ?? 5_000 } },
  };
  const sb = createSwitchboard(config, { handlers, ...(extra.clock ? { clock: extra.clock } : {}), transports: { asker: asker('asker', probe), mute: asker('mute', probe) } });
  boards.push(sb);
  await sb.start();
  expect(sb.getServer('asker')!.state).toBe('connected');
  expect(sb.getServer('mute')!.state).toBe('connected');
  return { sb, probe };
}

/** Calls `ask` on a server and parses the outcome. */
async function ask(sb: Switchboard, server: string, what: string, timeoutMs?: number): Promise<{ ok?: any; error?: { code?: number; message: string } }> {
  const result = await sb.callTool('ask', { what }, { server, ...(timeoutMs ? { timeoutMs } : {}) });
  return JSON.parse((result.content[0] as { text: string }).text);
}

const REPLY: CreateMessageResult = { role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'test-model' };
const ROOTS: Root[] = [{ uri: 'file:///one', name: 'one' }];

describe('server → client requests', () => {
  it('answers sampling through the handler, which learns the server that asked', async () => {
    const seen: { server: string; text: unknown }[] = [];
    const { sb } = await setup({
      sampling: async (params, ctx) => {
        seen.push({ server: ctx.server, text: (params.messages[0]!.content as { text: string }).text });
        return REPLY;
      },
    });
    expect(await ask(sb, 'asker', 'sampling')).toEqual({ ok: REPLY });
    expect(seen).toEqual([{ server: 'asker', text: 'hi' }]);
  });

  it('declares only the capabilities whose handlers exist, and withholds one per server by config', async () => {
    const { sb } = await setup({ sampling: async () => REPLY, elicitation: async () => ({ action: 'decline' }), roots: ROOTS });
    const asked = (await ask(sb, 'asker', 'capabilities')).ok;
    expect(asked).toMatchObject({ sampling: {}, elicitation: { form: { applyDefaults: true } }, roots: { listChanged: true } });
    const muted = (await ask(sb, 'mute', 'capabilities')).ok;
    expect(muted).not.toHaveProperty('sampling');
    expect(muted).toMatchObject({ elicitation: { form: { applyDefaults: true } }, roots: { listChanged: true } });
    // No sampling handler on `mute`: the request fails, and the session goes on.
    const refused = await ask(sb, 'mute', 'sampling');
    expect(refused.error?.code).toBe(-32601);
    expect((await ask(sb, 'mute', 'roots')).ok).toEqual({ roots: ROOTS });
  });

  it('declares nothing for handlers not given: a server asking for them fails', async () => {
    const { sb } = await setup({ sampling: async () => REPLY });
    const caps = (await ask(sb, 'asker', 'capabilities')).ok;
    expect(caps).toHaveProperty('sampling');
    expect(caps).not.toHaveProperty('elicitation');
    expect(caps).not.toHaveProperty('roots');
    expect((await ask(sb, 'asker', 'elicitation')).error).toBeDefined();
    expect((await ask(sb, 'asker', 'roots')).error?.code).toBe(-32601);
  });

  it('answers a throwing handler with a JSON-RPC error and serves the next request', async () => {
    let calls = 0;
    const { sb } = await setup({
      sampling: async () => {
        if (++calls === 1) throw new Error('model unavailable');
        return REPLY;
      },
    });
    const failed = await ask(sb, 'asker', 'sampling');
    expect(failed.error).toMatchObject({ code: -32603 });
    expect(failed.error!.message).toContain('model unavailable');
    expect(await ask(sb, 'asker', 'sampling')).toEqual({ ok: REPLY });
    expect(sb.getServer('asker')!.state).toBe('connected');
  });

  it('answers a handler that runs past timeouts.callMs with an error and aborts its signal (simulated clock)', async () => {
    const clock = new SimulatedClock();
    const signals: AbortSignal[] = [];
    const { sb } = await setup(
      {
        sampling: (_params, ctx) => {
          signals.push(ctx.signal);
          // The first request never answers; the second does.
          return signals.length === 1 ? new Promise(() => undefined) : Promise.resolve(REPLY);
        },
      },
      { clock, callMs: 1_000 },
    );
    const late = ask(sb, 'asker', 'sampling', 10_000);
    await until(() => signals.length === 1, 5_000, 'the sampling request');
    clock.increment(999);
    await new Promise((r) => setImmediate(r));
    expect(signals[0]!.aborted).toBe(false);
    clock.increment(1);
    const outcome = await late;
    expect(outcome.error?.code).toBe(-32001);
    expect(outcome.error!.message).toContain('timed out');
    expect(signals[0]!.aborted).toBe(true);
    expect(await ask(sb, 'asker', 'sampling', 10_000)).toEqual({ ok: REPLY });
  });

  it('fills the fields an elicitation handler leaves out from the schema defaults (SEP-1034)', async () => {
    const answers: ElicitResult[] = [{ action: 'accept', content: { name: 'Ada' } }, { action: 'accept' }, { action: 'decline' }];
    const seen: { server: string; mode: unknown; message: string }[] = [];
    const { sb } = await setup({
      elicitation: async (params, ctx) => {
        seen.push({ server: ctx.server, mode: params.mode, message: params.message });
        return answers.shift()!;
      },
    });
    expect((await ask(sb, 'asker', 'elicitation')).ok).toEqual({ action: 'accept', content: { name: 'Ada', age: 30, subscribe: true } });
    expect((await ask(sb, 'mute', 'elicitation')).ok).toEqual({ action: 'accept', content: { name: 'anon', age: 30, subscribe: true } });
    expect((await ask(sb, 'asker', 'elicitation')).ok).toEqual({ action: 'decline' });
    expect(seen).toEqual([
      { server: 'asker', mode: 'form', message: 'Who are you?' },
      { server: 'mute', mode: 'form', message: 'Who are you?' },
      { server: 'asker', mode: 'form', message: 'Who are you?' },
    ]);
  });

  it('gives roots from a function that learns the server', async () => {
    const { sb } = await setup({ roots: ({ server }) => [{ uri: `file:///${server}` }] });
    expect((await ask(sb, 'asker', 'roots')).ok).toEqual({ roots: [{ uri: 'file:///asker' }] });
    expect((await ask(sb, 'mute', 'roots')).ok).toEqual({ roots: [{ uri: 'file:///mute' }] });
  });

  it('replaces the roots with setRoots, notifies every server and answers the next roots/list with them', async () => {
    const { sb, probe } = await setup({ roots: ROOTS });
    expect((await ask(sb, 'asker', 'roots')).ok).toEqual({ roots: ROOTS });
    const next: Root[] = [{ uri: 'file:///two', name: 'two' }, { uri: 'file:///three' }];
    sb.setRoots(next);
    await until(() => probe.rootsChanged.asker === 1 && probe.rootsChanged.mute === 1, 5_000, 'roots list_changed on both servers');
    expect((await ask(sb, 'asker', 'roots')).ok).toEqual({ roots: next });
    expect((await ask(sb, 'mute', 'roots')).ok).toEqual({ roots: next });
    // The switchboard keeps its own copy: changing the array given does not change the roots.
    next.pop();
    expect((await ask(sb, 'asker', 'roots')).ok.roots).toHaveLength(2);
  });
});
