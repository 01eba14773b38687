import { describe, expect, it, afterEach } from 'vitest';
import { board, logFile, raw, reconnected, traffic, useNegotiation, warnings } from '../helpers/negotiation.js';
import { fixturePid } from '../helpers/processes.js';
import { startStreamableHttpServer } from '../helpers/httpServers.js';
import { FAST, until } from '../helpers/switchboard.js';
import { startV2HttpServer } from '../helpers/v2Servers.js';
// @ts-expect-error plain JS fixture
import { startDiscoverHttp } from '../fixtures/discoverHttp.mjs';

/**
 * Era negotiation against hostile and odd servers (DESIGN §15, issue 20 "Bad input and hostile
 * servers"): a stdio server that dies, answers garbage, an endless or oversized line, or nothing
 * on `server/discover` falls back to legacy once, with a warning, remembered, bounded by the size
 * cap and the connect deadline; over streamable HTTP the probe is one POST, an unusable answer is
 * a broken probe too, 401/403 is AuthRequired and a 5xx or a reset is a retried failed connect.
 */

useNegotiation();

describe('a server that breaks on server/discover', () => {
  /** Connects `raw(log, mode)` under auto and returns what each process saw. */
  const fallback = async (mode: string, defaults: Record<string, unknown> = {}) => {
    const log = logFile();
    const sb = board({ broken: raw(log, mode) }, defaults);
    const warned = warnings(sb);
    const started = Date.now();
    await sb.start();
    const ms = Date.now() - started;
    return { sb, log, warned, ms, seen: traffic(log) };
  };

  for (const mode of ['die', 'garbage', 'not-rpc', 'bad-envelope', 'endless', 'huge']) {
    it(`falls back to legacy once (${mode}), warns, and remembers it`, async () => {
      const rssBefore = process.memoryUsage().rss;
      const { sb, log, warned, ms, seen } = await fallback(mode, { limits: { maxMessageBytes: 64 * 1024 } });
      expect(sb.getServer('broken')).toMatchObject({ state: 'connected', protocol: { era: 'legacy' } });
      expect(ms).toBeLessThan(FAST.timeouts.connectMs);
      // One process probed, one restarted in legacy mode: initialize first, no second discover.
      expect(seen).toHaveLength(2);
      expect(seen[0]!.methods).toEqual(['server/discover']);
      expect(seen[1]!.methods[0]).toBe('initialize');
      expect(seen[1]!.methods).not.toContain('server/discover');
      expect(warned.filter((m) => m.includes('server/discover'))).toHaveLength(1);
      // Bounded like any other message: nothing of an endless or huge answer is kept.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
      // Remembered: a reconnect starts legacy at once.
      const pid = fixturePid(sb.getServer('broken')!.stderrTail);
      sb.reconnect('broken');
      await reconnected(sb, 'broken', pid);
      const after = traffic(log);
      expect(after).toHaveLength(3);
      expect(after[2]!.methods[0]).toBe('initialize');
      expect(warned.filter((m) => m.includes('server/discover'))).toHaveLength(1);
    });
  }

  it('takes a server silent on server/discover for legacy after half the connect timeout (at most 5 s), on the same process', async () => {
    const { sb, ms, seen } = await fallback('silent');
    expect(sb.getServer('broken')).toMatchObject({ state: 'connected', protocol: { era: 'legacy' } });
    expect(ms).toBeGreaterThanOrEqual(FAST.timeouts.connectMs / 2 - 50);
    expect(ms).toBeLessThan(FAST.timeouts.connectMs);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
  });

  it('waits at most 5 s of silence on server/discover under a long connect deadline (60 s for stdio), then sends initialize', async () => {
    // Half of 20 s would be 10 s; a stdio server's own 60 s deadline would make it 30 s.
    const { sb, ms, seen } = await fallback('silent', { timeouts: { ...FAST.timeouts, connectMs: 20_000 } });
    expect(sb.getServer('broken')).toMatchObject({ state: 'connected', protocol: { era: 'legacy' } });
    expect(ms).toBeGreaterThanOrEqual(5_000 - 50);
    expect(ms).toBeLessThan(8_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
  }, 20_000);
});

describe('auto over streamable HTTP', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const http = (url: string, extra: Record<string, unknown> = {}) => ({ transport: 'http' as const, url, ...extra });

  it('probes a modern-only v2 server with one POST and sends no second one on reconnect', async () => {
    const server = await startV2HttpServer('modern', { modernOnly: true });
    closers.push(server.close);
    const sb = board({ modern: http(server.url) });
    await sb.start();
    expect(sb.getServer('modern')).toMatchObject({ state: 'connected', protocol: { era: 'modern', version: '2026-07-28' } });
    expect(server.state.methods.filter((m) => m === 'server/discover')).toHaveLength(1);
    expect(server.state.methods[0]).toBe('server/discover');
    sb.reconnect('modern');
    await until(() => sb.getServer('modern')!.state === 'connected' && sb.getServer('modern')!.reconnects >= 1, 10_000, 'the reconnect');
    expect(server.state.methods.filter((m) => m === 'server/discover')).toHaveLength(1);
    expect((await sb.callTool('modern__whoami', {})).isError).toBeFalsy();
  });

  it('connects a modern-only v2 server pinned to 2026-07-28, and refuses it pinned to 2025-11-25 naming 2026-07-28', async () => {
    const server = await startV2HttpServer('modern', { modernOnly: true });
    closers.push(server.close);
    const sb = board({ pinned: http(server.url, { protocol: '2026-07-28' }), old: http(server.url, { protocol: '2025-11-25' }) });
    await sb.start();
    expect(sb.getServer('pinned')).toMatchObject({ state: 'connected', protocol: { era: 'modern' } });
    expect(sb.getServer('old')).toMatchObject({ state: 'error', lastError: { code: 'UnsupportedProtocolVersion', message: expect.stringMatching(/offers 2026-07-28/) } });
  });

  it('connects a legacy SDK server after one discover POST, and refuses it pinned to 2026-07-28 naming its version', async () => {
    const server = await startStreamableHttpServer('legacy');
    closers.push(server.close);
    const sb = board({ legacy: http(server.url), pinned: http(server.url, { protocol: '2026-07-28' }) });
    await sb.start();
    expect(sb.getServer('legacy')).toMatchObject({ state: 'connected', protocol: { era: 'legacy', version: '2025-11-25' } });
    expect(sb.getServer('pinned')).toMatchObject({ state: 'error', lastError: { code: 'UnsupportedProtocolVersion', message: expect.stringContaining('2025-11-25') } });
    expect(sb.getServer('pinned')!.reconnects).toBe(0);
  });

  it('sends exactly one server/discover to a legacy server, then initialize, and none on reconnect', async () => {
    const server = await startDiscoverHttp();
    closers.push(server.close);
    const sb = board({ legacy: http(server.url) });
    await sb.start();
    expect(sb.getServer('legacy')).toMatchObject({ state: 'connected', protocol: { era: 'legacy' } });
    expect(server.state.methods.slice(0, 2)).toEqual(['server/discover', 'initialize']);
    sb.reconnect('legacy');
    await until(() => sb.getServer('legacy')!.state === 'connected' && sb.getServer('legacy')!.reconnects >= 1, 10_000, 'the reconnect');
    expect(server.state.methods.filter((m: string) => m === 'server/discover')).toHaveLength(1);
  });

  for (const status of [401, 403]) {
    it(`takes ${status} on the discover for AuthRequired, not a version problem`, async () => {
      const server = await startDiscoverHttp(`status:${status}`);
      closers.push(server.close);
      const sb = board({ locked: http(server.url) });
      await sb.start();
      expect(sb.getServer('locked')).toMatchObject({ state: 'error', lastError: { code: 'AuthRequired', retryable: false } });
      expect(server.state.methods).toEqual(['server/discover']);
    });
  }

  for (const mode of ['status:500', 'status:503', 'hangup']) {
    it(`retries a connect whose discover got ${mode}, remembering nothing, and connects once the server answers`, async () => {
      const server = await startDiscoverHttp(mode);
      closers.push(server.close);
      const sb = board({ flaky: http(server.url) });
      const changes: { to: string; error?: { code: string; retryable?: boolean } }[] = [];
      sb.on('server.stateChanged', (e) => changes.push(e as never));
      const started = sb.start();
      await until(() => changes.filter((c) => c.error !== undefined).length >= 2, 10_000, 'two failed connects');
      expect(changes.find((c) => c.error)!.error).toMatchObject({ retryable: true });
      expect(changes.map((c) => c.to)).not.toContain('error');
      // Each attempt asked again: a failed probe is no verdict.
      expect(server.state.methods.filter((m: string) => m === 'server/discover').length).toBeGreaterThanOrEqual(2);
      expect(server.state.methods).not.toContain('initialize');
      server.state.mode = 'legacy';
      await started;
      await until(() => sb.getServer('flaky')!.state === 'connected', 10_000, 'the connect after the failures');
      expect(sb.getServer('flaky')!.protocol).toMatchObject({ era: 'legacy' });
    });
  }

  for (const mode of ['garbage', 'not-rpc', 'html', 'sse-garbage', 'endless']) {
    it(`takes a discover answer that is ${mode} for a broken probe: legacy at once, with a warning, within the connect deadline`, async () => {
      const server = await startDiscoverHttp(mode);
      closers.push(server.close);
      const sb = board({ odd: http(server.url) }, { limits: { maxMessageBytes: 64 * 1024 } });
      const warned = warnings(sb);
      const started = Date.now();
      await sb.start();
      expect(Date.now() - started).toBeLessThan(FAST.timeouts.connectMs);
      await until(() => sb.getServer('odd')!.state === 'connected', 10_000, 'the legacy connect');
      expect(sb.getServer('odd')!.protocol).toMatchObject({ era: 'legacy' });
      expect(server.state.methods.filter((m: string) => m === 'server/discover')).toHaveLength(1);
      expect(warned.filter((m) => m.includes('server/discover'))).toHaveLength(1);
    });
  }
});
