import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/index.js';
import { board, legacyV1, logFile, modernOnly, raw, reconnected, traffic, useNegotiation } from '../helpers/negotiation.js';
import { fixturePid } from '../helpers/processes.js';
import { FAST, until } from '../helpers/switchboard.js';

/**
 * Era negotiation under `protocol: auto` over stdio (DESIGN §15, issue 20 item 2): one process and
 * one `server/discover` per server, once; `initialize` on the same process for a legacy server; the
 * verdict remembered across reconnects and forgotten when it fails or the config changes; and
 * pinned eras the server does not speak (non-retryable, naming what the server speaks).
 */

useNegotiation();

describe('auto over stdio: one process, one round trip', () => {
  it('connects a modern-only v2 server on the one process it spawned, with one server/discover and no initialize', async () => {
    const log = logFile();
    const sb = board({ modern: modernOnly(log) });
    await sb.start();
    expect(sb.getServer('modern')).toMatchObject({ state: 'connected', protocol: { era: 'modern', version: '2026-07-28' } });
    const seen = traffic(log);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.methods[0]).toBe('server/discover');
    expect(seen[0]!.methods.filter((m) => m === 'server/discover')).toHaveLength(1);
    expect(seen[0]!.methods).not.toContain('initialize');
    expect((await sb.callTool('modern__whoami', {})).isError).toBeFalsy();
  });

  it('sends initialize to a legacy v1 server on the same process that got server/discover', async () => {
    const log = logFile();
    const sb = board({ legacy: legacyV1(log) });
    await sb.start();
    expect(sb.getServer('legacy')).toMatchObject({ state: 'connected', protocol: { era: 'legacy', version: '2025-11-25' } });
    const seen = traffic(log);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.methods.slice(0, 3)).toEqual(['server/discover', 'initialize', 'notifications/initialized']);
  });

  it('starts 50 processes for 50 stdio servers, each asked server/discover once', async () => {
    const log = logFile();
    const servers = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`s${i}`, raw(log)]));
    const sb = board(servers, { timeouts: { connectMs: 20_000, callMs: 800, shutdownMs: 1000 } });
    await sb.start();
    expect(sb.listServers().filter((s) => s.state === 'connected')).toHaveLength(50);
    const seen = traffic(log);
    expect(seen).toHaveLength(50);
    for (const { methods } of seen) expect(methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
  }, 60_000);
});

describe('the verdict is remembered', () => {
  it('sends a legacy server initialize first after a crash and after reconnect(name), never server/discover again', async () => {
    const log = logFile();
    const sb = board({ legacy: raw(log) });
    await sb.start();
    const first = fixturePid(sb.getServer('legacy')!.stderrTail);
    process.kill(first, 'SIGKILL');
    const second = await reconnected(sb, 'legacy', first);
    sb.reconnect('legacy');
    await reconnected(sb, 'legacy', second);
    const seen = traffic(log);
    expect(seen).toHaveLength(3);
    expect(seen[0]!.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
    for (const later of seen.slice(1)) {
      expect(later.methods[0]).toBe('initialize');
      expect(later.methods).not.toContain('server/discover');
    }
  });

  it('connects a modern server again after a crash and after reconnect(name) without a server/discover', async () => {
    const log = logFile();
    const sb = board({ modern: modernOnly(log) });
    await sb.start();
    const first = fixturePid(sb.getServer('modern')!.stderrTail);
    process.kill(first, 'SIGKILL');
    const second = await reconnected(sb, 'modern', first);
    sb.reconnect('modern');
    await reconnected(sb, 'modern', second);
    expect(sb.getServer('modern')!.protocol).toEqual({ era: 'modern', version: '2026-07-28' });
    const seen = traffic(log);
    expect(seen).toHaveLength(3);
    expect(seen[0]!.methods[0]).toBe('server/discover');
    for (const later of seen.slice(1)) expect(later.methods).not.toContain('server/discover');
    expect((await sb.callTool('modern__whoami', {})).isError).toBeFalsy();
  });

  it('forgets a remembered era whose connect failed: the next connect asks server/discover again', async () => {
    const log = logFile();
    const sb = board({ legacy: raw(log) });
    await sb.start();
    const first = fixturePid(sb.getServer('legacy')!.stderrTail);
    // The next process refuses initialize once (then behaves): the remembered legacy era fails.
    writeFileSync(`${log}.modes`, 'init-fail-once');
    process.kill(first, 'SIGKILL');
    await until(() => traffic(log).length === 3 && sb.getServer('legacy')!.state === 'connected', 15_000, 'the connect after the failed one');
    const [, failed, fresh] = traffic(log);
    expect(failed!.methods[0]).toBe('initialize');
    expect(failed!.methods).not.toContain('server/discover');
    expect(fresh!.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
  });

  // Needs session/attempt.ts to forget the verdict on any failed connect (a modern era adopted
  // without a round trip fails only at the first listing, after open): flip to `it` with that change.
  it('forgets a remembered modern era that fails: a server now legacy is asked server/discover again and reached', async () => {
    const log = logFile();
    const sb = board({ moved: raw(log, 'modern') });
    await sb.start();
    expect(sb.getServer('moved')!.protocol).toMatchObject({ era: 'modern' });
    const first = fixturePid(sb.getServer('moved')!.stderrTail);
    // From now on the server is legacy: a request before initialize is refused.
    writeFileSync(`${log}.modes`, 'needs-init');
    process.kill(first, 'SIGKILL');
    await until(() => sb.getServer('moved')!.state === 'connected' && sb.getServer('moved')!.protocol?.era === 'legacy', 8_000, 'the legacy connect');
    const seen = traffic(log);
    expect(seen[1]!.methods).not.toContain('server/discover');
    expect(seen.at(-1)!.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
    expect(seen.length).toBeLessThanOrEqual(4);
  });

  it('asks server/discover again after a reload that changes the server', async () => {
    const log = logFile();
    const servers = { legacy: raw(log) };
    const sb = board(servers);
    await sb.start();
    const first = fixturePid(sb.getServer('legacy')!.stderrTail);
    await sb.reload({ servers: { legacy: { ...servers.legacy, env: { CHANGED: '1' } } }, defaults: FAST } as never);
    await reconnected(sb, 'legacy', first);
    const seen = traffic(log);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
  });
});

describe('a pinned era the server does not speak', () => {
  const refused = async (sb: Switchboard, name: string) => {
    await sb.start();
    const server = sb.getServer(name)!;
    expect(server.state).toBe('error');
    expect(server.lastError).toMatchObject({ code: 'UnsupportedProtocolVersion' });
    return server.lastError!.message;
  };

  it('2026-07-28 against a legacy server: error, not retried, naming the legacy version it speaks', async () => {
    const log = logFile();
    const sb = board({ legacy: { ...legacyV1(log), protocol: '2026-07-28' } });
    const message = await refused(sb, 'legacy');
    expect(message).toContain('2026-07-28');
    expect(message).toContain('2025-11-25');
    expect(traffic(log)).toHaveLength(1);
    expect(sb.getServer('legacy')!.reconnects).toBe(0);
  });

  it('2026-07-28 against a legacy server of an older version: the message names that version', async () => {
    const log = logFile();
    const sb = board({ old: { ...raw(log, 'old-version'), protocol: '2026-07-28' } });
    const message = await refused(sb, 'old');
    expect(message).toContain('2025-06-18');
    expect(message).not.toContain('2025-11-25 (');
    expect(traffic(log)).toHaveLength(1);
    expect(traffic(log)[0]!.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
    expect(sb.getServer('old')!.reconnects).toBe(0);
  });

  it('2025-11-25 against a modern-only server (−32022 to initialize): error, not retried, naming 2026-07-28', async () => {
    const log = logFile();
    const sb = board({ modern: { ...modernOnly(log), protocol: '2025-11-25' } });
    const message = await refused(sb, 'modern');
    expect(message).toMatch(/offers 2026-07-28|supports 2026-07-28/);
    const seen = traffic(log);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.methods[0]).toBe('initialize');
    expect(sb.getServer('modern')!.reconnects).toBe(0);
  });

  it('auto against a server that offers only versions we do not speak: error naming them', async () => {
    const log = logFile();
    const sb = board({ future: raw(log, 'future') });
    const message = await refused(sb, 'future');
    expect(message).toContain('2099-01-01');
    expect(traffic(log)).toHaveLength(1);
  });
});
