import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, InMemoryTransport as ModernMemory, StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, createGatewayHttpHandler, createGatewayRouter, type Gateway } from '../../src/gateway/index.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { v2StdioConfig } from '../helpers/v2Servers.js';
import { ANSWERING, closeDownstreams, connectDownstream, ERAS, type Era, type Wire } from './eras.js';
import { setup, teardown } from './upstream.js';

/**
 * Regressions of the second review of issue 20 item 6 (the gateway in both eras downstream):
 * each test shows one defect the review found, named in its title as R2-<n>, and runs the same
 * scenario in both eras where it applies (the legacy run passed before, the modern one failed).
 * R2-4 (a modern client's two calls on one server) is still open: it needs a call identity in
 * src/protocol, so its modern run is expected to fail until then. More variations of the same
 * defects: erasReviewVariations.test.ts. Real components only: SDK McpServers in memory upstream,
 * the gateway's own HTTP handler on 127.0.0.1 port 0, v1 and v2 SDK clients downstream.
 */

const https: HttpServer[] = [];
const clients: { close(): Promise<void> }[] = [];
const boards: { sb: Switchboard; gateway: Gateway }[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
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

/** Serves `gateway` at /mcp on 127.0.0.1 port 0. */
async function overHttp(gateway: Gateway): Promise<URL> {
  const handler = createGatewayHttpHandler(gateway);
  const http = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  https.push(http);
  return new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
}

/** A v2 client pinned to 2026-07-28 that never answers an input_required (manual mode, nobody retries). */
async function silentModern(gateway: Gateway): Promise<ModernClient> {
  const client = new ModernClient({ name: 'silent', version: '1' }, { capabilities: ANSWERING, versionNegotiation: { mode: { pin: '2026-07-28' } }, inputRequired: { autoFulfill: false } } as never);
  const [clientSide, serverSide] = ModernMemory.createLinkedPair();
  await gateway.connect(serverSide);
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

/** Upstream "asker": `ask_then_progress` elicits, then reports progress twice, then answers. */
function asker(): () => Promise<Transport> {
  return async () => {
    const server = new McpServer({ name: 'asker', version: '1.0.0' });
    server.registerTool('ask_then_progress', {}, async (extra) => {
      const answer = await server.server.elicitInput({ mode: 'form', message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
      const token = extra._meta?.progressToken;
      if (token !== undefined) for (const progress of [1, 2]) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 2 } });
      return { content: [{ type: 'text', text: `${answer.action} ${String(answer.content?.name)}` }] };
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    return clientSide;
  };
}

async function askerGateway(): Promise<Gateway> {
  const router = createGatewayRouter();
  const sb = createSwitchboard({ servers: {}, defaults: { health: { intervalMs: 0 } } } as never, { transports: { asker: asker() }, handlers: router.handlers });
  const gateway = createGateway(sb, { router, listChangedDebounceMs: 10 });
  boards.push({ sb, gateway });
  await sb.start();
  return gateway;
}

describe.each(ERAS)('R2 review: the gateway in both eras (%s client)', (era: Era) => {
  it.each(['memory', 'http'] as const)('R2-1: a client that subscribes to a resource is told when it changes (legacy: resources/subscribe; modern: subscriptions/listen resourceSubscriptions) (%s)', async (kind) => {
    const { gateway, probe } = await setup();
    const url = kind === 'http' ? await overHttp(gateway) : undefined;
    const uri = 'mem://up/readme';
    const updated: string[] = [];
    if (era === 'legacy') {
      const client = new LegacyClient({ name: 'host', version: '1' });
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
      clients.push(client);
      if (url) await client.connect(new LegacyHttp(url));
      else {
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        await gateway.connect(serverSide);
        await client.connect(clientSide);
      }
      await client.subscribeResource({ uri });
    } else {
      const client = new ModernClient({ name: 'host', version: '1' }, { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } } as never);
      client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
      clients.push(client);
      if (url) await client.connect(new ModernHttp(url));
      else {
        const [clientSide, serverSide] = ModernMemory.createLinkedPair();
        await gateway.connect(serverSide);
        await client.connect(clientSide);
      }
      const subscription = await client.listen({ resourceSubscriptions: [uri] } as never);
      // The gateway advertises resources.subscribe, so the SDK honours the uri on the listen stream.
      expect((subscription as { honoredFilter?: { resourceSubscriptions?: string[] } }).honoredFilter?.resourceSubscriptions).toEqual([uri]);
    }
    // The gateway subscribed upstream for its client…
    await until(() => probe.subscriptions.includes(`sub ${uri}`), 5_000, 'the upstream subscription');
    // …and passes the upstream's update on.
    await probe.server!.server.sendResourceUpdated({ uri });
    await until(() => updated.length === 1, 5_000, 'notifications/resources/updated at the client');
    expect(updated).toEqual([uri]);
  });

  it('R2-2: a question a client left unanswered is cancelled upstream when the client disconnects, not sessionIdleMs later', async () => {
    const { gateway, probe } = await setup({ config: { gateway: { sessionIdleMs: 600_000 } } });
    let closeClient: () => Promise<void>;
    if (era === 'legacy') {
      const client = new LegacyClient({ name: 'host', version: '1' }, { capabilities: ANSWERING });
      let asked!: () => void;
      const question = new Promise<void>((resolve) => (asked = resolve));
      // Never answers: the person went away.
      client.setRequestHandler(ElicitRequestSchema, () => {
        asked();
        return new Promise(() => undefined);
      });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await gateway.connect(serverSide);
      await client.connect(clientSide);
      void client.callTool({ name: 'up__ask' }).catch(() => undefined);
      await question;
      closeClient = () => client.close();
    } else {
      const client = await silentModern(gateway);
      // Answered input_required; this client never retries.
      await expect(client.callTool({ name: 'up__ask' })).rejects.toThrow(/input_required/);
      closeClient = () => client.close();
    }
    expect(probe.cancelled).toEqual([]);
    await closeClient();
    // Legacy: the session's requests abort at once and the upstream hears notifications/cancelled.
    // Modern: the exchange stays parked (shared, not tied to the session) for sessionIdleMs.
    await until(() => probe.cancelled.length === 1, 5_000, 'notifications/cancelled at the upstream after the client left');
  });

  it.each(['memory', 'http'] as const)('R2-3: progress the upstream sends after the client answered a question reaches the client (%s)', async (kind) => {
    const gateway = await askerGateway();
    const wire: Wire = kind === 'http' ? { kind: 'http', url: await overHttp(gateway) } : { kind: 'memory', gateway };
    const client = await connectDownstream(era, wire, { answer: true });
    const progress: number[] = [];
    // The v2 client reports its own input_required rounds as progress too ("Fulfilling input required…"): not the upstream's.
    const result = await client.callTool({ name: 'asker__ask_then_progress' }, { onprogress: (p) => void (p.message?.startsWith('Fulfilling input required') || progress.push(p.progress)) });
    expect(result.content).toEqual([{ type: 'text', text: 'accept Ada' }]);
    expect(progress).toEqual([1, 2]);
  });

  // Open (not a regression yet): the router cannot tell which of one modern client's calls an
  // upstream question belongs to. Remove `.fails` once src/protocol carries a call identity.
  (era === 'modern' ? it.fails : it)('R2-4: one client with two calls on one server still gets the upstream question of one of them', async () => {
    const { gateway, probe } = await setup();
    const url = await overHttp(gateway);
    const client = await connectDownstream(era, { kind: 'http', url }, { answer: true });
    const hanging = new AbortController();
    void client.callTool({ name: 'up__hang' }, { signal: hanging.signal }).catch(() => undefined);
    await until(() => probe.hanging === 1, 5_000, 'the first call to arrive');
    // The same client asks the same server for something that needs its answer.
    const result = await client.callTool({ name: 'up__ask' });
    hanging.abort();
    expect(result.content).toEqual([{ type: 'text', text: 'accept Ada' }]);
  });
});

describe('R2 review: modern only', () => {
  it('R2-5: a requestState is good only for the call it was given for (another tool cannot take its result)', async () => {
    const { gateway } = await setup();
    const url = await overHttp(gateway);
    const post = async (id: number, params: Record<string, unknown>) => {
      const body = { jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': ANSWERING, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } } } };
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': String(params.name) },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const data = text.startsWith('{') ? text : text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).at(-1)!;
      return JSON.parse(data) as { result?: { resultType?: string; requestState?: string; content?: unknown }; error?: { code: number } };
    };
    const first = await post(1, { name: 'up__ask' });
    expect(first.result?.resultType).toBe('input_required');
    // The state of up__ask, replayed on another tool: must be refused (-32602), not answered with up__ask's result.
    const other = await post(2, { name: 'up__echo', arguments: { text: 'x' }, requestState: first.result!.requestState, inputResponses: { 'elicit-1': { action: 'accept', content: { name: 'Eve' } } } });
    expect(other.error?.code, JSON.stringify(other)).toBe(-32602);
  });

  it('R2-6: a modern client sees the gateway, not an upstream, as the server of every result', async () => {
    // A modern upstream (the v2 fixture, modern-only) stamps its identity on each result's _meta.
    const { sb, gateway } = await setup({ config: { servers: { mod: v2StdioConfig('mod', { modernOnly: true }) } } });
    await until(() => sb.listServers().some((s) => s.name === 'mod' && s.state === 'connected'), 15_000, 'mod connected');
    const client = await connectDownstream('modern', { kind: 'memory', gateway });
    const mine = await client.callTool({ name: 'up__echo', arguments: { text: 'x' } });
    const theirs = await client.callTool({ name: 'mod__whoami' });
    const identity = (result: { _meta?: Record<string, unknown> }) => (result._meta?.['io.modelcontextprotocol/serverInfo'] as { name?: string } | undefined)?.name;
    expect(identity(mine)).toBe('mcp-switchboard');
    expect(identity(theirs)).toBe('mcp-switchboard');
  });
});
