import { McpServer, inputRequired } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { until } from '../helpers/switchboard.js';
import { startV2HttpServer, V2_SERVER_ENTRY, v2InMemory, type V2HttpServer } from '../helpers/v2Servers.js';
// @ts-expect-error plain JS review fixture
import { startRawModernHttp } from '../fixtures/rawModernHttp.mjs';

/**
 * Faults of the 2026-07-28 era found in the issue 20 review (R-1 … R-7): each test failed before
 * its fix. They use the public API only.
 */

type Raw = { url: string; state: { listen: string; counts: Record<string, number>; open: number; bare: boolean }; close(): Promise<void> };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

function track<T extends { stop(): Promise<void> } | { close(): Promise<void> }>(thing: T): T {
  cleanups.push(() => ('stop' in thing ? thing.stop() : thing.close()));
  return thing;
}

async function connected(sb: Switchboard, name: string): Promise<void> {
  await until(() => sb.getServer(name)?.state === 'connected', 15_000, `${name} connected`);
}

const QUIET = { health: { intervalMs: 0 }, reconnect: { baseMs: 50, minMs: 20, maxMs: 200 } };

describe('R-1: cancellation and deadlines of a modern call over streamable HTTP', () => {
  it('a cancelled call reaches the modern server (its handler is aborted)', async () => {
    const http = track((await startV2HttpServer('h', { modernOnly: true })) as V2HttpServer);
    const sb = track(createSwitchboard({ servers: { h: { transport: 'http', url: http.url, protocol: '2026-07-28' } }, defaults: QUIET }));
    await sb.start();
    await connected(sb, 'h');
    const controller = new AbortController();
    const call = sb.callTool('slow', { ms: 3000 }, { server: 'h', signal: controller.signal });
    await until(() => http.hub.stats.calls === 1, 10_000, 'the call at the server');
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'Cancelled' });
    // The fixture counts a handler whose signal aborted; the bare v2 client gets 1 here (v2Fixture.test.ts).
    await until(() => http.hub.stats.cancelled === 1, 5_000, 'the cancellation at the server');
  });

  it('a timed-out call does not leave its response stream open', async () => {
    const raw = track((await startRawModernHttp('normal')) as Raw);
    const sb = track(createSwitchboard({ servers: { r: { transport: 'http', url: raw.url, protocol: 'auto' } }, defaults: QUIET }));
    await sb.start();
    await connected(sb, 'r');
    expect(raw.state.open).toBe(1); // the subscriptions/listen stream
    for (let i = 0; i < 3; i++) {
      await expect(sb.callTool('hang', {}, { server: 'r', timeoutMs: 200 })).rejects.toMatchObject({ code: 'ToolCallTimeout' });
    }
    // Each abandoned POST stream closes once its call settled (the client aborts it: the modern wire's cancel).
    await until(() => raw.state.open === 1, 5_000, 'the abandoned streams closed');
  });
});

describe('R-2/R-3: the subscriptions/listen stream of a modern server', () => {
  it('a listen stream the server ends at once is not reopened in a tight loop', async () => {
    const raw = track((await startRawModernHttp('drop')) as Raw);
    const sb = track(createSwitchboard({ servers: { r: { transport: 'http', url: raw.url, protocol: 'auto' } }, defaults: QUIET }));
    await sb.start();
    await connected(sb, 'r');
    const at = raw.state.counts['subscriptions/listen'] ?? 0;
    // A bound that proves the absence of a loop: the committed code sends ~400 a second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((raw.state.counts['subscriptions/listen'] ?? 0) - at).toBeLessThan(20);
  });

  it('a modern server that refuses subscriptions/listen is still reachable (its tools work)', async () => {
    const raw = track((await startRawModernHttp('reject')) as Raw);
    const sb = track(createSwitchboard({ servers: { r: { transport: 'http', url: raw.url, protocol: 'auto' } }, defaults: QUIET }));
    await sb.start();
    await connected(sb, 'r');
    expect(sb.getServer('r')?.protocol).toEqual({ era: 'modern', version: '2026-07-28' });
    expect(sb.listTools('r').map((t) => t.name)).toContain('hang');
  });
});

describe('a subscriptions/listen stream that is never acknowledged', () => {
  it('does not hold the connect, and a subscribe waits no longer than its deadline', async () => {
    const raw = track((await startRawModernHttp('silent')) as Raw);
    const sb = track(createSwitchboard({ servers: { r: { transport: 'http', url: raw.url } }, defaults: { ...QUIET, timeouts: { connectMs: 2000 } } }));
    const started = Date.now();
    await sb.start();
    await connected(sb, 'r');
    // Connected after waiting half the connect deadline at most for the acknowledgement.
    expect(Date.now() - started).toBeLessThan(1900);
    expect(sb.getServer('r')?.protocol?.era).toBe('modern');
    const at = Date.now();
    await expect(sb.subscribeResource('res://x', { server: 'r', timeoutMs: 300 })).rejects.toMatchObject({ code: 'ToolCallTimeout' });
    expect(Date.now() - at).toBeLessThan(1500);
  });
});

describe('R-7: what a modern server leaves out of its results', () => {
  it('reads no resultType as complete and no ttlMs/cacheScope as immediately stale, and connects and calls', async () => {
    const raw = track((await startRawModernHttp('normal')) as Raw);
    raw.state.bare = true;
    const sb = track(createSwitchboard({ servers: { r: { transport: 'http', url: raw.url } }, defaults: QUIET }));
    await sb.start();
    await connected(sb, 'r');
    expect(sb.getServer('r')?.protocol).toEqual({ era: 'modern', version: '2026-07-28' });
    const result = (await sb.callTool('r__add', { a: 2, b: 3 })) as { content: { text: string }[]; ttlMs?: unknown };
    expect(result.content[0]!.text).toBe('5');
    // Only cacheable results get the cache defaults.
    expect(result.ttlMs).toBeUndefined();
  });
});

describe('R-4: auto and a modern-only stdio server slower to start than connectMs / 2', () => {
  it('connects in the modern era instead of ending in error', async () => {
    // The child reads its stdin 1.5 s after spawn: the probe (connectMs / 2 = 1 s) takes that silence for legacy.
    const command = `sleep 1.5; exec "${process.execPath}" "${V2_SERVER_ENTRY}" s --modern-only`;
    const sb = track(createSwitchboard({ servers: { s: { transport: 'stdio', command: 'sh', args: ['-c', command] } }, defaults: { ...QUIET, timeouts: { connectMs: 2000 } } }));
    await sb.start();
    await until(() => ['connected', 'error'].includes(sb.getServer('s')?.state ?? ''), 20_000, 'connected or error');
    // Before the fix: error, UnsupportedProtocolVersion (not retryable), though its late discover answer said 2026-07-28.
    expect(sb.getServer('s')?.lastError ?? null).toBeNull();
    expect(sb.getServer('s')?.state).toBe('connected');
    expect(sb.getServer('s')?.protocol?.era).toBe('modern');
    // On the same process, at the first attempt: its late answer to the probe was kept.
    expect(sb.getServer('s')!.stderrTail.match(/ pid \d+ up/g)).toHaveLength(1);
  });
});

describe('R-5: progress of a modern call', () => {
  it('the caller sees no progress the server did not send (input_required rounds are not progress)', async () => {
    const build = () => {
      const server = new McpServer({ name: 'x', version: '1' }, { capabilities: { tools: {} } });
      server.registerTool('ask', { inputSchema: z.object({}) }, async (_args, ctx) =>
        ctx.mcpReq.inputResponses?.q
          ? { content: [{ type: 'text', text: 'done' }] }
          : inputRequired({ inputRequests: { q: inputRequired.elicit({ message: 'ok?', requestedSchema: { type: 'object', properties: {} } }) } }),
      );
      return server;
    };
    const sb = track(
      createSwitchboard(
        { servers: { m: { transport: 'stdio', command: 'unused', protocol: '2026-07-28' } }, defaults: QUIET },
        { transports: { m: v2InMemory(build, { modernOnly: true }) }, handlers: { elicitation: async () => ({ action: 'accept', content: {} }) } },
      ),
    );
    await sb.start();
    await connected(sb, 'm');
    const seen: unknown[] = [];
    const result = await sb.callTool('ask', {}, { server: 'm', onProgress: (p) => seen.push(p) });
    expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
    // Before the fix: [{ progress: 1, message: "Fulfilling input required by 'tools/call' (round 1)" }], made up by SDK 2.4.0's driver.
    expect(seen).toEqual([]);
  });
});
