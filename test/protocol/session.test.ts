import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_POLICY, type RuntimeServer } from '../../src/config/schema.js';
import { connectorFor, listCatalog, StderrRing, type LossReason, type ProtocolSession, type SessionEvents } from '../../src/protocol/index.js';
import { eraConnector } from '../../src/protocol/select.js';

/**
 * The protocol seam from above: a v1 session over a real SDK McpServer in memory, seen only
 * through the era-neutral interface (our types, our events, our errors).
 */

const SERVER: RuntimeServer = { ...DEFAULT_POLICY, name: 'mem', transport: 'custom', enabled: true };

interface Heard {
  lost: { reason: LossReason; error?: Error }[];
  listChanged: string[];
  logs: string[];
  updated: string[];
}

function recorder(): { heard: Heard; events: SessionEvents; next(what: () => boolean): Promise<void> } {
  const heard: Heard = { lost: [], listChanged: [], logs: [], updated: [] };
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const events: SessionEvents = {
    lost: (reason, error) => {
      heard.lost.push(error ? { reason, error } : { reason });
      poke();
    },
    suspect: () => undefined,
    transportError: () => undefined,
    listChanged: (kind) => {
      heard.listChanged.push(kind);
      poke();
    },
    log: (level, message) => {
      heard.logs.push(`${level} ${message}`);
      poke();
    },
    resourceUpdated: (uri) => {
      heard.updated.push(uri);
      poke();
    },
  };
  /** Resolves once `what` holds: checked on every event (no polling, no sleeps). */
  const next = (what: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!what()) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { heard, events, next };
}

function demoServer(): McpServer {
  const server = new McpServer({ name: 'demo', version: '2.0.0' }, { capabilities: { logging: {} }, instructions: 'be kind' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }, extra) => {
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra._meta!.progressToken!, progress: 1, total: 2 } });
    return { content: [{ type: 'text', text: String(a + b) }], _meta: { seen: extra._meta?.trace ?? null } };
  });
  return server;
}

describe('the protocol seam (v1, legacy era)', () => {
  const sessions: ProtocolSession[] = [];
  const servers: McpServer[] = [];
  afterEach(async () => {
    for (const session of sessions.splice(0)) await session.close();
    for (const server of servers.splice(0)) await server.close();
  });

  async function open(events: SessionEvents): Promise<{ session: ProtocolSession; server: McpServer }> {
    const server = demoServer();
    servers.push(server);
    const [client, end] = InMemoryTransport.createLinkedPair();
    await server.connect(end);
    const session = await connectorFor(SERVER).open(
      { server: SERVER, custom: client, stderr: new StderrRing(1024), signal: new AbortController().signal, clientInfo: { name: 'seam-test', version: '1.0.0' } },
      events,
    );
    sessions.push(session);
    return { session, server };
  }

  it('selects the era chooser, finds a legacy server by its answer to server/discover and states the facts of the handshake', async () => {
    expect(connectorFor(SERVER)).toBe(eraConnector);
    const { session } = await open(recorder().events);
    expect(session.facts).toMatchObject({
      era: 'legacy',
      verdict: { era: 'legacy' },
      protocolVersion: LATEST_PROTOCOL_VERSION,
      serverInfo: { name: 'demo', version: '2.0.0' },
      instructions: 'be kind',
    });
    expect(session.facts.capabilities?.tools).toBeDefined();
  });

  it('lists, calls with _meta and progress, probes and sets the log level through the interface', async () => {
    const { session } = await open(recorder().events);
    const signal = new AbortController().signal;
    const catalog = await listCatalog(session, { name: 'mem' }, signal, () => undefined);
    expect(catalog.tools!.map((t) => t.qualifiedName)).toEqual(['mem__add']);
    // Kinds the server does not declare are empty, not errors.
    expect(await session.list('prompts', signal, () => undefined)).toEqual([]);
    const progress: number[] = [];
    const result = await session.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }, { signal, onProgress: (p) => progress.push(p.progress), meta: { trace: 't-1' } });
    expect(result).toMatchObject({ content: [{ type: 'text', text: '5' }], _meta: { seen: 't-1' } });
    expect(progress).toEqual([1]);
    await expect(session.probe(signal)).resolves.toBeUndefined();
    await expect(session.setLogLevel('error', signal)).resolves.toBeUndefined();
  });

  it('reports list changes and server logs as events, and the closed transport as lost', async () => {
    const { heard, events, next } = recorder();
    const { server } = await open(events);
    server.sendToolListChanged();
    await server.server.sendLoggingMessage({ level: 'warning', logger: 'db', data: 'slow' });
    await next(() => heard.listChanged.includes('tools') && heard.logs.length > 0);
    expect(heard.logs).toEqual(['warning db: slow']);
    await server.close();
    await next(() => heard.lost.length > 0);
    expect(heard.lost[0]!.reason).toBe('closed');
  });

  it('classifies its own SDK errors into ours: a request on a closed session is ConnectionLost, never sent', async () => {
    const { session } = await open(recorder().events);
    await session.close();
    const error = await session.request('tools/call', { name: 'add', arguments: { a: 1, b: 1 } }, { signal: new AbortController().signal, onProgress: () => undefined }).then(
      () => null,
      (e: unknown) => e,
    );
    const failure = session.failure(error, { abortCause: null, server: 'mem', tool: 'add', subject: 'tool "add"', kind: 'tool' });
    expect(failure.error.code).toBe('ConnectionLost');
    expect(failure.undispatched).toBe(true);
    expect(failure.outcome).toBe('ignored');
    expect(session.expired(error)).toBe(false);
  });
});
