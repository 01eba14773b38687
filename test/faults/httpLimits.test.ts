import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { startRawHttpServer, startSseServer, startStreamableHttpServer, type RawHttpServer, type TestHttpServer } from '../helpers/httpServers.js';
import { FAST, rawServer, until } from '../helpers/switchboard.js';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;
const MiB = 1024 * 1024;
/** Echoed, this text makes an answer just over a 1 MiB cap from arguments just under it. */
const JUST_UNDER = 'x'.repeat(MiB - 20);

/** Sockets, sizes, envelopes and credentials over streamable HTTP (and the same caps over stdio). */
describe('HTTP calls: sockets, size caps, broken envelopes, auth', () => {
  let sb: Switchboard | undefined;
  const closers: { close(): Promise<void> }[] = [];
  const open = (config: Record<string, unknown>, defaults: Record<string, unknown> = FAST) => {
    sb = createSwitchboard({ servers: config as never, defaults: defaults as never });
    return sb;
  };
  const web = async (): Promise<TestHttpServer> => {
    const server = await startStreamableHttpServer('web');
    closers.push(server);
    return server;
  };
  const raw = async (): Promise<RawHttpServer> => {
    const server = await startRawHttpServer();
    closers.push(server);
    return server;
  };
  const settle = async (promise: Promise<unknown>) => {
    const started = Date.now();
    const outcome = await promise.then(
      (value) => ({ value, code: undefined as string | undefined, message: '' }),
      (error: { code?: string; message: string }) => ({ value: undefined, code: error.code, message: error.message }),
    );
    return { ...outcome, ms: Date.now() - started };
  };

  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    for (const server of closers.splice(0)) await server.close();
  });

  it('closes the socket of a timed-out call, so the server sees the request end', async () => {
    const server = await web();
    const s = open({ web: { transport: 'http', url: server.url } });
    await s.start();
    const result = await settle(s.callTool('web__slow', { ms: 60_000 }, { timeoutMs: 300 }));
    expect(result.code).toBe('ToolCallTimeout');
    expect(server.calls).toBe(1);
    await until(() => server.openCallSockets === 0, 5_000, 'the call socket to close');
    expect(text(await s.callTool('web__echo', { text: 'still here' }))).toBe('still here');
  });

  it('puts one listener on the transport-wide signal however many calls are in flight (no MaxListenersExceededWarning)', async () => {
    const server = await web();
    const s = open({ web: { transport: 'http', url: server.url } }, { ...FAST, limits: { maxConcurrentCalls: 64 } });
    await s.start();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const results = await Promise.all(Array.from({ length: 64 }, (_, i) => s.callTool('web__echo', { text: String(i) })));
      expect(results.map(text)).toEqual(Array.from({ length: 64 }, (_, i) => String(i)));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning') && w.includes('AbortSignal'))).toEqual([]);
  });

  it('closes the socket of a cancelled call and counts no breaker failure', async () => {
    const server = await web();
    const s = open({ web: { transport: 'http', url: server.url } });
    await s.start();
    const controller = new AbortController();
    const pending = settle(s.callTool('web__slow', { ms: 60_000 }, { signal: controller.signal, timeoutMs: 30_000 }));
    await until(() => server.openCallSockets === 1, 5_000, 'the call to arrive');
    controller.abort();
    expect((await pending).code).toBe('Cancelled');
    await until(() => server.openCallSockets === 0, 5_000, 'the call socket to close');
    expect(s.getServer('web')).toMatchObject({ state: 'connected', breaker: { failedCalls: 0 } });
  });

  for (const as of ['json', 'sse'] as const) {
    it(`fails a 20 MB ${as} result at once with ProtocolError under a 1 MiB cap, without holding it`, async () => {
      const server = await raw();
      const s = open({ big: { transport: 'http', url: server.url } }, { ...FAST, limits: { maxMessageBytes: MiB }, timeouts: { ...FAST.timeouts, callMs: 20_000 } });
      await s.start();
      // Warm up first: the first call over a transport loads and compiles code worth megabytes.
      expect(text(await s.callTool('do', { as }))).toBe('ok');
      const before = process.memoryUsage().rss;
      const result = await settle(s.callTool('do', { mode: 'big', as, bytes: 20 * MiB }));
      const grown = process.memoryUsage().rss - before;
      expect(result).toMatchObject({ code: 'ProtocolError' });
      expect(result.message).toContain('limits.maxMessageBytes');
      expect(result.ms).toBeLessThan(5_000);
      // Held whole (no cap), the same call grew the process by 68-95 MiB here.
      expect(grown).toBeLessThan(20 * MiB);
      expect(text(await s.callTool('do', { as }))).toBe('ok');
      expect(s.getServer('big')).toMatchObject({ state: 'connected', reconnects: 0 });
    });
  }

  it('fails an oversized answer on the legacy SSE stream with ProtocolError and keeps the session', async () => {
    const server = await startSseServer('legacy');
    closers.push(server);
    const s = open({ legacy: { transport: 'sse', url: server.url } }, { ...FAST, limits: { maxMessageBytes: MiB }, timeouts: { ...FAST.timeouts, callMs: 20_000 } });
    await s.start();
    // Arguments just under the cap (larger ones are refused before dispatch) come back just over
    // it, on the one GET stream shared by every call: the answer is found by the id at its end.
    const result = await settle(s.callTool('legacy__echo', { text: JUST_UNDER }));
    expect(result.code).toBe('ProtocolError');
    expect(result.ms).toBeLessThan(5_000);
    expect(text(await s.callTool('legacy__echo', { text: 'small' }))).toBe('small');
    expect(s.getServer('legacy')).toMatchObject({ state: 'connected', reconnects: 0 });
  });

  it('fails an oversized answer from an SDK server with ProtocolError and keeps the session', async () => {
    const server = await web();
    const s = open({ web: { transport: 'http', url: server.url } }, { ...FAST, limits: { maxMessageBytes: MiB }, timeouts: { ...FAST.timeouts, callMs: 20_000 } });
    await s.start();
    const result = await settle(s.callTool('web__echo', { text: JUST_UNDER }));
    expect(result.code).toBe('ProtocolError');
    expect(result.ms).toBeLessThan(5_000);
    expect(text(await s.callTool('web__echo', { text: 'small' }))).toBe('small');
    expect(s.getServer('web')).toMatchObject({ state: 'connected', reconnects: 0 });
  });

  for (const as of ['json', 'sse'] as const) {
    for (const mode of ['result-number', 'result-and-error']) {
      it(`fails a ${as} response with a broken envelope (${mode}) at once with ProtocolError`, async () => {
        const server = await raw();
        const s = open({ raw: { transport: 'http', url: server.url } }, { ...FAST, timeouts: { ...FAST.timeouts, callMs: 20_000 } });
        await s.start();
        const result = await settle(s.callTool('do', { mode, as }));
        expect(result.code).toBe('ProtocolError');
        expect(result.ms).toBeLessThan(5_000);
        expect(text(await s.callTool('do', { as }))).toBe('ok');
      });
    }
  }

  for (const status of [401, 403] as const) {
    it(`fails a call answered ${status} mid-session at once with AuthRequired, not counted by the breaker`, async () => {
      const server = await web();
      const s = open({ web: { transport: 'http', url: server.url } }, { ...FAST, timeouts: { ...FAST.timeouts, callMs: 20_000 } });
      await s.start();
      server.faults.authStatus = status;
      const result = await settle(s.callTool('web__echo', { text: 'x' }));
      expect(result.code).toBe('AuthRequired');
      expect(result.ms).toBeLessThan(5_000);
      expect(s.getServer('web')!.breaker!.failedCalls).toBe(0);
      // The server goes to error (not retryable) until reconnect(), and refuses calls at once.
      await until(() => s.getServer('web')!.state === 'error', 5_000, 'web in error');
      expect(s.getServer('web')!.lastError).toMatchObject({ code: 'AuthRequired', retryable: false });
      await expect(s.callTool('web__echo', { text: 'y' })).rejects.toMatchObject({ code: 'ServerUnavailable' });
      server.faults.authStatus = 0;
      s.reconnect('web');
      await until(() => s.getServer('web')!.state === 'connected', 10_000, 'web to reconnect');
    });

    it(`sends a server that answers initialize with ${status} to error as AuthRequired, without retries`, async () => {
      const server = await web();
      server.faults.authStatus = status;
      const s = open({ web: { transport: 'http', url: server.url } });
      await s.start();
      expect(s.getServer('web')).toMatchObject({ state: 'error', lastError: { code: 'AuthRequired', retryable: false } });
    });
  }
});

describe('stdio messages: size cap and broken envelopes', () => {
  let sb: Switchboard | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });
  const open = (limits: Record<string, unknown> = {}) => {
    sb = createSwitchboard({ servers: { raw: rawServer() as never }, defaults: { ...FAST, limits, timeouts: { ...FAST.timeouts, callMs: 20_000 } } as never });
    return sb;
  };

  for (const mode of ['big', 'big-id-first']) {
    it(`fails an oversized line (${mode}) at once with ProtocolError and keeps the connection`, async () => {
      const s = open({ maxMessageBytes: MiB });
      await s.start();
      const started = Date.now();
      await expect(s.callTool('do', { mode, bytes: 20 * MiB })).rejects.toMatchObject({ code: 'ProtocolError', message: expect.stringContaining('limits.maxMessageBytes') });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await s.callTool('do')).content[0]).toMatchObject({ type: 'text' });
      expect(s.getServer('raw')).toMatchObject({ state: 'connected', reconnects: 0 });
    });
  }

  for (const mode of ['result-number', 'result-and-error', 'result-array']) {
    it(`fails a response with a broken envelope (${mode}) at once with ProtocolError`, async () => {
      const s = open();
      await s.start();
      const started = Date.now();
      await expect(s.callTool('do', { mode })).rejects.toMatchObject({ code: 'ProtocolError', message: expect.stringContaining('invalid response envelope') });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await s.callTool('do')).content[0]).toMatchObject({ type: 'text' });
    });
  }
});
