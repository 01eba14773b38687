import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { isAlive, waitGone } from '../helpers/processes.js';
import { FAST, rawPid, rawServer, recordEvents, until } from '../helpers/switchboard.js';

/** Fault matrix (research/reliability.md §6) over stdio, with real child processes. */
describe('stdio faults', () => {
  let sb: Switchboard | undefined;
  const open = (server: Record<string, unknown>, defaults: Record<string, unknown> = FAST) => {
    sb = createSwitchboard({ servers: { raw: server as never }, defaults: defaults as never });
    return sb;
  };
  const settleTime = async (promise: Promise<unknown>): Promise<{ value?: unknown; code?: string | undefined; ms: number }> => {
    const started = Date.now();
    const outcome = await promise.then(
      (value) => ({ value }),
      (error: { code?: string }) => ({ code: error.code }),
    );
    return { ...outcome, ms: Date.now() - started };
  };

  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });

  it('keeps retrying a server that exits before initialize, without giving up (FM-02)', async () => {
    const s = open({ transport: 'stdio', command: process.execPath, args: ['-e', 'process.exit(1)'] });
    const events = recordEvents(s);
    await s.start();
    await until(() => events.filter((e) => e.type === 'server.stateChanged' && e.to === 'connecting').length >= 3, 10_000, 'three attempts');
    expect(s.getServer('raw')!.state).not.toBe('error');
  });

  it('fails a call on a crash, reconnects and counts a breaker failure (FM-03)', async () => {
    const s = open(rawServer());
    await s.start();
    const pid = rawPid(s.getServer('raw')!.stderrTail);
    const result = await settleTime(s.callTool('do', { mode: 'crash' }));
    expect(result.code).toBe('ConnectionLost');
    expect(await waitGone(pid)).toBe(true);
    expect(s.getServer('raw')!.breaker!.failedCalls).toBe(1);
    await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'reconnect');
    expect(rawPid(s.getServer('raw')!.stderrTail)).not.toBe(pid);
  });

  it('rejects every in-flight call once on a crash and refuses calls during backoff with a wait (RC-12)', async () => {
    // Waiting for the reconnect is off: this is the refusal itself (test/waits/ covers the wait).
    const s = open(rawServer(), { ...FAST, reconnect: { baseMs: 2000, minMs: 1000, maxMs: 2000 }, timeouts: { ...FAST.timeouts, callMs: 5000 }, admission: { waitForReconnectMs: 0 } });
    await s.start();
    const inFlight = [1, 2, 3].map(() => settleTime(s.callTool('do', { mode: 'hang' })));
    await new Promise((r) => setTimeout(r, 50));
    const crash = settleTime(s.callTool('do', { mode: 'crash' }));
    const outcomes = await Promise.all([...inFlight, crash]);
    expect(outcomes.map((o) => o.code)).toEqual(['ConnectionLost', 'ConnectionLost', 'ConnectionLost', 'ConnectionLost']);
    expect(s.getServer('raw')).toMatchObject({ state: 'disconnected', substate: 'backoff' });
    const breakerBefore = s.getServer('raw')!.breaker;
    for (let i = 0; i < 2; i++) {
      const refused = await s.callTool('do').catch((e: { code: string; retryAfterMs?: number }) => e);
      expect(refused).toMatchObject({ code: 'ServerUnavailable' });
      expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    }
    // CB-22: calls refused for an unconnected server are never recorded by the breaker.
    expect(s.getServer('raw')!.breaker).toEqual(breakerBefore);
  });

  it('declares a crash loop after too many quick exits and stops spawning (FM-04)', async () => {
    const s = open(
      { transport: 'stdio', command: process.execPath, args: [join(__dirname, '../fixtures/stdioServer.mjs'), 'loop', 'exit-after-init'] },
      { ...FAST, reconnect: { ...FAST.reconnect, restartIntensity: 2, restartPeriodMs: 60000 } },
    );
    const events = recordEvents(s);
    await s.start();
    await until(() => s.getServer('raw')!.state === 'error', 15_000, 'crash loop');
    expect(events.at(-1)).toMatchObject({ type: 'server.stateChanged', to: 'error', reason: 'crashLoop' });
    // Three connects end in post-connect crashes; under load an attempt may also die during
    // its tools/list, which counts as a failed connect instead, so there can be more attempts.
    const attempts = events.filter((e) => e.type === 'server.stateChanged' && e.to === 'connecting').length;
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 'server.stateChanged' && e.from === 'connected' && e.to !== 'connected')).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(events.filter((e) => e.type === 'server.stateChanged' && e.to === 'connecting').length).toBe(attempts);
  });

  it('times a hanging call out, cancels it on the server and stays connected (FM-05)', async () => {
    const s = open(rawServer());
    await s.start();
    const result = await settleTime(s.callTool('do', { mode: 'hang' }, { timeoutMs: 300 }));
    expect(result.code).toBe('ToolCallTimeout');
    expect(result.ms).toBeLessThan(3000);
    await until(() => /CANCELLED \{"requestId":\d+/.test(s.getServer('raw')!.stderrTail), 5_000, 'the cancel notification');
    expect(s.getServer('raw')!.breaker!.failedCalls).toBe(1);
    expect(s.getServer('raw')!.state).toBe('connected');
    expect((await s.callTool('do')).content[0]).toMatchObject({ type: 'text' });
  });

  it('rejects at once with Cancelled when the caller aborts, without a breaker failure (FM-06)', async () => {
    const s = open(rawServer());
    await s.start();
    const controller = new AbortController();
    const pending = settleTime(s.callTool('do', { mode: 'hang' }, { signal: controller.signal, timeoutMs: 10_000 }));
    setTimeout(() => controller.abort(), 100);
    const result = await pending;
    expect(result.code).toBe('Cancelled');
    expect(result.ms).toBeLessThan(2000);
    await until(() => s.getServer('raw')!.stderrTail.includes('CANCELLED'), 5_000, 'the cancel notification');
    expect(s.getServer('raw')!.breaker).toMatchObject({ failedCalls: 0, ignoredCalls: 1 });
  });

  it('extends the deadline on progress, up to the hard cap (FM-07)', async () => {
    const s = open(rawServer(), { ...FAST, timeouts: { ...FAST.timeouts, callMs: 300, maxCallMs: 2000 } });
    await s.start();
    const progress: number[] = [];
    const ok = await s.callTool('do', { mode: 'progress' }, { onProgress: (p) => progress.push(p.progress) });
    expect(ok.content).toEqual([{ type: 'text', text: 'done after progress' }]);
    // The SDK may settle the result before it hands over the last notification of the same burst.
    expect(progress.slice(0, 4)).toEqual([1, 2, 3, 4]);
    await sb!.stop();
    const capped = open(rawServer(), { ...FAST, timeouts: { ...FAST.timeouts, callMs: 300, maxCallMs: 350 } });
    await capped.start();
    const result = await settleTime(capped.callTool('do', { mode: 'progress' }));
    expect(result.code).toBe('ToolCallTimeout');
    await until(() => capped.getServer('raw')!.stderrTail.includes('CANCELLED'), 5_000, 'the cancel at the cap');
  });

  it('ignores a banner on stdout (FM-08)', async () => {
    const s = open(rawServer(['noise']));
    await s.start();
    expect(s.getServer('raw')!.state).toBe('connected');
    expect((await s.callTool('do')).content[0]).toMatchObject({ type: 'text' });
  });

  it('times out a half-written answer and keeps the connection (FM-09)', async () => {
    const s = open(rawServer());
    await s.start();
    expect((await settleTime(s.callTool('do', { mode: 'malformed' }, { timeoutMs: 300 }))).code).toBe('ToolCallTimeout');
    expect((await s.callTool('do')).content[0]).toMatchObject({ type: 'text' });
  });

  it('reports an invalid result as ProtocolError counted by the breaker (FM-11)', async () => {
    const s = open(rawServer());
    await s.start();
    expect((await settleTime(s.callTool('do', { mode: 'badshape' }))).code).toBe('ProtocolError');
    expect(s.getServer('raw')!.breaker!.failedCalls).toBe(1);
    expect(s.getServer('raw')!.state).toBe('connected');
  });

  it('drains a flood of stderr into a tail of the configured size that keeps the newest output (FM-12)', async () => {
    // 1000 bytes: not the 4096 characters that stderrTail itself shows at most, so only the
    // configured cap can keep the tail this small.
    const s = open(rawServer(), { ...FAST, limits: { stderrBufferBytes: 1000 } });
    await s.start();
    for (let i = 0; i < 3; i++) expect((await s.callTool('do', { mode: 'stderr-flood' })).content[0]).toMatchObject({ text: 'flooded' });
    expect((await s.callTool('do', { mode: 'stderr-tail', bytes: 100_000 })).content[0]).toMatchObject({ text: 'written' });
    await until(() => s.getServer('raw')!.stderrTail.endsWith('TAIL-END\n'), 5_000, 'the last of the output');
    const tail = s.getServer('raw')!.stderrTail;
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(tail)).toBeGreaterThan(950);
    // The fixture writes "line 00000000" … "line 00007142" (14 bytes each) up to 100 000 bytes.
    const numbers = [...tail.matchAll(/line (\d{8})\n/g)].map((m) => Number(m[1]));
    expect(numbers.at(-1)).toBe(7142);
    expect(numbers).toEqual(numbers.map((_, i) => 7142 - numbers.length + 1 + i));
  });

  it('kills a server that ignores SIGTERM and stdin EOF (FM-13)', async () => {
    const s = open(rawServer(['ignore-sigterm']), { ...FAST, timeouts: { ...FAST.timeouts, shutdownMs: 300 } });
    await s.start();
    const pid = rawPid(s.getServer('raw')!.stderrTail);
    const started = Date.now();
    await s.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitGone(pid, 3000)).toBe(true);
  });

  it('sends a server with an unsupported protocol version to error, without retries (FM-23)', async () => {
    const s = open(rawServer(['badversion']));
    const events = recordEvents(s);
    await s.start();
    expect(s.getServer('raw')).toMatchObject({ state: 'error', lastError: { code: 'UnsupportedProtocolVersion', retryable: false } });
    const pid = rawPid(s.getServer('raw')!.stderrTail);
    expect(await waitGone(pid)).toBe(true);
    expect(events.filter((e) => e.type === 'server.stateChanged' && e.to === 'connecting')).toHaveLength(1);
  });

  it('passes hostile arguments literally, never through a shell (FM-29)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-pwn-'));
    const s = open({ ...rawServer([`$(touch ${dir}/PWN)`, `; touch ${dir}/PWN2`]) });
    await s.start();
    expect(s.getServer('raw')!.state).toBe('connected');
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'PWN')) || existsSync(join(dir, 'PWN2'))).toBe(false);
  });

  it('queues up to maxQueue calls beyond maxConcurrentCalls and refuses the rest with ServerBusy', async () => {
    const s = open(rawServer(), { ...FAST, limits: { maxConcurrentCalls: 1, maxQueue: 1 }, timeouts: { ...FAST.timeouts, callMs: 5000 } });
    await s.start();
    const first = settleTime(s.callTool('do', { mode: 'hang' }, { timeoutMs: 400 }));
    const second = settleTime(s.callTool('do', {}, { timeoutMs: 3000 }));
    const third = await settleTime(s.callTool('do'));
    expect(third.code).toBe('ServerBusy');
    expect((await first).code).toBe('ToolCallTimeout');
    expect((await second).value).toBeDefined();
  });

  it('replays a call cut off by a crash once, only for tools annotated read-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-replay-'));
    const s = open(rawServer(), { ...FAST, timeouts: { ...FAST.timeouts, callMs: 5000 } });
    await s.start();
    const replayed = await s.callTool('read', { mode: 'crash-once', marker: join(dir, 'a') });
    expect(replayed.content).toEqual([{ type: 'text', text: 'second time lucky' }]);
    await until(() => s.getServer('raw')!.state === 'connected', 10_000, 'reconnect');
    const unsafe = await settleTime(s.callTool('write', { mode: 'crash-once', marker: join(dir, 'b') }));
    expect(unsafe.code).toBe('ConnectionLost');
    await sb!.stop();
    const never = open(rawServer(), { ...FAST, replay: 'never', timeouts: { ...FAST.timeouts, callMs: 5000 } });
    await never.start();
    expect((await settleTime(never.callTool('read', { mode: 'crash-once', marker: join(dir, 'c') }))).code).toBe('ConnectionLost');
  });

  it('stops an idle server and starts it again for the next call', async () => {
    const s = open(rawServer(), { ...FAST, limits: { idleTimeoutMs: 300 } });
    const events = recordEvents(s);
    await s.start();
    const pid = rawPid(s.getServer('raw')!.stderrTail);
    await s.callTool('do');
    await until(() => s.getServer('raw')!.state === 'disconnected', 5_000, 'the idle stop');
    expect(events).toContainEqual(expect.objectContaining({ type: 'server.stateChanged', to: 'disconnected', reason: 'idle' }));
    expect(await waitGone(pid)).toBe(true);
    expect((await s.callTool('do')).content[0]).toMatchObject({ type: 'text' });
    expect(rawPid(s.getServer('raw')!.stderrTail)).not.toBe(pid);
  });

  it('reconnects after missed pings but counts a -32601 answer as alive (RC-10)', async () => {
    const health = { intervalMs: 100, timeoutMs: 100, failureThreshold: 2 };
    const s = open(rawServer(['no-ping']), { ...FAST, health });
    const events = recordEvents(s);
    await s.start();
    await until(() => events.some((e) => e.type === 'server.stateChanged' && e.reason === 'healthCheckFailed'), 10_000, 'a health-driven reconnect');
    await sb!.stop();
    const alive = open(rawServer(['ping-unknown']), { ...FAST, health: { ...health, timeoutMs: 1000 } });
    const aliveEvents = recordEvents(alive);
    await alive.start();
    await new Promise((r) => setTimeout(r, 800));
    expect(aliveEvents.filter((e) => e.type === 'server.stateChanged' && e.to === 'disconnected')).toHaveLength(0);
    expect((await alive.health()).raw).toMatchObject({ ok: true });
  });

  it('reports live health with latency, and unhealthy when not connected', async () => {
    const s = open(rawServer());
    await s.start();
    const report = await s.health('raw');
    expect(report.raw!.ok).toBe(true);
    expect(report.raw!.latencyMs).toBeGreaterThan(0);
    await expect(s.health('nope')).rejects.toMatchObject({ code: 'ServerNotFound' });
    sb!.addServer('gone', { transport: 'stdio', command: '/nonexistent' });
    await until(() => s.getServer('gone')!.state === 'error', 5_000, 'error');
    expect((await s.health()).gone).toMatchObject({ ok: false, error: { code: 'ServerUnavailable' } });
    expect(isAlive(rawPid(s.getServer('raw')!.stderrTail))).toBe(true);
  });
});

describe('many stdio servers failing together (FM-30)', () => {
  it('reconnects every server after all are killed at once, spread by jitter, without leaking descriptors', async () => {
    const { readdirSync } = await import('node:fs');
    const fds = () => readdirSync('/proc/self/fd').length;
    const servers = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`s${i}`, rawServer()]));
    const sb = createSwitchboard({ servers, defaults: { ...FAST, reconnect: { baseMs: 1000, minMs: 50, maxMs: 1000 } } as never });
    const events = recordEvents(sb);
    await sb.start();
    const baseline = fds();
    const pids = sb.listServers().map((s) => rawPid(s.stderrTail));
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await until(() => sb.listServers().every((s) => s.state === 'connected' && s.reconnects === 1), 20_000, 'every server back');
    const delays = events.filter((e) => e.type === 'server.stateChanged' && e.reason === 'connectionLost').map((e) => (e as { retryInMs?: number }).retryInMs);
    expect(delays).toHaveLength(12);
    expect(new Set(delays).size).toBeGreaterThanOrEqual(10);
    for (const pid of pids) expect(await waitGone(pid)).toBe(true);
    expect(fds()).toBeLessThanOrEqual(baseline + 2);
    await sb.stop();
  });
});
