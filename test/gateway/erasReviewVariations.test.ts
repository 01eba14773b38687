import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Client as ModernClient, InMemoryTransport as ModernMemory, StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayHttpHandler, createGatewayRouter, type Gateway } from '../../src/gateway/index.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { v2StdioConfig } from '../helpers/v2Servers.js';
import { ANSWERING, closeDownstreams, connectDownstream, ERAS, type Era, type Wire } from './eras.js';
import { setup, teardown } from './upstream.js';

/**
 * More variations of the defects of the second review of issue 20 item 6 (erasReview.test.ts):
 * a listen stream's upstream subscriptions end with the stream or its client (R2-1), a
 * requestState is good only on the connection and for the call it was given for (R2-2, R2-5),
 * progress on both sides of a question (R2-3), no upstream identity or other era's fields in any
 * kind of result (R2-6), and the modern leg's log lines redacted.
 */

const https: HttpServer[] = [];
const closers: (() => Promise<void>)[] = [];
const boards: { sb: Switchboard; gateway: Gateway }[] = [];
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
  await closeDownstreams();
  for (const http of https.splice(0)) {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
  for (const { sb, gateway } of boards.splice(0)) {
    await gateway.close();
    await sb.stop();
  }
  await teardown();
});

async function overHttp(gateway: Gateway): Promise<URL> {
  const handler = createGatewayHttpHandler(gateway);
  const http = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  https.push(http);
  return new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
}

const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': ANSWERING, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } };
type Answer = { result?: { resultType?: string; requestState?: string; content?: unknown }; error?: { code: number } };

/** A raw 2026-07-28 client of the gateway over an in-memory pair: one request, its answer. */
async function rawMemory(gateway: Gateway): Promise<(id: number, method: string, params: Record<string, unknown>) => Promise<Answer>> {
  const [clientSide, serverSide] = ModernMemory.createLinkedPair();
  await gateway.connect(serverSide);
  const waiting = new Map<unknown, (answer: Answer) => void>();
  clientSide.onmessage = (message) => {
    if ('id' in message && !('method' in message)) waiting.get(message.id)?.(message as Answer);
  };
  await clientSide.start();
  closers.push(() => clientSide.close());
  return (id, method, params) =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      void clientSide.send({ jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } } as never);
    });
}

/** One raw 2026-07-28 POST; `name` goes in the Mcp-Name header (the body's unless given). */
async function post(url: URL, id: number, params: Record<string, unknown>, name = String(params.name)): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta: ENVELOPE } }),
  });
  const text = await response.text();
  return JSON.parse(text.startsWith('{') ? text : text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).at(-1)!) as Answer;
}

const ELICITED = { 'elicit-1': { action: 'accept', content: { name: 'Eve' } } };

describe('R2-1: a listen stream follows its resources upstream only while it is open', () => {
  it.each(['memory', 'http'] as const)('the upstream is subscribed once for two streams and unsubscribed when the last one closes (%s)', async (kind) => {
    const { gateway, probe } = await setup();
    const uri = 'mem://up/readme';
    const client = new ModernClient({ name: 'host', version: '1' }, { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } } as never);
    closers.push(() => client.close());
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
    if (kind === 'http') await client.connect(new ModernHttp(await overHttp(gateway)));
    else {
      const [clientSide, serverSide] = ModernMemory.createLinkedPair();
      await gateway.connect(serverSide);
      await client.connect(clientSide);
    }
    // Two streams follow the uri: the upstream is subscribed once, and stays so while one is open.
    const first = (await client.listen({ resourceSubscriptions: [uri] } as never)) as { close(): Promise<void> };
    const second = (await client.listen({ resourceSubscriptions: [uri, uri] } as never)) as { close(): Promise<void> };
    await until(() => probe.subscriptions.includes(`sub ${uri}`), 5_000, 'the upstream subscription');
    await first.close();
    await probe.server!.server.sendResourceUpdated({ uri });
    await until(() => updated.length > 0, 5_000, 'the update on the stream still open');
    expect(probe.subscriptions).toEqual([`sub ${uri}`]);
    await second.close();
    await until(() => probe.subscriptions.includes(`unsub ${uri}`), 5_000, 'the upstream unsubscribe once no stream follows the uri');
    expect(probe.subscriptions).toEqual([`sub ${uri}`, `unsub ${uri}`]);
  });

  it.each(['memory', 'http'] as const)('a client that goes away with its stream open is unsubscribed upstream (%s)', async (kind) => {
    const { gateway, probe } = await setup();
    const uri = 'mem://up/readme';
    const wire: Wire = kind === 'http' ? { kind: 'http', url: await overHttp(gateway) } : { kind: 'memory', gateway };
    const client = new ModernClient({ name: 'host', version: '1' }, { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } } as never);
    if (wire.kind === 'http') await client.connect(new ModernHttp(wire.url));
    else {
      const [clientSide, serverSide] = ModernMemory.createLinkedPair();
      await gateway.connect(serverSide);
      await client.connect(clientSide);
    }
    await client.listen({ resourceSubscriptions: [uri] } as never);
    await until(() => probe.subscriptions.includes(`sub ${uri}`), 5_000, 'the upstream subscription');
    await client.close();
    await until(() => probe.subscriptions.includes(`unsub ${uri}`), 5_000, 'the upstream unsubscribe after the client left');
  });
});

describe('R2-2/R2-5: a requestState is good only for its own call', () => {
  it('a state given on one connection is refused on another, and the first can still answer', async () => {
    const { gateway } = await setup();
    const mine = await rawMemory(gateway);
    const theirs = await rawMemory(gateway);
    const first = await mine(1, 'tools/call', { name: 'up__ask' });
    expect(first.result?.resultType).toBe('input_required');
    const stolen = await theirs(1, 'tools/call', { name: 'up__ask', requestState: first.result!.requestState, inputResponses: ELICITED });
    expect(stolen.error?.code, JSON.stringify(stolen)).toBe(-32602);
    const answered = await mine(2, 'tools/call', { name: 'up__ask', requestState: first.result!.requestState, inputResponses: ELICITED });
    expect(answered.result?.content).toEqual([{ type: 'text', text: 'accept Eve' }]);
  });

  it('a retry of the same tool with other arguments is refused; the same arguments in another key order are the same call', async () => {
    const { gateway } = await setup();
    const url = await overHttp(gateway);
    const first = await post(url, 1, { name: 'up__ask', arguments: { a: 1, b: { c: 2, d: 3 } } });
    expect(first.result?.resultType).toBe('input_required');
    const other = await post(url, 2, { name: 'up__ask', arguments: { a: 2, b: { c: 2, d: 3 } }, requestState: first.result!.requestState, inputResponses: ELICITED });
    expect(other.error?.code, JSON.stringify(other)).toBe(-32602);
    const same = await post(url, 3, { name: 'up__ask', arguments: { b: { d: 3, c: 2 }, a: 1 }, requestState: first.result!.requestState, inputResponses: ELICITED });
    expect(same.result?.content, JSON.stringify(same)).toEqual([{ type: 'text', text: 'accept Eve' }]);
  });
});

/** Upstream `progress_ask`: progress 1, a question, then progress 2 and 3; the prompt `ask` and the resource `ask://name` ask too. */
function progressAsker(): () => Promise<Transport> {
  return async () => {
    const server = new McpServer({ name: 'asker', version: '1.0.0' });
    const name = async () => String((await server.server.elicitInput({ mode: 'form', message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } })).content?.name);
    server.registerPrompt('ask', {}, async () => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello ${await name()}` } }] }));
    server.registerResource('name', 'ask://name', {}, async (uri) => ({ contents: [{ uri: uri.href, text: await name() }] }));
    server.registerTool('progress_ask', {}, async (extra) => {
      const token = extra._meta?.progressToken;
      const report = async (progress: number) => {
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 3 } });
      };
      await report(1);
      const answer = await server.server.elicitInput({ mode: 'form', message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
      await report(2);
      await report(3);
      return { content: [{ type: 'text', text: `${answer.action} ${String(answer.content?.name)}` }] };
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    return clientSide;
  };
}

async function askerGateway(): Promise<Gateway> {
  const router = createGatewayRouter();
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } } as never, { transports: { asker: progressAsker() }, handlers: router.handlers });
  const gateway = createGateway(sb, { router, listChangedDebounceMs: 10 });
  boards.push({ sb, gateway });
  await sb.start();
  return gateway;
}

describe.each(ERAS)('R2-3: progress on both sides of a question (%s client)', (era: Era) => {
  it.each(['memory', 'http'] as const)('reaches the client once each, in order (%s)', async (kind) => {
    const gateway = await askerGateway();
    const wire: Wire = kind === 'http' ? { kind: 'http', url: await overHttp(gateway) } : { kind: 'memory', gateway };
    const client = await connectDownstream(era, wire, { answer: true });
    const progress: number[] = [];
    const result = await client.callTool({ name: 'asker__progress_ask' }, { onprogress: (p) => void (p.message?.startsWith('Fulfilling input required') || progress.push(p.progress)) });
    expect(result.content).toEqual([{ type: 'text', text: 'accept Ada' }]);
    expect(progress).toEqual([1, 2, 3]);
  });
});

describe.each(ERAS)('R2-6: a result of the gateway\'s own keeps what the gateway says (%s client)', (era: Era) => {
  // The question is answered by an input_required round in modern: that answer is the gateway's, not an upstream result.
  it('a prompt and a resource whose server asks the client still answer', async () => {
    const gateway = await askerGateway();
    const client = await connectDownstream(era, { kind: 'memory', gateway }, { answer: true });
    const prompt = await client.getPrompt({ name: 'asker__ask' });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello Ada' } }]);
    const read = await client.readResource({ uri: 'ask://name' });
    expect(read.contents).toEqual([{ uri: 'ask://name', text: 'Ada' }]);
  });
});

const RESERVED = /^io\.modelcontextprotocol\//;

/** The results of the responses among the messages an in-memory client received. */
function rawResults(received: unknown[]): Record<string, unknown>[] {
  return received.filter((m): m is { result: Record<string, unknown> } => typeof m === 'object' && m !== null && 'result' in m).map((m) => m.result);
}

describe('R2-6: results from a modern upstream are the gateway\'s own', () => {
  it('a legacy client gets no cache hints, no result kind and no upstream identity in any result; other _meta stays', async () => {
    const { sb, gateway } = await setup({ config: { servers: { mod: v2StdioConfig('mod', { modernOnly: true }) } } });
    await until(() => sb.listServers().some((s) => s.name === 'mod' && s.state === 'connected'), 15_000, 'mod connected');
    const client = await connectDownstream('legacy', { kind: 'memory', gateway });
    const before = client.received.length;
    await client.callTool({ name: 'mod__whoami' });
    await client.readResource({ uri: 'res://a' });
    await client.getPrompt({ name: 'mod__plain' });
    const added = await client.callTool({ name: 'up__add', arguments: { a: 1, b: 2 } });
    expect(added._meta).toEqual({ from: 'up' });
    const results = rawResults(client.received.slice(before));
    expect(results).toHaveLength(4);
    // What each result (tools/call, resources/read, prompts/get, tools/call) has that it must not.
    const foreign = results.map((result) => [
      ...Object.keys(result).filter((key) => ['ttlMs', 'cacheScope', 'resultType'].includes(key)),
      ...Object.keys((result._meta as Record<string, unknown> | undefined) ?? {}).filter((key) => RESERVED.test(key)),
    ]);
    expect(foreign).toEqual([[], [], [], []]);
  });

  it('a modern client sees the gateway as the server of reads and prompts too', async () => {
    const { sb, gateway } = await setup({ config: { servers: { mod: v2StdioConfig('mod', { modernOnly: true }) } } });
    await until(() => sb.listServers().some((s) => s.name === 'mod' && s.state === 'connected'), 15_000, 'mod connected');
    const client = await connectDownstream('modern', { kind: 'memory', gateway });
    const identity = (result: { _meta?: Record<string, unknown> }) => (result._meta?.['io.modelcontextprotocol/serverInfo'] as { name?: string } | undefined)?.name;
    expect(identity(await client.readResource({ uri: 'res://a' }))).toBe('mcp-switchboard');
    expect(identity(await client.getPrompt({ name: 'mod__plain' }))).toBe('mcp-switchboard');
    const added = await client.callTool({ name: 'up__add', arguments: { a: 1, b: 2 } });
    expect(added._meta?.from).toBe('up');
  });
});

describe('the modern leg of /mcp', () => {
  it('redacts the SDK\'s messages in its log lines', async () => {
    const secret = 's3cr3t-gateway-token-4711';
    const lines: string[] = [];
    const { gateway } = await setup({
      gateway: { logger: { log: (_level, message) => void lines.push(message) } },
      config: { servers: { vault: { transport: 'http', url: 'http://127.0.0.1:1/mcp', headers: { authorization: `Bearer ${secret}` }, enabled: false } } },
    });
    const url = await overHttp(gateway);
    // The SDK refuses a body whose name differs from the Mcp-Name header, quoting the name.
    const refused = await post(url, 1, { name: secret }, 'other');
    expect(refused.error).toBeDefined();
    await until(() => lines.some((line) => line.includes('/mcp modern request')), 5_000, 'the log line of the refusal');
    expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  });
});
