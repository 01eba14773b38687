import { describe, expect, it } from 'vitest';
import { board, logFile, modernOnly, reconnected, traffic, useNegotiation } from '../helpers/negotiation.js';
import { fixturePid } from '../helpers/processes.js';
import { FAST, until } from '../helpers/switchboard.js';

/** R3-3 probe: config reloads and the remembered era. */

useNegotiation();
const T = { ...FAST.timeouts, callMs: 10_000 };

describe('reload and the era', () => {
  it('a reload that keeps the server unchanged keeps its remembered era (no new server/discover, also after a crash)', async () => {
    const log = logFile();
    const servers = { m: modernOnly(log), other: modernOnly(logFile()) };
    const sb = board(servers, { timeouts: T });
    await sb.start();
    const first = fixturePid(sb.getServer('m')!.stderrTail);
    const result = await sb.reload({ servers: { m: servers.m }, defaults: { ...FAST, timeouts: T } } as never);
    expect(result.unchanged).toEqual(['m']);
    expect(fixturePid(sb.getServer('m')!.stderrTail)).toBe(first);
    process.kill(first, 'SIGKILL');
    await reconnected(sb, 'm', first);
    const seen = traffic(log);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.methods).not.toContain('server/discover');
  });

  it('explicit protocol: auto and an omitted protocol are the same config (no restart)', async () => {
    const log = logFile();
    const sb = board({ m: modernOnly(log) }, { timeouts: T });
    await sb.start();
    const result = await sb.reload({ servers: { m: { ...modernOnly(log), protocol: 'auto' } }, defaults: { ...FAST, timeouts: T } } as never);
    expect(result.unchanged).toEqual(['m']);
  });

  it('switching a modern-only server to 2025-11-25 while a call runs: the call finishes, then a non-retryable error naming 2026-07-28', async () => {
    const log = logFile();
    const sb = board({ m: modernOnly(log) }, { timeouts: T });
    await sb.start();
    const call = sb.callTool('slow', { ms: 300 }, { server: 'm' });
    const reloading = sb.reload({ servers: { m: { ...modernOnly(log), protocol: '2025-11-25' } }, defaults: { ...FAST, timeouts: T } } as never);
    await expect(call).resolves.toMatchObject({ content: [{ type: 'text', text: 'slept 300' }] });
    expect((await reloading).changed).toEqual(['m']);
    await until(() => sb.getServer('m')!.state === 'error', 10_000, 'the error state');
    const status = sb.getServer('m')!;
    expect(status.lastError).toMatchObject({ code: 'UnsupportedProtocolVersion', retryable: false, message: expect.stringContaining('2026-07-28') });
  });

  it('switching defaults.protocol restarts the servers that inherit it, not a pinned one', async () => {
    const a = logFile();
    const b = logFile();
    const sb = board({ inherits: modernOnly(a), pinned: { ...modernOnly(b), protocol: '2026-07-28' } }, { timeouts: T });
    await sb.start();
    const call = sb.callTool('slow', { ms: 300 }, { server: 'inherits' });
    const result = await sb.reload({ servers: { inherits: modernOnly(a), pinned: { ...modernOnly(b), protocol: '2026-07-28' } }, defaults: { ...FAST, timeouts: T, protocol: '2026-07-28' } } as never);
    await expect(call).resolves.toMatchObject({ content: [{ type: 'text', text: 'slept 300' }] });
    expect(result.changed).toEqual(['inherits']);
    expect(result.unchanged).toEqual(['pinned']);
    await until(() => sb.getServer('inherits')!.state === 'connected', 10_000, 'reconnect');
    expect(sb.getServer('inherits')!.protocol).toMatchObject({ era: 'modern' });
  });

  it('a reload during the era probe (a server slow to answer server/discover) ends cleanly', async () => {
    const log = logFile();
    const sb = board({ m: modernOnly(log) }, { timeouts: T });
    const starting = sb.start();
    const reloading = sb.reload({ servers: { m: { ...modernOnly(log), protocol: '2026-07-28' } }, defaults: { ...FAST, timeouts: T } } as never);
    await Promise.all([starting, reloading]);
    await until(() => sb.getServer('m')!.state === 'connected', 10_000, 'connected');
    const r = await sb.callTool('whoami', {}, { server: 'm' });
    expect(r.isError).toBeFalsy();
  });
});
