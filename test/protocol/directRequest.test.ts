import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { CallSignal } from '../../src/calls/signal.js';
import { DEFAULT_POLICY, type RuntimeServer } from '../../src/config/schema.js';
import { connectorFor, StderrRing, type ProtocolSession, type SessionEvents } from '../../src/protocol/index.js';
import { usable } from '../../src/protocol/v1/directRequest.js';

/**
 * A call's request on the v1 session goes straight onto the SDK Protocol's state
 * (src/protocol/v1/directRequest.ts) instead of `Protocol.request`: no timer per request, the
 * progress token in the message from the start. What `request` promised must still hold.
 */

const SERVER: RuntimeServer = { ...DEFAULT_POLICY, name: 'mem', transport: 'custom', enabled: true };
const quiet: SessionEvents = { lost: () => undefined, suspect: () => undefined, transportError: () => undefined, listChanged: () => undefined, log: () => undefined, resourceUpdated: () => undefined };

interface Seen {
  metas: Record<string, unknown>[];
  cancelled: string[];
  release: Map<string, () => void>;
}

function server(seen: Seen): McpServer {
  const s = new McpServer({ name: 'direct', version: '1.0.0' });
  s.registerTool('hold', { inputSchema: { key: z.string() } }, async ({ key }, extra) => {
    seen.metas.push({ ...extra._meta });
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra._meta!.progressToken!, progress: key.length } });
    await new Promise<void>((resolve) => {
      seen.release.set(key, resolve);
      extra.signal.addEventListener('abort', () => {
        seen.cancelled.push(key);
        resolve();
      });
    });
    return { content: [{ type: 'text', text: key }] };
  });
  s.registerPrompt('greet', { argsSchema: { who: z.string() } }, ({ who }, extra) => {
    seen.metas.push({ ...extra._meta });
    return { messages: [{ role: 'user', content: { type: 'text', text: `hi ${who}` } }] };
  });
  return s;
}

describe('direct requests on the v1 session', () => {
  const sessions: ProtocolSession[] = [];
  const servers: McpServer[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const session of sessions.splice(0)) await session.close();
    for (const s of servers.splice(0)) await s.close();
  });

  async function open(): Promise<{ session: ProtocolSession; seen: Seen }> {
    const seen: Seen = { metas: [], cancelled: [], release: new Map() };
    const s = server(seen);
    servers.push(s);
    const [client, end] = InMemoryTransport.createLinkedPair();
    await s.connect(end);
    const session = await connectorFor(SERVER).open({ server: SERVER, custom: client, stderr: new StderrRing(1024), signal: new AbortController().signal, clientInfo: { name: 't', version: '1' } }, quiet);
    sessions.push(session);
    return { session, seen };
  }

  /** Resolves once `what` holds, checked on each turn of the event loop (the server's answers are in memory). */
  async function until(what: () => boolean): Promise<void> {
    for (let i = 0; i < 10_000 && !what(); i++) await new Promise((r) => setImmediate(r));
    expect(what()).toBe(true);
  }

  it('arms no timer per request, sends each its own progress token beside the caller meta, and routes progress to its own request', async () => {
    const { session, seen } = await open();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const progress = new Map<string, number[]>();
    const keys = Array.from({ length: 50 }, (_, i) => 'k'.repeat(i + 1));
    const calls = keys.map((key) => {
      progress.set(key, []);
      return session.request('tools/call', { name: 'hold', arguments: { key } }, { signal: new CallSignal().asAbortSignal, onProgress: (p) => progress.get(key)!.push(p.progress), meta: { tenant: key } });
    });
    // The SDK's request armed one setTimeout per request (for a timeout the switchboard disables).
    expect(timers).not.toHaveBeenCalled();
    await until(() => seen.release.size === keys.length);
    for (const release of seen.release.values()) release();
    const results = await Promise.all(calls);
    expect(results.map((r) => (r as { content: { text: string }[] }).content[0]!.text)).toEqual(keys);
    const tokens = seen.metas.map((m) => m.progressToken);
    expect(new Set(tokens).size).toBe(keys.length);
    expect(seen.metas.map((m) => m.tenant).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(progress.get(key)).toEqual([key.length]);
  });

  it("keeps a request's own params._meta (the requests other than tools/call carry it there) and adds the token", async () => {
    const { session, seen } = await open();
    await session.request('prompts/get', { name: 'greet', arguments: { who: 'x' }, _meta: { traceparent: 'tp' } }, { signal: new CallSignal().asAbortSignal, onProgress: () => undefined });
    expect(seen.metas).toEqual([{ traceparent: 'tp', progressToken: expect.any(Number) }]);
  });

  it('on abort sends notifications/cancelled for that request only, rejects with the reason, and the session goes on', async () => {
    const { session, seen } = await open();
    const a = new CallSignal();
    const b = new CallSignal();
    const first = session.request('tools/call', { name: 'hold', arguments: { key: 'a' } }, { signal: a.asAbortSignal, onProgress: () => undefined });
    const second = session.request('tools/call', { name: 'hold', arguments: { key: 'b' } }, { signal: b.asAbortSignal, onProgress: () => undefined });
    await until(() => seen.release.size === 2);
    const reason = new Error('deadline');
    a.abort(reason);
    await expect(first).rejects.toMatchObject({ message: expect.stringContaining('deadline') });
    await until(() => seen.cancelled.length === 1);
    expect(seen.cancelled).toEqual(['a']);
    seen.release.get('b')!();
    await expect(second).resolves.toMatchObject({ content: [{ text: 'b' }] });
    // An aborted signal refuses before anything is sent.
    const sent = seen.metas.length;
    await expect(session.request('tools/call', { name: 'hold', arguments: { key: 'c' } }, { signal: a.asAbortSignal, onProgress: () => undefined })).rejects.toBe(reason);
    expect(seen.metas.length).toBe(sent);
  });

  it('a transport that closes under requests rejects them as the connection lost', async () => {
    const { session, seen } = await open();
    const pending = session.request('tools/call', { name: 'hold', arguments: { key: 'z' } }, { signal: new CallSignal().asAbortSignal, onProgress: () => undefined });
    await until(() => seen.release.size === 1);
    await servers[0]!.close();
    const error = await pending.then(() => null, (e: unknown) => e);
    expect(session.failure(error, { abortCause: null, server: 'mem', tool: 'hold', subject: 'tool "hold"', kind: 'tool' }).error.code).toBe('ConnectionLost');
  });

  it('is used only on an SDK client that has the Protocol members it needs', () => {
    expect(usable(new Client({ name: 't', version: '1' }))).toBe(true);
    const changed = new Client({ name: 't', version: '1' });
    delete (changed as unknown as { _progressHandlers?: unknown })._progressHandlers;
    expect(usable(changed)).toBe(false);
  });
});
