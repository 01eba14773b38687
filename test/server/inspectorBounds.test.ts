import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createInspector } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { assign, createActor, setup } from 'xstate';
import { createInspection, sanitizeContext, type Inspection } from '../../src/server/inspector.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { until } from '../helpers/switchboard.js';

const TOKEN = 'inspector-bounds-token-0123';
const TOOLS = 5000;

/** A server listing `count` tools (each with a description, as real catalogs have), answering every call. */
function catalogServer(count: number, serverName = 'big') {
  return async () => {
    const server = new Server({ name: serverName, version: '1.0.0' }, { capabilities: { tools: {} } });
    const tools = Array.from({ length: count }, (_, i) => ({ name: `tool_${i}`, description: `Tool number ${i} of a very large catalog`, inputSchema: { type: 'object' as const } }));
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
    server.setRequestHandler(CallToolRequestSchema, (request) => ({ content: [{ type: 'text', text: `called ${request.params.name}` }] }));
    const [client, end] = InMemoryTransport.createLinkedPair();
    await server.connect(end);
    return client;
  };
}

/** A viewer of the relay collecting every message; resolves once open. */
async function viewer(url: string): Promise<{ ws: WebSocket; messages: string[] }> {
  const messages: string[] = [];
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  ws.on('message', (data) => messages.push(data.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages };
}

const parsed = (messages: string[]) => messages.map((m) => JSON.parse(m) as { type: string; name?: string; definition?: string; snapshot?: { context?: unknown } });

describe('inspector bounds', () => {
  let inspection: Inspection | undefined;
  let sb: Switchboard | undefined;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await sb?.stop();
    await inspection?.close();
    sb = undefined;
    inspection = undefined;
  });

  it('summarizes catalogs in inspected context as counts, and bounds lists and strings', () => {
    const tool = (i: number) => ({ name: `tool_${i}`, server: 'big', qualifiedName: `big__tool_${i}`, inputSchema: {} });
    const context = { catalogs: { big: { tools: Array.from({ length: TOOLS }, (_, i) => tool(i)), resources: [], templates: [], prompts: [tool(0)] } }, failed: {} };
    expect(sanitizeContext(context)).toEqual({ catalogs: { big: { tools: TOOLS, resources: 0, templates: 0, prompts: 1 } }, failed: {} });
    // Any other long list is its length, a long string its length, small ones stay as they are.
    const other = sanitizeContext({ restartLog: [1, 2, 3], ids: Array.from({ length: 1000 }, (_, i) => `r${i}`), instructions: 'x'.repeat(100_000), note: 'short', token: 't' });
    expect(other).toEqual({ restartLog: [1, 2, 3], ids: 1000, instructions: '[100000 characters]', note: 'short', token: '***' });
    // Whatever the input, the summary is bounded.
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10_000; i++) deep = { next: deep, wide: Object.fromEntries(Array.from({ length: 100 }, (_, k) => [`k${k}`, k])) };
    expect(JSON.stringify(sanitizeContext(deep)).length).toBeLessThan(64 * 1024);
  });

  it('relays a switchboard beside a 5 000-tool catalog with messages that do not carry it', async () => {
    inspection = createInspection();
    sb = createSwitchboard({ servers: {} }, { transports: { big: catalogServer(TOOLS) }, inspect: inspection.inspect });
    const url = (await inspection.listen({ token: TOKEN, allowedOrigins: [], redact: (t) => sb!.redact(t) })).wsUrl;
    const live = await viewer(url);
    sockets.push(live.ws);
    await sb.start();
    expect(sb.listTools()).toHaveLength(TOOLS);
    for (let i = 0; i < 20; i++) await sb.callTool(`tool_${i}`);
    await until(() => live.messages.some((m) => m.includes('"tools":5000')), 10_000, 'the manager snapshot with its catalog counted');
    const stream = live.messages.join('\n');
    expect(stream).not.toContain('tool_4999');
    expect(stream).not.toContain('very large catalog');
    // The catalog as JSON is over half a megabyte; no message comes near it.
    const largest = Math.max(...live.messages.map((m) => Buffer.byteLength(m)));
    expect(largest).toBeLessThan(64 * 1024);
    const managerContexts = parsed(live.messages).filter((m) => m.type === '@xstate.snapshot' && JSON.stringify(m.snapshot?.context ?? {}).includes('"catalogs"'));
    expect(managerContexts.at(-1)!.snapshot!.context).toMatchObject({ catalogs: { big: { tools: TOOLS, resources: 0, templates: 0, prompts: 0 } } });
  });

  it("feeds an embedder's own inspector summaries beside a 5 000-tool catalog (the Stately converter serializes every snapshot)", async () => {
    const messages: string[] = [];
    // The hosted inspector's adapter: converts each raw event, serializing its whole snapshot.
    const stately = createInspector({ send: (event: unknown) => void messages.push(JSON.stringify(event)) });
    sb = createSwitchboard({ servers: {} }, { transports: { big: catalogServer(TOOLS) }, inspect: stately.inspect });
    await sb.start();
    for (let i = 0; i < 20; i++) await sb.callTool(`tool_${i}`);
    // The adapter converts in idle callbacks, in order: once a marker actor's event is through,
    // so is every event of the calls before it.
    const marker = createActor(setup({}).createMachine({ id: 'marker', on: { done: {} } }), { inspect: stately.inspect }).start();
    marker.send({ type: 'done' });
    await until(() => messages.some((m) => m.includes('"type":"done"')), 10_000, 'the marker event in the inspector');
    marker.stop();
    const carrying = messages.filter((m) => m.includes('tool_4999') || m.includes('very large catalog'));
    expect(carrying.map((m) => `${m.slice(0, 60)}… (${m.length} characters)`)).toEqual([]);
    expect(Math.max(...messages.map((m) => Buffer.byteLength(m)))).toBeLessThan(64 * 1024);
    expect(messages.some((m) => m.includes('"tools":5000'))).toBe(true);
  });

  it("gives an embedder's own inspector no catalog in any event kind (actions too) and no secret value a server echoes", async () => {
    const secret = 'inspect-SECRET-value-77';
    const seen: string[] = [];
    sb = createSwitchboard(
      // Never reachable (port 9 discards): its header value is a secret of the config all the same.
      { servers: { web: { transport: 'http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Api-Key': '${HEADER_VALUE}' }, timeouts: { connectMs: 500 }, reconnect: { maxAttempts: 1 } } } },
      {
        env: { HEADER_VALUE: secret },
        // The big server echoes the secret in its name (it comes back in its facts).
        transports: { big: catalogServer(TOOLS, `big echoes ${secret}`) },
        // An observer that serializes everything it is given, every event kind.
        inspect: (event) => void seen.push(JSON.stringify(event, (key, value: unknown) => (key === 'actorRef' || key === 'sourceRef' ? undefined : value)) ?? ''),
      },
    );
    await sb.start();
    for (let i = 0; i < 5; i++) await sb.callTool(`tool_${i}`);
    const kinds = new Set(seen.map((m) => (JSON.parse(m) as { type: string }).type));
    expect(kinds.has('@xstate.action')).toBe(true);
    const carrying = seen.filter((m) => m.includes('tool_4999'));
    expect(carrying.map((m) => `${m.slice(0, 80)}… (${m.length} characters)`)).toEqual([]);
    expect(seen.filter((m) => m.includes(secret)).map((m) => m.slice(0, 80))).toEqual([]);
  });

  it('keeps a history bounded in bytes, oldest first, and still replays every live machine to a late viewer', async () => {
    const historyBytes = 64 * 1024;
    inspection = createInspection({ historyBytes });
    sb = createSwitchboard({ servers: {} }, { transports: { big: catalogServer(TOOLS) }, inspect: inspection.inspect });
    const url = (await inspection.listen({ token: TOKEN, allowedOrigins: [], redact: (t) => sb!.redact(t) })).wsUrl;
    await sb.start();
    // A small machine of its own in the same relay, busy enough to fill the history many times.
    const counter = setup({ types: {} as { context: { n: number } } }).createMachine({ id: 'counter', context: { n: 0 }, on: { tick: { actions: assign({ n: ({ context }) => context.n + 1 }) } } });
    for (let i = 0; i < 20; i++) await sb.callTool(`tool_${i}`);
    const ticking = createActor(counter, { inspect: inspection.inspect }).start();
    for (let i = 0; i < 3000; i++) ticking.send({ type: 'tick' });
    const late = await viewer(url);
    sockets.push(late.ws);
    // One more tick after the viewer joined: everything before its snapshot is the replay.
    ticking.send({ type: 'tick' });
    const isMarker = (m: string) => m.includes('"type":"@xstate.snapshot"') && m.includes('"n":3001');
    await until(() => late.messages.some(isMarker), 10_000, 'the marker after the replay');
    const replay = late.messages.slice(0, late.messages.findIndex(isMarker) - 1);
    expect(replay.reduce((sum, m) => sum + Buffer.byteLength(m), 0)).toBeLessThanOrEqual(historyBytes);
    expect(inspection.stats().bytes).toBeLessThanOrEqual(historyBytes);
    // The newest messages are there, the oldest went first, and every live machine's definition stayed.
    const names = parsed(replay).filter((m) => m.type === '@xstate.actor').map((m) => JSON.parse(m.definition ?? '{}').id as string);
    expect(names).toEqual(expect.arrayContaining(['manager', 'serverConnection', 'circuitBreaker', 'counter']));
    const counts = parsed(replay)
      .filter((m) => m.type === '@xstate.snapshot')
      .map((m) => (m.snapshot?.context as { n?: number } | undefined)?.n)
      .filter((n) => n !== undefined);
    expect(counts).not.toContain(1);
    expect(counts).toContain(3000);
    ticking.stop();
  });
});
