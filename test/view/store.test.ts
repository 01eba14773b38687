import { describe, expect, it } from 'vitest';
import type { ServerStatus } from '../../src/servers/index.js';
import { retryText } from '../../src/view/browser/overview.js';
import { ConsoleStore, LIMITS, median, severity, type HistorySnapshot } from '../../src/view/browser/store.js';

/** The console's model without the DOM: history then live events, activity, summary, order. */

const T0 = Date.UTC(2026, 11, 7, 14, 0, 0);

function status(name: string, over: Partial<ServerStatus> = {}): ServerStatus {
  return {
    name,
    state: 'connected',
    transport: 'stdio',
    target: 'node x',
    lastError: null,
    connectedAt: T0,
    reconnects: 0,
    retryInMs: null,
    toolsCount: 1,
    breaker: { state: 'closed', failureRate: -1, slowCallRate: -1, bufferedCalls: 0, failedCalls: 0, slowCalls: 0, notPermittedCalls: 0, consecutiveOpens: 0, retryAfterMs: null } as unknown as ServerStatus['breaker'],
    serverInfo: null,
    capabilities: null,
    instructions: null,
    protocol: { era: 'legacy', version: '2025-11-25' },
    stderrTail: '',
    ...over,
  };
}

function history(over: Partial<HistorySnapshot> = {}): HistorySnapshot {
  return { now: T0, seq: 0, bucketMs: 60_000, events: [], logs: [], calls: [], activity: {}, ...over };
}

describe('ConsoleStore', () => {
  it('starts from the history and takes each numbered live event once', () => {
    const store = new ConsoleStore();
    store.loadHistory(
      history({
        seq: 3,
        events: [
          { seq: 1, at: T0 - 5000, type: 'server.stateChanged', event: { server: 'fs', from: 'connected', to: 'disconnected', reason: 'connectionLost' } },
          { seq: 3, at: T0 - 1000, type: 'server.stateChanged', event: { server: 'fs', from: 'disconnected', to: 'connecting', reason: 'retry' } },
        ],
        calls: [{ seq: 2, at: T0 - 2000, server: 'fs', kind: 'tool', tool: 'echo', durationMs: 12, ok: true }],
      }),
    );
    // Arrived on the stream while the history was read: already in it.
    expect(store.take(3, 'server.stateChanged', { server: 'fs', from: 'disconnected', to: 'connecting', reason: 'retry' }, T0)).toBe(false);
    expect(store.take(4, 'server.stateChanged', { server: 'fs', from: 'connecting', to: 'connected', reason: 'ready' }, T0 + 10)).toBe(true);
    expect(store.take(4, 'server.stateChanged', { server: 'fs', from: 'connecting', to: 'connected', reason: 'ready' }, T0 + 10)).toBe(false);
    expect(store.transitionsOf('fs').map((e) => `${e.event.from}→${e.event.to}`)).toEqual(['connecting→connected', 'disconnected→connecting', 'connected→disconnected']);
    expect(store.callsOf('fs').map((c) => c.tool)).toEqual(['echo']);
  });

  it('starts over when a restarted service numbers its events from 1 again', () => {
    const store = new ConsoleStore();
    store.loadHistory(history({ seq: 500 }));
    store.loadHistory(history({ seq: 2 }));
    expect(store.take(3, 'tools.changed', { server: 'a' }, T0)).toBe(true);
  });

  it('counts calls per minute per server, errors apart, over the last 30 minutes', () => {
    const store = new ConsoleStore();
    store.loadHistory(history({ activity: { fs: { calls: [...Array(29).fill(0), 4], errors: [...Array(29).fill(0), 1], totalMs: [...Array(29).fill(0), 40], recentMs: [10, 10, 10, 10] } } }));
    store.take(1, 'call.completed', { server: 'fs', kind: 'tool', tool: 'x', durationMs: 30, ok: false, errorCode: 'ToolCallTimeout' }, T0 + 1000);
    store.take(2, 'call.completed', { server: 'fs', kind: 'tool', tool: 'x', durationMs: 20, ok: true, isError: true }, T0 + 61_000);
    const spark = store.sparkline('fs', T0 + 61_000);
    expect(spark.calls).toHaveLength(LIMITS.buckets);
    expect(spark.calls.slice(-2)).toEqual([5, 1]);
    expect(spark.errors.slice(-2)).toEqual([2, 1]);
    expect(store.latency('fs')).toBe(10);
    expect(store.recent(T0 + 61_000, 5, 'fs')).toEqual({ calls: 6, errors: 3 });
    // Thirty minutes later the minute has left the window.
    expect(store.sparkline('fs', T0 + 31 * 60_000).calls.every((n) => n === 0)).toBe(true);
    expect(store.calls.at(-1)).toMatchObject({ tool: 'x', isError: true, ok: true });
  });

  it('keeps its lists bounded however many events arrive', () => {
    const store = new ConsoleStore();
    for (let i = 1; i <= 5000; i++) {
      store.take(i, i % 3 === 0 ? 'server.log' : i % 3 === 1 ? 'call.completed' : 'tools.changed', { server: `s${i % 7}`, kind: 'tool', tool: 't', durationMs: 1, ok: true, level: 'info', message: 'm' }, T0 + i);
    }
    expect(store.events.length).toBeLessThanOrEqual(LIMITS.events);
    expect(store.logs.length).toBeLessThanOrEqual(LIMITS.logs);
    expect(store.calls.length).toBeLessThanOrEqual(LIMITS.calls);
  });

  it('sums up: servers by state, open breakers, eras of connected servers, rates of the last five minutes', () => {
    const store = new ConsoleStore();
    store.setServer(status('a'), T0);
    store.setServer(status('b', { protocol: { era: 'modern', version: '2026-07-28' } }), T0);
    store.setServer(status('c', { state: 'error', lastError: { code: 'ConnectionClosed', message: 'x' } as ServerStatus['lastError'] }), T0);
    store.setServer(status('d', { breaker: { ...status('d').breaker!, state: 'open' } }), T0);
    store.setServer(status('e', { state: 'disabled', breaker: null }), T0);
    store.take(1, 'call.completed', { server: 'a', durationMs: 10, ok: true }, T0);
    store.take(2, 'call.completed', { server: 'a', durationMs: 30, ok: false }, T0);
    const summary = store.summary(T0);
    expect(summary.byState).toEqual({ connected: 3, connecting: 0, disconnected: 0, error: 1, disabled: 1 });
    expect(summary.breakersOpen).toBe(1);
    expect(summary.eras).toEqual({ legacy: 2, modern: 1 });
    // T0 is on a minute's first second: four whole minutes and the first second of this one.
    expect(summary.callsPerMin).toBeCloseTo(2 / (4 + 1 / 60), 6);
    expect(store.summary(T0 + 30_000).callsPerMin).toBeCloseTo(2 / 4.5, 6);
    expect(summary.errorRate).toBe(0.5);
    expect(summary.p50Ms).toBe(20);
    // Problems first: failing, then an open breaker, then the healthy by name, disabled last.
    expect(store.ordered().map((s) => s.name)).toEqual(['c', 'd', 'a', 'b', 'e']);
    expect(severity(status('x', { state: 'disconnected' }))).toBeLessThan(severity(status('x', { state: 'connecting' })));
    expect(median([])).toBeNull();
  });

  it('counts a retry down only while the server backs off, never once it is connecting', () => {
    const store = new ConsoleStore();
    const backingOff = store.setServer(status('fs', { state: 'disconnected', substate: 'backoff', retryInMs: 2517 }), T0);
    expect(retryText(backingOff, T0 + 500)).toBe('retry in 2.0 s');
    expect(retryText(backingOff, T0 + 3000)).toBe('retrying…');
    // A status read while connecting may still carry the last delay: it is not shown.
    const connecting = store.setServer(status('fs', { state: 'connecting', substate: 'initializing', retryInMs: 2517 }), T0 + 2600);
    expect(connecting.retryAt).toBeNull();
    expect(retryText(connecting, T0 + 2600)).toBe('');
  });

  it('keeps the deadline of the same pending retry when /mcp/servers is read again', () => {
    // /mcp/servers reports the whole delay, not what is left: a second read must not restart it.
    const store = new ConsoleStore();
    store.setServer(status('flappy', { state: 'disconnected', substate: 'backoff', retryInMs: 20_000 }), T0);
    const view = store.setServer(status('flappy', { state: 'disconnected', substate: 'backoff', retryInMs: 20_000 }), T0 + 5_000);
    expect(view.retryAt).toBe(T0 + 20_000);
    expect(retryText(view, T0 + 5_000)).toBe('retry in 15 s');
  });

  it('takes a retry deadline from the event to disconnected, and the history on the page clock', () => {
    const store = new ConsoleStore();
    // The service's clock is 3 s ahead of the page's: its times are moved onto the page's.
    store.loadHistory(history({ now: T0 + 3000, seq: 1, events: [{ seq: 1, at: T0 + 1000, type: 'server.stateChanged', event: { server: 'fs', from: 'connected', to: 'disconnected', reason: 'connectionLost', retryInMs: 10_000 } }] }), T0);
    expect(store.events[0]!.at).toBe(T0 - 2000);
    const view = store.setServer(status('fs', { state: 'disconnected', substate: 'backoff', retryInMs: 10_000 }), T0 + 500);
    expect(view.retryAt).toBe(T0 + 8000);
    // A new backoff cycle brings a new deadline.
    store.take(2, 'server.stateChanged', { server: 'fs', from: 'disconnected', to: 'connecting', reason: 'retry' }, T0 + 8000);
    store.take(3, 'server.stateChanged', { server: 'fs', from: 'connecting', to: 'disconnected', reason: 'connectFailed', retryInMs: 20_000 }, T0 + 9000);
    expect(store.setServer(status('fs', { state: 'disconnected', substate: 'backoff', retryInMs: 20_000 }), T0 + 9100).retryAt).toBe(T0 + 29_000);
    expect(retryText(store.servers.get('fs')!, T0 + 29_000)).toBe('retrying…');
    expect(retryText(store.servers.get('fs')!, T0 + 29_000 - 65_000 + 20_000 + 60_000 - 60_000)).toBe('retry in 45 s');
  });

  it('corrects the estimate of a deadline read before the history arrived', () => {
    const store = new ConsoleStore();
    // The first read only knows the whole delay: the deadline is at most that late.
    expect(store.setServer(status('fs', { state: 'disconnected', substate: 'backoff', retryInMs: 10_000 }), T0).retryAt).toBe(T0 + 10_000);
    store.loadHistory(history({ now: T0, seq: 1, events: [{ seq: 1, at: T0 - 4000, type: 'server.stateChanged', event: { server: 'fs', from: 'connected', to: 'disconnected', reason: 'connectionLost', retryInMs: 10_000 } }] }), T0);
    expect(store.servers.get('fs')!.retryAt).toBe(T0 + 6000);
    expect(store.setServer(status('fs', { state: 'disconnected', substate: 'backoff', retryInMs: 10_000 }), T0 + 100).retryAt).toBe(T0 + 6000);
  });

  it('forgets the activity of a server a reload removed', () => {
    const store = new ConsoleStore();
    store.take(1, 'call.completed', { server: 'gone', durationMs: 5, ok: true }, T0);
    store.take(2, 'config.reloaded', { added: [], removed: ['gone'], changed: [], unchanged: [] }, T0);
    expect(store.sparkline('gone', T0).calls.every((n) => n === 0)).toBe(true);
    expect(store.latency('gone')).toBeNull();
  });
});
