import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { startSseServer, startStreamableHttpServer, type TestHttpServer } from '../helpers/httpServers.js';
import { FAST, recordEvents, until } from '../helpers/switchboard.js';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

/** Fault matrix (research/reliability.md §6) over streamable HTTP and SSE on 127.0.0.1. */
describe('HTTP and SSE faults', () => {
  let sb: Switchboard | undefined;
  const servers: TestHttpServer[] = [];
  const track = (server: TestHttpServer) => {
    servers.push(server);
    return server;
  };
  const open = (config: Record<string, unknown>, defaults: Record<string, unknown> = FAST) => {
    sb = createSwitchboard({ servers: config as never, defaults: defaults as never });
    return sb;
  };

  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    for (const server of servers.splice(0)) await server.close();
  });

  it('opens the breaker on 5xx, refuses without reaching the server, probes and closes (FM-17)', async () => {
    const web = track(await startStreamableHttpServer('web'));
    const s = open(
      { web: { transport: 'http', url: web.url } },
      { ...FAST, breaker: { minimumNumberOfCalls: 5, slidingWindowSize: 5, waitDurationInOpenMs: 300, maxWaitDurationInOpenMs: 10000 } },
    );
    const events = recordEvents(s);
    await s.start();
    web.faults.fail500 = true;
    for (let i = 0; i < 5; i++) await expect(s.callTool('web__echo', { text: 'x' })).rejects.toMatchObject({ code: 'ProtocolError' });
    expect(s.getServer('web')!.breaker!.state).toBe('open');
    const calls = web.calls;
    const refused = await s.callTool('web__echo', { text: 'x' }).catch((e: { code: string; retryAfterMs?: number }) => e);
    expect(refused).toMatchObject({ code: 'CircuitOpen' });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect(web.calls).toBe(calls);
    await until(() => s.getServer('web')!.breaker!.state === 'half-open', 5_000, 'half-open');
    await expect(s.callTool('web__echo', { text: 'x' })).rejects.toMatchObject({ code: 'ProtocolError' });
    expect(s.getServer('web')!.breaker).toMatchObject({ state: 'open', consecutiveOpens: 2 });
    web.faults.fail500 = false;
    await until(() => s.getServer('web')!.breaker!.state === 'half-open', 5_000, 'half-open again');
    expect(text(await s.callTool('web__echo', { text: 'back' }))).toBe('back');
    expect(s.getServer('web')!.breaker!.state).toBe('closed');
    const transitions = events.filter((e) => e.type === 'breaker.stateChanged').map((e) => e.type === 'breaker.stateChanged' && `${e.to}:${e.reason}`);
    expect(transitions).toEqual(['open:failureRate', 'half-open:openTimeout', 'open:probeFailed', 'half-open:openTimeout', 'closed:probeSucceeded']);
    expect(s.getServer('web')!.state).toBe('connected');
  });

  it('re-initializes a session the server forgot and retries the call once (FM-18)', async () => {
    const web = track(await startStreamableHttpServer('web'));
    const s = open({ web: { transport: 'http', url: web.url } });
    const events = recordEvents(s);
    await s.start();
    web.dropSessions();
    expect(text(await s.callTool('web__echo', { text: 'again' }))).toBe('again');
    expect(events).toContainEqual(expect.objectContaining({ type: 'server.stateChanged', from: 'connected', to: 'connecting', reason: 'sessionExpired' }));
    expect(s.getServer('web')!.reconnects).toBe(1);
    expect(s.getServer('web')!.breaker!.failedCalls).toBe(0);
  });

  it('recovers after the HTTP server restarts on the same port (FM-20)', async () => {
    let web = await startStreamableHttpServer('web');
    const s = open({ web: { transport: 'http', url: web.url } });
    await s.start();
    const port = web.port;
    await web.close();
    web = track(await startStreamableHttpServer('web', port));
    // The first call may still meet a pooled socket of the old process (it may have run there,
    // so it is not replayed) or the new server's 404 (never ran: re-initialized and retried).
    const first = await s.callTool('web__whoami').then(text, (e: { code: string }) => e.code);
    expect(['web', 'ConnectionLost']).toContain(first);
    await until(() => s.getServer('web')!.state === 'connected', 10_000, 'reconnect');
    expect(text(await s.callTool('web__whoami'))).toBe('web');
    expect(s.listTools('web').length).toBeGreaterThan(0);
  });

  it('settles a call when the HTTP server dies mid-call, then reconnects when it is back', async () => {
    let web = await startStreamableHttpServer('web');
    const s = open({ web: { transport: 'http', url: web.url } }, { ...FAST, timeouts: { ...FAST.timeouts, callMs: 2000 } });
    await s.start();
    const port = web.port;
    const pending = s.callTool('web__slow', { ms: 10_000 }).then(
      () => 'resolved',
      (e: { code: string }) => e.code,
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await web.close();
    expect(['ConnectionLost', 'ToolCallTimeout']).toContain(await pending);
    expect(Date.now() - started).toBeLessThan(3000);
    await until(() => s.getServer('web')!.state !== 'connected', 5_000, 'the loss to be noticed');
    web = track(await startStreamableHttpServer('web', port));
    await until(() => s.getServer('web')!.state === 'connected', 10_000, 'reconnect');
    expect(text(await s.callTool('web__whoami'))).toBe('web');
  });

  it('times out an initialize that never answers and aborts the attempt (FM-21)', async () => {
    const web = track(await startStreamableHttpServer('web'));
    web.faults.hangInit = true;
    const s = open({ web: { transport: 'http', url: web.url } }, { ...FAST, timeouts: { ...FAST.timeouts, connectMs: 600 } });
    const events = recordEvents(s);
    await s.start();
    expect(s.getServer('web')).toMatchObject({ state: 'disconnected', lastError: { code: 'ConnectTimeout' } });
    web.faults.hangInit = false;
    await until(() => s.getServer('web')!.state === 'connected', 10_000, 'connect once initialize answers');
    expect(events.filter((e) => e.type === 'server.stateChanged' && e.reason === 'connectTimeout').length).toBeGreaterThanOrEqual(1);
  });

  it('keeps a session whose server refuses the optional GET stream, without a reconnect storm (FM-19)', async () => {
    const web = track(await startStreamableHttpServer('web'));
    web.faults.noGetStream = true;
    const s = open({ web: { transport: 'http', url: web.url } });
    const events = recordEvents(s);
    await s.start();
    for (let i = 0; i < 5; i++) expect(text(await s.callTool('web__echo', { text: `n${i}` }))).toBe(`n${i}`);
    const before = web.requests;
    await new Promise((r) => setTimeout(r, 500));
    expect(web.requests - before).toBeLessThan(5);
    expect(s.getServer('web')).toMatchObject({ state: 'connected', reconnects: 0 });
    expect(events.filter((e) => e.type === 'server.stateChanged')).toHaveLength(2);
  });

  it('recovers a legacy SSE connection after the server restarts', async () => {
    let legacy = await startSseServer('legacy');
    const s = open({ legacy: { transport: 'sse', url: legacy.url } });
    await s.start();
    expect(text(await s.callTool('legacy__whoami'))).toBe('legacy');
    const port = legacy.port;
    await legacy.close();
    legacy = track(await startSseServer('legacy', port));
    await until(() => s.getServer('legacy')!.state === 'connected' && s.getServer('legacy')!.reconnects >= 1, 10_000, 'SSE reconnect');
    expect(text(await s.callTool('legacy__whoami'))).toBe('legacy');
  });

  it('recovers when the SSE server forgets the session', async () => {
    const legacy = track(await startSseServer('legacy'));
    const s = open({ legacy: { transport: 'sse', url: legacy.url } }, { ...FAST, timeouts: { ...FAST.timeouts, callMs: 3000 } });
    await s.start();
    legacy.dropSessions();
    await until(() => s.getServer('legacy')!.reconnects >= 1 && s.getServer('legacy')!.state === 'connected', 10_000, 'SSE session recovery');
    expect(text(await s.callTool('legacy__echo', { text: 'ok' }))).toBe('ok');
  });

  it('never sends secrets anywhere a caller can see them (FM-27)', async () => {
    const web = track(await startStreamableHttpServer('web'));
    const secret = 'Bearer hush-SECRET-token-123';
    const s = open({ web: { transport: 'http', url: web.url, headers: { Authorization: secret } } });
    await s.start();
    web.faults.fail500 = true;
    const error = await s.callTool('web__echo', { text: 'x' }).catch((e: Error) => e);
    const visible = JSON.stringify([s.listServers(), (error as Error).message, s.listTools(), s.actor.getSnapshot().context]);
    expect(visible).not.toContain('hush-SECRET-token-123');
  });
});
